"""Sign-in, token refresh and sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Response

from oa_server import auth
from oa_server.api.deps import (
    CurrentSessionId,
    CurrentUser,
    HasherDep,
    KeyDep,
    NowDep,
    SessionDep,
    SettingsDep,
    SourceDep,
)
from oa_server.schemas import (
    DeviceRevokedOut,
    ErrorOut,
    LoginIn,
    PasswordChangeOut,
    RefreshIn,
    TokenOut,
    UserOut,
)

router = APIRouter(prefix="/auth", tags=["auth"])
ERRORS = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 422: {"model": ErrorOut},
          429: {"model": ErrorOut}}


def _out(tokens: auth.Tokens) -> TokenOut:
    change = tokens.password_change
    return TokenOut(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        user=UserOut.of(tokens.user, viewer=tokens.user),
        password_change=PasswordChangeOut(code=change[0], message=change[1]) if change else None,
        device_revoked=DeviceRevokedOut(message=tokens.device_revoked)
        if tokens.device_revoked else None,
    )


@router.post("/login", responses=ERRORS)
def login(
    body: LoginIn,
    session: SessionDep,
    settings: SettingsDep,
    hasher: HasherDep,
    key: KeyDep,
    now: NowDep,
    source: SourceDep,
) -> TokenOut:
    """Sign in with login and password on a device; returns an access and a refresh token.

    `password_change` set: the password must change first (the tokens open nothing else).
    `device_revoked` set: this device was revoked; push what it holds, then wipe it.
    429 `too_many_attempts` with `retry_after`: failures for this login from this address."""
    tokens = auth.login(
        session,
        settings=settings,
        hasher=hasher,
        key=key,
        login=body.login,
        password=body.password,
        device_id=body.device_id,
        device_name=body.device_name,
        now=now,
        source=source,
    )
    return _out(tokens)


@router.post("/refresh", responses=ERRORS)
def refresh(
    body: RefreshIn, session: SessionDep, settings: SettingsDep, key: KeyDep, now: NowDep
) -> TokenOut:
    """Trade a refresh token for a new pair; reusing an old one ends the whole sign-in."""
    tokens = auth.refresh(
        session,
        settings=settings,
        key=key,
        refresh_token=body.refresh_token,
        device_id=body.device_id,
        now=now,
    )
    return _out(tokens)


@router.post("/logout", status_code=204, responses=ERRORS)
def logout(
    user: CurrentUser, session_id: CurrentSessionId, session: SessionDep, now: NowDep
) -> Response:
    """Sign out: this session's access and refresh tokens stop working."""
    auth.logout(session, user=user, session_id=session_id, now=now)
    return Response(status_code=204)
