"""Reports (一张表) endpoints for the issuing office: who has submitted, who is late, who has
problems, and the sums across every recipient unit with drill-down (county → township → village),
computed on the server so an office with 1,000 units need not pull every submission."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from oa_client.domain.reports_check import validate_submission
from oa_client.domain.reports_fill import aggregate, mean_codes, rollup
from oa_client.domain.reports_records import submission_id, template_of
from oa_client.errors import NotFoundError, PermissionDenied
from oa_server import authz
from oa_server.api.deps import CurrentUser, NowDep, SessionDep
from oa_server.api.routes.sync import check_protocol
from oa_server.i18n import _
from oa_server.models import Unit
from oa_server.schemas import ErrorOut
from oa_server.sync_models import SyncRecord
from oa_server.visibility import sees_record

router = APIRouter(prefix="/reports", tags=["reports"], dependencies=[Depends(check_protocol)],
                   responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}})
CHUNK = 500


class UnitStatus(BaseModel):
    """One recipient unit's submission as the issuer sees it."""

    unit_id: str
    name: str
    parent_id: str | None
    state: str  # new / draft / submitted / returned / accepted
    late: bool
    problems: int
    conflicts: int
    figures: dict[str, str]


class Overview(BaseModel):
    """Counts, totals and one level of drill-down for an issued report and period."""

    template_id: str
    name: str
    period: str
    deadline: str | None
    asked: int
    submitted: int
    late: int
    with_problems: int
    totals: dict[str, str]
    units: list[UnitStatus]
    children: list[dict[str, Any]]


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def _heads(session, ids: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for i in range(0, len(ids), CHUNK):
        rows = session.scalars(select(SyncRecord).where(
            SyncRecord.collection == "submissions", SyncRecord.id.in_(ids[i:i + CHUNK]), SyncRecord.deleted.is_(False)))
        for rec in rows:
            out[rec.id] = json.loads(rec.data)
    return out


@router.get("/{template_id}/overview")
def overview(
    template_id: str, user: CurrentUser, session: SessionDep, now: NowDep,
    period: Annotated[str | None, Query(description="所属期，如 2026-Q1（默认：当前下发的一期）")] = None,
    unit: Annotated[str | None, Query(description="下钻到该单位（默认：全部）")] = None,
) -> Overview:
    """The issuing office's overview: submitted / late / problems, totals, drill-down by unit."""
    authz.require_business_user(user)
    rec = session.get(SyncRecord, ("report_templates", template_id))
    if rec is None or not sees_record(session, user=user, collection="report_templates",
                                      record_id=template_id):
        raise NotFoundError(_("找不到这份报表"), id=template_id)  # hidden: as if missing
    if rec.unit_id != str(user.unit_id):
        raise PermissionDenied(_("只有下发报表的单位可以查看汇总"))
    record = json.loads(rec.data)
    template = template_of(record)
    period = period or str(record.get("period"))
    deadline = next((i["deadline"] for i in record.get("issues") or [] if i.get("period") == period), None)
    recipients = [str(r) for r in record.get("recipients") or []]
    ids = {submission_id(template_id, u, period): u for u in recipients}
    heads = {ids[k]: v for k, v in _heads(session, list(ids)).items()}
    units = {str(u.id): u for u in session.scalars(select(Unit))}
    parent_of = {uid: (str(u.parent_id) if u.parent_id else None) for uid, u in units.items()}
    done = {u: h.get("values") or {} for u, h in heads.items() if h.get("state") in ("submitted", "accepted")}
    result = aggregate(template, done)
    overdue = deadline is not None and now.date() > dt.date.fromisoformat(deadline)
    def org_order(u: str) -> tuple[int, str]:  # the org chart's order, not the code points of names
        return (units[u].sort_order or 0, units[u].name) if u in units else (1 << 30, u)

    statuses = []
    for uid in sorted(recipients, key=org_order):
        head = heads.get(uid) or {}
        state = str(head.get("state") or "new")
        late = bool(head.get("late")) or (overdue and state in ("new", "draft", "returned"))
        problems = len(validate_submission(template, head.get("values") or {})) if head else 0
        statuses.append(UnitStatus(
            unit_id=uid, name=units[uid].name if uid in units else uid, parent_id=parent_of.get(uid), state=state,
            late=late, problems=problems, conflicts=len(head.get("conflicts") or []),
            figures={k: _num(v) for k, v in result.by_unit.get(uid, {}).items()}))
    rolled = rollup(result.by_unit, parent_of=parent_of, means=mean_codes(template))
    top = [u for u in rolled if parent_of.get(u) not in rolled]
    level = [u for u in rolled if parent_of.get(u) == unit] if unit else top
    children = [{"unit_id": u, "name": units[u].name if u in units else u,
                 "figures": {k: _num(v) for k, v in rolled[u].items()}} for u in sorted(level, key=org_order)]
    if unit and unit in done:  # the deepest level: the unit's own row tables (one row per village)
        for table in template.tables:
            for row, cells in (done[unit].get(table.key) or {}).items():
                children.append({"unit_id": None, "name": table.row_title(row), "table": table.key,
                                 "figures": {c: str(v) for c, v in (cells or {}).items()}})
    return Overview(
        template_id=template_id, name=template.name, period=period, deadline=deadline, asked=len(recipients),
        submitted=sum(1 for s in statuses if s.state in ("submitted", "accepted")),
        late=sum(1 for s in statuses if s.late), with_problems=sum(1 for s in statuses if s.problems or s.conflicts),
        totals={k: _num(v) for k, v in result.totals.items()}, units=statuses, children=children)
