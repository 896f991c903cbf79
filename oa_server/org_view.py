"""The org chart as the server holds it, read-only and cached for one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_server.authz import is_business_user
from oa_server.models import Department, Unit, User, UserRole


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


class OrgView:
    """The org chart as the server holds it (read-only, cached for one transaction).

    Also an `OrgResolver` for the workflow engine: `holders(role, unit_id=…, …)`.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._users: dict[str, User | None] = {}
        self._units: dict[str, Unit | None] = {}

    def user(self, user_id: str | None) -> User | None:
        """An active or disabled user by id (None when unknown)."""
        key = str(user_id or "")
        if key not in self._users:
            uid = _uuid(key)
            self._users[key] = self.session.get(User, uid) if uid else None
        return self._users[key]

    def active_user(self, user_id: str | None) -> User | None:
        """A user who can still act (exists, active, unit active)."""
        user = self.user(user_id)
        if user is None or not user.active or not user.unit.active:
            return None
        return user

    def business_user(self, user_id: str | None) -> User | None:
        """A user who can still act and works with business records (not one of the 三员, not an
        account without a business role): whom a step, a 委托 or a 加签 may go to."""
        user = self.active_user(user_id)
        if user is None or not is_business_user(user):
            return None
        return user

    def unit(self, unit_id: str | None) -> Unit | None:
        """A unit by id (None when unknown); check `.active` for dissolved units."""
        key = str(unit_id or "")
        if key not in self._units:
            uid = _uuid(key)
            self._units[key] = self.session.get(Unit, uid) if uid else None
        return self._units[key]

    def department(self, department_id: str | None) -> Department | None:
        """A department (科室) by id (None when unknown or not an id)."""
        uid = _uuid(department_id)
        return self.session.get(Department, uid) if uid else None

    def unit_by_code(self, doc_code: str) -> Unit | None:
        """The unit whose 发文机关代字 is `doc_code`."""
        return self.session.scalar(select(Unit).where(Unit.doc_code == doc_code))

    def users_with_role(self, role: str, unit_id: str | None) -> list[str]:
        """Active users holding `role` in the unit (ordered by sort order, then name)."""
        uid = _uuid(unit_id)
        if uid is None:
            return []
        rows = self.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role_code == role, User.unit_id == uid, User.active.is_(True))
            .order_by(User.sort_order, User.name)
        ).all()
        return [str(u.id) for u in rows]

    def holders(self, role: str, *, unit_id: str | None, department_id: str | None,
                context: Mapping[str, Any]) -> list[str]:
        """OrgResolver: holders of `role` in the unit, narrowed to the department when given."""
        ids = self.users_with_role(role, unit_id)
        if department_id is None:
            return ids
        return [i for i in ids if str(getattr(self.user(i), "department_id", "")) == department_id]
