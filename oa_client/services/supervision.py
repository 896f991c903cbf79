"""Supervision (督查督办) operations the screens and other modules call; all work offline.

A task is a `supervision_tasks` record; progress reports are `task_progress`
children; requests and decisions (延期, 销号) are append-only `task_events`. The
server is the authority for states: what is written here is a request it judges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from oa_client.domain.ids import new_id
from oa_client.domain.supervision import (
    SUPERVISOR_ROLE,
    calendar_of,
    parse_day,
    settle_deadline,
    validate_task,
)
from oa_client.domain.workdays import WorkdayCalendar
from oa_client.errors import ValidationError
from oa_client.i18n import _
from oa_client.services import records as svc
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

COLLECTION = "supervision_tasks"


def user_id_of(me: Mapping[str, Any]) -> str:
    """The id of `me` (a /me answer or a users record)."""
    return str(me.get("id") or "")


def unit_id_of(me: Mapping[str, Any]) -> str:
    """The unit of `me` (`unit.id` of a /me answer, or `unit_id` of a users record)."""
    unit = me.get("unit")
    if isinstance(unit, Mapping) and unit.get("id"):
        return str(unit["id"])
    return str(me.get("unit_id") or "")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def calendar(store: LocalStore) -> WorkdayCalendar:
    """The working-day calendar: shipped tables plus the server's admin-edited years."""
    return calendar_of(store.records.list("calendars", limit=100))


def create_task(store: LocalStore, *, me: Mapping[str, Any], **fields: Any
                ) -> tuple[str, Changes]:
    """Open a 督办事项 offline (the fields of `task_record`); returns its id and what changed.

    `source` is `{kind: 'instruction'|'minutes'|'manual', collection, id, text}`.
    A deadline on a day off: `adjust_deadline=None` raises a DeadlineWarning (ask the
    user), True moves it to the next workday, False (default) keeps it with a note.
    """
    record = task_record(store, me=me, **fields)
    return record["id"], svc.save(store, COLLECTION, record)


def task_record(
    store: LocalStore,
    *,
    me: Mapping[str, Any],
    title: str,
    content: str,
    lead_unit_id: str,
    assist_unit_ids: Sequence[str] = (),
    deadline: date | str,
    owner_id: str | None = None,
    ordered_by: str | None = None,
    importance: str = "一般",
    source: Mapping[str, Any] | None = None,
    milestones: Iterable[Mapping[str, Any]] = (),
    report_every: str | None = None,
    adjust_deadline: bool | None = False,
    today: date | None = None,
    task_id: str | None = None,
) -> dict[str, Any]:
    """The record of a new 督办事项, checked (as `create_task`) but not saved yet."""
    start = today or datetime.now().date()
    day = parse_day(deadline, field_name="deadline")
    day, note = settle_deadline(day, start=start, adjust=adjust_deadline,
                                calendar=calendar(store))
    src = dict(source or {"kind": "manual"})
    assist = [str(u) for u in assist_unit_ids]
    record = validate_task({
        "title": title, "content": content, "lead_unit_id": str(lead_unit_id or ""),
        "assist_unit_ids": assist, "deadline": day.isoformat(), "importance": importance,
        "report_every": report_every, "source": src,
        "milestones": [{"title": str(m.get("title") or "").strip(),
                        "due": str(m.get("due") or "")} for m in milestones],
        "owner_id": owner_id, "ordered_by": ordered_by,
    })
    uid = user_id_of(me)
    record.update(
        id=task_id or new_id(), state="open", owner_id=owner_id, ordered_by=ordered_by,
        created_by_id=uid, created_at=_now(), started_on=start.isoformat(),
        deadline_note=note, last_reports={}, chased={},
        audience_units=[record["lead_unit_id"], *record["assist_unit_ids"]],
        audience_roles=[SUPERVISOR_ROLE],
        audience_users=[u for u in dict.fromkeys([ordered_by, owner_id]) if u],
    )
    if src.get("kind") == "instruction" and not src.get("text"):
        raise ValidationError(_("请填写批示内容"), field="source")
    return record


def instruction_task(store: LocalStore, *, me: Mapping[str, Any], doc: Mapping[str, Any],
                     supervise: Any, opinion: str, handling_days: Any = None, today: date,
                     ordered_by: str | None = None) -> dict[str, Any] | None:
    """The 督办事项 a leader's 批示 on a document (the 批办 step) opens when its `supervise`
    value is set — checked, to be saved after the 批示 it cites (the server looks for it):
    `True` for the document's unit, due in the handling days (10 by default), or the task's
    details — `{lead_unit_id, assist_unit_ids, deadline | days, title, owner_id, importance,
    report_every, milestones}`. The leader who wrote the 批示 ordered it (`ordered_by`: the
    leader a delegate writes for; else me); the 批示 text and the document are its source.
    None when `supervise` is not set."""
    if not supervise:
        return None
    spec: Mapping[str, Any] = supervise if isinstance(supervise, Mapping) else {}
    days = spec.get("days") or handling_days or 10
    deadline = spec.get("deadline") or (today + timedelta(days=int(days))).isoformat()
    title = str(doc.get("title") or "")
    return task_record(
        store, me=me, title=str(spec.get("title") or title),
        content=opinion.strip() or title,
        lead_unit_id=str(spec.get("lead_unit_id") or doc.get("unit_id") or ""),
        assist_unit_ids=[str(u) for u in spec.get("assist_unit_ids") or []],
        deadline=deadline, owner_id=spec.get("owner_id"), ordered_by=ordered_by or user_id_of(me),
        importance=str(spec.get("importance") or "一般"),
        report_every=spec.get("report_every"), milestones=spec.get("milestones") or (),
        adjust_deadline=True, today=today,
        source={"kind": "instruction", "collection": "documents", "id": str(doc["id"]),
                "text": opinion.strip() or title, "doc_number": doc.get("doc_number") or "",
                "title": title})


