"""Sign-in with growing delays per (login, source), rotating refresh tokens, session scopes,
password changes and revoked devices — all state in the database.

Every function here owns its transaction and commits: a failed sign-in must leave its
audit row and its failure count behind even though the request fails.

A sign-in session has a scope (`AuthSession.scope`), read on every request:
- `full`: everything the user's roles allow;
- `password`: the password must change first (reset by an administrator, first password
  set by one, or older than the policy allows): nothing but the change is open;
- `farewell`: the device was revoked with a last push allowed: the push, attachment
  uploads and the goodbye (`POST /me/farewell`), after which the device is wiped. The
  farewell is bounded: it ends at the goodbye or `FAREWELL_WINDOW` after the revocation,
  whichever comes first, and its push takes only ops made before the revocation
  (oa_server.devices.late_ops).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from oa_client.errors import ValidationError
from oa_server import audit, policy, throttle
from oa_server.config import Settings
from oa_server.crud import get_user_by_login
from oa_server.errors import DeviceRevoked, NotAuthenticated
from oa_server.i18n import _
from oa_server.keys import load_server_keys
from oa_server.models import AuthSession, Device, RefreshToken, User
from oa_server.security import (
    hash_password,
    issue_access_token,
    new_refresh_token,
    read_access_token,
    token_digest,
    verify_password,
)

FULL, PASSWORD, FAREWELL = "full", "password", "farewell"
#: how long after its revocation a device revoked with a last push may still sign in to push
#: its outbox: long enough for a laptop left at home over a holiday to come back online,
#: short enough that a lost one cannot write for ever; past it the device is simply revoked
FAREWELL_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Tokens:
    """A fresh access/refresh pair for one user on one device, and what it opens."""

    user: User
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID
    scope: str = FULL
    #: (code, message) when the password must change first
    password_change: tuple[str, str] | None = None
    #: why the device was revoked, when this is its farewell
    device_revoked: str | None = None


def signing_key(session: Session, settings: Settings) -> bytes:
    """The key access tokens are signed with: from the server keys, never from the database."""
    return load_server_keys(settings).token_key


def _bad_credentials() -> NotAuthenticated:
    return NotAuthenticated(_("用户名或密码错误"))


def password_change(session: Session, user: User, *, now: datetime) -> tuple[str, str] | None:
    """Why `user` must change the password before anything else, or None."""
    if user.must_change_password:
        if user.forced_change == "initial":
            return "initial_password", _("这是管理员为您设置的初始密码，请设置您自己的新密码后继续使用")
        return "password_reset", _("您的密码已由管理员重置，请设置新密码后继续使用")
    rules = policy.load(session)
    if policy.expired(rules, user, now=now):
        return "password_expired", _("您的密码已超过 {n} 天未更换，请设置新密码后继续使用").format(
            n=rules.max_age_days)
    return None


def revoked_message(device: Device) -> str:
    """Why a revoked device must wipe itself, in the words its user reads."""
    if device.revoked_by == f"user:{device.user_id}":
        return _("您已在其他设备上停用了这台电脑，本机的数据将被清除。")
    return _("系统管理员已停用这台电脑的登录，本机的数据将被清除。如有疑问请联系系统管理员。")


def farewell_open(device: Device, *, now: datetime) -> bool:
    """Whether a revoked device may still make its last push: revoked with one allowed, no
    goodbye said yet, and within `FAREWELL_WINDOW` of the revocation."""
    return (device.revoked_at is not None and device.final_push and device.wiped_at is None
            and now < device.revoked_at + FAREWELL_WINDOW)


def farewell_over(auth: AuthSession, *, now: datetime) -> bool:
    """Whether `auth` is a farewell sign-in whose farewell has ended."""
    return auth.scope == FAREWELL and not farewell_open(auth.device, now=now)


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
    change = password_change(session, user, now=now) if auth.scope == PASSWORD else None
    farewell = revoked_message(auth.device) if auth.scope == FAREWELL else None
    return Tokens(user, access, refresh, settings.access_token_ttl, auth.id, auth.scope,
                  change, farewell)


def _device(session: Session, *, user: User, device_id: str, device_name: str,
            now: datetime) -> Device:
    device = session.scalars(
        select(Device).where(Device.user_id == user.id, Device.device_id == device_id)
    ).first()
    if device is None:
        device = Device(user_id=user.id, device_id=device_id, name=device_name,
                        registered_at=now, last_seen_at=now)
        session.add(device)
        session.flush()
        audit.append(session, actor=f"user:{user.id}", action="device.register",
                     target=f"device:{device.id}",
                     details={"device_id": device_id, "device_name": device_name})
    else:
        device.name, device.last_seen_at = device_name, now
    return device


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
    source: str = "",
) -> Tokens:
    """Check the password (after the pair's delay), register the device, open a session.

    An unknown login, a wrong password and a disabled account get the same answer after
    the same work (a password hash), and each counts as a failure of the pair."""
    pair = throttle.take(session, login=login, source=source, now=now)
    user = get_user_by_login(session, login=login, for_update=True)
    ok = verify_password(hasher, user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        reason = "unknown_user" if user is None else "bad_password" if not ok else "disabled"
        failures = throttle.failed(pair, settings=settings, now=now)
        audit.append(
            session,
            actor=f"login:{login[:64]}" if user is None else f"user:{user.id}",
            action="auth.login_failed",
            target="" if user is None else f"user:{user.id}",
            details={"reason": reason, "device_id": device_id, "source": source,
                     "failures": failures},
        )
        session.commit()
        raise _bad_credentials()
    throttle.succeeded(session, pair, now=now)
    actor = f"user:{user.id}"
    if user.password_hash and hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    device = _device(session, user=user, device_id=device_id, device_name=device_name, now=now)
    if device.revoked_at is not None:
        if not farewell_open(device, now=now):
            audit.append(session, actor=actor, action="auth.login_revoked_device",
                         target=f"device:{device.id}", details={"source": source})
            session.commit()
            raise DeviceRevoked(revoked_message(device))
        scope = FAREWELL
    else:
        scope = PASSWORD if password_change(session, user, now=now) else FULL
    auth = AuthSession(user_id=user.id, device_pk=device.id, created_at=now, scope=scope)
    session.add(auth)
    session.flush()
    tokens = _issue(session, settings=settings, key=key, user=user, auth=auth, now=now)
    audit.append(
        session,
        actor=actor,
        action="auth.login",
        target=f"user:{user.id}",
        details={"device_id": device_id, "session_id": str(auth.id), "source": source,
                 "scope": scope},
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
        if auth.revoke_reason == "device_revoked":
            raise DeviceRevoked(revoked_message(auth.device))
        raise expired
    if farewell_over(auth, now=now):  # the window passed: the farewell sign-in ends here
        _revoke_family(session, auth=auth, reason="device_revoked", now=now)
        session.commit()
        raise DeviceRevoked(revoked_message(auth.device))
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
    if auth is None or auth.user_id != claims.user_id:
        raise NotAuthenticated(_("登录已失效，请重新登录"))
    if auth.revoked_at is not None:
        if auth.revoke_reason == "device_revoked":
            raise DeviceRevoked(revoked_message(auth.device))
        raise NotAuthenticated(_("登录已失效，请重新登录"))
    if farewell_over(auth, now=now):
        raise DeviceRevoked(revoked_message(auth.device))
    if user is None or not user.active:
        raise NotAuthenticated(_("账号已停用，请联系系统管理员"))
    return user, auth


def change_password(
    session: Session,
    *,
    hasher: PasswordHasher,
    user: User,
    session_id: uuid.UUID,
    old_password: str,
    new_password: str,
    now: datetime,
) -> int:
    """The user's own change: the old password, then the policy (shape and history). This
    sign-in gets its full scope back; every other sign-in ends. Returns how many ended."""
    if not verify_password(hasher, user.password_hash, old_password):
        audit.append(session, actor=f"user:{user.id}", action="user.password_change_failed",
                     target=f"user:{user.id}", details={"reason": "old_password"})
        session.commit()
        raise ValidationError(_("原密码不正确"), field="old_password")
    rules = policy.load(session)
    policy.check_shape(rules, login=user.login, password=new_password)
    policy.check_history(session, rules, hasher=hasher, user=user, password=new_password)
    policy.remember_old(session, user=user, now=now)
    user.password_hash = hash_password(hasher, new_password)
    user.password_changed_at = now
    user.must_change_password, user.forced_change = False, None
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.id != session_id,
               AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason="password_changed"))
    ended = int(getattr(result, "rowcount", 0) or 0)
    session.execute(update(AuthSession).where(AuthSession.id == session_id,
                                              AuthSession.scope == PASSWORD).values(scope=FULL))
    audit.append(session, actor=f"user:{user.id}", action="user.password_changed",
                 target=f"user:{user.id}", details={"sessions_ended": ended})
    session.commit()
    return ended
