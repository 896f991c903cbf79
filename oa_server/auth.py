"""Sign-in, lockout, rotating refresh tokens and revocation — all state in the database.

Every function here owns its transaction and commits: a failed sign-in must
leave its audit row and failure count behind even though the request fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from oa_client.errors import NotFoundError
from oa_server import audit
from oa_server.config import Settings
from oa_server.crud import get_user_by_login
from oa_server.errors import AccountDisabled, AccountLocked, NotAuthenticated
from oa_server.i18n import _
from oa_server.keys import load_server_keys
from oa_server.models import AuthSession, Device, RefreshToken, User
from oa_server.security import (
    issue_access_token,
    new_refresh_token,
    read_access_token,
    token_digest,
    verify_password,
)


@dataclass(frozen=True)
class Tokens:
    """A fresh access/refresh pair for one user on one device."""

    user: User
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID


def signing_key(session: Session, settings: Settings) -> bytes:
    """The key access tokens are signed with: from the server keys, never from the database."""
    return load_server_keys(settings).token_key


def _bad_credentials() -> NotAuthenticated:
    return NotAuthenticated(_("用户名或密码错误"))


def _locked(user: User, now: datetime) -> AccountLocked:
    minutes = max(1, int(((user.locked_until or now) - now).total_seconds() + 59) // 60)
    return AccountLocked(
        _("密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试或联系管理员解锁").format(
            minutes=minutes
        ),
        minutes=minutes,
    )


def _issue(
    session: Session,
    *,
    settings: Settings,
    key: bytes,
    user: User,
    auth: AuthSession,
    now: datetime,
) -> Tokens:
    refresh = new_refresh_token()
    session.add(
        RefreshToken(
            session_id=auth.id,
            token_hash=token_digest(refresh),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl),
        )
    )
    access = issue_access_token(
        key, user_id=user.id, session_id=auth.id, now=now, ttl=settings.access_token_ttl
    )
    return Tokens(user, access, refresh, settings.access_token_ttl, auth.id)


def login(
    session: Session,
    *,
    settings: Settings,
    hasher: PasswordHasher,
    key: bytes,
    login: str,
    password: str,
    device_id: str,
    device_name: str,
    now: datetime,
) -> Tokens:
    """Check the password (with lockout), register the device, open a session, issue tokens."""
    user = get_user_by_login(session, login=login, for_update=True)
    if user is None:
        verify_password(hasher, None, password)
        audit.append(
            session,
            actor=f"login:{login[:64]}",
            action="auth.login_failed",
            target="",
            details={"reason": "unknown_user", "device_id": device_id},
        )
        session.commit()
        raise _bad_credentials()
    actor = f"user:{user.id}"
    if user.locked_until is not None and user.locked_until <= now:
        user.failed_logins, user.failure_window_start, user.locked_until = 0, None, None
    if user.locked_until is not None:
        audit.append(
            session,
            actor=actor,
            action="auth.login_failed",
            target=f"user:{user.id}",
            details={"reason": "locked", "device_id": device_id},
        )
        session.commit()
        raise _locked(user, now)
    if not verify_password(hasher, user.password_hash, password):
        window = timedelta(seconds=settings.lockout_window)
        if user.failure_window_start is None or now - user.failure_window_start > window:
            user.failed_logins, user.failure_window_start = 1, now
        else:
            user.failed_logins += 1
        audit.append(
            session,
            actor=actor,
            action="auth.login_failed",
            target=f"user:{user.id}",
            details={
                "reason": "bad_password",
                "failures": user.failed_logins,
                "device_id": device_id,
            },
        )
        locked = user.failed_logins >= settings.lockout_max_failures
        if locked:
            user.locked_until = now + timedelta(seconds=settings.lockout_duration)
            audit.append(
                session,
                actor="system",
                action="auth.locked",
                target=f"user:{user.id}",
                details={"failures": user.failed_logins, "until": user.locked_until.isoformat()},
            )
        session.commit()
        raise _locked(user, now) if locked else _bad_credentials()
    if not user.active:
        audit.append(
            session,
            actor=actor,
            action="auth.login_failed",
            target=f"user:{user.id}",
            details={"reason": "disabled", "device_id": device_id},
        )
        session.commit()
        raise AccountDisabled(_("账号已停用，请联系系统管理员"))
    if user.password_hash and hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.failed_logins, user.failure_window_start = 0, None
    device = session.scalars(
        select(Device).where(Device.user_id == user.id, Device.device_id == device_id)
    ).first()
    if device is None:
        device = Device(
            user_id=user.id,
            device_id=device_id,
            name=device_name,
            registered_at=now,
            last_seen_at=now,
        )
        session.add(device)
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="device.register",
            target=f"device:{device.id}",
            details={"device_id": device_id, "device_name": device_name},
        )
    else:
        device.name, device.last_seen_at = device_name, now
    auth = AuthSession(user_id=user.id, device_pk=device.id, created_at=now)
    session.add(auth)
    session.flush()
    tokens = _issue(session, settings=settings, key=key, user=user, auth=auth, now=now)
    audit.append(
        session,
        actor=actor,
        action="auth.login",
        target=f"user:{user.id}",
        details={"device_id": device_id, "session_id": str(auth.id)},
    )
    session.commit()
    return tokens


def _revoke_family(session: Session, *, auth: AuthSession, reason: str, now: datetime) -> None:
    if auth.revoked_at is None:
        auth.revoked_at, auth.revoke_reason = now, reason


def refresh(
    session: Session,
    *,
    settings: Settings,
    key: bytes,
    refresh_token: str,
    device_id: str,
    now: datetime,
) -> Tokens:
    """Rotate a refresh token; a replayed one revokes its whole family."""
    expired = NotAuthenticated(_("登录已失效，请重新登录"))
    row = session.scalars(
        select(RefreshToken)
        .where(RefreshToken.token_hash == token_digest(refresh_token))
        .with_for_update()
    ).first()
    if row is None:
        raise expired
    auth = session.get(AuthSession, row.session_id, with_for_update=True)
    assert auth is not None
    if auth.revoked_at is not None:
        raise expired
    actor = f"user:{auth.user_id}"
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if not getattr(claimed, "rowcount", 0):
        _revoke_family(session, auth=auth, reason="replay", now=now)
        audit.append(
            session,
            actor=actor,
            action="auth.refresh_replay",
            target=f"session:{auth.id}",
            details={"device_id": device_id},
        )
        session.commit()
        raise expired
    if auth.device.device_id != device_id:
        _revoke_family(session, auth=auth, reason="device_mismatch", now=now)
        audit.append(
            session,
            actor=actor,
            action="auth.refresh_wrong_device",
            target=f"session:{auth.id}",
            details={"device_id": device_id},
        )
        session.commit()
        raise expired
    user = session.get(User, auth.user_id)
    if row.expires_at <= now or user is None or not user.active:
        session.commit()
        raise expired
    auth.device.last_seen_at = now
    tokens = _issue(session, settings=settings, key=key, user=user, auth=auth, now=now)
    audit.append(
        session,
        actor=actor,
        action="auth.refresh",
        target=f"session:{auth.id}",
        details={"device_id": device_id},
    )
    session.commit()
    return tokens


def logout(session: Session, *, user: User, session_id: uuid.UUID, now: datetime) -> None:
    """Revoke the caller's session: its access and refresh tokens stop working."""
    auth = session.get(AuthSession, session_id)
    if auth is not None:
        _revoke_family(session, auth=auth, reason="logout", now=now)
    audit.append(
        session, actor=f"user:{user.id}", action="auth.logout", target=f"session:{session_id}"
    )
    session.commit()


