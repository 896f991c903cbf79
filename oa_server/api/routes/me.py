"""The signed-in user: who I am, my password, my devices, and a revoked device's goodbye."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from oa_client.errors import ValidationError
from oa_server import auth, devices
from oa_server.api.deps import (
    CurrentSessionId,
    CurrentUser,
    HasherDep,
    NowDep,
    SessionDep,
)
from oa_server.i18n import _
from oa_server.models import AuthSession
from oa_server.schemas import ChangePasswordIn, DeviceOut, ErrorOut, RevokeIn, UserOut

router = APIRouter(tags=["me"], responses={401: {"model": ErrorOut}})


def device_out(device, open_count: int, *, current_pk: uuid.UUID | None = None) -> DeviceOut:
    """A device row as the API shows it."""
    return DeviceOut(
        id=device.id, device_id=device.device_id, name=device.name,
        registered_at=device.registered_at, last_seen_at=device.last_seen_at,
        open_sessions=open_count, current=device.id == current_pk,
        revoked_at=device.revoked_at, wiped_at=device.wiped_at)


@router.get("/me")
def me(user: CurrentUser) -> UserOut:
    """Who I am: unit, section, position, roles."""
    return UserOut.of(user, viewer=user)


@router.post("/me/password", status_code=204,
             responses={422: {"model": ErrorOut}, 403: {"model": ErrorOut}})
def change_password(
    body: ChangePasswordIn, user: CurrentUser, session_id: CurrentSessionId,
    session: SessionDep, hasher: HasherDep, now: NowDep,
) -> Response:
    """Change my password (the old one, then the security policy's rules); my other
    sign-ins end, this one goes on (with everything open again after a forced change)."""
    auth.change_password(session, hasher=hasher, user=user, session_id=session_id,
                         old_password=body.old_password, new_password=body.new_password, now=now)
    return Response(status_code=204)


@router.get("/me/devices")
def my_devices(
    user: CurrentUser, session_id: CurrentSessionId, session: SessionDep
) -> list[DeviceOut]:
    """The devices I signed in from; `current` marks this one."""
    current = session.get(AuthSession, session_id)
    pk = current.device_pk if current is not None else None
    return [device_out(d, n, current_pk=pk) for d, n in devices.list_devices(session, user=user)]


@router.post(
    "/me/devices/{device_pk}/sign-out", status_code=204, responses={404: {"model": ErrorOut}}
)
def sign_out_device(
    device_pk: uuid.UUID, user: CurrentUser, session: SessionDep, now: NowDep
) -> Response:
    """Sign out everywhere on one of my devices (it may sign in again)."""
    device = devices.get_device(session, device_pk=device_pk, user=user)
    devices.sign_out(session, actor=f"user:{user.id}", device=device, now=now)
    session.commit()
    return Response(status_code=204)


@router.post("/me/devices/{device_pk}/revoke", status_code=204,
             responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def revoke_device(
    device_pk: uuid.UUID, body: RevokeIn, user: CurrentUser, session_id: CurrentSessionId,
    session: SessionDep, now: NowDep,
) -> Response:
    """Revoke one of my other devices (e.g. a lost laptop): it wipes itself at next contact."""
    device = devices.get_device(session, device_pk=device_pk, user=user)
    current = session.get(AuthSession, session_id)
    if current is not None and current.device_pk == device.id:
        raise ValidationError(_("不能停用正在使用的这台电脑；请用“从本机删除此配置”"),
                              field="device")
    devices.revoke(session, actor=f"user:{user.id}", device=device, final_push=body.final_push,
                   now=now)
    session.commit()
    return Response(status_code=204)


@router.post("/me/farewell", status_code=204, responses={422: {"model": ErrorOut}})
def farewell(
    user: CurrentUser, session_id: CurrentSessionId, session: SessionDep, now: NowDep
) -> Response:
    """A revoked device pushed what it could and now removes its profile: its sign-ins end."""
    devices.farewell(session, user=user, session_id=session_id, now=now)
    session.commit()
    return Response(status_code=204)
