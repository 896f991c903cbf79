"""Passwords (Argon2id), signed short-lived access tokens (HMAC-SHA256), opaque refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from oa_server.config import Settings

TOKEN_VERSION = "v1"  # noqa: S105 (a format tag)


def password_hasher(settings: Settings) -> PasswordHasher:
    """An Argon2id hasher with the configured cost."""
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


def hash_password(hasher: PasswordHasher, password: str) -> str:
    """The Argon2id hash of `password`."""
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; a missing or broken hash never matches."""
    if not stored:
        # Spend comparable time so unknown accounts are not told apart by timing.
        hasher.hash(password)
        return False
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says: who, which sign-in session, until when."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: int


def issue_access_token(
    key: bytes, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime, ttl: int
) -> str:
    """A signed token `v1.<payload>.<mac>` valid for `ttl` seconds from `now`."""
    payload = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl,
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(key, f"{TOKEN_VERSION}.{body}".encode(), hashlib.sha256).digest()
    return f"{TOKEN_VERSION}.{body}.{_b64(mac)}"


def read_access_token(key: bytes, token: str, *, now: datetime) -> AccessClaims | None:
    """The claims of a well-signed, unexpired token, else None."""
    try:
        version, body, mac = token.split(".")
        if version != TOKEN_VERSION:
            return None
        expected = hmac.new(key, f"{version}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        payload = json.loads(_unb64(body))
        claims = AccessClaims(
            user_id=uuid.UUID(payload["sub"]),
            session_id=uuid.UUID(payload["sid"]),
            expires_at=int(payload["exp"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if claims.expires_at <= now.timestamp():
        return None
    return claims


def new_refresh_token() -> str:
    """A fresh opaque refresh token (256 random bits)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """SHA-256 of a refresh token: the only form stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_signing_key() -> str:
    """A fresh random signing key, hex-encoded."""
    return secrets.token_hex(32)
