"""Report deadlines: three days before, units that have not submitted are reminded; after the
deadline they are chased (催报), once per report, period and unit."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from typing import Any

from oa_client.domain.notifications import COLLECTION
from oa_client.domain.reports_records import submission_id
from oa_server.authority.context import Ctx
from oa_server.i18n import _
from oa_server.jobs import Daily, Job, JobRun, Outcome, register
from oa_server.notify import notice_id, notify

REMIND_BEFORE = 3  # days before the deadline
CHASE_WITHIN = 30  # days after the deadline a missing report is still chased
DONE = ("submitted", "accepted")


def _issues(template: dict[str, Any]) -> list[tuple[str, date]]:
    """(period, deadline) of every issue of a template."""
    found = {}
    for issue in template.get("issues") or []:
        try:
            found[str(issue["period"])] = date.fromisoformat(str(issue["deadline"]))
        except (KeyError, TypeError, ValueError):
            continue
    if template.get("period") and template.get("deadline"):
        try:
            found.setdefault(str(template["period"]), date.fromisoformat(str(template["deadline"])))
        except ValueError:
            pass
    return list(found.items())


def remind(ctx: Ctx, *, today: date) -> dict[str, int]:
    """Remind or chase every recipient unit that has not submitted an issue near its deadline."""
    sent = {"due": 0, "chase": 0}
    plan = []
    for rid, text in ctx.texts("report_templates"):
        template = {**json.loads(text), "id": rid}
        if template.get("retired"):
            continue
        for period, deadline in _issues(template):
            if today < deadline - timedelta(days=REMIND_BEFORE) or \
                    today > deadline + timedelta(days=CHASE_WITHIN):
                continue
            kind = "report.due" if today <= deadline else "report.chase"
            for unit in template.get("recipients") or []:
                plan.append((kind, template, period, deadline, str(unit)))
    heads = {("submissions", submission_id(t["id"], u, p)) for _k, t, p, _d, u in plan}
    keys = {(COLLECTION, notice_id(f"report:{t['id']}:{p}:{u}:{k}")) for k, t, p, _d, u in plan}
    ctx.preload(heads | keys)
    for kind, template, period, deadline, unit in plan:
        head = ctx.get("submissions", submission_id(template["id"], unit, period)) or {}
        if head.get("state") in DONE:
            continue
        args = {"title": str(template.get("name") or ""), "period": period,
                "deadline": deadline.isoformat()}
        if notify(ctx, key=f"report:{template['id']}:{period}:{unit}:{kind}", kind=kind,
                  args=args, collection="report_templates", record_id=template["id"],
                  units=[unit], urgent=kind == "report.chase"):
            sent[kind.split(".")[1]] += 1
    return sent


class Remind(Job):
    """报表 deadlines for the units that fill them."""

    name = "reports.remind"
    title = "报表截止提醒与催报"
    schedule = Daily(at=time(9, 0))

    def run(self, run: JobRun) -> Outcome:
        """One look at every issued report near or past its deadline."""
        with run.batch() as ctx:
            sent = remind(ctx, today=run.today)
        return Outcome(touched=sum(sent.values()), details=sent)


#: what an administrator reads for each job (translated where shown)
_TITLE_IDS = (_("报表截止提醒与催报"),)


register(Remind())
