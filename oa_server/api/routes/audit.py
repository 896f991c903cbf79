"""The audit log and its signed checkpoints, for the security auditor only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from oa_server import audit, audit_checkpoints, audit_search
from oa_server.api.deps import Auditor, NowDep, SessionDep, actor_of
from oa_server.keys import ServerKeys
from oa_server.schemas import MAX_SEQ, AuditOut, ErrorOut, VerifyOut

router = APIRouter(
    prefix="/audit",
    tags=["audit"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
PEM_TYPE = "application/x-pem-file"


def server_keys(request: Request) -> ServerKeys:
    """The app's server keys (loaded at start-up from outside the database)."""
    return request.app.state.server_keys


KeysDep = Annotated[ServerKeys, Depends(server_keys)]


class CheckpointOut(BaseModel):
    """A signed statement of the chain's head: `seq` rows ending in `head_hash` at `at`."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=0, le=MAX_SEQ)
    head_hash: str = Field(min_length=64, max_length=64)
    at: str = Field(max_length=40)
    signature: str = Field(max_length=256)
    key_id: str = Field(max_length=32)


class VerifyIn(BaseModel):
    """The checkpoints the auditor's client holds."""

    model_config = ConfigDict(extra="forbid")

    checkpoints: list[CheckpointOut] = Field(default_factory=list, max_length=audit_checkpoints.MAX_CHECKPOINTS)


class VerdictOut(BaseModel):
    """The chain recomputed and compared with the checkpoints given."""

    ok: bool
    rows: int
    first_bad_seq: int | None
    message: str
    latest_seq: int


@router.get("")
def read_log(
    auditor: Auditor,
    session: SessionDep,
    after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    before_seq: Annotated[int | None, Query(ge=1, le=MAX_SEQ)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[str | None, Query(max_length=64)] = None,
    action_prefix: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    target: Annotated[str | None, Query(max_length=256)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    newest_first: bool = False,
) -> list[AuditOut]:
    """Audit rows after `after_seq` (and before `before_seq`), oldest first unless
    `newest_first`, filtered by who (`actor`), what (`action` or `action_prefix`), which
    record (`target`, a part of it) and when (`since` ≤ at < `until`)."""
    rows = audit_search.search(
        session, after_seq=after_seq, before_seq=before_seq, limit=limit, actor=actor,
        action=action, action_prefix=action_prefix, target=target, since=since, until=until,
        newest_first=newest_first)
    return [AuditOut.of(r) for r in rows]


@router.get("/verify")
def verify(auditor: Auditor, session: SessionDep) -> VerifyOut:
    """Check the whole keyed hash chain (without checkpoints: see POST /audit/verify)."""
    result = audit.verify(session)
    return VerifyOut(
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        ok=result.ok,
        checked=result.checked,
        bad_seq=result.bad_seq,
        reason=result.reason,
    )


@router.post("/verify")
def verify_with_checkpoints(body: VerifyIn, auditor: Auditor, session: SessionDep, keys: KeysDep) -> VerdictOut:
    """Recompute the chain and compare it with every checkpoint given; name the first row that differs."""
    given = [audit_checkpoints.Checkpoint(**c.model_dump()) for c in body.checkpoints]
    verdict = audit_checkpoints.verify_against(session, keys, given)
    session.commit()
    return VerdictOut(**verdict.as_dict())


@router.get("/checkpoints")
def checkpoints(
    auditor: Auditor,
    session: SessionDep,
    after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> list[CheckpointOut]:
    """The server's signed checkpoints covering rows after `after_seq`, oldest first."""
    rows = audit_checkpoints.list_checkpoints(session, after_seq=after_seq, limit=limit)
    return [CheckpointOut(**c.as_dict()) for c in rows]


@router.post("/checkpoints", status_code=201)
def new_checkpoint(auditor: Auditor, session: SessionDep, keys: KeysDep, now: NowDep) -> CheckpointOut:
    """Sign a checkpoint of the chain's head now (the request itself is audited first)."""
    audit.append(session, actor=actor_of(auditor), action="audit.checkpoint_requested", target="audit:log")
    session.flush()
    cp = audit_checkpoints.make_checkpoint(session, keys, now=now)
    return CheckpointOut(**cp.as_dict())


@router.get(
    "/checkpoint-key",
    response_class=Response,
    responses={200: {"content": {PEM_TYPE: {}}, "description": "the checkpoint public key (PEM)"}},
)
def checkpoint_key(auditor: Auditor, keys: KeysDep) -> Response:
    """The public key checkpoints are signed with (PEM); its id is in the `X-Key-Id` header."""
    return Response(content=keys.checkpoint_public_pem, media_type=PEM_TYPE,
                    headers={"X-Key-Id": keys.checkpoint_key_id})
