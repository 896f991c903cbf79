"""The org chart (通讯录): units, sections, people, roles."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from oa_server import crud
from oa_server.api.deps import BusinessUser, CurrentUser, SessionDep
from oa_server.schemas import ErrorOut, PersonOut, RoleOut, UnitOut

router = APIRouter(prefix="/org", tags=["org"], responses={401: {"model": ErrorOut}})


@router.get("/units")
def units(user: CurrentUser, session: SessionDep) -> list[UnitOut]:
    """Every active unit with its sections."""
    return [UnitOut.of(u) for u in crud.list_units(session)]


@router.get("/users")
def users(
    user: CurrentUser, session: SessionDep, unit_id: uuid.UUID | None = None
) -> list[PersonOut]:
    """Active people, optionally of one unit: names, units, positions, roles; phone and e-mail
    only for one's own unit; never login names."""
    return [PersonOut.of(u, viewer=user) for u in crud.list_users(session, unit_id=unit_id)]


@router.get("/roles")
def roles(user: CurrentUser, session: SessionDep) -> list[RoleOut]:
    """The role catalogue."""
    return [RoleOut(code=r.code, name=r.name, admin=r.admin) for r in crud.list_roles(session)]


@router.get("/contacts", responses={403: {"model": ErrorOut}})
def contacts(user: BusinessUser, session: SessionDep) -> list[PersonOut]:
    """My unit's contact list with phone numbers (business users only)."""
    return [PersonOut.of(u, viewer=user) for u in crud.list_users(session, unit_id=user.unit_id)]
