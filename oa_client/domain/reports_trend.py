"""The cross-period view (历期趋势): every numeric item of a report, per unit, over its last
periods, and the area's total of each period (added up, or averaged for per-head items).

Codes are field codes, and `table.CODE` for a row table's column (its rows added up, or
averaged for per-head items) as in `reports_fill.aggregate`. A period a unit did not
submit, or a figure it left empty, is None (a gap in the line, never a zero).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from oa_client.domain.reports import NUMERIC_ITEMS, ReportTemplate
from oa_client.domain.reports_check import compute_submission

__all__ = ["Trend", "numeric_codes", "trend"]

Series = list[Decimal | None]


def numeric_codes(template: ReportTemplate) -> list[str]:
    """The figures a trend can follow: numeric fields, then numeric table columns (`table.CODE`)."""
    codes = [r.code for r in template.field_refs() if template.item(r.code).type in NUMERIC_ITEMS]
    for table in template.tables:
        codes += [f"{table.key}.{c.code}" for c in table.columns if template.item(c.code).type in NUMERIC_ITEMS]
    return codes


@dataclass
class Trend:
    """Figures per code, per unit, one per period (oldest first), and each period's total."""

    template: ReportTemplate
    periods: list[str]
    units: list[str]
    codes: list[str]
    values: dict[str, dict[str, Series]] = field(default_factory=dict)
    totals: dict[str, Series] = field(default_factory=dict)
    reported: list[int] = field(default_factory=list)

    def series(self, code: str, unit: str | None = None) -> Series:
        """One unit's line for a figure (the total's line when `unit` is None)."""
        if unit is None:
            return list(self.totals.get(code) or [None] * len(self.periods))
        return list((self.values.get(code) or {}).get(unit) or [None] * len(self.periods))

    def label(self, code: str) -> str:
        """A code's label with its unit of measure: 户籍人口（人）, 各村情况·人口（人）."""
        table, _sep, item_code = code.rpartition(".")
        item = self.template.item(item_code)
        text = self.template.label(item_code, table or None)
        if table:
            text = f"{self.template.table(table).title}·{text}"
        return f"{text}（{item.unit}）" if item.unit else text


def _number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, str) and raw:
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    return None


def _figures(template: ReportTemplate, values: Mapping[str, Any], codes: Sequence[str], means: set[str],
             computed: bool) -> dict[str, Decimal]:
    if computed:
        values = compute_submission(template, values)
    out: dict[str, Decimal] = {}
    for code in codes:
        table, _sep, item_code = code.rpartition(".")
        if not table:
            number = _number(values.get(code))
            if number is not None:
                out[code] = number
            continue
        rows = values.get(table)
        if not isinstance(rows, dict):
            continue
        found = [n for cells in rows.values() if isinstance(cells, dict)
                 for n in [_number(cells.get(item_code))] if n is not None]
        if found:
            total = sum(found, Decimal(0))
            out[code] = total / len(found) if item_code in means else total
    return out


def trend(template: ReportTemplate, *, periods: Sequence[str], units: Sequence[str],
          submissions: Mapping[str, Mapping[str, Mapping[str, Any]]], codes: Sequence[str] | None = None) -> Trend:
    """Follow `codes` (every numeric figure by default) over `periods` (oldest first) for `units`
    (in the order shown); `submissions[period][unit]` holds a unit's submitted values."""
    codes = list(codes) if codes is not None else numeric_codes(template)
    means = {i.code for i in template.data_items if i.aggregate == "mean"}
    targets = {c.target.rpartition(".")[2] for c in template.computed}
    computed = any(code.rpartition(".")[2] in targets for code in codes)
    n = len(periods)
    values: dict[str, dict[str, Series]] = {code: {} for code in codes}
    totals: dict[str, Series] = {code: [None] * n for code in codes}
    reported = [0] * n
    for index, period in enumerate(periods):
        by_unit = submissions.get(period) or {}
        sums: dict[str, Decimal] = {}
        counts: dict[str, int] = {}
        for unit in units:
            raw = by_unit.get(unit)
            if raw is None:
                continue
            reported[index] += 1
            for code, number in _figures(template, raw, codes, means, computed).items():
                values[code].setdefault(unit, [None] * n)[index] = number
                sums[code] = sums.get(code, Decimal(0)) + number
                counts[code] = counts.get(code, 0) + 1
        for code, total in sums.items():
            totals[code][index] = total / counts[code] if code.rpartition(".")[2] in means else total
    return Trend(template, list(periods), list(units), codes, values, totals, reported)
