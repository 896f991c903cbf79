"""Supervision endpoints: the admin-edited working-day calendar and the 催办 pass."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Query

from oa_client.errors import ValidationError
from oa_server import authz
from oa_server.api.deps import CurrentUser, NowDep, SessionDep
from oa_server.api.routes.sync import check_protocol
from oa_server.authority import supervision_sweep as sweep
from oa_server.i18n import _
from oa_server.schemas import ErrorOut

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


@router.post("/chase", responses=ERRORS)
def chase(user: CurrentUser, session: SessionDep, now: NowDep,
          warn_days: int = Query(3, ge=0, le=30)) -> dict[str, Any]:
    """Run the 催办 pass now: chase missing reports, update lights, move dissolved leads."""
    authz.require_role(user, "supervisor")
    return sweep.run_sweep(session, user=user, now=now, warn_days=warn_days).as_dict()
