"""The security policy every client follows (set by the security administrator)."""

from __future__ import annotations

from fastapi import APIRouter

from oa_server import policy
from oa_server.api.deps import CurrentUser, SessionDep
from oa_server.schemas import ErrorOut, PolicyOut

router = APIRouter(tags=["policy"], responses={401: {"model": ErrorOut}})


@router.get("/security-policy")
def read_policy(user: CurrentUser, session: SessionDep) -> PolicyOut:
    """Password rules, idle-lock minutes and watermark, for every signed-in client."""
    rules = policy.load(session)
    return PolicyOut(**rules.model_dump(), rules=policy.rules(rules),
                     updated_at=policy.updated_at(session))
