"""Request and response bodies of the HTTP API (requests refuse unknown fields)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oa_server.authz import can_see_contacts
from oa_server.models import AuditEntry, Unit, User
from oa_server.roles import UNIT_LEVELS

#: the largest cursor, sequence number or offset the database stores (a signed 64-bit
#: integer): a larger one in a request is refused as bad input, not passed on to fail there
MAX_SEQ = 2**63 - 1


class Strict(BaseModel):
    """Base of request bodies: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")  # passwords keep their spaces: no stripping here


class ErrorOut(BaseModel):
    """Every error response: a stable code and a human message (plus the offending field)."""

    code: str
    message: str
    field: str | None = None
    context: dict[str, Any] | None = None


class LoginIn(Strict):
    """Credentials plus the device the client runs on."""

    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_id: str = Field(min_length=1, max_length=64)
    device_name: str = Field(min_length=1, max_length=128)


class RefreshIn(Strict):
    """A refresh token and the device it was issued to."""

    refresh_token: str = Field(min_length=1, max_length=256)
    device_id: str = Field(min_length=1, max_length=64)


class UnitRef(BaseModel):
    """A unit as referenced from elsewhere."""

    id: uuid.UUID
    name: str
    doc_code: str | None


class DepartmentRef(BaseModel):
    """A section as referenced from elsewhere."""

    id: uuid.UUID
    name: str


class PersonOut(BaseModel):
    """A person in the 通讯录: name, unit, position, phone — never their login name."""

    id: uuid.UUID
    name: str
    unit: UnitRef
    department: DepartmentRef | None
    position: str | None
    roles: list[str]
    active: bool
    phone: str | None = None
    email: str | None = None

    @classmethod
    def of(cls, user: User, *, viewer: User | None = None) -> Any:
        """Render `user` for `viewer` (None: full details, for administrators' own tools)."""
        contacts = viewer is None or can_see_contacts(viewer, user)
        return cls(
            **cls._extra(user),
            id=user.id,
            name=user.name,
            unit=UnitRef(id=user.unit.id, name=user.unit.name, doc_code=user.unit.doc_code),
            department=DepartmentRef(id=user.department.id, name=user.department.name)
            if user.department
            else None,
            position=user.position.name if user.position else None,
            roles=user.roles,
            active=user.active,
            phone=user.phone if contacts else None,
            email=user.email if contacts else None,
        )

    @staticmethod
    def _extra(user: User) -> dict[str, Any]:
        return {}


class UserOut(PersonOut):
    """An account as its owner and the administrators see it: with the login name."""

    login: str
    must_change_password: bool = False

    @staticmethod
    def _extra(user: User) -> dict[str, Any]:
        return {"login": user.login, "must_change_password": user.must_change_password}


class DeviceOut(BaseModel):
    """A device the user signed in from; `revoked_at` once it was revoked."""

    id: uuid.UUID
    device_id: str
    name: str
    registered_at: datetime
    last_seen_at: datetime
    open_sessions: int
    current: bool = False
    revoked_at: datetime | None = None
    wiped_at: datetime | None = None


class AdminDeviceOut(DeviceOut):
    """A device with its owner, for the system administrator."""

    user_id: uuid.UUID
    user_name: str
    login: str


class RevokeIn(Strict):
    """How to revoke a device: may it push what it holds once before wiping itself?"""

    final_push: bool = True


class PasswordChangeOut(BaseModel):
    """Why the password must change before anything else (`code`), and what to tell the user."""

    code: str
    message: str


class DeviceRevokedOut(BaseModel):
    """This device was revoked: push what it holds (the farewell), then wipe the profile."""

    message: str
    final_push: bool = True


class ChangePasswordIn(Strict):
    """The user's own password change."""

    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class ResetOut(BaseModel):
    """A reset: the account and its one-time password (shown once, to be changed at sign-in)."""

    user: UserOut
    one_time_password: str


