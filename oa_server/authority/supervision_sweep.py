"""Clock-driven supervision work (run daily by the job `supervision.chase`): 催办 of missing
progress reports and of milestones passed, lights (the worst of the deadline's and the open
milestones'), reminders to the lead unit when a deadline or milestone draws near or passes,
dissolved lead units; the supervision policy (warning days, `settings` record
`supervision`) and the admin-edited working-day calendar (collection `calendars`); both
are server-only records every desk reads, so desk and server lights agree."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_client.domain.notifications import COLLECTION
from oa_client.domain.supervision import (
    POLICY_ID,
    milestone_light,
    missing_reports,
    open_milestones,
    parse_day,
    task_light,
    warn_days_of,
)
from oa_client.domain.workdays import (
    Light,
    WorkdayCalendar,
    deadline_light,
    parse_year_table,
)
from oa_server.authority.context import Ctx
from oa_server.authority.supervision import (
    TASKS,
    move_lead,
    put_task,
    server_calendar,
    today_of,
)
from oa_server.models import User, UserRole
from oa_server.notify import notice_id, notify
from oa_server.sync_push import server_batch

SETTINGS = "settings"


@dataclass
class SweepReport:
    """What one pass did."""

    chased: list[tuple[str, str]] = field(default_factory=list)  # (task id, unit id)
    lights: dict[str, str] = field(default_factory=dict)  # task id → new light
    reassigned: list[tuple[str, str, str]] = field(default_factory=list)  # task, from, to
    #: reminders called for: (key, kind, task id, unit id, message arguments)
    notices: list[tuple[str, str, str, str, dict[str, Any]]] = field(default_factory=list)
    sent: int = 0  # reminders sent by this pass (the others were sent before)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"chased": [{"task_id": t, "unit_id": u} for t, u in self.chased],
                "lights": self.lights,
                "reassigned": [{"task_id": t, "from": a, "to": b} for t, a, b in self.reassigned],
                "reminded": self.sent}

    def counts(self) -> dict[str, int]:
        """How much the pass did, without naming any task (for the administrator)."""
        return {"chased": len(self.chased), "lights": len(self.lights),
                "reassigned": len(self.reassigned), "reminded": self.sent}


def _event_id(task_id: str, kind: str, key: str) -> str:
    """One chase per task, unit and due date, even if the pass runs twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"oa:supervision:{kind}:{task_id}:{key}"))


def _milestone_chased(ctx: Ctx, event_id: str, milestone: dict) -> bool:
    """Whether the record at a milestone's chase id is that chase (the id can be worked out:
    a unit's own event put there first must not spare it the chase; the chase replaces it)."""
    rec = ctx.get("task_events", event_id) or {}
    return rec.get("action") == "chase" and rec.get("milestone_id") == milestone["id"]


def policy_warn_days(ctx: Ctx) -> int:
    """The server's warning days (the `settings` record every desk reads too)."""
    return warn_days_of(ctx.get(SETTINGS, POLICY_ID))


def open_tasks(ctx: Ctx) -> list[dict[str, Any]]:
    """Unclosed tasks as plain data (decoded from the stored text, nothing else loaded: a pass
    reads all of them and writes the few that change)."""
    out = []
    for rid, text in ctx.texts(TASKS):
        if '"state":"closed"' in text:
            continue
        task = json.loads(text)
        if task.get("state") != "closed":
            out.append({**task, "id": rid})
    return out


def _reminders(task: dict[str, Any], *, light: str | None, today: date, warn_days: int,
               cal: WorkdayCalendar) -> list[tuple[str, str, dict[str, Any]]]:
    """(key, kind, args) of the reminders a task's state calls for today: the deadline near
    or passed, a milestone near (each once per date)."""
    title, deadline = str(task.get("title") or ""), str(task.get("deadline") or "")
    out = []
    if task.get("state") == "open":
        if deadline_light(deadline=parse_day(deadline, field_name="deadline"), today=today,
                          warn_days=warn_days, calendar=cal) == Light.YELLOW:
            out.append((f"warning:{deadline}", "supervision.warning",
                        {"title": title, "days": warn_days, "deadline": deadline}))
        elif light == Light.RED.value and today > parse_day(deadline, field_name="deadline"):
            out.append((f"overdue:{deadline}", "supervision.overdue",
                        {"title": title, "deadline": deadline}))
        for m in open_milestones(task):
            if milestone_light(m, today=today, warn_days=warn_days, calendar=cal) in (
                    Light.YELLOW, Light.RED):
                out.append((f"milestone:{m['id']}:{m['due']}", "supervision.milestone",
                            {"title": title, "milestone": m["title"], "due": m["due"]}))
    return out


