"""Filling reports offline (填报): open a form, pre-fill, check as you type, autosave, share, submit.

What a clerk sees is built from the local records (see `oa_client.domain.reports_records`):
the server's head for (template, unit, period), this device's edits not yet merged into it,
and the local draft (autosaved on every change, never sent by itself). Saving shares the
draft as one edit action (base → values); the server merges edits cell by cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from oa_client.domain.forms_values import BadValue, Problem, is_empty
from oa_client.domain.ids import new_id
from oa_client.domain.reports import NUMERIC_ITEMS, ReportTemplate, previous_period
from oa_client.domain.reports_check import coerce_item, compute_submission, validate_submission
from oa_client.domain.reports_fill import Prefilled, PrefillSource, migrate_draft, prefill
from oa_client.domain.reports_merge import merge
from oa_client.domain.reports_records import (
    cell_of,
    resolve_conflicts,
    set_cell,
    submission_id,
    template_of,
)
from oa_client.errors import NotFoundError, ValidationError
from oa_client.i18n import _
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes, Op

__all__ = [
    "Form",
    "check_cell",
    "confirm_prefilled",
    "draft_id",
    "open_form",
    "prefilled_count",
    "resolve_conflict",
    "save_draft",
    "share_draft",
    "submit_form",
    "templates_for_unit",
]

SCAN = 5000
STATE_LABELS = {"new": "待填报", "draft": "草稿", "submitted": "已上报", "returned": "已退回",
                "accepted": "已通过"}
_STATE_IDS = (_("待填报"), _("草稿"), _("已上报"), _("已退回"), _("已通过"))


def state_label(state: str) -> str:
    """A submission state in the current language."""
    return _(STATE_LABELS.get(state, state))


def draft_id(head_id: str) -> str:
    """The local-only draft record of a submission (autosaved; never synced by itself)."""
    return "draft-" + head_id


@dataclass
class Form:
    """One unit's report for one period as the clerk sees it now."""

    record: dict[str, Any]
    template: ReportTemplate
    unit_id: str
    period: str
    head_id: str
    head: dict[str, Any] | None
    values: dict[str, Any]
    base: dict[str, Any]
    marks: list[Prefilled] = field(default_factory=list)
    dropped: list[Problem] = field(default_factory=list)
    previous: dict[str, Any] | None = None
    dirty: bool = False
    pending: int = 0

    @property
    def state(self) -> str:
        """new / draft / submitted / returned / accepted."""
        return str(self.head.get("state")) if self.head else "new"

    @property
    def editable(self) -> bool:
        """Whether the clerk may still change it (not while submitted or accepted)."""
        return self.state in ("new", "draft", "returned")

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        """Cells two laptops changed differently, each with both values."""
        return list((self.head or {}).get("conflicts") or [])

    @property
    def comments(self) -> list[dict[str, Any]]:
        """The issuer's remarks on cells when it returned the report."""
        return list((self.head or {}).get("comments") or []) if self.state == "returned" else []

    @property
    def deadline(self) -> str:
        """The deadline of this period (ISO date)."""
        for issue in self.record.get("issues") or []:
            if issue.get("period") == self.period:
                return str(issue.get("deadline"))
        return str(self.record.get("deadline") or "")

    def problems(self) -> list[Problem]:
        """Everything to fix before submitting."""
        return validate_submission(self.template, self.values, previous=self.previous)

    def computed(self) -> dict[str, Any]:
        """The values with computed figures filled in."""
        return compute_submission(self.template, self.values)

    def mark(self, field: str, row: str | None = None, column: str | None = None) -> Prefilled | None:
        """The pre-fill mark of a cell while it still holds the pre-filled value."""
        for m in self.marks:
            if (m.field, m.row, m.column) == (field, row, column) and cell_of(self.values, field, row, column) == m.value:
                return m
        return None

    def live_marks(self) -> list[Prefilled]:
        """The pre-filled values the cells still hold (a retyped cell is no longer pre-filled)."""
        return [m for m in self.marks if cell_of(self.values, m.field, m.row, m.column) == m.value]

    def unconfirmed(self) -> list[Prefilled]:
        """Pre-filled values the clerk has not confirmed yet."""
        return [m for m in self.live_marks() if not m.confirmed]


