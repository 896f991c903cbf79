"""Annual leave (年休假): the entitlement by years worked, and which requests count against it.

One rule for the desk (which shows the balance while the form is filled) and the server
(which checks a submission against the requests it holds, so two offline desks cannot
each spend the same days).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from oa_client.domain.catalogue import ServiceItem
from oa_client.domain.forms import compute

#: days by years worked, per 《职工带薪年休假条例》: 1–10 → 5, 10–20 → 10, 20+ → 15
ANNUAL_LEAVE_DAYS = ((20, 15), (10, 10), (1, 5))
#: a person whose hire date the organisation does not hold
UNKNOWN_HIRE_DAYS = 10
ANNUAL = "年休假"
COUNTING_STATES = ("submitted", "in_review", "approved")


def years_worked(hire: str, today: date) -> int:
    """Whole years since the hire date (0 when it does not parse)."""
    try:
        start = date.fromisoformat(hire[:10])
    except ValueError:
        return 0
    return today.year - start.year - ((today.month, today.day) < (start.month, start.day))


def entitlement(person: Mapping[str, Any], today: date) -> int:
    """This year's days: `annual_leave_total` when the organisation set it, else by years."""
    total = person.get("annual_leave_total")
    if total is not None:
        return int(total)
    years = years_worked(str(person.get("hire_date") or ""), today)
    fallback = UNKNOWN_HIRE_DAYS if not years else 0
    return next((days for floor, days in ANNUAL_LEAVE_DAYS if years >= floor), fallback)


def is_annual_leave(request: Mapping[str, Any], form: Mapping[str, Any] | None = None) -> bool:
    """Whether a request (or the form about to be submitted for it) asks for 年休假."""
    if form is None:
        form = request.get("form") or {}
    return request.get("item_code") == "LEAVE" and form.get("leave_type") == ANNUAL


def counts_this_year(request: Mapping[str, Any], year: int) -> bool:
    """Whether a request's days come off this year's balance (in progress or approved)."""
    form = request.get("form") or {}
    return (is_annual_leave(request) and request.get("state") in COUNTING_STATES
            and str(form.get("start_date", ""))[:4] == str(year))


def balance(person: Mapping[str, Any], requests: Iterable[Mapping[str, Any]], *, today: date,
            item_of: Callable[[Mapping[str, Any]], ServiceItem | None],
            workdays_between: Callable[[date, date], int]) -> int:
    """Days left this year: the entitlement minus the days of the person's requests that
    count (`item_of` gives the item a request was filed under, None when unknown)."""
    used = 0
    for rec in requests:
        if not counts_this_year(rec, today.year):
            continue
        item = item_of(rec)
        if item is None:
            continue
        try:  # the days are computed (working days between the dates), never typed
            days = compute(item.form, rec.get("form") or {}, workdays_between=workdays_between)
            used += int(days.get("days") or 0)
        except (TypeError, ValueError):
            continue
    return max(entitlement(person, today) - used, 0)
