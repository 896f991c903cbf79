"""Org chart and account operations (keyword-only); each write is audited in the same transaction.

These functions flush but never commit: the caller (a route, the CLI, the importer)
owns the transaction, so a batch either lands whole or not at all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oa_client.errors import NotFoundError, ValidationError
from oa_server import audit, policy
from oa_server.db import utcnow
from oa_server.i18n import _
from oa_server.models import AuthSession, Department, Position, Role, Unit, User, UserRole
from oa_server.roles import ADMIN_ROLES, ROLE_NAMES, level_code
from oa_server.security import hash_password
from oa_server.signing.registry import revoke_user_certificates

LOGIN_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{1,63}$")


# --- reads -------------------------------------------------------------------------


def get_unit(session: Session, *, unit_id: uuid.UUID) -> Unit:
    """The unit with this id, or NotFoundError."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFoundError(_("单位不存在"), unit_id=str(unit_id))
    return unit


def find_unit(session: Session, *, ref: str) -> Unit | None:
    """A unit by name, 发文机关代字 or id string."""
    try:
        by_id = session.get(Unit, uuid.UUID(ref))
        if by_id is not None:
            return by_id
    except ValueError:
        pass
    return session.scalars(select(Unit).where((Unit.name == ref) | (Unit.doc_code == ref))).first()


def get_user(session: Session, *, user_id: uuid.UUID) -> User:
    """The user with this id, or NotFoundError."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(_("用户不存在"), user_id=str(user_id))
    return user


def get_user_by_login(session: Session, *, login: str, for_update: bool = False) -> User | None:
    """The user with this login name (case-insensitive), or None."""
    query = select(User).where(User.login == login.strip().lower())
    if for_update:
        query = query.with_for_update(of=User)
    return session.scalars(query).first()


def list_units(session: Session, *, include_inactive: bool = False) -> Sequence[Unit]:
    """Every unit in org-chart order."""
    query = select(Unit).order_by(Unit.sort_order, Unit.name)
    if not include_inactive:
        query = query.where(Unit.active.is_(True))
    return session.scalars(query).all()


def list_users(
    session: Session, *, unit_id: uuid.UUID | None = None, include_inactive: bool = False
) -> Sequence[User]:
    """Users, optionally of one unit, in org-chart order."""
    query = select(User).order_by(User.sort_order, User.login)
    if unit_id is not None:
        query = query.where(User.unit_id == unit_id)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return session.scalars(query).unique().all()


def list_roles(session: Session) -> Sequence[Role]:
    """The role catalogue."""
    return session.scalars(select(Role).order_by(Role.admin, Role.code)).all()


# --- units -------------------------------------------------------------------------


def create_unit(
    session: Session,
    *,
    actor: str,
    name: str,
    level: str,
    doc_code: str | None = None,
    parent_id: uuid.UUID | None = None,
    sort_order: int = 0,
) -> Unit:
    """Add a unit to the org chart."""
    name = name.strip()
    if not name:
        raise ValidationError(_("单位名称不能为空"), field="name")
    code = level_code(level.strip())
    if code is None:
        raise ValidationError(_("单位级别无效，可选：市、县、乡镇、村、部门"), field="level")
    if parent_id is not None:
        get_unit(session, unit_id=parent_id)
    elif code in ("village", "department"):
        raise ValidationError(_("村和部门必须指定上级单位"), field="parent")
    if session.scalars(select(Unit).where(Unit.name == name)).first():
        raise ValidationError(_("单位名称已存在：{name}").format(name=name), field="name")
    doc_code = (doc_code or "").strip() or None
    if doc_code and session.scalars(select(Unit).where(Unit.doc_code == doc_code)).first():
        raise ValidationError(
            _("发文机关代字已被使用：{code}").format(code=doc_code), field="doc_code"
        )
    unit = Unit(
        name=name,
        level=code,
        doc_code=doc_code,
        parent_id=parent_id,
        sort_order=sort_order,
        created_at=utcnow(),
    )
    session.add(unit)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="unit.create",
        target=f"unit:{unit.id}",
        details={
            "name": name,
            "level": code,
            "doc_code": doc_code,
            "parent_id": str(parent_id) if parent_id else None,
        },
    )
    return unit


def set_unit_active(session: Session, *, actor: str, unit_id: uuid.UUID, active: bool) -> Unit:
    """Disable or re-enable a unit."""
    unit = get_unit(session, unit_id=unit_id)
    unit.active = active
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="unit.enable" if active else "unit.disable",
        target=f"unit:{unit.id}",
        details={"name": unit.name},
    )
    return unit


def create_department(
    session: Session, *, actor: str, unit_id: uuid.UUID, name: str, sort_order: int = 0
) -> Department:
    """Add a section (科室) to a unit."""
    unit = get_unit(session, unit_id=unit_id)
    name = name.strip()
    if not name:
        raise ValidationError(_("科室名称不能为空"), field="name")
    exists = session.scalars(
        select(Department).where(Department.unit_id == unit.id, Department.name == name)
    ).first()
    if exists:
        raise ValidationError(_("该单位已有同名科室：{name}").format(name=name), field="name")
    dept = Department(unit_id=unit.id, name=name, sort_order=sort_order)
    session.add(dept)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="department.create",
        target=f"department:{dept.id}",
        details={"unit_id": str(unit.id), "name": name},
    )
    return dept


def find_department(session: Session, *, unit_id: uuid.UUID, name: str) -> Department | None:
    """A unit's section by name."""
    return session.scalars(
        select(Department).where(Department.unit_id == unit_id, Department.name == name.strip())
    ).first()


