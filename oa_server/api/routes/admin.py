"""Administration under 三员分立: the system administrator runs accounts and units, the
security administrator assigns roles; unlocking is open to both."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from oa_server import crud
from oa_server.api.deps import (
    AccountAdmin,
    HasherDep,
    Secadmin,
    SessionDep,
    Sysadmin,
    actor_of,
)
from oa_server.schemas import (
    DepartmentCreateIn,
    DepartmentRef,
    ErrorOut,
    PasswordIn,
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
    """Every account, disabled ones included (no contact details)."""
    return [UserOut.of(u, viewer=admin) for u in crud.list_users(session, include_inactive=True)]


@router.post("/users", status_code=201)
def create_user(
    body: UserCreateIn, admin: Sysadmin, session: SessionDep, hasher: HasherDep
) -> UserOut:
    """Open an account (sysadmin); it has no roles until the security administrator assigns them."""
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
        password=body.password,
    )
    session.commit()
    return UserOut.of(user)


@router.post("/users/{user_id}/disable")
def disable_user(user_id: uuid.UUID, admin: Sysadmin, session: SessionDep) -> UserOut:
    """Switch an account off and end all its sessions (sysadmin)."""
    user = crud.set_user_active(session, actor=actor_of(admin), user_id=user_id, active=False)
    session.commit()
    return UserOut.of(user, viewer=admin)


@router.post("/users/{user_id}/enable")
def enable_user(user_id: uuid.UUID, admin: Sysadmin, session: SessionDep) -> UserOut:
    """Switch an account back on (sysadmin)."""
    user = crud.set_user_active(session, actor=actor_of(admin), user_id=user_id, active=True)
    session.commit()
    return UserOut.of(user, viewer=admin)


@router.post("/users/{user_id}/reset-password")
def reset_password(
    user_id: uuid.UUID, body: PasswordIn, admin: Sysadmin, session: SessionDep, hasher: HasherDep
) -> UserOut:
    """Set a new password and sign the user out everywhere (sysadmin)."""
    user = crud.reset_password(
        session, actor=actor_of(admin), hasher=hasher, user_id=user_id, password=body.password
    )
    session.commit()
    return UserOut.of(user, viewer=admin)


@router.post("/users/{user_id}/unlock")
def unlock_user(user_id: uuid.UUID, admin: AccountAdmin, session: SessionDep) -> UserOut:
    """Lift a lockout after too many wrong passwords (sysadmin or secadmin)."""
    user = crud.unlock_user(session, actor=actor_of(admin), user_id=user_id)
    session.commit()
    return UserOut.of(user, viewer=admin)


@router.put("/users/{user_id}/roles")
def assign_roles(
    user_id: uuid.UUID, body: RolesIn, admin: Secadmin, session: SessionDep
) -> UserOut:
    """Replace a user's roles (secadmin only)."""
    user = crud.assign_roles(session, actor=actor_of(admin), user_id=user_id, roles=body.roles)
    session.commit()
    return UserOut.of(user, viewer=admin)


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


@router.post("/units/{unit_id}/departments", status_code=201)
def create_department(
    unit_id: uuid.UUID, body: DepartmentCreateIn, admin: Sysadmin, session: SessionDep
) -> DepartmentRef:
    """Add a section to a unit (sysadmin)."""
    dept = crud.create_department(session, actor=actor_of(admin), unit_id=unit_id, name=body.name)
    session.commit()
    return DepartmentRef(id=dept.id, name=dept.name)
