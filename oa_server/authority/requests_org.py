"""Who holds a request's step: the catalogue's roles resolved on the server's org chart.

科室负责人 is the 科长 of the applicant's section (the 分管领导 when the section has none); 分管领导, 主要领导 and 办公室 are the unit's
分管领导, 主要领导 and 办公室主任; 人事科 / 财务科 are the section of that name (人事…, 财务…/计财…)
or, in a small unit without one, the 办公室. Nobody approves their own request, and a role
nobody holds (or whose holder left) falls to the unit head (主要领导, else 办公室主任, else
分管领导; the parent unit's head when the applicant is the head).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from oa_server.models import Department, User
from oa_server.org_view import OrgView

#: office roles → words a section's name contains
OFFICE_WORDS = {"hr_office": ("人事",), "finance_office": ("财务", "计财")}
HEAD_ROLES = ("principal_leader", "office_director", "deputy_leader")


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


class RequestOrg:
    """An `OrgResolver` for one request: fallbacks, and never the applicant."""

    def __init__(self, org: OrgView, *, applicant_id: str) -> None:
        self.org = org
        self.applicant_id = applicant_id

    def _others(self, ids: list[str]) -> list[str]:
        return [i for i in ids if i != self.applicant_id]

    def unit_head(self, unit_id: str | None) -> list[str]:
        """The head of a unit (never the applicant; the parent unit's head when they are it)."""
        seen: set[str] = set()
        while unit_id and unit_id not in seen:
            seen.add(unit_id)
            for role in HEAD_ROLES:
                found = self._others(self.org.users_with_role(role, unit_id))
                if found:
                    return found[:1]
            unit = self.org.unit(unit_id)
            unit_id = str(unit.parent_id) if unit is not None and unit.parent_id else None
        return []

    def _section_members(self, unit_id: str | None, words: tuple[str, ...]) -> list[str]:
        uid = _uuid(unit_id)
        if uid is None:
            return []
        session = self.org.session
        for dept in session.scalars(select(Department).where(Department.unit_id == uid)
                                    .order_by(Department.sort_order)):
            if not any(w in dept.name for w in words):
                continue
            people = session.scalars(select(User).where(User.department_id == dept.id,
                                                        User.active.is_(True))
                                     .order_by(User.sort_order, User.name)).all()
            chiefs = [str(u.id) for u in people if "section_chief" in u.roles]
            found = self._others(chiefs or [str(u.id) for u in people])
            if found:
                return found
        return []

    def holders(self, role: str, *, unit_id: str | None, department_id: str | None,
                context: Mapping[str, Any]) -> list[str]:
        """OrgResolver: the people who hold `role` for this request, with the fallbacks."""
        found: list[str] = []
        if role in OFFICE_WORDS:
            found = self._section_members(unit_id, OFFICE_WORDS[role])
            if not found:
                found = self._others(self.org.users_with_role("office_director", unit_id))
        elif role == "section_chief" and department_id is not None:
            found = self._others(self.org.holders(role, unit_id=unit_id, department_id=department_id,
                                                  context=context))
            if not found:  # a section without a 科长: its 分管领导 signs
                found = self._others(self.org.users_with_role("deputy_leader", unit_id))
        else:
            found = self._others(self.org.users_with_role(role, unit_id))
        return found or self.unit_head(unit_id)

    def replacement(self, role: str | None, *, unit_id: str | None, department_id: str | None,
                    left: str) -> list[str]:
        """Who takes over a step from someone who left: the role's new holder, else the unit head."""
        found = []
        if role:
            scope = department_id if role == "section_chief" else None
            found = [u for u in self.holders(role, unit_id=unit_id, department_id=scope, context={})
                     if u != left]
        return found or [u for u in self.unit_head(unit_id) if u != left]


#: ranks above a 科员, lowest first: a holder's leader holds a higher one
RANKS = ("section_chief", "office_director", "deputy_leader", "principal_leader")


def leader_of(org: OrgView, user_id: str) -> list[str]:
    """Whom a holder answers to, for an overdue step: the 科长 of their section (for a
    科员), else the next rank up in their unit (办公室主任, 分管领导, 主要领导), else the
    parent unit's head."""
    user = org.user(user_id)
    if user is None:
        return []
    unit_id = str(user.unit_id)
    chain = RequestOrg(org, applicant_id=user_id)
    level = max((RANKS.index(r) for r in user.roles if r in RANKS), default=-1)
    if level < 0 and user.department_id is not None:
        chiefs = chain._others(org.holders("section_chief", unit_id=unit_id,
                                           department_id=str(user.department_id), context={}))
        if chiefs:
            return chiefs[:1]
    for role in RANKS[max(level + 1, 1):]:
        found = chain._others(org.users_with_role(role, unit_id))
        if found:
            return found[:1]
    unit = org.unit(unit_id)
    return chain.unit_head(str(unit.parent_id)) if unit is not None and unit.parent_id else []
