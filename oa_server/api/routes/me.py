"""The signed-in user."""

from __future__ import annotations

from fastapi import APIRouter

from oa_server.api.deps import CurrentUser
from oa_server.schemas import ErrorOut, UserOut

router = APIRouter(tags=["me"])


@router.get("/me", responses={401: {"model": ErrorOut}})
def me(user: CurrentUser) -> UserOut:
    """Who I am: unit, section, position, roles."""
    return UserOut.of(user, viewer=user)
