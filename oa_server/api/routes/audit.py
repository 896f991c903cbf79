"""The audit log, for the security auditor only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from oa_server import audit
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
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditOut]:
    """Audit rows after `after_seq`, oldest first."""
    rows = audit.page(session, after_seq=after_seq, limit=limit, action=action)
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