def templates_for_unit(store: LocalStore, unit_id: str) -> list[dict[str, Any]]:
    """Templates issued to this unit (newest first)."""
    return [t for t in store.records.list("report_templates", limit=SCAN)
            if unit_id in (t.get("recipients") or [])]


def _records(store: LocalStore, template_id: str, unit_id: str, period: str) -> list[dict[str, Any]]:
    return store.records.list("submissions", limit=SCAN, order_by="id",
                              where={"template_id": template_id, "unit_id": unit_id, "period": period})


def _copy(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: ({r: dict(c or {}) for r, c in v.items()} if isinstance(v, dict) else v) for k, v in (values or {}).items()}


def server_view(store: LocalStore, template_id: str, unit_id: str, period: str
                ) -> tuple[dict[str, Any] | None, dict[str, Any], dict[str, Any] | None, int]:
    """(head, values as the server will have them after this device's pending edits, draft, pending count)."""
    recs = _records(store, template_id, unit_id, period)
    head_id = submission_id(template_id, unit_id, period)
    head = next((r for r in recs if r["id"] == head_id), None)
    draft = next((r for r in recs if r["id"] == draft_id(head_id)), None)
    device = store.device_id()
    head_rev = int(head["rev"]) if head else 0
    values = _copy((head or {}).get("values"))
    pending = [r for r in recs if r.get("kind") == "edit" and r.get("device_id") == device
               and r.get("action") in ("save", "submit", "resolve")
               and (int(r["rev"]) == 0 or (int(r["rev"]) > head_rev and not r.get("outcome")))]
    for edit in sorted(pending, key=lambda r: str(r.get("at") or "")):
        if edit.get("action") == "resolve":  # a choice made here, not yet on the server
            if head is not None:
                head = {**head, "conflicts": resolve_conflicts(values, list(head.get("conflicts") or []),
                                                               edit.get("resolutions") or [])}
            continue
        values, _conflicts = merge(edit.get("base") or {}, edit.get("values") or {}, values)
    return head, values, draft, len(pending)


def _sources(store: LocalStore, record: dict[str, Any], template: ReportTemplate, unit_id: str, period: str
             ) -> tuple[list[PrefillSource], dict[str, Any] | None]:
    sources: list[PrefillSource] = []
    previous_values = None
    before = previous_period(template.period, period)
    if before:
        _h, values, _d, _n = server_view(store, record["id"], unit_id, before)
        if values:
            sources.append(PrefillSource("previous_period", _("{name}（{period}）").format(name=template.name, period=before),
                                         before, values, report=record["id"]))
            if before[:4] == period[:4]:
                previous_values = values
    for other in store.records.list("submissions", limit=SCAN, where={"unit_id": unit_id, "period": period}):
        if other.get("kind") != "submission" or other.get("template_id") == record["id"]:
            continue
        try:
            tpl_rec = store.records.get("report_templates", other["template_id"])
            other_t = template_of(tpl_rec)
        except (NotFoundError, KeyError, ValueError):
            continue
        versions = {i.code: i.version for i in other_t.data_items}
        sources.append(PrefillSource("other_report", other_t.name, period, other.get("values") or {},
                                     report=other["template_id"], versions=versions))
    return sources, previous_values


def _marks_from(raw: list[Mapping[str, Any]] | None) -> list[Prefilled]:
    out = []
    for m in raw or []:
        try:
            out.append(Prefilled(m["field"], m.get("row"), m.get("column"), m.get("value"), m.get("source", ""),
                                 m.get("kind", ""), m.get("period", ""), m.get("report", ""),
                                 str(m.get("confirmed_by") or ""), str(m.get("confirmed_at") or "")))
        except KeyError:
            continue
    return out


