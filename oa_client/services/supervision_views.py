"""What the supervision screens list: my unit's tasks, what I ordered, the 督查室 board with
filters and counts per light, one task's timeline, the month's bulletin (all local reads)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from oa_client.domain.supervision import (
    POLICY_ID,
    action_label,
    count_lights,
    missing_reports,
    task_light,
    units_of,
    warn_days_of,
)
from oa_client.domain.supervision_report import Bulletin, build_bulletin
from oa_client.domain.workdays import WorkdayCalendar
from oa_client.i18n import _
from oa_client.services.supervision import COLLECTION, calendar
from oa_client.store.local import LocalStore

SCAN = 5000
VIEWS = ("mine", "ordered", "board")


@dataclass(frozen=True)
class TaskRow:
    """One task as a list shows it."""

    id: str
    title: str
    lead_unit_id: str
    deadline: str
    state: str
    light: str | None  # green / yellow / red, None when closed
    chased_units: tuple[str, ...] = ()
    pending: str = ""  # "extension" / "close" when a request awaits a decision


@dataclass
class Board:
    """Rows after the filters, and counts per light over the view (before the light filter)."""

    rows: list[TaskRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _row(task: Mapping[str, Any], *, today: date, warn_days: int,
         cal: WorkdayCalendar) -> TaskRow:
    light = task_light(task, today=today, warn_days=warn_days, calendar=cal)
    late = {} if task.get("state") == "closing" else missing_reports(task, today=today,
                                                                     calendar=cal)
    chased = tuple(sorted(set(task.get("chased") or {}) | set(late)))
    pending = "close" if task.get("pending_close") else (
        "extension" if task.get("pending_extension") else "")
    return TaskRow(str(task["id"]), str(task.get("title") or ""),
                   str(task.get("lead_unit_id") or ""), str(task.get("deadline") or ""),
                   str(task.get("state") or "open"), light.value if light else None,
                   chased, pending)


def warn_days(store: LocalStore) -> int:
    """The server's warning days (its `settings` record; the default before the first sync),
    so the desk's lights are the server's."""
    return warn_days_of(store.records.get_many("settings", [POLICY_ID]).get(POLICY_ID))


def tasks_for(store: LocalStore, *, view: str, user_id: str, unit_id: str) -> list[dict]:
    """The tasks a view covers: my unit's (lead or assisting), ordered by me, or all I see."""
    tasks = store.records.list(COLLECTION, limit=SCAN, order_by="deadline")
    if view == "mine":
        return [t for t in tasks if unit_id in units_of(t) or t.get("owner_id") == user_id]
    if view == "ordered":
        return [t for t in tasks if user_id in (t.get("ordered_by"), t.get("created_by_id"))]
    return tasks


def board(store: LocalStore, *, view: str = "board", user_id: str = "", unit_id: str = "",
          today: date, light: str | None = None, lead_unit_id: str | None = None,
          state: str | None = None, text: str = "", warn: int | None = None,
          cal: WorkdayCalendar | None = None) -> Board:
    """Rows of a view filtered by light, lead unit, state and text; counts per light (the
    lights with the server's warning days unless `warn` says otherwise)."""
    cal = cal or calendar(store)
    warn = warn_days(store) if warn is None else warn
    tasks = tasks_for(store, view=view, user_id=user_id, unit_id=unit_id)
    if lead_unit_id:
        tasks = [t for t in tasks if t.get("lead_unit_id") == lead_unit_id]
    if state:
        tasks = [t for t in tasks if t.get("state") == state]
    if text.strip():
        needle = text.strip()
        tasks = [t for t in tasks if needle in str(t.get("title") or "")
                 or needle in str(t.get("content") or "")]
    rows = [_row(t, today=today, warn_days=warn, cal=cal) for t in tasks]
    out = Board(counts=count_lights((), today=today))  # the four keys, zero
    for r in rows:
        out.counts[r.light or "closed"] += 1
    if light:
        rows = [r for r in rows if (r.light or "closed") == light]
    order = {"red": 0, "yellow": 1, "green": 2, None: 3}
    out.rows = sorted(rows, key=lambda r: (order.get(r.light, 3), r.deadline, r.title))
    return out


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a task's history: a progress report or an event."""

    at: str
    kind: str  # "progress" or the event action
    who: str
    unit_id: str
    text: str
    status: str = "applied"
    record_id: str = ""
    attachments: tuple[str, ...] = ()
    attachment_ids: tuple[str, ...] = ()
    percent: int | None = None  # a progress report's 完成进度, when given


