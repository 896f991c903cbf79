"""The catalogue of internal service items (事项清单), administered on the server.

- `POST /catalogue/import` (系统管理员): the JSON file as the body; a broken file is refused
  with every problem and its line, nothing stored.
- `GET /catalogue`: the current items (everyone signed in; clients also get them by sync).
- `GET /requests/statistics` (办公室主任 and the unit's leaders): the office view of the unit's
  requests — volumes, average handling time per item, overdue steps.
- `POST /requests/{id}/output`: the approved request's output as a PDF, sealed by the server
  where the item says so (made once, kept as the request's attachment).
- `POST /requests/sweep` (系统管理员): steps held by someone who left go to the position's
  new holder or the unit head (also done when an applicant presses 催办).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from oa_server.api.deps import CurrentUser, NowDep, SessionDep, SettingsDep, Sysadmin
from oa_server.api.routes.blobs import Store
from oa_server.api.routes.signing import Keys
from oa_server.api.routes.sync import read_json_body
from oa_server.authority.requests_catalogue import import_catalogue
from oa_server.schemas import ErrorOut
from oa_server.sync_models import SyncRecord

router = APIRouter(tags=["catalogue"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                                   422: {"model": ErrorOut}})


async def _body(request: Request) -> bytes:
    return await read_json_body(request)


Body = Annotated[bytes, Depends(_body)]


@router.post("/catalogue/import", openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {"schema": {"type": "object"}}}}})
async def import_file(body: Body, user: Sysadmin, session: SessionDep, now: NowDep) -> dict[str, int]:
    """Import a catalogue file: every item checked first (problems named with their line)."""

    def work() -> dict[str, int]:
        result = import_catalogue(session, body, user=user, now=now)
        session.commit()
        return result

    return await run_in_threadpool(work)


@router.get("/catalogue")
def current_items(user: CurrentUser, session: SessionDep) -> list[dict[str, Any]]:
    """The items in force (retired versions left out)."""
    import json

    from sqlalchemy import select

    rows = session.scalars(select(SyncRecord).where(SyncRecord.collection == "service_items",
                                                    SyncRecord.deleted.is_(False)))
    out = []
    for rec in rows:
        data = json.loads(rec.data)
        if not data.get("retired"):
            out.append({"id": rec.id, **{k: data.get(k) for k in ("code", "name", "category", "version")}})
    return sorted(out, key=lambda d: str(d["code"]))


@router.post("/requests/sweep")
def sweep_requests(request: Request, user: Sysadmin, now: NowDep) -> dict[str, int]:
    """Hand steps whose holder left to the new holder or the unit head (logged): the job
    `requests.reroute`, which the server also runs every quarter of an hour."""
    from oa_server.jobs import job_named
    from oa_server.jobs.runs import run_manual
    from oa_server.jobs.scheduler import node_name

    result = run_manual(request.app.state.sessionmaker, job_named("requests.reroute"), now=now,
                        node=node_name())
    return result.result


OFFICE_ROLES = ("office_director", "principal_leader", "deputy_leader")


@router.get("/requests/statistics")
def office_statistics(user: CurrentUser, session: SessionDep, now: NowDep) -> list[dict[str, Any]]:
    """The unit's requests counted per item (the same rules as the desk's own view)."""
    import json

    from sqlalchemy import select

    from oa_client.domain.catalogue_stats import item_statistics
    from oa_client.errors import PermissionDenied
    from oa_server.authority.requests_catalogue import item_of
    from oa_server.i18n import _

    if not set(user.roles) & set(OFFICE_ROLES):
        raise PermissionDenied(_("只有办公室主任和单位领导可以查看本单位的事项办理统计"))
    unit = str(user.unit_id)

    def live(collection: str, **where: Any) -> list[SyncRecord]:
        query = select(SyncRecord).where(SyncRecord.collection == collection, SyncRecord.deleted.is_(False))
        for column, value in where.items():
            query = query.where(getattr(SyncRecord, column) == value)
        return list(session.scalars(query))

    items = {}
    for rec in live("service_items"):
        item = item_of(json.loads(rec.data))
        if item is not None:
            items[rec.id] = item
    requests = [{**json.loads(r.data), "id": r.id} for r in live("requests", unit_id=unit)]
    wanted = {f"requests:{r['id']}" for r in requests}
    events: dict[str, list[dict[str, Any]]] = {}
    for rec in live("request_events", unit_id=unit):
        if rec.parent in wanted:
            events.setdefault(rec.parent.split(":", 1)[1], []).append({**json.loads(rec.data), "id": rec.id})
    return [row.to_data() for row in item_statistics(items, requests, events, now=now)]


@router.post("/requests/{request_id}/output")
def issue_output(request_id: str, request: Request, user: CurrentUser, session: SessionDep,
                 settings: SettingsDep, keys: Keys, store: Store, now: NowDep) -> dict[str, Any]:
    """The output of an approved request (证明 …) as a sealed PDF attachment."""
    from oa_server.authority.requests_output import render_output

    return render_output(session, keys=keys, settings=settings, store=store, user=user,
                         request_id=request_id, now=now, clock=request.app.state.clock)