def report_progress(store: LocalStore, *, me: Mapping[str, Any], task_id: str, text: str,
                    attachments: Iterable[tuple[str, bytes]] = (),
                    percent: int | None = None,
                    milestone_id: str | None = None) -> tuple[str, Changes]:
    """Report progress for my unit (offline); files ride along as attachments. The lead unit
    may say a milestone was reached with it (`milestone_id`): its light goes out."""
    task = store.records.get(COLLECTION, task_id)
    if milestone_id and not any(m.get("id") == milestone_id for m in task.get("milestones") or []):
        raise ValidationError(_("该督办事项没有这个节点"), field="milestone_id")
    if task.get("state") == "closed":
        raise ValidationError(_("该事项已销号，不能再报送进展"), field="task_id")
    if not str(text or "").strip():
        raise ValidationError(_("请填写进展情况"), field="text")
    if percent is not None and not 0 <= int(percent) <= 100:
        raise ValidationError(_("完成进度应在0到100之间"), field="percent")
    rid = new_id()
    changes, files = Changes(), []
    for name, data in attachments:
        attachment_id, added = store.blobs.put(owner_kind="supervision_task", owner_id=task_id,
                                               name=name, data=data, sync=True)
        files.append(attachment_id)
        changes.merge(added)
    changes.merge(svc.append_event(store, "task_progress", {
        "id": rid, "task_id": task_id, "unit_id": unit_id_of(me), "author_id": user_id_of(me),
        "created_at": _now(), "text": text.strip(), "percent": percent,
        "attachment_ids": files, **({"milestone_id": milestone_id} if milestone_id else {}),
    }))
    return rid, changes


def _event(store: LocalStore, me: Mapping[str, Any], task_id: str, action: str,
           **extra: Any) -> tuple[str, Changes]:
    store.records.get(COLLECTION, task_id)
    rid = new_id()
    changes = svc.append_event(store, "task_events", {
        "id": rid, "task_id": task_id, "action": action, "actor_id": user_id_of(me),
        "unit_id": unit_id_of(me), "created_at": _now(), "status": "pending", **extra,
    })
    return rid, changes


def request_extension(store: LocalStore, *, me: Mapping[str, Any], task_id: str,
                      new_deadline: date | str, reason: str) -> tuple[str, Changes]:
    """Ask for a later deadline (the 督查室 or the ordering leader decides)."""
    task = store.records.get(COLLECTION, task_id)
    if task.get("state") == "closed":
        raise ValidationError(_("该事项已销号，不能申请延期"), field="task_id")
    day = parse_day(new_deadline, field_name="new_deadline")
    if day <= parse_day(task.get("deadline"), field_name="deadline"):
        raise ValidationError(_("延期后的期限应晚于原期限"), field="new_deadline")
    if not str(reason or "").strip():
        raise ValidationError(_("请说明延期理由"), field="reason")
    return _event(store, me, task_id, "extend_request", new_deadline=day.isoformat(),
                  reason=reason.strip())


def decide_extension(store: LocalStore, *, me: Mapping[str, Any], task_id: str,
                     request_id: str, approve: bool, opinion: str = "") -> tuple[str, Changes]:
    """Approve or refuse a pending extension request."""
    return _event(store, me, task_id, "extend_decide", request_id=request_id,
                  approve=bool(approve), opinion=opinion.strip())


def request_close(store: LocalStore, *, me: Mapping[str, Any], task_id: str,
                  result: str) -> tuple[str, Changes]:
    """Ask for 销号 with the result achieved (the 督查室 confirms)."""
    task = store.records.get(COLLECTION, task_id)
    if task.get("state") == "closed":
        raise ValidationError(_("该事项已销号"), field="task_id")
    if not str(result or "").strip():
        raise ValidationError(_("请填写办理结果"), field="result")
    return _event(store, me, task_id, "close_request", result=result.strip())


def decide_close(store: LocalStore, *, me: Mapping[str, Any], task_id: str, request_id: str,
                 accept: bool, opinion: str = "") -> tuple[str, Changes]:
    """The 督查室 confirms the 销号, or rejects the result (the task is reopened)."""
    if not accept and not opinion.strip():
        raise ValidationError(_("退回销号申请时请写明理由"), field="opinion")
    return _event(store, me, task_id, "close_decide", request_id=request_id,
                  accept=bool(accept), opinion=opinion.strip())


def reassign(store: LocalStore, *, me: Mapping[str, Any], task_id: str, lead_unit_id: str,
             reason: str = "") -> tuple[str, Changes]:
    """The 督查室 gives the task another lead unit (e.g. after the old one was dissolved)."""
    if not lead_unit_id:
        raise ValidationError(_("请选择新的牵头单位"), field="lead_unit_id")
    return _event(store, me, task_id, "reassign", lead_unit_id=lead_unit_id,
                  reason=reason.strip())
