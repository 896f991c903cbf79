"""The cross-period view on the issuing office's desk: an issued template's last N periods, each
figure per unit (in the org's order) and the area's total, from the submissions it holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from oa_client.domain.reports_records import template_of
from oa_client.domain.reports_trend import Trend, trend
from oa_client.services.org_order import in_org_order, rank_of
from oa_client.store.local import LocalStore

__all__ = ["TrendView", "family_periods", "trend_local"]

SCAN = 100_000
try:  # 8,000 submissions' values: orjson reads them several times faster
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    _loads = json.loads


@dataclass
class TrendView:
    """A trend with what the screen and the export name: the report and each unit."""

    name: str
    trend: Trend
    names: dict[str, str]

    def unit_name(self, unit: str) -> str:
        """A unit's name (its id when the org cache does not know it)."""
        return self.names.get(unit, unit)


def family_periods(record: dict[str, Any], *, last: int) -> list[str]:
    """The last `last` periods this template was issued for, oldest first."""
    periods = {str(i.get("period")) for i in record.get("issues") or [] if i.get("period")}
    if record.get("period"):
        periods.add(str(record["period"]))
    return sorted(periods)[-last:]


def trend_local(store: LocalStore, *, template_id: str, last: int = 8,
                include: tuple[str, ...] = ("submitted", "accepted")) -> TrendView:
    """Every numeric figure of a template over its last `last` periods (submitted figures only)."""
    record = store.records.get("report_templates", template_id)
    template = template_of(record)
    periods = family_periods(record, last=last)
    marks = ",".join("?" * len(periods))
    states = ",".join("?" * len(include))
    rows = store.db.query(
        f"SELECT unit_id, period, json_extract(data, '$.values') FROM submissions WHERE template_id = ? AND deleted = 0"
        f" AND period IN ({marks}) AND state IN ({states}) AND json_extract(data, '$.kind') = 'submission'",
        (template_id, *periods, *include))
    submissions: dict[str, dict[str, Any]] = {}
    for unit, period, values in rows:
        submissions.setdefault(period, {})[unit] = _loads(values) if values else {}
    org = store.records.list("units", limit=SCAN)
    names = {u["id"]: u.get("name", "") for u in org}
    units = set(record.get("recipients") or []) | {u for by_unit in submissions.values() for u in by_unit}
    ordered = in_org_order(units, rank_of(org), names)
    return TrendView(str(record.get("name") or template.name), trend(template, periods=periods, units=ordered,
                                                                      submissions=submissions), names)
