"""Statistics of internal requests as pure rules: volumes, average handling time per item and
overdue steps, from request records and their accepted events (the client and the server's
office view compute them the same way)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from oa_client.domain.catalogue import ServiceItem
from oa_client.domain.catalogue_flow import APPLY_STEP, flow_definition
from oa_client.domain.workflow import StaticOrg, Workflow
from oa_client.i18n import _

__all__ = ["COLUMNS", "ItemStats", "item_statistics"]

COLUMNS = ("事项", "申请数", "已批准", "不予批准", "办理中", "平均办理时长（小时）", "超时环节", "当前超时")
_COLUMN_IDS = (_("事项"), _("申请数"), _("已批准"), _("不予批准"), _("办理中"), _("平均办理时长（小时）"),
               _("超时环节"), _("当前超时"))
_EVENT_FIELDS = ("id", "action", "actor_id", "at", "step", "on_behalf_of", "opinion", "to_step", "to_user",
                 "valid_from", "valid_until", "values", "unit_id", "department_id", "opened")


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

    def to_data(self) -> dict[str, Any]:
        """JSON-ready (the server's office view sends rows like this)."""
        return {"code": self.code, "name": self.name, "total": self.total, "approved": self.approved,
                "rejected": self.rejected, "open": self.open, "hours": self.hours,
                "overdue_steps": self.overdue_steps, "overdue_now": self.overdue_now}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ItemStats:
        """A row sent by the server."""
        return cls(**{k: data[k] for k in ("code", "name", "total", "approved", "rejected", "open", "hours",
                                             "overdue_steps", "overdue_now") if k in data})


def _when(text: Any) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _overdue_steps(item: ServiceItem, events: list[dict[str, Any]], now: datetime) -> tuple[int, int]:
    """(steps finished after their time limit, 1 if the open step is past it now) by replaying the
    accepted events (holders are pinned in them, so no org chart is needed)."""
    applied = sorted((e for e in events if e.get("status") == "applied"), key=lambda e: float(e.get("seq") or 0))
    flow = Workflow(flow_definition(item), resolver=StaticOrg({}))
    try:
        state = flow.replay([{k: e[k] for k in _EVENT_FIELDS if e.get(k) is not None} for e in applied])
    except ValueError:
        return 0, 0
    late = 0
    for act in state.trail:
        finished = max((p.done_at for p in act.parts if p.done_at), default=None)
        if act.due_at and finished and finished > act.due_at:
            late += 1
    current = state.current
    now_late = 1 if current is not None and current.step != APPLY_STEP and state.overdue(now) else 0
    return late, now_late


def item_statistics(items: dict[str, ServiceItem], requests: list[dict[str, Any]],
                    events: dict[str, list[dict[str, Any]]], *, now: datetime) -> list[ItemStats]:
    """One row per item code with submitted requests (versions together), by code."""
    merged: dict[str, ItemStats] = {}
    for rec in requests:
        item = items.get(str(rec.get("service_item_id")))
        if item is None or not rec.get("number"):
            continue  # drafts never submitted are not counted
        row = merged.setdefault(item.code, ItemStats(item.code, item.name))
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
        if state != "rejected":
            late, now_late = _overdue_steps(item, events.get(str(rec["id"]), []), now)
            row.overdue_steps += late
            row.overdue_now += now_late
    return sorted(merged.values(), key=lambda r: r.code)
