"""How a flow finds the people behind a role: a small interface onto the org chart."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from oa_client.domain.workflow.definition import TimeLimit


class OrgResolver(Protocol):
    """Resolves a role (glossary identifier) within a unit or department to user ids."""

    def holders(
        self, role: str, *, unit_id: str | None, department_id: str | None, context: Mapping[str, Any]
    ) -> list[str]:
        """User ids holding `role` in that unit (and department, when given)."""
        ...


class StaticOrg:
    """An org chart held in memory: `(role, unit_id, department_id or None) → [user ids]`."""

    def __init__(self, table: Mapping[tuple[str, str | None, str | None], list[str]]) -> None:
        self._table = {k: list(v) for k, v in table.items()}

    def holders(
        self, role: str, *, unit_id: str | None, department_id: str | None, context: Mapping[str, Any]
    ) -> list[str]:
        """User ids for the role in the department, falling back to the whole unit."""
        if department_id is not None and (role, unit_id, department_id) in self._table:
            return list(self._table[(role, unit_id, department_id)])
        if department_id is not None:
            return []
        return list(self._table.get((role, unit_id, None), []))


def calendar_add_limit(start: datetime, limit: TimeLimit) -> datetime:
    """Default deadline: calendar days and hours (inject a working-day calendar to skip holidays)."""
    return start + timedelta(days=limit.days, hours=limit.hours)


def workday_add_limit(is_workday: Callable[[date], bool]) -> Callable[[datetime, TimeLimit], datetime]:
    """An `add_limit` counting `working_days` limits on a calendar (e.g. `WorkdayCalendar.is_workday`)."""

    def add_limit(start: datetime, limit: TimeLimit) -> datetime:
        if not limit.working_days:
            return calendar_add_limit(start, limit)
        due, left = start, limit.days
        while left > 0:
            due += timedelta(days=1)
            if is_workday(due.date()):
                left -= 1
        return due + timedelta(hours=limit.hours)

    return add_limit


def _weekday(day: date) -> bool:
    return day.weekday() < 5


def weekday_add_limit(start: datetime, limit: TimeLimit) -> datetime:
    """Deadline counting only Monday–Friday for `working_days` limits (no holiday calendar)."""
    return workday_add_limit(_weekday)(start, limit)
