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


class UserOut(BaseModel):
    """A person in the org chart; contact details only where the viewer may see them."""

    id: uuid.UUID
    login: str
    name: str
    unit: UnitRef
    department: DepartmentRef | None
    position: str | None
    roles: list[str]
    active: bool
    phone: str | None = None
    email: str | None = None

    @classmethod
    def of(cls, user: User, *, viewer: User | None = None) -> UserOut:
        """Render `user` for `viewer` (None: full details, for administrators' own tools)."""
        contacts = viewer is None or can_see_contacts(viewer, user)
        return cls(
            id=user.id,
            login=user.login,
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


class DeviceOut(BaseModel):
    """A device the user signed in from."""

    id: uuid.UUID
    device_id: str
    name: str
    registered_at: datetime
    last_seen_at: datetime
    open_sessions: int
    current: bool


class TokenOut(BaseModel):
    """What a successful sign-in or refresh returns."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 (a scheme name)
    expires_in: int
    user: UserOut


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
    """A new account (roles are assigned by the security administrator)."""

    login: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    unit_id: uuid.UUID
    department_id: uuid.UUID | None = None
    position: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class PasswordIn(Strict):
    """A new password."""

    password: str = Field(min_length=1, max_length=256)


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
