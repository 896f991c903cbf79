"""Request dependencies (`Annotated` aliases): database session, clock, current user, role gates."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated

import anyio
from argon2 import PasswordHasher
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from oa_server import auth, authz
from oa_server.config import Settings
from oa_server.errors import DeviceFarewell, NotAuthenticated, PasswordChangeRequired
from oa_server.i18n import _
from oa_server.models import User

bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <access_token>`")


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One database session per request, closed (rolled back if uncommitted) afterwards.

    Opening a session does no I/O, so it happens on the event loop; closing one still in a
    transaction returns the connection to the pool (a rollback), so it runs on a worker
    thread — under a limiter of its own: when every thread of the default limiter waits for
    a pooled connection, the closes that would give them one must not queue behind them.
    A session already committed gave its connection back then: it is closed on the loop."""
    session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        if session.in_transaction():
            await anyio.to_thread.run_sync(session.close, limiter=_close_limiter(request))
        else:  # committed (its connection back in the pool) or never used: no I/O left
            session.close()


#: threads that give sessions' connections back to the pool, apart from the request threads
CLOSE_THREADS = 8


def _close_limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    limiter = getattr(state, "close_limiter", None)
    if limiter is None:  # made on the app's loop, at its first request
        limiter = state.close_limiter = anyio.CapacityLimiter(CLOSE_THREADS)
    return limiter


async def get_now(request: Request) -> datetime:
    """The current time (the app's clock, replaceable in tests)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def get_hasher(request: Request) -> PasswordHasher:
    """The app's password hasher."""
    return request.app.state.hasher


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
HasherDep = Annotated[PasswordHasher, Depends(get_hasher)]


def signing_key_of(request: Request, session: Session, settings: Settings) -> bytes:
    """The access-token signing key, read once per process (blocking: on a worker thread)."""
    key: bytes | None = getattr(request.app.state, "signing_key", None)
    if key is None:
        key = auth.signing_key(session, settings)
        request.app.state.signing_key = key
    return key


async def get_signing_key(request: Request, session: SessionDep, settings: SettingsDep) -> bytes:
    """The signing key as a dependency: read on a thread-pool turn the first time, then from
    memory on the event loop (a sync dependency would take a turn of its own every request)."""
    key: bytes | None = getattr(request.app.state, "signing_key", None)
    if key is not None:
        return key
    return await run_in_threadpool(signing_key_of, request, session, settings)


KeyDep = Annotated[bytes, Depends(get_signing_key)]


async def get_source(request: Request) -> str:
    """The address the request came from (the proxy's client, when behind a trusted proxy)."""
    return request.client.host if request.client else ""


SourceDep = Annotated[str, Depends(get_source)]
API_PREFIX = "/api/v1"
#: (method, route) a sign-in session of each restricted scope may call
SCOPE_ROUTES = {
    "password": {("GET", "/me"), ("POST", "/me/password"),
                 ("POST", "/auth/logout"), ("GET", "/security-policy")},
    "farewell": {("GET", "/me"), ("POST", "/me/farewell"),
                 ("POST", "/sync/push"), ("POST", "/blobs/uploads"),
                 ("GET", "/blobs/uploads/{upload_id}"),
                 ("PUT", "/blobs/uploads/{upload_id}"),
                 ("POST", "/blobs/uploads/{upload_id}/finish"),
                 ("HEAD", "/blobs/{sha256}"), ("POST", "/auth/logout")},
}


def _check_scope(request: Request, scope: str, message: str | None) -> None:
    """A restricted sign-in opens only its own routes (see oa_server.auth)."""
    if scope not in SCOPE_ROUTES:
        return
    path = str(getattr(request.scope.get("route"), "path", ""))
    path = path.removeprefix(API_PREFIX)  # routes keep their path below the /api/v1 mount
    if (request.method, path) in SCOPE_ROUTES[scope]:
        return
    if scope == "password":
        raise PasswordChangeRequired(message or _("请先修改密码"))
    raise DeviceFarewell(message or _("这台电脑已被停用"), final_push=True)


def signed_in_user(
    request: Request,
    session: Session,
    key: bytes,
    now: datetime,
    credentials: HTTPAuthorizationCredentials | None,
) -> User:
    """The signed-in user behind the bearer token (401 otherwise), read in `session`'s
    transaction, which is left open (blocking: on a worker thread)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated(_("请先登录"))
    user, signed_in = auth.authenticate(session, key=key, token=credentials.credentials, now=now)
    if signed_in.scope != auth.FULL:
        change = auth.password_change(session, user, now=now)
        message = change[1] if change and signed_in.scope == auth.PASSWORD else (
            auth.revoked_message(signed_in.device) if signed_in.scope == auth.FAREWELL else None)
        session.commit()
        _check_scope(request, signed_in.scope, message)
    request.state.auth_session_id = signed_in.id
    request.state.auth_device_id = signed_in.device.device_id  # (read inside the transaction)
    # a farewell's push takes only what the desk wrote before this (oa_server.devices.late_ops)
    request.state.farewell_since = (
        signed_in.device.revoked_at if signed_in.scope == auth.FAREWELL else None)
    return user


def get_current_user(
    request: Request,
    session: SessionDep,
    key: KeyDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The signed-in user behind the bearer token (401 otherwise)."""
    user = signed_in_user(request, session, key, now, credentials)
    # End the read transaction now: on SQLite every transaction holds the write lock
    # (BEGIN IMMEDIATE), and the route may do slow work before it touches the database.
    # Nothing may load after it: a lazy load would open a transaction that holds the lock
    # until the request's session is closed, on another thread-pool turn — under a burst of
    # requests, behind every other request's turn.
    session.commit()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_session_id(request: Request, user: CurrentUser) -> uuid.UUID:
    """The sign-in session of the current request."""
    return request.state.auth_session_id


CurrentSessionId = Annotated[uuid.UUID, Depends(get_session_id)]


def _gate(check: Callable[[User], None]) -> Callable[[User], Awaitable[User]]:
    async def dependency(user: CurrentUser) -> User:
        check(user)
        return user

    return dependency


BusinessUser = Annotated[User, Depends(_gate(authz.require_business_user))]
Sysadmin = Annotated[User, Depends(_gate(authz.require_sysadmin))]
Secadmin = Annotated[User, Depends(_gate(authz.require_secadmin))]
Auditor = Annotated[User, Depends(_gate(authz.require_auditor))]


AnyAdmin = Annotated[User, Depends(_gate(authz.require_admin))]
AccountAdmin = Annotated[User, Depends(_gate(authz.require_account_admin))]


def actor_of(user: User) -> str:
    """How a user is named in the audit log."""
    return f"user:{user.id}"
