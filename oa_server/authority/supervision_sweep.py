"""Clock-driven supervision work: 催办 of missing progress reports, lights, dissolved units;
and the admin-edited working-day calendar (collection `calendars`, server-only)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_client.domain.supervision import missing_reports, task_light
from oa_client.domain.workdays import DEFAULT_WARN_DAYS, parse_year_table
from oa_server.authority.context import Ctx
from oa_server.authority.supervision import (
    TASKS,
    move_lead,
    put_task,
    server_calendar,
    today_of,
)
from oa_server.models import User, UserRole
from oa_server.sync_models import SyncRecord
from oa_server.sync_push import server_batch


@dataclass
class SweepReport:
    """What one pass did."""

    chased: list[tuple[str, str]] = field(default_factory=list)  # (task id, unit id)
    lights: dict[str, str] = field(default_factory=dict)  # task id → new light
    reassigned: list[tuple[str, str, str]] = field(default_factory=list)  # task, from, to

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"chased": [{"task_id": t, "unit_id": u} for t, u in self.chased],
                "lights": self.lights,
                "reassigned": [{"task_id": t, "from": a, "to": b} for t, a, b in self.reassigned]}


def _event_id(task_id: str, kind: str, key: str) -> str:
    """One chase per task, unit and due date, even if the pass runs twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"oa:supervision:{kind}:{task_id}:{key}"))


def open_tasks(ctx: Ctx) -> list[dict[str, Any]]:
    """Unclosed tasks, each loaded with its audience (`ctx.records` leaves that out, and a
    derived write then needs it)."""
    ids = ctx.session.scalars(select(SyncRecord.id).where(
        SyncRecord.collection == TASKS, SyncRecord.deleted.is_(False))).all()
    ctx.preload({(TASKS, i) for i in ids})  # records and audience in bulk
    tasks = (ctx.get(TASKS, i) for i in ids)
    return [t for t in tasks if t is not None and t.get("state") != "closed"]


def sweep(ctx: Ctx, *, warn_days: int = DEFAULT_WARN_DAYS) -> SweepReport:
    """One pass over open tasks at the server's clock: reassign, chase, update lights."""
    report = SweepReport()
    cal = server_calendar(ctx)
    today = today_of(ctx)
    stamp = ctx.now.isoformat(timespec="seconds")
    tasks = open_tasks(ctx)
    lates = {t["id"]: {} if t.get("state") == "closing" else missing_reports(  # awaiting 销号
        t, today=today, calendar=cal) for t in tasks}
    ctx.preload({("task_events", _event_id(tid, "chase", f"{u}:{d}"))
                     for tid, late in lates.items() for u, d in late.items()})
    for task in tasks:
        changed = False
        lead = ctx.org.unit(task.get("lead_unit_id"))
        if lead is not None and not lead.active:
            parent = ctx.org.unit(str(lead.parent_id)) if lead.parent_id else None
            if parent is not None and parent.active:
                old = str(task["lead_unit_id"])
                move_lead(ctx, task, str(parent.id), reason="牵头单位已撤销，自动转上级单位")
                ctx.put("task_events", _event_id(task["id"], "reassign", old), {
                    "task_id": task["id"], "action": "reassign", "actor_id": ctx.user_id,
                    "lead_unit_id": str(parent.id), "from_unit_id": old, "automatic": True,
                    "reason": "牵头单位已撤销，自动转上级单位", "created_at": stamp,
                    "status": "applied"})
                report.reassigned.append((task["id"], old, str(parent.id)))
                changed = True
        chased = dict(task.get("chased") or {})
        for unit, due in lates[task["id"]].items():
            if chased.get(unit) == due.isoformat():
                continue
            chased[unit] = due.isoformat()
            ctx.put("task_events", _event_id(task["id"], "chase", f"{unit}:{due}"), {
                "task_id": task["id"], "action": "chase", "actor_id": ctx.user_id,
                "chased_unit_id": unit, "due": due.isoformat(), "created_at": stamp,
                "status": "applied"})
            report.chased.append((task["id"], unit))
            changed = True
        task["chased"] = chased
        light = task_light(task, today=today, warn_days=warn_days, calendar=cal)
        value = light.value if light else None
        if task.get("light") != value:
            task["light"] = value
            report.lights[task["id"]] = value or ""
            changed = True
        if changed:
            put_task(ctx, task)
    return report


def service_user(session: Session) -> User:
    """Who a clock-driven pass acts as: the first active 督查室 member."""
    user = session.scalar(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role_code == "supervisor", User.active.is_(True))
        .order_by(User.sort_order, User.name))
    if user is None:
        from oa_client.errors import NotFoundError
        from oa_server.i18n import _

        raise NotFoundError(_("没有在职的督查室人员，无法执行催办"))
    return user


def run_sweep(session: Session, *, user: User, now: datetime,
              warn_days: int = DEFAULT_WARN_DAYS) -> SweepReport:
    """A whole pass in one transaction, committed."""
    with server_batch(session, user=user, now=now) as ctx:
        report = sweep(ctx, warn_days=warn_days)
    session.commit()
    return report


def set_calendar(session: Session, *, user: User, now: datetime, data: dict[str, Any]
                 ) -> dict[str, Any]:
    """Store one year's working-day table (validated) for every client to read."""
    table = parse_year_table(data)
    record = table.to_data()
    with server_batch(session, user=user, now=now) as ctx:
        ctx.put("calendars", f"cn-workdays-{table.year}", record)
        ctx.audit("supervision.calendar", target=f"calendars:{table.year}",
                  details={"holidays": len(table.holidays), "workdays": len(table.workdays)})
    session.commit()
    return record
