"""Supervision endpoints: the admin-edited working-day calendar, the supervision policy
(warning days) and a manual 催办 pass (the same job the server runs every morning)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from oa_client.domain.supervision import POLICY_ID, warn_days_of
from oa_client.errors import ValidationError
from oa_server import authz
from oa_server.api.deps import CurrentUser, NowDep, SessionDep
from oa_server.api.routes.sync import check_protocol
from oa_server.authority import supervision_sweep as sweep
from oa_server.i18n import _
from oa_server.schemas import ErrorOut
from oa_server.sync_models import SyncRecord

router = APIRouter(prefix="/supervision", tags=["supervision"],
                   dependencies=[Depends(check_protocol)])
ERRORS = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 422: {"model": ErrorOut}}


@router.put("/calendars/{year}", responses=ERRORS)
def put_calendar(year: int = Path(ge=2000, le=2100), *, user: CurrentUser, session: SessionDep,
                 now: NowDep, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Set one year's holidays and make-up workdays (系统管理员 or 督查室)."""
    authz.require_role(user, "sysadmin", "supervisor")
    if body.get("year", year) != year:
        raise ValidationError(_("日历表的年份与地址中的年份不一致"), field="year")
    return sweep.set_calendar(session, user=user, now=now, data={**body, "year": year})


@router.get("/policy", responses=ERRORS)
def get_policy(user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """The supervision policy the lights follow (also synced as `settings` / `supervision`)."""
    import json

    authz.require_business_user(user)
    rec = session.get(SyncRecord, ("settings", POLICY_ID))
    data = json.loads(rec.data) if rec is not None and not rec.deleted else {}
    return {"warn_days": warn_days_of(data)}


@router.put("/policy", responses=ERRORS)
def put_policy(user: CurrentUser, session: SessionDep, now: NowDep,
               body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Set how many working days before a deadline a light turns yellow (督查室)."""
    authz.require_role(user, "supervisor")
    return sweep.set_policy(session, user=user, now=now, warn_days=body.get("warn_days"))


@router.post("/chase", responses=ERRORS)
def chase(request: Request, user: CurrentUser, now: NowDep,
          warn_days: int | None = Query(None, ge=0, le=30)) -> dict[str, Any]:
    """Run the 催办 pass now (the job `supervision.chase`, recorded as a manual run): chase
    missing reports and milestones, update lights, remind, move dissolved leads."""
    from oa_server.jobs import job_named
    from oa_server.jobs.runs import run_manual
    from oa_server.jobs.scheduler import node_name

    authz.require_role(user, "supervisor")
    job = job_named("supervision.chase")
    result = run_manual(request.app.state.sessionmaker, job, now=now, node=node_name(),
                        actor=user, options={"warn_days": warn_days})
    return result.result


@router.post("/bulletins", responses=ERRORS)
def draft_bulletin(request: Request, user: CurrentUser, now: NowDep,
                   body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Make a month's 督办通报 a draft 公文 of kind 通报 for the asking 督查室 member (the job
    `supervision.bulletin` does it on the 1st for the month before); an existing draft is kept."""
    from oa_server.jobs import job_named
    from oa_server.jobs.runs import run_manual
    from oa_server.jobs.scheduler import node_name

    authz.require_role(user, "supervisor")
    year, month = body.get("year"), body.get("month")
    if not (isinstance(year, int) and 2000 <= year <= 2100 and isinstance(month, int)
            and 1 <= month <= 12):
        raise ValidationError(_("通报月份不正确"), field="month")
    result = run_manual(request.app.state.sessionmaker, job_named("supervision.bulletin"),
                        now=now, node=node_name(), actor=user,
                        options={"year": year, "month": month})
    return result.result
