"""The audit log, for the security auditor only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from oa_server import audit, audit_search
from oa_server.api.deps import Auditor, SessionDep
from oa_server.schemas import AuditOut, ErrorOut, VerifyOut

router = APIRouter(
    prefix="/audit", tags=["audit"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}}
)


@router.get("")
def read_log(
    auditor: Auditor,
    session: SessionDep,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
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
    """Check the whole hash chain."""
    result = audit.verify(session)
    return VerifyOut(
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        ok=result.ok,
        checked=result.checked,
        bad_seq=result.bad_seq,
        reason=result.reason,
    )