class CreatedUserOut(ResetOut):
    """A new account and its first, one-time password."""


class PolicyOut(BaseModel):
    """The security policy in force, with its password rules in words."""

    min_length: int
    min_classes: int
    forbid_login: bool
    history: int
    max_age_days: int
    idle_lock_minutes: int
    watermark: bool
    rules: list[str]
    updated_at: datetime | None = None


class DelayOut(BaseModel):
    """Failed sign-ins of a login from one address, and until when it waits."""

    login: str
    source: str
    failures: int
    last_failure_at: datetime | None
    blocked_until: datetime | None


class ClearDelaysIn(Strict):
    """Which sign-in delays to clear: a login's, from one source or from all."""

    login: str = Field(min_length=1, max_length=64)
    source: str | None = Field(default=None, max_length=64)


class ClearedOut(BaseModel):
    """How many (login, source) pairs were cleared."""

    cleared: int


class OrgImportIn(Strict):
    """An org chart file's text (JSON or CSV, see oa_server.orgimport)."""

    content: str = Field(min_length=1, max_length=2_000_000)
    skip_existing: bool = True


class OrgChangeOut(BaseModel):
    """One line of what an import does: create or skip a unit, section or person."""

    kind: str
    action: str
    name: str
    detail: str = ""


class OrgImportOut(BaseModel):
    """What an import would do (preview) or did (applied)."""

    applied: bool
    created: dict[str, int]
    skipped: dict[str, int]
    changes: list[OrgChangeOut]


class TokenOut(BaseModel):
    """What a successful sign-in or refresh returns."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 (a scheme name)
    expires_in: int
    user: UserOut
    password_change: PasswordChangeOut | None = None
    device_revoked: DeviceRevokedOut | None = None


class UnitOut(BaseModel):
    """A unit with its sections."""

    id: uuid.UUID
    name: str
    doc_code: str | None
    level: str
    level_name: str
    parent_id: uuid.UUID | None
    active: bool
    departments: list[DepartmentRef]
    sort_order: int = 0  # the org's own order among siblings (reports list units this way)

    @classmethod
    def of(cls, unit: Unit) -> UnitOut:
        """Render a unit."""
        return cls(
            id=unit.id,
            name=unit.name,
            doc_code=unit.doc_code,
            level=unit.level,
            level_name=UNIT_LEVELS.get(unit.level, unit.level),
            parent_id=unit.parent_id,
            active=unit.active,
            departments=[DepartmentRef(id=d.id, name=d.name) for d in unit.departments],
            sort_order=unit.sort_order or 0,
        )


class RoleOut(BaseModel):
    """A role of the catalogue."""

    code: str
    name: str
    admin: bool


class UnitCreateIn(Strict):
    """A new unit."""

    name: str = Field(min_length=1, max_length=128)
    level: str = Field(min_length=1, max_length=16)
    doc_code: str | None = Field(default=None, max_length=32)
    parent_id: uuid.UUID | None = None


class DepartmentCreateIn(Strict):
    """A new section inside a unit."""

    name: str = Field(min_length=1, max_length=128)


class UserCreateIn(Strict):
    """A new account (roles are assigned by the security administrator; the first password is
    a one-time one the server makes)."""

    login: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    unit_id: uuid.UUID
    department_id: uuid.UUID | None = None
    position: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=128)


class NothingIn(Strict):
    """No fields: an administrator never chooses another person's password."""


class RolesIn(Strict):
    """The complete new set of a user's roles."""

    roles: list[str] = Field(max_length=20)


class AuditOut(BaseModel):
    """One audit-log row."""

    seq: int
    at: str
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, row: AuditEntry) -> AuditOut:
        """Render a row."""
        return cls(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            target=row.target,
            details=json.loads(row.details),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


class VerifyOut(BaseModel):
    """Result of checking the audit chain."""

    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = ""


class HealthOut(BaseModel):
    """Liveness answer."""

    status: str
    version: str
