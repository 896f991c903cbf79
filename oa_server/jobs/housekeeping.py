"""Clean-up: unfinished uploads after a day, old runs of the frequent jobs after 90 days."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import delete

from oa_server.blob_store import store_from
from oa_server.i18n import _
from oa_server.jobs import Daily, Every, Job, JobRun, Outcome, register
from oa_server.models import JobRun as RunRow

UPLOAD_TTL = timedelta(hours=24)
KEEP_RUNS = timedelta(days=90)


class ExpireUploads(Job):
    """Chunked uploads nobody finished (the spool files would fill the disk)."""

    name = "uploads.expire"
    title = "清理未完成的附件上传（超过24小时）"
    schedule = Every(minutes=60)

    def run(self, run: JobRun) -> Outcome:
        """Remove uploads started more than a day ago."""
        if run.settings is None:  # every runner passes the server's settings
            return Outcome(details={"skipped": "no data directory"})
        removed = store_from(run.settings).expire_uploads(run.session, now=run.now,
                                                          older_than=UPLOAD_TTL)
        return Outcome(touched=removed, details={"removed": removed})


class PruneRuns(Job):
    """The record of runs stays readable: three months of it."""

    name = "jobs.prune"
    title = "清理90天前的定时任务运行记录"
    schedule = Daily(at=time(3, 0))

    def run(self, run: JobRun) -> Outcome:
        """Delete finished runs older than 90 days."""
        gone = run.session.execute(delete(RunRow).where(
            RunRow.started_at < run.now - KEEP_RUNS, RunRow.outcome != "running"))
        return Outcome(touched=gone.rowcount or 0, details={"removed": gone.rowcount or 0})


#: what an administrator reads for each job (translated where shown)
_TITLE_IDS = (_("清理未完成的附件上传（超过24小时）"), _("清理90天前的定时任务运行记录"))


register(ExpireUploads())
register(PruneRuns())
