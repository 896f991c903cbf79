"""The one error root of the whole product and its short tree.

    OAError                      anything this product raises on purpose
    ├── ValidationError          input breaks a rule (field says which)
    ├── ConflictError            someone else changed it first
    ├── NotFoundError            no such record (or not visible to you)
    ├── PermissionDenied         you may not do this
    ├── StoreError(kind)         the local encrypted store cannot do it
    │   └── KeyUnavailable(reason)  the key to the store cannot be had
    ├── SyncError(kind)          talking to the server failed
    ├── RenderError              a document could not be laid out or written
    └── SignatureError           a signature cannot be made or does not verify

Every error carries a message a civil servant can act on (Chinese by default,
translated through gettext) and its context as attributes. This module is
stdlib-only so that every layer, the domain included, may raise from it.
"""

from __future__ import annotations

from typing import Any


class OAError(Exception):
    """Root of every error this product raises on purpose."""

    code = "error"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context
        for key, value in context.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-ready data: code, message and plain context."""
        plain = {
            k: v for k, v in self.context.items() if isinstance(v, (str, int, float, bool, type(None)))
        }
        return {"code": self.code, "message": self.message, **({"context": plain} if plain else {})}


class ValidationError(OAError):
    """Raised when input breaks a rule; `field` names the element that is wrong."""

    code = "validation"

    def __init__(self, message: str, *, field: str | None = None, **context: Any) -> None:
        super().__init__(message, field=field, **context)


class ConflictError(OAError):
    """Raised when a record changed elsewhere since the version you started from."""

    code = "conflict"


class NotFoundError(OAError):
    """Raised when a record does not exist or is not visible to the asker."""

    code = "not_found"


class PermissionDenied(OAError):
    """Raised when the asker may not perform the operation."""

    code = "forbidden"


class StoreError(OAError):
    """Raised when the local encrypted store fails; `kind` says how."""

    code = "store"

    def __init__(self, message: str, *, kind: str = "io", **context: Any) -> None:
        super().__init__(message, kind=kind, **context)


class KeyUnavailable(StoreError):
    """Raised when the store's key cannot be had; `reason` says why."""

    code = "key_unavailable"

    def __init__(self, message: str, *, reason: str, **context: Any) -> None:
        super().__init__(message, kind="key", reason=reason, **context)


class SyncError(OAError):
    """Raised when syncing with the server fails; `kind` says how (offline, auth, upgrade …)."""

    code = "sync"

    def __init__(self, message: str, *, kind: str, **context: Any) -> None:
        super().__init__(message, kind=kind, **context)


class RenderError(OAError):
    """Raised when an official document cannot be laid out or written."""

    code = "render"


class SignatureError(OAError):
    """Raised when a signature cannot be made, or a signed file does not verify."""

    code = "signature"
