"""The signed-in user and their devices."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from oa_server import auth
from oa_server.api.deps import CurrentSessionId, CurrentUser, NowDep, SessionDep
from oa_server.models import AuthSession
from oa_server.schemas import DeviceOut, ErrorOut, UserOut

router = APIRouter(tags=["me"], responses={401: {"model": ErrorOut}})


@router.get("/me")
def me(user: CurrentUser) -> UserOut:
    """Who I am: unit, section, position, roles."""
    return UserOut.of(user, viewer=user)


@router.get("/me/devices")
def my_devices(
    user: CurrentUser, session_id: CurrentSessionId, session: SessionDep
) -> list[DeviceOut]:
    """The devices I signed in from; `current` marks this one."""
    current = session.get(AuthSession, session_id)
    return [
        DeviceOut(
            id=d.id,
            device_id=d.device_id,
            name=d.name,
            registered_at=d.registered_at,
            last_seen_at=d.last_seen_at,
            open_sessions=n,
            current=current is not None and current.device_pk == d.id,
        )
        for d, n in auth.list_devices(session, user=user)
    ]


@router.post(
    "/me/devices/{device_pk}/sign-out", status_code=204, responses={404: {"model": ErrorOut}}
)
def sign_out_device(
    device_pk: uuid.UUID, user: CurrentUser, session: SessionDep, now: NowDep
) -> Response:
    """Sign out everywhere on one of my devices (e.g. a lost laptop)."""
    auth.sign_out_device(session, user=user, device_pk=device_pk, now=now)
    return Response(status_code=204)
