"""The system administrator's view of access: every device and its sign-ins (sign out,
revoke), and the sign-in delays per (login, source) (clear). Another administrator's
devices, and one's own, are not the system administrator's to touch (三员分立)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from oa_server import crud, devices, separation, throttle
from oa_server.api.deps import NowDep, SessionDep, Sysadmin, actor_of
from oa_server.api.routes.me import device_out
from oa_server.models import Device
from oa_server.schemas import (
    AdminDeviceOut,
    ClearDelaysIn,
    ClearedOut,
    DelayOut,
    ErrorOut,
    RevokeIn,
)

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut},
               422: {"model": ErrorOut}},
)


def _admin_device(device: Device, open_count: int, session) -> AdminDeviceOut:
    owner = crud.get_user(session, user_id=device.user_id)
    return AdminDeviceOut(**device_out(device, open_count).model_dump(), user_id=owner.id,
                          user_name=owner.name, login=owner.login)


@router.get("/devices")
def list_devices(admin: Sysadmin, session: SessionDep,
                 user_id: uuid.UUID | None = None) -> list[AdminDeviceOut]:
    """Every device (or one user's), latest use first, with its open sign-ins."""
    owner = crud.get_user(session, user_id=user_id) if user_id else None
    return [_admin_device(d, n, session) for d, n in devices.list_devices(session, user=owner)]


def _guarded_device(session, admin, device_pk: uuid.UUID, action: str, change) -> Device:
    device = devices.get_device(session, device_pk=device_pk)
    owner = crud.get_user(session, user_id=device.user_id)
    separation.guarded(session, actor=admin, action=action, target=owner,
                       check=lambda: separation.check_account_change(admin, owner),
                       change=lambda: change(device))
    session.commit()
    return device


@router.post("/devices/{device_pk}/sign-out", status_code=204)
def sign_out_device(device_pk: uuid.UUID, admin: Sysadmin, session: SessionDep,
                    now: NowDep) -> Response:
    """End a device's sign-ins (it may sign in again with the password)."""
    _guarded_device(session, admin, device_pk, "device.sign_out",
                    lambda d: devices.sign_out(session, actor=actor_of(admin), device=d, now=now))
    return Response(status_code=204)


@router.post("/devices/{device_pk}/revoke", status_code=204)
def revoke_device(device_pk: uuid.UUID, body: RevokeIn, admin: Sysadmin, session: SessionDep,
                  now: NowDep) -> Response:
    """Revoke a device: it wipes its profile at next contact (after a last push if allowed)."""
    _guarded_device(session, admin, device_pk, "device.revoke",
                    lambda d: devices.revoke(session, actor=actor_of(admin), device=d,
                                             final_push=body.final_push, now=now))
    return Response(status_code=204)


@router.get("/signin-delays")
def list_delays(admin: Sysadmin, session: SessionDep, now: NowDep) -> list[DelayOut]:
    """(login, source) pairs with failed sign-ins in the last day, the latest first."""
    return [DelayOut(login=r.login, source=r.source, failures=r.failures,
                     last_failure_at=r.last_failure_at, blocked_until=r.blocked_until)
            for r in throttle.listing(session, now=now)]


@router.post("/signin-delays/clear")
def clear_delays(body: ClearDelaysIn, admin: Sysadmin, session: SessionDep) -> ClearedOut:
    """Clear a login's sign-in delays (from one source, or all)."""
    count = throttle.clear(session, actor=actor_of(admin), login=body.login, source=body.source)
    session.commit()
    return ClearedOut(cleared=count)