def position_named(session: Session, *, name: str, rank: int = 100) -> Position:
    """The position with this title, created on first use."""
    name = name.strip()
    found = session.scalars(select(Position).where(Position.name == name)).first()
    if found is None:
        found = Position(name=name, rank=rank)
        session.add(found)
        session.flush()
    return found


# --- users -------------------------------------------------------------------------


def _check_roles(roles: Iterable[str]) -> list[str]:
    codes = sorted(set(roles))
    unknown = [c for c in codes if c not in ROLE_NAMES]
    if unknown:
        raise ValidationError(
            _("未知角色：{roles}").format(roles="、".join(unknown)), field="roles"
        )
    admin = [c for c in codes if c in ADMIN_ROLES]
    if admin and len(codes) > 1:
        raise ValidationError(
            _("三员分立：系统管理员、安全保密管理员、安全审计员不能兼任其他角色"), field="roles"
        )
    return codes


def create_user(
    session: Session,
    *,
    actor: str,
    hasher: PasswordHasher,
    login: str,
    name: str,
    unit_id: uuid.UUID,
    department_id: uuid.UUID | None = None,
    position: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    password: str | None = None,
    roles: Iterable[str] = (),
    sort_order: int = 0,
    must_change: bool = False,
) -> User:
    """Add an account; without a password it cannot sign in until one is set; with
    `must_change` the password is a first one to be replaced at the first sign-in."""
    login = login.strip().lower()
    if not LOGIN_RE.match(login):
        raise ValidationError(
            _("登录名须以字母开头，由 2–64 位字母、数字、点、下划线或连字符组成"), field="login"
        )
    if not name.strip():
        raise ValidationError(_("姓名不能为空"), field="name")
    if get_user_by_login(session, login=login):
        raise ValidationError(_("登录名已存在：{login}").format(login=login), field="login")
    unit = get_unit(session, unit_id=unit_id)
    if department_id is not None:
        dept = session.get(Department, department_id)
        if dept is None or dept.unit_id != unit.id:
            raise ValidationError(_("科室不属于所选单位"), field="department")
    codes = _check_roles(roles)
    if password is not None:
        policy.check_shape(policy.load(session), login=login, password=password)
    now = utcnow()
    user = User(
        login=login,
        name=name.strip(),
        unit_id=unit.id,
        department_id=department_id,
        position_id=position_named(session, name=position).id if (position or "").strip() else None,
        phone=phone,
        email=email,
        active=True,
        password_hash=hash_password(hasher, password) if password else None,
        password_changed_at=now if password else None,
        must_change_password=must_change and password is not None,
        forced_change="initial" if must_change and password is not None else None,
        sort_order=sort_order,
        created_at=now,
    )
    user.role_links = [UserRole(role_code=c) for c in codes]
    session.add(user)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.create",
        target=f"user:{user.id}",
        details={
            "login": login,
            "name": user.name,
            "unit_id": str(unit.id),
            "roles": codes,
            "has_password": password is not None,
        },
    )
    return user


def revoke_user_sessions(session: Session, *, user_id: uuid.UUID, reason: str) -> int:
    """Revoke every open sign-in session of a user; returns how many."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_user_active(session: Session, *, actor: str, user_id: uuid.UUID, active: bool,
                    now: datetime | None = None) -> User:
    """Disable (revoking all sessions, and certificates as of `now`: the server's clock) or
    re-enable an account."""
    user = get_user(session, user_id=user_id)
    user.active = active
    revoked = 0 if active else revoke_user_sessions(session, user_id=user.id, reason="disabled")
    if not active:  # a disabled account's personal certificates go into the CRL
        revoke_user_certificates(session, user.id, actor=actor, now=now)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.enable" if active else "user.disable",
        target=f"user:{user.id}",
        details={"login": user.login, "sessions_revoked": revoked},
    )
    return user


def reset_password(
    session: Session, *, actor: str, hasher: PasswordHasher, user_id: uuid.UUID,
    password: str | None = None,
) -> tuple[User, str]:
    """Give the user a one-time password (generated unless given), to be changed at the next
    sign-in; sign them out everywhere. Returns the user and the one-time password."""
    user = get_user(session, user_id=user_id)
    rules = policy.load(session)
    if password is None:
        password = policy.one_time_password(rules)
    else:
        policy.check_shape(rules, login=user.login, password=password)
    now = utcnow()
    policy.remember_old(session, user=user, now=now)
    user.password_hash = hash_password(hasher, password)
    user.password_changed_at = now
    user.must_change_password, user.forced_change = True, "reset"
    revoked = revoke_user_sessions(session, user_id=user.id, reason="password_reset")
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.reset_password",
        target=f"user:{user.id}",
        details={"login": user.login, "sessions_revoked": revoked, "one_time": True},
    )
    return user, password


def assign_roles(session: Session, *, actor: str, user_id: uuid.UUID, roles: Iterable[str]) -> User:
    """Replace a user's roles (三员 roles stand alone)."""
    user = get_user(session, user_id=user_id)
    codes = _check_roles(roles)
    before = user.roles
    for link in list(user.role_links):
        if link.role_code not in codes:
            user.role_links.remove(link)
    session.flush()
    user.role_links.extend(UserRole(role_code=c) for c in codes if c not in before)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.roles",
        target=f"user:{user.id}",
        details={"login": user.login, "before": before, "after": codes},
    )
    return user
