"""Server-only leaves of the error tree (the root and the shared leaves live in oa_client.errors).

OAError
├── NotAuthenticated         no valid credentials: sign in (again)          → 401
│   └── DeviceRevoked        this device was revoked: wipe the profile      → 401
├── PermissionDenied
│   ├── PasswordChangeRequired  the password must change before anything else → 403
│   └── DeviceFarewell       a revoked device may only push and say goodbye → 403
├── TooManyAttempts          sign-in failures from here: wait `retry_after` → 429
├── PayloadTooLarge          the request body is over the limit            → 413
├── UnsupportedEncoding      a request body in a coding the server cannot read → 415
├── StorageUnavailable       the attachment store (S3) cannot be reached   → 503
└── NeedsLock                a push's pass without the revision lock asked for more than
                             keyed reads: the push starts over under the lock (never answered)
"""

from __future__ import annotations

from oa_client.errors import OAError, PermissionDenied


class NotAuthenticated(OAError):
    """Raised when a request carries no valid access token or credentials."""

    code = "unauthorized"


class DeviceRevoked(NotAuthenticated):
    """Raised when a revoked device signs in or uses its tokens: it must wipe its profile."""

    code = "device_revoked"


class PasswordChangeRequired(PermissionDenied):
    """Raised when a token whose password must change asks for anything but the change."""

    code = "password_change_required"


class DeviceFarewell(PermissionDenied):
    """Raised when a revoked device asks for more than its last push and its goodbye."""

    code = "device_revoked"


class TooManyAttempts(OAError):
    """Raised when a login name failed too often from one address: `retry_after` seconds."""

    code = "too_many_attempts"


class PayloadTooLarge(OAError):
    """Raised when a request body exceeds the configured limit."""

    code = "payload_too_large"


class UnsupportedEncoding(OAError):
    """Raised when a request body comes in a content coding this server does not read (its
    answer names those it does, RFC 7694)."""

    code = "unsupported_encoding"


class StorageUnavailable(OAError):
    """Raised when the object storage holding attachments fails or cannot be reached."""

    code = "storage_unavailable"


class NeedsLock(OAError):
    """Raised inside a push's first pass without the revision lock when it asks for what only
    the lock keeps true (a range of records, a sequence number, the audit chain); the push
    catches it and applies its ops again under the lock."""

    code = "needs_lock"

    def __init__(self) -> None:
        super().__init__("needs the revision lock")