@dataclass
class _Plan:
    """What one task needs today (worked out from its data alone)."""

    task: dict[str, Any]
    chases: list[tuple[str, date]]  # (unit, due) of missed progress reports
    milestones: list[dict[str, Any]]  # passed, not reached
    light: str | None
    reminders: list[tuple[str, str, dict[str, Any]]]
    move_to: str | None = None  # the parent of a dissolved lead unit

    def writes(self) -> bool:
        """Whether the task record itself changes."""
        return bool(self.chases or self.move_to or self.task.get("light") != self.light)


def _plan(ctx: Ctx, task: dict[str, Any], *, today: date, warn: int,
          cal: WorkdayCalendar) -> _Plan:
    late = {} if task.get("state") == "closing" else missing_reports(task, today=today,
                                                                   calendar=cal)
    chased = task.get("chased") or {}
    chases = [(u, d) for u, d in late.items() if chased.get(u) != d.isoformat()]
    passed = [m for m in open_milestones(task) if task.get("state") == "open"
              and today > parse_day(m["due"], field_name="milestones")]
    light = task_light(task, today=today, warn_days=warn, calendar=cal)
    value = light.value if light else None
    plan = _Plan(task, chases, passed, value,
                 _reminders(task, light=value, today=today, warn_days=warn, cal=cal))
    lead = ctx.org.unit(task.get("lead_unit_id"))
    if lead is not None and not lead.active and lead.parent_id:
        parent = ctx.org.unit(str(lead.parent_id))
        if parent is not None and parent.active:
            plan.move_to = str(parent.id)
    return plan


def _plans(ctx: Ctx, tasks: list[dict[str, Any]], *, warn_days: int | None) -> list[_Plan]:
    cal = server_calendar(ctx)
    warn = policy_warn_days(ctx) if warn_days is None else warn_days
    return [_plan(ctx, t, today=today_of(ctx), warn=warn, cal=cal) for t in tasks]


def candidates(ctx: Ctx, *, warn_days: int | None = None) -> set[str]:
    """The tasks a pass would touch now — its record changes, or a chase or reminder about it
    is not written yet — found without writing (and without the revision lock: the pass then
    takes the lock only for these)."""
    plans = _plans(ctx, open_tasks(ctx), warn_days=warn_days)
    events = {_event_id(p.task["id"], "milestone", f"{m['id']}:{m['due']}"): p.task["id"]
              for p in plans for m in p.milestones}
    notices = {notice_id(f"supervision:{p.task['id']}:{key}"): p.task["id"]
               for p in plans for key, _k, _a in p.reminders}
    out = {p.task["id"] for p in plans if p.writes()}
    done = ctx.existing("task_events", set(events)) | ctx.existing(COLLECTION, set(notices))
    out |= {tid for eid, tid in {**events, **notices}.items() if eid not in done}
    return out


