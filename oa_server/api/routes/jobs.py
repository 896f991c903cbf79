"""The server's scheduled jobs for the system administrator: what exists, what ran, run now.

- `GET /jobs`: every job with its schedule and its last run;
- `GET /jobs/runs?job=&limit=`: the newest runs (start, end, outcome, records touched);
- `POST /jobs/{name}/run`: run one now (recorded as a manual run; reminders it already
  sent are not sent twice).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from oa_client.errors import NotFoundError
from oa_server.api.deps import NowDep, SessionDep, Sysadmin
from oa_server.i18n import _
from oa_server.jobs import job_named, load
from oa_server.jobs.runs import recent_runs, run_manual, run_out
from oa_server.jobs.scheduler import node_name
from oa_server.models import JobRun
from oa_server.schemas import ErrorOut

router = APIRouter(prefix="/jobs", tags=["jobs"], responses={
    401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}})


@router.get("")
def list_jobs(admin: Sysadmin, session: SessionDep, now: NowDep) -> list[dict[str, Any]]:
    """Every job: name, what it does, when it runs, its current period and last run."""
    last = dict(session.execute(select(JobRun.job, func.max(JobRun.started_at))
                                .group_by(JobRun.job)).all())
    out = []
    for name, job in sorted(load().items()):
        row = None
        if name in last:
            row = session.scalar(select(JobRun).where(JobRun.job == name,
                                                      JobRun.started_at == last[name]).limit(1))
        out.append({"name": name, "title": _(job.title), "schedule": job.schedule.describe(),
                    "slot": job.schedule.slot(now), "last_run": run_out(row) if row else None})
    return out


@router.get("/runs")
def list_runs(admin: Sysadmin, session: SessionDep, job: str | None = None,
              limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """The newest runs, of one job or of all."""
    return recent_runs(session, job=job, limit=limit)


@router.post("/{name}/run")
def run_now(name: str, request: Request, admin: Sysadmin, now: NowDep) -> dict[str, Any]:
    """Run one job now, outside its schedule (recorded as a manual run)."""
    job = job_named(name)
    if job is None:
        raise NotFoundError(_("没有名为“{name}”的定时任务").format(name=name), job=name)
    result = run_manual(request.app.state.sessionmaker, job, now=now, node=node_name(),
                        settings=request.app.state.settings)
    return {"job": result.job, "slot": result.slot, "outcome": result.outcome,
            "touched": result.touched, "details": result.details}
