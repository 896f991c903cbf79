"""零跑动 on the clock: a step past its time limit reminds its holder, a day later the
holder's leader; a step whose holder left moves to the position's new holder (and tells them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from oa_client.domain.notifications import COLLECTION
from oa_server.authority.context import Ctx
from oa_server.authority.requests import running, sweep
from oa_server.authority.requests_org import leader_of
from oa_server.i18n import _
from oa_server.jobs import Every, Job, JobRun, Outcome, local, register
from oa_server.notify import notice_id, notify

#: how long after the holder's reminder their leader is told
ESCALATE_AFTER = timedelta(hours=24)


def _due(request: dict[str, Any]) -> datetime | None:
    try:
        due = datetime.fromisoformat(str(request.get("due_at") or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return due if due.tzinfo is not None else None


def _title(request: dict[str, Any]) -> str:
    return " ".join(str(p) for p in (request.get("number"), request.get("title")) if p)


def remind_overdue(ctx: Ctx) -> dict[str, int]:
    """Remind holders of steps past their limit (once per step and limit), and their leaders
    once the step is a day further past it."""
    sent = {"holders": 0, "leaders": 0}
    late = [(r, due) for r in running(ctx) if (due := _due(r)) is not None and due < ctx.now]
    keys = set()
    for r, due in late:
        for holder in r.get("approver_ids") or []:
            keys |= {f"request:{r['id']}:{r.get('flow_step')}:{due.isoformat()}:{holder}:{level}"
                     for level in ("holder", "leader")}
    ctx.preload({(COLLECTION, notice_id(k)) for k in keys})
    for r, due in late:
        step = str(r.get("step_name") or r.get("flow_step") or "")
        shown = local(due).strftime("%m-%d %H:%M")
        for holder in r.get("approver_ids") or []:
            base = f"request:{r['id']}:{r.get('flow_step')}:{due.isoformat()}:{holder}"
            args = {"title": _title(r), "step": step, "due": shown}
            if notify(ctx, key=f"{base}:holder", kind="request.overdue", args=args,
                      collection="requests", record_id=r["id"], users=[holder], urgent=True):
                sent["holders"] += 1
            if ctx.now < due + ESCALATE_AFTER:
                continue
            person = ctx.org.user(holder)
            if notify(ctx, key=f"{base}:leader", kind="request.escalated",
                      args={**args, "holder": person.name if person else ""},
                      collection="requests", record_id=r["id"], users=leader_of(ctx.org, holder),
                      urgent=True):
                sent["leaders"] += 1
    return sent


class Remind(Job):
    """Time limits of request steps (承诺时限 of each approval step)."""

    name = "requests.remind"
    title = "事项审批超时提醒（先提醒审批人，再提醒其领导）"
    schedule = Every(minutes=15)

    def run(self, run: JobRun) -> Outcome:
        """One look at every running request's step limit."""
        with run.batch() as ctx:
            sent = remind_overdue(ctx)
        return Outcome(touched=sum(sent.values()), details=sent)


class Reroute(Job):
    """Steps whose holder left go on (the manual `POST /requests/sweep` does the same)."""

    name = "requests.reroute"
    title = "审批人离岗的事项转交新的审批人"
    schedule = Every(minutes=15)

    def run(self, run: JobRun) -> Outcome:
        """Move every such step and tell its new holder."""
        moved_to: list[tuple[str, str]] = []
        with run.batch() as ctx:
            moved = sweep(ctx, moved_to=moved_to)
            for rid, holder in moved_to:
                r = ctx.get("requests", rid) or {}
                notify(ctx, key=f"request:{rid}:reassigned:{holder}", kind="request.reassigned",
                       args={"title": _title(r)}, collection="requests", record_id=rid,
                       users=[holder], urgent=True)
        return Outcome(touched=moved, details={"reassigned": moved}, result={"reassigned": moved})


#: what an administrator reads for each job (translated where shown)
_TITLE_IDS = (_("事项审批超时提醒（先提醒审批人，再提醒其领导）"), _("审批人离岗的事项转交新的审批人"))


register(Remind())
register(Reroute())