def _marks_to(marks: list[Prefilled]) -> list[dict[str, Any]]:
    return [{"field": m.field, "row": m.row, "column": m.column, "value": m.value, "source": m.source,
             "kind": m.kind, "period": m.period, "report": m.report,
             **({"confirmed_by": m.confirmed_by, "confirmed_at": m.confirmed_at} if m.confirmed else {})}
            for m in marks]


def _strings(values: Mapping[str, Any]) -> dict[str, Any]:
    """Cell values as the strings a clerk typed (pre-filled numbers included)."""
    def text(v: Any) -> Any:
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "是" if v else "否"
        return str(v)
    return {k: ({r: {c: text(x) for c, x in (cells or {}).items()} for r, cells in v.items()} if isinstance(v, dict) else text(v))
            for k, v in values.items()}


def open_form(store: LocalStore, *, template_id: str, unit_id: str, period: str | None = None) -> Form:
    """The form for a unit and period: server values, pending edits, the draft, pre-fill, migration."""
    record = store.records.get("report_templates", template_id)
    template = template_of(record)
    period = period or str(record.get("period"))
    head, server, draft, pending = server_view(store, template_id, unit_id, period)
    head_id = submission_id(template_id, unit_id, period)
    dropped: list[Problem] = []
    marks = _marks_from((draft or head or {}).get("prefilled"))
    if draft is not None:
        base = _copy(draft.get("base"))
        values, _conflicts = merge(base, _copy(draft.get("values")), server)
        version = int(draft.get("template_version") or template.version)
        if version != template.version:
            try:
                old = template_of(record, version)
                values, dropped = migrate_draft(old, template, values)
                base, _gone = migrate_draft(old, template, base)
            except KeyError:
                pass
        dirty = values != server or bool(dropped)
    else:
        base, values, dirty = server, _copy(server), False
    for d in (head or {}).get("dropped") or []:
        dropped.append(Problem(d.get("field", ""), d.get("message", ""), row=d.get("row"), column=d.get("column")))
    sources, previous = _sources(store, record, template, unit_id, period)
    form = Form(record, template, unit_id, period, head_id, head, values, base, marks, dropped, previous, dirty, pending)
    if form.editable:
        filled = prefill(template, sources=sources, values=values)
        if filled.marks:
            form.values = _strings(filled.values)
            form.marks = [*marks, *filled.marks]
            form.dirty = True
    return form


def check_cell(form: Form, field: str, row: str | None, column: str | None, raw: Any) -> str | None:
    """Why a typed value cannot go into this cell (None when it can): text in a number cell, a bad date…"""
    if is_empty(raw):
        return None
    code = column if row is not None else field
    table = field if row is not None else None
    try:
        coerce_item(form.template.item(code or ""), raw, label=form.template.label(code or "", table))
    except BadValue as exc:
        return str(exc)
    except KeyError:
        return _("报表中没有这一项")
    return None


def confirm_prefilled(form: Form, *, by: str, cells: list[tuple[str, str | None, str | None]] | None = None,
                      at: dt.datetime | None = None) -> int:
    """核对确认: mark pre-filled values as checked by `by` — these cells, or all at once; return how many.

    The marks travel with the next autosave and edit; the server records them with the submission.
    """
    wanted = None if cells is None else set(cells)
    stamp = (at or dt.datetime.now(dt.UTC)).isoformat()
    live = {id(m) for m in form.live_marks()}
    done = 0
    marks = []
    for m in form.marks:
        if id(m) in live and not m.confirmed and (wanted is None or (m.field, m.row, m.column) in wanted):
            m = replace(m, confirmed_by=by, confirmed_at=stamp)
            done += 1
        marks.append(m)
    form.marks = marks
    if done:
        form.dirty = True
    return done


def is_numeric(form: Form, field: str, row: str | None, column: str | None) -> bool:
    """Whether the cell holds a number (text there is refused)."""
    code = column if row is not None else field
    try:
        return form.template.item(code or "").type in NUMERIC_ITEMS
    except KeyError:
        return False


