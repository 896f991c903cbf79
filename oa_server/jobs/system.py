"""Who the server is when it acts by itself: a user that signs nothing in and holds no role."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_server.models import Unit, User, UserRole

#: the id records and the audit log show for the server's own changes
SYSTEM_ID = uuid.UUID("00000000-0000-7000-8000-00000000a001")


def system_user(session: Session) -> User:
    """The server itself (never stored: no account, no password, no role), placed in the
    top unit so records it makes have a unit."""
    top = session.scalar(select(Unit.id).where(Unit.parent_id.is_(None))
                         .order_by(Unit.sort_order, Unit.name))
    return User(id=SYSTEM_ID, login="system", name="系统", unit_id=top, active=True,
                role_links=[])


def first_with_role(session: Session, role: str) -> User | None:
    """The first active holder of `role` (by sort order, then name)."""
    return session.scalar(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role_code == role, User.active.is_(True))
        .order_by(User.sort_order, User.name))
