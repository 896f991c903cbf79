"""The monthly 督办通报: on the 1st, last month's bulletin becomes a draft 公文 of the 督查室."""

from __future__ import annotations

from datetime import time

from oa_server.authority.supervision_bulletin import draft_bulletin, previous_month, summary
from oa_server.authority.supervision_sweep import service_user
from oa_server.i18n import _
from oa_server.jobs import Job, JobRun, Monthly, Outcome, register


class Bulletin(Job):
    """督办通报 草稿 (also made on demand from the 督办 screen's 通报 dialog)."""

    name = "supervision.bulletin"
    title = "月度督办通报（生成通报公文草稿，进入督查室待办）"
    schedule = Monthly(day=1, at=time(9, 0))

    def run(self, run: JobRun) -> Outcome:
        """Draft last month's 通报 as the 督查室 (or the member who asked)."""
        year, month = run.options.get("year"), run.options.get("month")
        if not (year and month):
            year, month = previous_month(run.today)
        with run.batch(run.actor or service_user(run.session)) as ctx:
            doc_id, made = draft_bulletin(ctx, year=int(year), month=int(month))
        return Outcome(touched=int(made), details={"made": int(made)},
                       result=summary(int(year), int(month), doc_id, made))


#: what an administrator reads for each job (translated where shown)
_TITLE_IDS = (_("月度督办通报（生成通报公文草稿，进入督查室待办）"),)


register(Bulletin())
