"""Office statistics of internal requests: volumes, average handling time per item, overdue
steps — from the local records (the office sees its unit's requests), exportable to xlsx."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oa_client.domain.catalogue import ServiceItem
from oa_client.domain.catalogue_flow import flow_definition
from oa_client.domain.workflow import StaticOrg, Workflow
from oa_client.i18n import _
from oa_client.store.local import LocalStore

COLUMNS = ("事项", "申请数", "已批准", "不予批准", "办理中", "平均办理时长（小时）", "超时环节", "当前超时")
_COLUMN_IDS = (_("事项"), _("申请数"), _("已批准"), _("不予批准"), _("办理中"), _("平均办理时长（小时）"),
               _("超时环节"), _("当前超时"))


@dataclass
class ItemStats:
    """One row: an item's volumes, average handling time and overdue steps."""

    code: str
    name: str
    total: int = 0
    approved: int = 0
    rejected: int = 0
    open: int = 0
    hours: list[float] = field(default_factory=list)
    overdue_steps: int = 0
    overdue_now: int = 0

    @property
    def average_hours(self) -> float | None:
        """Mean hours from submission to the end, over finished requests."""
        return round(sum(self.hours) / len(self.hours), 1) if self.hours else None

    def row(self) -> list[Any]:
        """The row as shown and exported."""
        return [self.name, self.total, self.approved, self.rejected, self.open,
                self.average_hours if self.average_hours is not None else "", self.overdue_steps,
                self.overdue_now]


def _when(text: Any) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _overdue_steps(store: LocalStore, item: ServiceItem, request_id: str, now: datetime) -> tuple[int, int]:
    """(steps finished after their time limit, 1 if the open step is past it now) by replaying the
    events the server accepted (holders are pinned in them, so no org chart is needed)."""
    events = [e for e in store.records.list("request_events", where={"request_id": request_id}, limit=1000)
              if e.get("status") == "applied"]
    events.sort(key=lambda e: float(e.get("seq") or 0))
    fields = ("id", "action", "actor_id", "at", "step", "on_behalf_of", "opinion", "to_step", "to_user",
              "valid_from", "valid_until", "values", "unit_id", "department_id", "opened")
    flow = Workflow(flow_definition(item), resolver=StaticOrg({}))
    try:
        state = flow.replay([{k: e[k] for k in fields if e.get(k) is not None} for e in events])
    except ValueError:
        return 0, 0
    late = 0
    for act in state.trail:
        finished = max((p.done_at for p in act.parts if p.done_at), default=None)
        if act.due_at and finished and finished > act.due_at:
            late += 1
    now_late = 1 if state.current is not None and state.current.step != "apply" and state.overdue(now) else 0
    return late, now_late


def statistics(store: LocalStore, *, now: datetime | None = None) -> list[ItemStats]:
    """One row per item that has requests (catalogue order), from the requests this desk holds."""
    now = now or datetime.now(UTC)
    items: dict[str, tuple[ServiceItem, ItemStats]] = {}
    for rec in store.records.list("service_items", limit=1000):
        try:
            item = ServiceItem.model_validate(rec["item"])
        except (KeyError, ValueError):
            continue
        items[rec["id"]] = (item, ItemStats(item.code, item.name))
    for rec in store.records.list("requests", limit=100_000):
        found = items.get(str(rec.get("service_item_id")))
        if found is None or not rec.get("number"):
            continue  # drafts never submitted are not counted
        item, row = found
        row.total += 1
        state = rec.get("state")
        if state == "approved":
            row.approved += 1
        elif state == "rejected":
            row.rejected += 1
        else:
            row.open += 1
        start, end = _when(rec.get("submitted_at")), _when(rec.get("finished_at"))
        if start and end and state in ("approved", "rejected"):
            row.hours.append((end - start).total_seconds() / 3600)
        late, now_late = _overdue_steps(store, item, rec["id"], now)
        row.overdue_steps += late
        row.overdue_now += now_late
    rows = [row for _item, row in items.values() if row.total]
    merged: dict[str, ItemStats] = {}
    for row in rows:  # versions of one item count together
        into = merged.setdefault(row.code, ItemStats(row.code, row.name))
        into.total += row.total
        into.approved += row.approved
        into.rejected += row.rejected
        into.open += row.open
        into.hours += row.hours
        into.overdue_steps += row.overdue_steps
        into.overdue_now += row.overdue_now
    return sorted(merged.values(), key=lambda r: r.code)


def export_xlsx(rows: list[ItemStats], path: Path, *, title: str | None = None) -> Path:
    """Write the statistics to an .xlsx workbook (one sheet, a header row, a total row)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("事项办理统计")
    sheet.append([title or _("机关内部事项办理统计")])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_(c) for c in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row.row())
    hours = [h for r in rows for h in r.hours]
    sheet.append([_("合计"), sum(r.total for r in rows), sum(r.approved for r in rows),
                  sum(r.rejected for r in rows), sum(r.open for r in rows),
                  round(sum(hours) / len(hours), 1) if hours else "",
                  sum(r.overdue_steps for r in rows), sum(r.overdue_now for r in rows)])
    sheet.column_dimensions["A"].width = 24
    for col in "BCDEFGH":
        sheet.column_dimensions[col].width = 14
    path = Path(path)
    book.save(path)
    return path
