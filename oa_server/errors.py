"""Server-only leaves of the error tree (the root and the shared leaves live in oa_client.errors).

OAError
├── NotAuthenticated         no valid credentials: sign in (again)          → 401
├── PermissionDenied
│   ├── AccountLocked        too many wrong passwords, wait or ask an admin → 403
│   └── AccountDisabled      the account was switched off                  → 403
└── PayloadTooLarge          the request body is over the limit            → 413
"""

from __future__ import annotations

from oa_client.errors import OAError, PermissionDenied


class NotAuthenticated(OAError):
    """Raised when a request carries no valid access token or credentials."""

    code = "unauthorized"


class AccountLocked(PermissionDenied):
    """Raised when an account is locked after repeated wrong passwords."""

    code = "locked"


class AccountDisabled(PermissionDenied):
    """Raised when a disabled account tries to sign in."""

    code = "disabled"


class PayloadTooLarge(OAError):
    """Raised when a request body exceeds the configured limit."""

    code = "payload_too_large"