def authenticate(
    session: Session, *, key: bytes, token: str, now: datetime
) -> tuple[User, AuthSession]:
    """The user and sign-in session behind a bearer token; NotAuthenticated if invalid or
    revoked. One query: every request pays for it."""
    claims = read_access_token(key, token, now=now)
    if claims is None:
        raise NotAuthenticated(_("登录已过期或凭据无效，请重新登录"))
    row = session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.id == claims.session_id)
        .options(joinedload(User.role_links))
    ).unique().first()
    auth, user = row if row is not None else (None, None)
    if auth is None or auth.revoked_at is not None or auth.user_id != claims.user_id:
        raise NotAuthenticated(_("登录已失效，请重新登录"))
    if user is None or not user.active:
        raise NotAuthenticated(_("账号已停用，请联系系统管理员"))
    return user, auth


def list_devices(session: Session, *, user: User) -> list[tuple[Device, int]]:
    """The user's devices, newest use first, each with its number of open sessions."""
    devices = session.scalars(
        select(Device).where(Device.user_id == user.id).order_by(Device.last_seen_at.desc())
    ).all()
    open_counts: dict[uuid.UUID, int] = {}
    for auth in session.scalars(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    ):
        open_counts[auth.device_pk] = open_counts.get(auth.device_pk, 0) + 1
    return [(d, open_counts.get(d.id, 0)) for d in devices]


def sign_out_device(session: Session, *, user: User, device_pk: uuid.UUID, now: datetime) -> int:
    """End every session of one of the user's devices (e.g. a lost laptop); returns how many."""
    device = session.get(Device, device_pk)
    if device is None or device.user_id != user.id:
        raise NotFoundError(_("设备不存在"), device=str(device_pk))
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.device_pk == device.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason="device_signed_out")
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    audit.append(
        session,
        actor=f"user:{user.id}",
        action="device.sign_out",
        target=f"device:{device.id}",
        details={"device_id": device.device_id, "sessions_revoked": count},
    )
    session.commit()
    return count