def sweep(ctx: Ctx, *, warn_days: int | None = None, only: set[str] | None = None
          ) -> SweepReport:
    """One pass over open tasks at the server's clock: reassign, chase, update lights, and
    remind the lead unit of a deadline or milestone drawing near. Every task is judged from
    its stored text (or, given `only`, those tasks as stored now); only those that change
    are loaded for writing."""
    report = SweepReport()
    stamp = ctx.now.isoformat(timespec="seconds")
    if only is None:
        tasks = open_tasks(ctx)
    else:
        ctx.preload({(TASKS, i) for i in only})
        found = (ctx.get(TASKS, i) for i in sorted(only))
        tasks = [t for t in found if t is not None and t.get("state") != "closed"]
    plans = _plans(ctx, tasks, warn_days=warn_days)
    milestone_events = {_event_id(p.task["id"], "milestone", f"{m['id']}:{m['due']}"): (p, m)
                        for p in plans for m in p.milestones}
    chase_events = {_event_id(p.task["id"], "chase", f"{u}:{d}") for p in plans for u, d in p.chases}
    done = ctx.existing("task_events", set(milestone_events) | chase_events)
    fresh = {eid: pm for eid, pm in milestone_events.items()
             if eid not in done or not _milestone_chased(ctx, eid, pm[1])}
    ctx.preload({(TASKS, p.task["id"]) for p in plans if p.writes()})  # with their audience
    for plan in plans:
        if not plan.writes():
            continue
        task = ctx.get(TASKS, plan.task["id"])
        if task is None:
            continue
        if plan.move_to:
            old = str(task["lead_unit_id"])
            move_lead(ctx, task, plan.move_to, reason="牵头单位已撤销，自动转上级单位")
            ctx.put("task_events", _event_id(task["id"], "reassign", old), {
                "task_id": task["id"], "action": "reassign", "actor_id": ctx.user_id,
                "lead_unit_id": plan.move_to, "from_unit_id": old, "automatic": True,
                "reason": "牵头单位已撤销，自动转上级单位", "created_at": stamp,
                "status": "applied"})
            report.reassigned.append((task["id"], old, plan.move_to))
        chased = dict(task.get("chased") or {})
        for unit, due in plan.chases:
            chased[unit] = due.isoformat()
            ctx.put("task_events", _event_id(task["id"], "chase", f"{unit}:{due}"), {
                "task_id": task["id"], "action": "chase", "actor_id": ctx.user_id,
                "chased_unit_id": unit, "due": due.isoformat(), "created_at": stamp,
                "status": "applied"})
            report.notices.append((f"chase:{unit}:{due}", "supervision.chase", task["id"],
                                   unit, {"title": task.get("title") or "",
                                          "due": due.isoformat()}))
            report.chased.append((task["id"], unit))
        task["chased"] = chased
        if task.get("light") != plan.light:
            task["light"] = plan.light
            report.lights[task["id"]] = plan.light or ""
        put_task(ctx, task)
    for event_id, (plan, m) in fresh.items():  # a milestone passed: the lead unit is chased
        task = plan.task
        ctx.put("task_events", event_id, {
            "task_id": task["id"], "action": "chase", "actor_id": ctx.user_id,
            "chased_unit_id": task["lead_unit_id"], "due": m["due"], "milestone_id": m["id"],
            "milestone": m["title"], "created_at": stamp, "status": "applied"})
        report.chased.append((task["id"], str(task["lead_unit_id"])))
    for plan in plans:
        unit = plan.move_to or str(plan.task["lead_unit_id"])
        report.notices += [(key, kind, plan.task["id"], unit, args)
                           for key, kind, args in plan.reminders]
    _send(ctx, report, owners={p.task["id"]: p.task.get("owner_id") or "" for p in plans})
    return report


def _send(ctx: Ctx, report: SweepReport, *, owners: dict[str, str]) -> None:
    """The pass's reminders to the units concerned (and the tasks' 责任人), each once: ids
    come from their keys, and only the new ones are written."""
    ids = {notice_id(f"supervision:{tid}:{key}") for key, _k, tid, _u, _a in report.notices}
    sent = ctx.existing(COLLECTION, ids)
    for key, kind, tid, unit, args in report.notices:
        rid = notice_id(f"supervision:{tid}:{key}")
        if rid in sent:
            continue
        sent.add(rid)
        if notify(ctx, key=f"supervision:{tid}:{key}", kind=kind, args=args, collection=TASKS,
                  record_id=tid, units=[unit], users=[owners.get(tid, "")],
                  urgent=kind != "supervision.milestone", checked=True):
            report.sent += 1


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
              warn_days: int | None = None) -> SweepReport:
    """A whole pass in one transaction, committed."""
    with server_batch(session, user=user, now=now) as ctx:
        report = sweep(ctx, warn_days=warn_days)
    session.commit()
    return report


def set_policy(session: Session, *, user: User, now: datetime, warn_days: int
               ) -> dict[str, Any]:
    """Set the supervision policy every desk and the server's lights follow (warning days)."""
    if isinstance(warn_days, bool) or not isinstance(warn_days, int) or not 0 <= warn_days <= 30:
        from oa_client.errors import ValidationError
        from oa_server.i18n import _

        raise ValidationError(_("预警天数应为0到30之间的整数"), field="warn_days")
    with server_batch(session, user=user, now=now) as ctx:
        record = {**(ctx.get(SETTINGS, POLICY_ID) or {}), "warn_days": warn_days}
        record = {k: v for k, v in record.items() if k not in ("id", "rev", "unit_id", "created_by")}
        ctx.put(SETTINGS, POLICY_ID, record)
        ctx.audit("supervision.policy", target=f"{SETTINGS}:{POLICY_ID}",
                  details={"warn_days": warn_days})
    session.commit()
    return {"warn_days": warn_days}


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