def timeline(store: LocalStore, task_id: str) -> list[TimelineEntry]:
    """Progress reports and events of a task, oldest first (pending local ones included)."""
    out = []
    for p in store.records.list("task_progress", where={"task_id": task_id}, limit=SCAN):
        ids = [str(i) for i in p.get("attachment_ids") or []]
        names = dict(store.db.query(
            f"SELECT id, name FROM attachments WHERE id IN ({','.join('?' * len(ids))})",
            tuple(ids))) if ids else {}
        files = tuple(names.get(i, "") for i in ids)
        out.append(TimelineEntry(str(p.get("created_at") or ""), "progress",
                                 str(p.get("author_id") or ""),
                                 str(p.get("report_unit_id") or p.get("unit_id") or ""),
                                 str(p.get("text") or ""), "applied" if p.get("rev", 0) > 0
                                 else "pending", p["id"], files, tuple(ids),
                                 p["percent"] if isinstance(p.get("percent"), int) else None))
    for e in store.records.list("task_events", where={"task_id": task_id}, limit=SCAN):
        out.append(TimelineEntry(str(e.get("created_at") or ""), str(e.get("action") or ""),
                                 str(e.get("actor_id") or ""),
                                 str(e.get("chased_unit_id") or e.get("actor_unit_id") or ""),
                                 event_text(e), str(e.get("status") or "pending")
                                 if e.get("rev", 0) > 0 else "pending", e["id"]))
    return sorted(out, key=lambda x: x.at)


def event_text(e: Mapping[str, Any]) -> str:
    """A task event as one readable line."""
    action = str(e.get("action") or "")
    label = action_label(action)
    if action == "extend_request":
        return _("{label}：延至{date}，理由：{reason}").format(
            label=label, date=e.get("new_deadline", ""), reason=e.get("reason", ""))
    if action == "extend_decide":
        verdict = _("同意") if e.get("approve") else _("不同意")
        return f"{label}：{verdict} {e.get('opinion') or ''}".strip()
    if action == "close_request":
        return _("{label}：{result}").format(label=label, result=e.get("result", ""))
    if action == "close_decide":
        verdict = _("确认销号") if e.get("accept") else _("退回重办")
        return f"{label}：{verdict} {e.get('opinion') or ''}".strip()
    if action == "chase":
        return _("催办：应于{date}报送进展，尚未报送").format(date=e.get("due", ""))
    if action == "reassign":
        return _("{label}：{reason}").format(label=label, reason=e.get("reason", ""))
    return label


def read_attachment(store: LocalStore, attachment_id: str) -> tuple[str, bytes]:
    """A progress report's attachment: its name and bytes (a clear error if not here yet)."""
    rows = store.db.query("SELECT name FROM attachments WHERE id = ? AND deleted = 0",
                          (attachment_id,))
    if not rows:
        from oa_client.errors import NotFoundError

        raise NotFoundError(_("附件不存在或已被删除"))
    return str(rows[0][0]), store.blobs.read(attachment_id)


def monthly_bulletin(store: LocalStore, *, year: int, month: int, today: date | None = None,
                     names: Mapping[str, str] | None = None) -> Bulletin:
    """The month's 督办通报 data from every task this device sees."""
    if names is None:
        names = {u["id"]: u.get("name", "") for u in store.records.list("units", limit=SCAN)}
    tasks = store.records.list(COLLECTION, limit=SCAN)
    return build_bulletin(tasks, year=year, month=month, unit_names=names, today=today)
