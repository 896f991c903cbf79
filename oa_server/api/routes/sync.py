"""Sync endpoints: push ops, pull changes, per-collection digests, long-poll for news."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from oa_client.errors import ConflictError, OAError, PermissionDenied, ValidationError
from oa_server import (
    authority,
    authz,
    devices,
    exchange_delivery,
    sealing,
    sync_service,
    wait_signins,
)
from oa_server.api import quick_wait
from oa_server.api.codings import decode_body
from oa_server.api.deps import (
    CurrentUser,
    NowDep,
    SessionDep,
    bearer,
    get_current_user,
    signed_in_user,
    signing_key_of,
)
from oa_server.db import read_only
from oa_server.fair_gate import FairGate
from oa_server.i18n import _
from oa_server.models import User
from oa_server.schemas import MAX_SEQ, ErrorOut
from oa_server.security import read_access_token
from oa_server.sync_batch import finite, finite_json
from sync.protocol import (
    MAX_PULL_LIMIT,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    DigestResponse,
    PullResponse,
    PushRequest,
    PushResponse,
    WaitResponse,
)

#: Pushes are serialised by the revision lock anyway: one push per worker process waits
#: on it with a database connection, the others wait here without one, so pulls never
#: queue for a pooled connection behind pushes. First come, first served: the tail of a
#: busy hour is not a few unlucky desks waiting many turns.
_PUSH_GATE = FairGate()
WAIT_MAX_S = quick_wait.WAIT_MAX_S
#: a pull page read again at most this often after recording deliveries in it
DELIVERY_ROUNDS = 4
#: allocations between young collections (Python's default: 700)
GC_YOUNG = 70_000


class UpgradeRequired(OAError):
    """Raised when a client speaks a protocol version this server cannot."""

    code = "upgrade_required"


class ServerChanged(ConflictError):
    """Raised when the client's cursor belongs to another server or a restored database."""

    code = "server_changed"


class CursorAhead(ConflictError):
    """Raised when the client's cursor is beyond anything this server has handed out."""

    code = "cursor_ahead"


async def check_protocol(
    x_oa_protocol: Annotated[str | None, Header(alias=PROTOCOL_HEADER)] = None,
) -> int:
    """Refuse a missing, malformed or unsupported protocol version with a clear upgrade answer."""
    try:
        version = int(x_oa_protocol or "")
    except ValueError:
        version = -1
    if version < MIN_PROTOCOL_VERSION:
        raise UpgradeRequired(
            _("客户端版本过旧，无法与服务器同步，请升级客户端"),
            client_version=version,
            min_version=MIN_PROTOCOL_VERSION,
            server_version=PROTOCOL_VERSION,
        )
    if version > PROTOCOL_VERSION:
        raise UpgradeRequired(
            _("服务器版本低于客户端，请联系系统管理员升级服务器"),
            client_version=version,
            server_version=PROTOCOL_VERSION,
        )
    return version


Protocol = Annotated[int, Depends(check_protocol)]
router = APIRouter(prefix="/sync", tags=["sync"], dependencies=[Depends(check_protocol)])
ERRORS = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    409: {"model": ErrorOut},
    413: {"model": ErrorOut},
    422: {"model": ErrorOut},
    426: {"model": ErrorOut},
}


async def read_json_body(request: Request) -> bytes:
    """The request body, decoded (on a worker thread, bounded) if it came compressed."""
    raw = await request.body()
    return await run_in_threadpool(decode_body, raw, request.headers.get("content-encoding", ""),
                                   limit=request.app.state.settings.max_body_bytes)


def parse_push(body: bytes) -> PushRequest:
    """The push request from its JSON text; a malformed one is a ValidationError naming the field."""
    try:
        req = PushRequest.model_validate_json(body)
    except PydanticValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": ("body",), "type": ""}
        field = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        message = (
            _("请求内容不是有效的 JSON")
            if first.get("type") == "json_invalid"
            else _("字段取值无效：{field}").format(field=field)
        )
        raise ValidationError(message, field=field) from None
    return req


def nonfinite_ops(req: PushRequest, body: bytes) -> frozenset[int]:
    """The indexes of the ops whose payload holds NaN or an infinity: pydantic reads them,
    but they are not JSON, and stored data never holds them (`sync_batch.dumps`)."""
    if finite_json(body):
        return frozenset()
    return frozenset(i for i, op in enumerate(req.ops) if not finite(op.payload))


