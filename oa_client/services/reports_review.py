"""The issuing office's side of reports: issue templates, review, return, accept, aggregate (汇总)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from oa_client.domain.ids import new_id
from oa_client.domain.reports import ReportTemplate
from oa_client.domain.reports_check import compute_submission, validate_submission
from oa_client.domain.reports_fill import Aggregate, aggregate, mean_codes, rollup
from oa_client.domain.reports_merge import Change, diff
from oa_client.domain.reports_records import submission_id, template_of
from oa_client.errors import ValidationError
from oa_client.i18n import _
from oa_client.services.org_order import in_org_order, unit_rank
from oa_client.services.reports_issue import issue_template, issued_by
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes, Op

__all__ = [
    "ReviewRow",
    "accept_submission",
    "aggregate_local",
    "issue_template",
    "issued_by",
    "return_submission",
    "review",
]

SCAN = 5000


@dataclass
class ReviewRow:
    """One recipient unit's submission as the issuer reviews it."""

    unit_id: str
    unit_name: str
    state: str
    late: bool = False
    problems: int = 0
    conflicts: int = 0
    resubmitted: bool = False
    changes: list[Change] = field(default_factory=list)
    head: dict[str, Any] | None = None
    confirmed: int = 0  # pre-filled values the clerk confirmed (核对确认) in the last submission
    unconfirmed: int = 0  # pre-filled values submitted without being confirmed


def _unit_names(store: LocalStore) -> dict[str, str]:
    return {u["id"]: u.get("name", "") for u in store.records.list("units", limit=SCAN)}


def review(store: LocalStore, *, template_id: str, period: str | None = None, today: dt.date | None = None
           ) -> list[ReviewRow]:
    """Every recipient: submitted or not, late, problems, conflicts, what changed since its last submission."""
    record = store.records.get("report_templates", template_id)
    template = template_of(record)
    period = period or str(record.get("period"))
    names = _unit_names(store)
    heads = {h["unit_id"]: h for h in store.records.list("submissions", limit=SCAN, where={"template_id": template_id, "period": period})
             if h.get("kind") == "submission"}
    deadline = next((i["deadline"] for i in record.get("issues") or [] if i.get("period") == period), record.get("deadline"))
    overdue = today is not None and deadline and today.isoformat() > str(deadline)
    rows = []
    for unit_id in in_org_order(record.get("recipients") or [], unit_rank(store), names):
        head = heads.get(unit_id)
        state = str(head.get("state")) if head else "new"
        row = ReviewRow(unit_id, names.get(unit_id, unit_id), state, head=head)
        if head:
            row.late = bool(head.get("late")) or (state in ("draft", "returned") and bool(overdue))
            row.problems = len(validate_submission(template, head.get("values") or {}))
            row.conflicts = len(head.get("conflicts") or [])
            submits = head.get("submits") or []
            row.resubmitted = len(submits) > 1
            if state in ("submitted", "accepted"):
                row.confirmed = len(head.get("confirmed") or [])
                row.unconfirmed = int(head.get("unconfirmed") or 0)
            if len(submits) > 1:
                row.changes = diff(submits[-2].get("values") or {}, submits[-1].get("values") or {})
        else:
            row.late = bool(overdue)
        rows.append(row)
    return rows


def _issuer_action(store: LocalStore, head: Mapping[str, Any], action: str, **extra: Any) -> Changes:
    record = {"id": new_id(), "kind": "edit", "state": "edit", "action": action,
              "submission_id": submission_id(head["template_id"], head["unit_id"], head["period"]),
              "template_id": head["template_id"], "period": head["period"], "target_unit_id": head["unit_id"],
              "device_id": store.device_id(), "at": dt.datetime.now(dt.UTC).isoformat(), **extra, "rev": 0}
    payload = {k: v for k, v in record.items() if k not in ("id", "rev")}
    return store.records.write("submissions", [record], ops=[Op(kind="action", entity="submissions",
                                                                  entity_id=record["id"], payload=payload)])


def return_submission(store: LocalStore, *, head: Mapping[str, Any], comments: list[Mapping[str, Any]], note: str = ""
                      ) -> Changes:
    """退回修改: send a submitted report back with remarks on the cells to fix."""
    if head.get("state") != "submitted":
        raise ValidationError(_("只有已上报的报表可以退回"), field="state")
    clean = [dict(c) for c in comments if str(c.get("text") or "").strip()]
    if not clean:
        raise ValidationError(_("退回时请至少写明一处需要修改的地方"), field="comments")
    return _issuer_action(store, head, "return", comments=clean, note=note)


def accept_submission(store: LocalStore, *, head: Mapping[str, Any]) -> Changes:
    """审核通过 a submitted report."""
    if head.get("state") != "submitted":
        raise ValidationError(_("只有已上报的报表可以审核通过"), field="state")
    return _issuer_action(store, head, "accept")


@dataclass
class Summary:
    """An aggregate with the unit tree for drill-down (county → township → village)."""

    template: ReportTemplate
    period: str
    result: Aggregate
    names: dict[str, str]
    parent_of: dict[str, str | None]
    rolled: dict[str, dict[str, Decimal]]
    states: dict[str, str]
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    rank: dict[str, int] = field(default_factory=dict)

    def in_order(self, units: Any) -> list[str]:
        """Units as the org chart lists them."""
        return in_org_order(units, self.rank, self.names)

    def table_rows(self, key: str) -> list[tuple[str, dict[str, dict[str, Decimal]]]]:
        """Per unit (in org order), the numeric cells of one row table (for the export's second sheet)."""
        out = []
        for unit in self.in_order(self.values):
            computed = compute_submission(self.template, self.values[unit])
            rows: dict[str, dict[str, Decimal]] = {}
            for row, cells in (computed.get(key) or {}).items():
                for code, raw in (cells or {}).items():
                    try:
                        rows.setdefault(row, {})[code] = Decimal(str(raw))
                    except (ArithmeticError, ValueError):
                        continue
            out.append((self.names.get(unit, unit), rows))
        return out

    def children(self, unit_id: str | None) -> list[str]:
        """Units directly below `unit_id` that have figures (top level when None)."""
        units = [u for u in self.rolled if self.parent_of.get(u) == unit_id]
        if unit_id is None:
            units = [u for u in self.rolled if self.parent_of.get(u) not in self.rolled]
        return self.in_order(units)


def aggregate_local(store: LocalStore, *, template_id: str, period: str | None = None,
                    include: tuple[str, ...] = ("submitted", "accepted")) -> Summary:
    """Sum the submitted figures of every unit, with roll-ups up the unit tree."""
    record = store.records.get("report_templates", template_id)
    template = template_of(record)
    period = period or str(record.get("period"))
    heads = [h for h in store.records.list("submissions", limit=100_000, where={"template_id": template_id, "period": period})
             if h.get("kind") == "submission"]
    chosen = {h["unit_id"]: h.get("values") or {} for h in heads if h.get("state") in include}
    result = aggregate(template, chosen)
    units = store.records.list("units", limit=100_000)
    parent_of = {u["id"]: u.get("parent_id") for u in units}
    names = {u["id"]: u.get("name", "") for u in units}
    scoped = {u: p for u, p in parent_of.items()}
    rolled = rollup(result.by_unit, parent_of=scoped, means=mean_codes(template))
    states = {h["unit_id"]: str(h.get("state")) for h in heads}
    return Summary(template, period, result, names, parent_of, rolled, states, chosen, unit_rank(store))
