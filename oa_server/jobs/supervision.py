"""督办 every morning: chase missing progress reports and passed milestones, update the
lights on the working-day calendar, remind lead units of deadlines drawing near."""

from __future__ import annotations

from datetime import time

from oa_server.authority.supervision_sweep import candidates, service_user, sweep
from oa_server.i18n import _
from oa_server.jobs import Daily, Job, JobRun, Outcome, register


class Chase(Job):
    """The daily 催办 pass (also `POST /supervision/chase` and `oa-server supervision chase`)."""

    name = "supervision.chase"
    title = "督办催办、状态灯与临期提醒"
    schedule = Daily(at=time(8, 0))

    def run(self, run: JobRun) -> Outcome:
        """One pass as the 督查室 (or whoever pressed the button): the tasks that need anything
        are found first without the revision lock, so pushes wait only while those are written."""
        warn = run.options.get("warn_days")
        who = run.actor or service_user(run.session)
        with run.look() as ctx:
            due = candidates(ctx, warn_days=warn)
        with run.batch(who) as ctx:
            report = sweep(ctx, warn_days=warn, only=due)
        counts = report.counts()
        return Outcome(touched=len(set(report.lights) | {t for t, _u in report.chased}
                                   | {t for t, _a, _b in report.reassigned}) + report.sent,
                       details=counts, result=report.as_dict())


#: what an administrator reads for each job (translated where shown)
_TITLE_IDS = (_("督办催办、状态灯与临期提醒"),)


register(Chase())