def save_draft(store: LocalStore, form: Form, values: Mapping[str, Any] | None = None) -> Changes:
    """Autosave the clerk's values into the encrypted local store (nothing is sent)."""
    if not form.editable:
        raise ValidationError(_("这份报表已经上报，不能再修改"), field="state")
    if values is not None:
        form.values = _copy(values)
    form.dirty = True
    record = {"id": draft_id(form.head_id), "kind": "draft", "state": "local_draft", "template_id": form.record["id"],
              "unit_id": form.unit_id, "period": form.period, "values": form.values, "base": form.base,
              "template_version": form.template.version, "prefilled": _marks_to(form.marks),
              "at": dt.datetime.now(dt.UTC).isoformat(), "rev": 0}
    return store.records.write("submissions", [record])


def _edit(store: LocalStore, form: Form, action: str, **extra: Any) -> Changes:
    record = {"id": new_id(), "kind": "edit", "state": "edit", "action": action, "submission_id": form.head_id,
              "template_id": form.record["id"], "template_version": form.template.version,
              "unit_id": form.unit_id, "period": form.period, "device_id": store.device_id(),
              "at": dt.datetime.now(dt.UTC).isoformat(), **extra, "rev": 0}
    payload = {k: v for k, v in record.items() if k not in ("id", "rev")}
    op = Op(kind="action", entity="submissions", entity_id=record["id"], payload=payload)
    changes = store.records.write("submissions", [record], ops=[op])
    try:
        store.records.delete("submissions", draft_id(form.head_id))
    except NotFoundError:
        pass
    return changes


def share_draft(store: LocalStore, form: Form) -> Changes:
    """Save: send the changes (base → values) to the server at the next sync; the draft is cleared."""
    if not form.editable:
        raise ValidationError(_("这份报表已经上报，不能再修改"), field="state")
    changes = _edit(store, form, "save", base=form.base, values=form.values, prefilled=_marks_to(form.marks))
    form.base, form.dirty = _copy(form.values), False
    return changes


def submit_form(store: LocalStore, form: Form) -> Changes:
    """Submit (上报): every check must pass; it queues until the network is back."""
    if not form.editable:
        raise ValidationError(_("这份报表已经上报，不能重复上报"), field="state")
    if form.conflicts:
        raise ValidationError(_("有{n}处冲突（两台电脑改了同一格），请先选定取值").format(n=len(form.conflicts)), field="conflicts")
    problems = form.problems()
    if problems:
        raise ValidationError(_("还有{n}处问题，修改后才能上报").format(n=len(problems)), field="values", problems=problems)
    changes = _edit(store, form, "submit", base=form.base, values=form.values, prefilled=_marks_to(form.marks))
    form.base, form.dirty = _copy(form.values), False
    return changes


def resolve_conflict(store: LocalStore, form: Form, *, field: str, row: str | None, column: str | None, value: Any) -> Changes:
    """Choose the value of a conflicting cell (either laptop's, or a new one)."""
    set_cell(form.values, field, row, column, value)
    changes = _edit(store, form, "resolve", resolutions=[{"field": field, "row": row, "column": column, "value": value}])
    if form.head is not None:
        form.head["conflicts"] = [c for c in form.conflicts if (c["field"], c.get("row"), c.get("column")) != (field, row, column)]
    return changes


def prefilled_count(store: LocalStore, unit_id: str, period: str) -> int:
    """How many fields and cells of this unit's reports for a period were pre-filled (not retyped)."""
    chosen: dict[str, dict[str, Any]] = {}
    for rec in store.records.list("submissions", limit=SCAN, where={"unit_id": unit_id, "period": period}):
        if rec.get("kind") == "draft":
            chosen[submission_id(rec["template_id"], unit_id, period)] = rec
        elif rec.get("kind") == "submission":
            chosen.setdefault(rec["id"], rec)
    return sum(
        1 for rec in chosen.values() for m in rec.get("prefilled") or []
        if cell_of(rec.get("values") or {}, m.get("field", ""), m.get("row"), m.get("column")) == m.get("value"))
