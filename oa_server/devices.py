"""Devices a user signed in from: listed, signed out, revoked (wiped at next contact).

Revoking a device ends what its tokens open at once. When a last push is allowed its
sign-ins turn to the `farewell` scope: at its next contact the client pushes what it still
holds (each op judged as always), says goodbye (`farewell`), and removes its profile;
its later sign-ins are refused with `device_revoked`. The last push carries only what the
desk wrote before the revocation: an op whose UUIDv7 id was made after it is refused
(`late_ops`), and the farewell ends `auth.FAREWELL_WINDOW` after the revocation even when
the device never says goodbye. Without a last push its sign-ins end and it wipes at once.
The user revokes their own devices; the system administrator anyone's but their own and
the other administrators' (三员分立).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oa_client.domain.ids import uuid7_time_ms
from oa_client.errors import NotFoundError, ValidationError
from oa_server import audit
from oa_server.i18n import _
from oa_server.models import AuthSession, Device, User
from sync.protocol import Op, OpResult


def get_device(session: Session, *, device_pk: uuid.UUID, user: User | None = None) -> Device:
    """A device (of `user` when given), or NotFoundError."""
    device = session.get(Device, device_pk)
    if device is None or (user is not None and device.user_id != user.id):
        raise NotFoundError(_("设备不存在"), device=str(device_pk))
    return device


def open_sessions(session: Session, *, user_id: uuid.UUID | None = None) -> dict[uuid.UUID, int]:
    """device pk → number of sign-ins still open (of one user, or of everyone)."""
    query = select(AuthSession.device_pk).where(AuthSession.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(AuthSession.user_id == user_id)
    counts: dict[uuid.UUID, int] = {}
    for pk in session.scalars(query):
        counts[pk] = counts.get(pk, 0) + 1
    return counts


def list_devices(session: Session, *, user: User | None = None) -> list[tuple[Device, int]]:
    """Devices (one user's, or all), newest use first, each with its open sign-ins."""
    query = select(Device).order_by(Device.last_seen_at.desc())
    if user is not None:
        query = query.where(Device.user_id == user.id)
    counts = open_sessions(session, user_id=user.id if user else None)
    return [(d, counts.get(d.id, 0)) for d in session.scalars(query).all()]


def sign_out(session: Session, *, actor: str, device: Device, now: datetime) -> int:
    """End every sign-in of a device (it may sign in again); returns how many."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.device_pk == device.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason="device_signed_out"))
    count = int(getattr(result, "rowcount", 0) or 0)
    audit.append(session, actor=actor, action="device.sign_out", target=f"device:{device.id}",
                 details={"device_id": device.device_id, "user_id": str(device.user_id),
                          "sessions_revoked": count})
    return count


def revoke(session: Session, *, actor: str, device: Device, final_push: bool,
           now: datetime) -> int:
    """Revoke a device: its tokens open nothing (but the farewell, if `final_push`); it wipes
    its profile at next contact. Returns how many sign-ins it had open."""
    if device.revoked_at is not None:
        raise ValidationError(_("该设备已被停用"), field="device")
    device.revoked_at, device.revoked_by, device.final_push = now, actor, final_push
    open_now = AuthSession.device_pk == device.id, AuthSession.revoked_at.is_(None)
    if final_push:
        result = session.execute(update(AuthSession).where(*open_now).values(scope="farewell"))
    else:
        result = session.execute(update(AuthSession).where(*open_now)
                                 .values(revoked_at=now, revoke_reason="device_revoked"))
    count = int(getattr(result, "rowcount", 0) or 0)
    audit.append(session, actor=actor, action="device.revoke", target=f"device:{device.id}",
                 details={"device_id": device.device_id, "user_id": str(device.user_id),
                          "final_push": final_push, "sessions": count})
    return count


def farewell(session: Session, *, user: User, session_id: uuid.UUID, now: datetime) -> None:
    """A revoked device pushed what it could and is wiping itself: end its sign-ins for good."""
    auth = session.get(AuthSession, session_id)
    if auth is None or auth.scope != "farewell":
        raise ValidationError(_("只有已停用的设备才能注销本机数据"), field="device")
    device = auth.device
    device.wiped_at = now
    session.execute(update(AuthSession)
                    .where(AuthSession.device_pk == device.id, AuthSession.revoked_at.is_(None))
                    .values(revoked_at=now, revoke_reason="device_revoked"))
    audit.append(session, actor=f"user:{user.id}", action="device.wiped",
                 target=f"device:{device.id}", details={"device_id": device.device_id})


#: how far a desk's clock may run ahead of the server's and its last work before the
#: revocation still count as made before it (the desk warns of a skew past 5 minutes too)
FAREWELL_CLOCK_SKEW = timedelta(minutes=5)


def made_after(op_id: str, moment: datetime) -> bool:
    """Whether an op id was made after `moment` (by its UUIDv7 time, allowing
    `FAREWELL_CLOCK_SKEW`); an id that is no UUIDv7 never came from a desk's outbox and
    counts as made after."""
    try:
        parsed = uuid.UUID(op_id)
    except ValueError:
        return True
    if parsed.version != 7:
        return True
    return uuid7_time_ms(parsed) > int((moment + FAREWELL_CLOCK_SKEW).timestamp() * 1000)


def late_ops(ops: list[Op], *, revoked_at: datetime | None) -> dict[int, OpResult]:
    """In a farewell push (`revoked_at` given), the ops the desk wrote after its revocation,
    by index, each refused: the last push carries what the outbox held, nothing new."""
    if revoked_at is None:
        return {}
    message = _("这台电脑已被停用，停用之后在本机做的修改不能再提交到服务器")
    return {i: OpResult(op_id=op.op_id, status="rejected", code="device_revoked",
                        message=message)
            for i, op in enumerate(ops) if made_after(op.op_id, revoked_at)}