@router.post(
    "/push",
    responses=ERRORS,
    response_model=PushResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PushRequest.model_json_schema()}},
        }
    },
)
async def push(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Apply a batch of outbox ops; each gets applied / rejected (with a code) / conflict.
    A 用印 step taken here has its 正式文件 made before the answer (outside the lock)."""
    raw = await request.body()  # at most max_body_bytes (the middleware refuses more)
    coding = request.headers.get("content-encoding", "")
    limit = request.app.state.settings.max_body_bytes

    def work() -> Response:
        started = time.perf_counter()
        # inflating and parsing take the CPU for a while: here, off the event loop
        body = decode_body(raw, coding, limit=limit)
        req = parse_push(body)
        device = request.state.auth_device_id  # the sign-in's device, read with the token
        if req.device_id != device:
            raise PermissionDenied(
                _("设备标识与登录设备不一致，请重新登录"), reason="device_mismatch"
            )
        nonfinite = nonfinite_ops(req, body)
        # a revoked device's last push: what it wrote after the revocation is refused, each
        # op on its own (set aside like a non-finite one, then answered as such)
        late = devices.late_ops(req.ops, revoked_at=request.state.farewell_since)
        with _PUSH_GATE:
            results = sync_service.push(session, user=user, device_id=device, ops=req.ops, now=now,
                                        nonfinite=nonfinite | frozenset(late))
        results = [late.get(i, result) for i, result in enumerate(results)]
        if sealing.steps_taken(req.ops, results):  # 用印 taken: the 正式文件, before answering
            sealing.after_push(session, sealing=sealing.sealing_for(request.app.state), user=user,
                               ops=req.ops, results=results, now=now)
        answer = PushResponse(
            results=results, server_id=sync_service.server_id(session), server_time=now.isoformat()
        )
        # written once here: a model returned to FastAPI is validated and serialised again
        text = answer.model_dump_json()
        # the server's part of the request's time: the desk weighs what one more request
        # costs it beyond this (`SyncEngine._batch_cap`)
        took = f"push;dur={(time.perf_counter() - started) * 1000:.1f}"
        return Response(text, media_type="application/json", headers={"Server-Timing": took})

    return await run_in_threadpool(work)


@router.get("/pull", responses=ERRORS, response_model=PullResponse)
async def pull(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cursor: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 1000,
    collection: Annotated[str | None, Query(max_length=64)] = None,
    server_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Changes after `cursor` that the user may see, oldest first. A 收文 handed here for the
    first time to someone of its receiving unit is recorded as delivered (已送达)."""
    return await _signed_in_read(request, credentials, lambda session, user, now: _pull_page(
        session, user=user, device=request.state.auth_device_id, cursor=cursor, limit=limit,
        collection=collection, server_id=server_id, now=now).to_json())


async def _signed_in_read(request: Request,
                          credentials: HTTPAuthorizationCredentials | None,
                          read: Callable[[Session, User, datetime], bytes]) -> Response:
    """`read`'s JSON for the signed-in user. The sign-in check and the read are one
    transaction, on one thread-pool turn with the session's end: a desk woken by news pulls
    and checks its digests at once, a dozen desks together, and on a busy worker each turn,
    like each round trip to the database, waits behind the others'."""
    state = request.app.state
    now = state.clock()

    def work() -> bytes:
        with state.sessionmaker() as session:
            key = signing_key_of(request, session, state.settings)
            user = signed_in_user(request, session, key, now, credentials)
            body = read(session, user, now)
            session.commit()  # ends the transaction here, not on a later turn
            return body

    return Response(await run_in_threadpool(work), media_type="application/json")


def _pull_page(session: Session, *, user: User, device: str | None, cursor: int, limit: int,
               collection: str | None, server_id: str | None, now: datetime
               ) -> sync_service.PullPage:
    """The page a pull answers, with the 收文 it hands over recorded as delivered first."""
    for _round in range(DELIVERY_ROUNDS):
        try:
            page = sync_service.pull(
                session,
                user=user,
                cursor=cursor,
                limit=limit,
                collection=collection,
                client_server_id=server_id,
                now=now,
            )
        except ConflictError as exc:
            cls = ServerChanged if exc.context.get("reason") == "server_changed" else CursorAhead
            raise cls(exc.message, **exc.context) from None
        arrived = exchange_delivery.pending_in(page.rows, user=user)
        if not arrived:
            break
        # 已送达 is written first and the page read again: the desk gets the 收文 as
        # delivered, and its digests match the server's right after (no re-pull)
        if not exchange_delivery.record_deliveries(session, user=user, device_id=device,
                                                   incoming_ids=arrived, now=now):
            break
    return page


@router.get("/digest", responses=ERRORS, response_model=DigestResponse)
async def digest(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    """Count and digest per collection, for the client's check after a sync."""
    return await _signed_in_read(request, credentials, lambda session, user, _now: (
        sync_service.digest(session, user=user).model_dump_json().encode()))


#: thread-pool turns the long-polls' sign-in checks may take at once: when a thousand desks
#: come back from their timeouts together, they queue among themselves, not in front of
#: the pulls and pushes of the desks at work
_WAIT_CHECKS = anyio.CapacityLimiter(4)

async def waiting_desk(
    request: Request,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> wait_signins.Desk:
    """The signed-in desk of a long-poll. A sign-in this worker checked within the minute
    is vouched for without the database (oa_server.wait_signins); otherwise the ordinary
    check, in one read-only transaction on one thread-pool turn of its own: over before the
    wait begins, and on SQLite without the write lock."""
    state = request.app.state
    signins = quick_wait.signins_of(state)
    key = getattr(state, "signing_key", None)
    if key is not None and credentials is not None and credentials.scheme.lower() == "bearer":
        claims = read_access_token(key, credentials.credentials, now=now)
        if claims is not None:
            desk = await signins.recall(claims.user_id, claims.session_id, partial(
                quick_wait.recheck, state))
            if desk is not None:
                request.state.auth_session_id = desk.session_id
                request.state.auth_device_id = desk.device_id
                return desk

    def check() -> wait_signins.Desk:
        with state.sessionmaker(bind=read_only(state.engine)) as session:
            key = signing_key_of(request, session, state.settings)
            user = get_current_user(request, session, key, now, credentials)
            authz.require_business_user(user)  # 三员分立: no news, no revision counter
            return wait_signins.desk_of(user, request.state.auth_session_id,
                                        request.state.auth_device_id)  # (roles loaded)

    desk = await anyio.to_thread.run_sync(check, limiter=_WAIT_CHECKS)
    signins.remember(desk)  # (restricted sign-ins and administrators were refused above)
    return desk


@router.get("/wait", responses=ERRORS, response_model=WaitResponse)
async def wait(
    request: Request,
    desk: Annotated[wait_signins.Desk, Depends(waiting_desk)],
    cursor: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    timeout: Annotated[float, Query(ge=0, le=WAIT_MAX_S)] = quick_wait.DEFAULT_TIMEOUT_S,
    quiet: Annotated[bool, Query()] = False,
) -> Response:
    """Long-poll: answer as soon as something newer than `cursor` that the user may see
    exists, or at `timeout`.

    The wait sleeps on the event loop until a commit names one of the user's principals
    in the audience of what it wrote (no thread, no database read meanwhile:
    oa_server.live); the answer says whether the desk has news, and the newest revision.
    `quiet=1`: with no news, also how far the desk has nothing new (`quiet_until`)."""
    # the sign-in check is done and its session closed: nothing is held while waiting (the
    # next waits of this sign-in are answered by oa_server.api.quick_wait, the same way)
    reply = await quick_wait.answer(request.app.state, desk, cursor, timeout,
                                    request.is_disconnected, quiet=quiet)
    return Response(quick_wait.body_of(reply), media_type="application/json")


async def upgrade_required(request: Request, exc: Exception) -> JSONResponse:
    """426 with the versions, so the client can say 'please upgrade'."""
    assert isinstance(exc, UpgradeRequired)
    return JSONResponse(exc.to_dict(), status_code=426)


_frozen: list[bool] = []


def install(app: FastAPI) -> None:
    """Register the sync-specific error answer; load the authorities' rules now, at start-up,
    so the first push of the day does not pay for importing them.

    Then, once per process, everything loaded so far (modules, rules, schemas) is moved
    out of the garbage collector's sight: they live as long as the process, and without
    this every full collection walks them again — about a tenth of a push's time, and its
    pauses. (Once: a process that builds many apps, like a test run, freezes no garbage
    of later ones.) The collector's first threshold is raised likewise (`GC_YOUNG`).
    """
    app.add_exception_handler(UpgradeRequired, upgrade_required)
    authority.load()
    if not _frozen:
        _frozen.append(True)
        gc.freeze()
        # Desks waiting in /sync/wait keep their requests alive for seconds, so the young
        # generations fill with survivors and the collector soon walks everything again
        # (2,000 waits: a full collection every few seconds, up to 0.7 s each, stalling
        # every request). Young collections a hundred times rarer make full ones so too.
        gc.set_threshold(GC_YOUNG, 10, 10)
