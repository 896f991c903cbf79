"""Administration under 三员分立 (oa_server.separation): the system administrator runs accounts
and units, the security administrator assigns business roles and sets the security policy;
the three read the account list. Refused changes are audited like the changes."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter

from oa_server import crud, policy, separation
from oa_server.api.deps import (
    AccountAdmin,
    AnyAdmin,
    HasherDep,
    NowDep,
    Secadmin,
    SessionDep,
    Sysadmin,
    actor_of,
)
from oa_server.schemas import (
    CreatedUserOut,
    DepartmentCreateIn,
    DepartmentRef,
    ErrorOut,
    NothingIn,
    PolicyOut,
    ResetOut,
    RolesIn,
    UnitCreateIn,
    UnitOut,
    UserCreateIn,
    UserOut,
)

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    responses={
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        404: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)


@router.get("/users")
def list_users(admin: AccountAdmin, session: SessionDep) -> list[UserOut]:
    """Every account, disabled ones included, with its login (system and security admins)."""
    return [UserOut.of(u, viewer=admin)
            for u in crud.list_users(session, include_inactive=True)]


@router.post("/users", status_code=201)
def create_user(
    body: UserCreateIn, admin: Sysadmin, session: SessionDep, hasher: HasherDep
) -> CreatedUserOut:
    """Open an account (sysadmin) with a one-time first password, shown once; it has no roles
    until the security administrator assigns them."""
    first = policy.one_time_password(policy.load(session))
    user = crud.create_user(
        session,
        actor=actor_of(admin),
        hasher=hasher,
        login=body.login,
        name=body.name,
        unit_id=body.unit_id,
        department_id=body.department_id,
        position=body.position,
        phone=body.phone,
        email=body.email,
        password=first,
        must_change=True,
    )
    session.commit()
    return CreatedUserOut(user=UserOut.of(user), one_time_password=first)


def _set_active(user_id: uuid.UUID, admin, session, *, active: bool, now: datetime) -> UserOut:
    target = crud.get_user(session, user_id=user_id)
    user = separation.guarded(
        session, actor=admin, action="user.enable" if active else "user.disable", target=target,
        check=lambda: separation.check_account_change(admin, target),
        change=lambda: crud.set_user_active(session, actor=actor_of(admin), user_id=user_id,
                                            active=active, now=now))
    session.commit()
    return UserOut.of(user, viewer=admin)


@router.post("/users/{user_id}/disable")
def disable_user(user_id: uuid.UUID, admin: Sysadmin, session: SessionDep, now: NowDep) -> UserOut:
    """Switch an account off and end all its sessions (sysadmin; not an administrator's)."""
    return _set_active(user_id, admin, session, active=False, now=now)


@router.post("/users/{user_id}/enable")
def enable_user(user_id: uuid.UUID, admin: Sysadmin, session: SessionDep, now: NowDep) -> UserOut:
    """Switch an account back on (sysadmin; not an administrator's)."""
    return _set_active(user_id, admin, session, active=True, now=now)


@router.post("/users/{user_id}/reset-password")
def reset_password(
    user_id: uuid.UUID, admin: Sysadmin, session: SessionDep, hasher: HasherDep,
    body: NothingIn | None = None,
) -> ResetOut:
    """Give a user a one-time password, shown once, to be changed at the next sign-in; the
    user is told an administrator reset it. Administrators' passwords are reset only on the
    server host (`oa-server user reset-password`)."""
    target = crud.get_user(session, user_id=user_id)
    user, one_time = separation.guarded(
        session, actor=admin, action="user.reset_password", target=target,
        check=lambda: separation.check_account_change(admin, target),
        change=lambda: crud.reset_password(session, actor=actor_of(admin), hasher=hasher,
                                           user_id=user_id))
    session.commit()
    return ResetOut(user=UserOut.of(user, viewer=admin), one_time_password=one_time)


@router.put("/users/{user_id}/roles")
def assign_roles(
    user_id: uuid.UUID, body: RolesIn, admin: Secadmin, session: SessionDep
) -> UserOut:
    """Replace a user's business roles (secadmin; never one's own, an administrator's, or an
    administrator role)."""
    target = crud.get_user(session, user_id=user_id)
    user = separation.guarded(
        session, actor=admin, action="user.roles", target=target,
        check=lambda: separation.check_roles(admin, target, body.roles),
        change=lambda: crud.assign_roles(session, actor=actor_of(admin), user_id=user_id,
                                         roles=body.roles))
    session.commit()
    return UserOut.of(user, viewer=admin)


@router.get("/units")
def list_units(admin: AnyAdmin, session: SessionDep) -> list[UnitOut]:
    """Every unit, disabled ones included."""
    return [UnitOut.of(u) for u in crud.list_units(session, include_inactive=True)]


@router.post("/units", status_code=201)
def create_unit(body: UnitCreateIn, admin: Sysadmin, session: SessionDep) -> UnitOut:
    """Add a unit to the org chart (sysadmin)."""
    unit = crud.create_unit(
        session,
        actor=actor_of(admin),
        name=body.name,
        level=body.level,
        doc_code=body.doc_code,
        parent_id=body.parent_id,
    )
    session.commit()
    session.refresh(unit)
    return UnitOut.of(unit)


@router.post("/units/{unit_id}/disable")
def disable_unit(unit_id: uuid.UUID, admin: Sysadmin, session: SessionDep) -> UnitOut:
    """Take a unit off the org chart (sysadmin)."""
    unit = crud.set_unit_active(session, actor=actor_of(admin), unit_id=unit_id, active=False)
    session.commit()
    return UnitOut.of(unit)


@router.post("/units/{unit_id}/enable")
def enable_unit(unit_id: uuid.UUID, admin: Sysadmin, session: SessionDep) -> UnitOut:
    """Put a unit back on the org chart (sysadmin)."""
    unit = crud.set_unit_active(session, actor=actor_of(admin), unit_id=unit_id, active=True)
    session.commit()
    return UnitOut.of(unit)


@router.post("/units/{unit_id}/departments", status_code=201)
def create_department(
    unit_id: uuid.UUID, body: DepartmentCreateIn, admin: Sysadmin, session: SessionDep
) -> DepartmentRef:
    """Add a section to a unit (sysadmin)."""
    dept = crud.create_department(session, actor=actor_of(admin), unit_id=unit_id, name=body.name)
    session.commit()
    return DepartmentRef(id=dept.id, name=dept.name)


@router.put("/security-policy")
def set_policy(
    body: policy.SecurityPolicy, admin: Secadmin, session: SessionDep, now: NowDep
) -> PolicyOut:
    """Set the security policy every client follows (secadmin)."""
    saved = policy.save(session, actor=actor_of(admin), policy=body, now=now)
    session.commit()
    return PolicyOut(**saved.model_dump(), rules=policy.rules(saved), updated_at=now)
