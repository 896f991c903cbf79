"""Form values as such: problems, reading numbers and dates, comparing values in conditions.

Nothing here knows a schema: reading raw input as a field's type is `forms_coerce`,
computed fields `forms_compute`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from oa_client.domain.calendar_range import FIRST_YEAR, LAST_YEAR, in_range
from oa_client.i18n import _, current_language

_BEIJING = ZoneInfo("Asia/Shanghai")  # form times are wall-clock times there

#: Working days d with a < d <= b — `WorkdayCalendar.workdays_between` plugs in as is.
WorkdaysFn = Callable[[dt.date, dt.date], int]
MISSING_VALUE: Any = object()


@dataclass(frozen=True)
class Problem:
    """One thing to fix: the field (or table) it is on, a message, and for tables the cell."""

    field: str
    message: str
    row: str | None = None
    column: str | None = None
    related: tuple[str, ...] = field(default=())


class BadValue(ValueError):
    """A raw value that cannot be read as its field's type; the message says why."""


class OutOfRange(BadValue):
    """A date that reads, but falls outside the years records take (calendar_range)."""


def date_refusal(label: str, exc: BadValue, *, with_time: bool = False) -> BadValue:
    """The clerk's message for a date field that did not read: a year out of range, or not
    a date at all (with an example of one)."""
    if isinstance(exc, OutOfRange):
        return BadValue(_("{label}的年份应在 {first}–{last} 年之间").format(
            label=label, first=FIRST_YEAR, last=LAST_YEAR))
    message = _("{label}应为日期和时间，如 2026-03-01 09:00") if with_time else _(
        "{label}应为日期，如 2026-03-01")
    return BadValue(message.format(label=label))


def localized(zh: str, en: str = "") -> str:
    """A data label in the current language (Chinese unless English is chosen and given)."""
    return en if en and current_language() == "en" else zh


def is_empty(value: Any) -> bool:
    """Whether a value counts as not filled in."""
    if value is None or value is MISSING_VALUE:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict | set):
        return len(value) == 0
    return False


#: the largest figure a form or a report takes (a thousand trillion): past it a figure is a
#: typing slip, and decimal arithmetic at its 28 digits would no longer hold its places
NUMBER_MAX = Decimal(10) ** 15


def too_large(value: Decimal) -> bool:
    """Whether a figure is past NUMBER_MAX either way."""
    return abs(value) >= NUMBER_MAX


def to_decimal(raw: Any) -> Decimal:
    """A number from an int, Decimal or text (commas and spaces allowed); BadValue if not."""
    if isinstance(raw, bool):
        raise BadValue("bool")
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip().replace(",", "").replace("，", ""))
        except InvalidOperation as exc:
            raise BadValue(raw) from exc
    else:
        raise BadValue(repr(raw))
    if not value.is_finite():
        raise BadValue(raw)
    return value


def to_date(raw: Any) -> dt.date:
    """A date from a date or ISO text (2026-03-01 or 2026/3/1) in the years records take
    (oa_client.domain.calendar_range); BadValue if not."""
    value = _date_of(raw)
    if not in_range(value):  # year 1 or 9999: counting working days to it would run off
        raise OutOfRange(raw)
    return value


def _date_of(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        text = raw.strip().replace("/", "-").replace(".", "-")
        try:
            y, m, d = (int(p) for p in text.split("-"))
            return dt.date(y, m, d)
        except ValueError as exc:
            raise BadValue(raw) from exc
    raise BadValue(repr(raw))


def to_datetime(raw: Any) -> dt.datetime:
    """A date and time from a datetime or ISO text, as Beijing wall-clock time (one given with
    an offset is moved to Beijing time, so any two compare); BadValue if not."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = dt.datetime.fromisoformat(raw.strip().replace("/", "-"))
        except ValueError as exc:
            raise BadValue(raw) from exc
    else:
        raise BadValue(repr(raw))
    if not in_range(value):
        raise OutOfRange(raw)
    return value if value.tzinfo is None else value.astimezone(_BEIJING).replace(tzinfo=None)


def _comparable(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal | float):
        return Decimal(str(value))
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dt.date):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return to_decimal(value)
        except BadValue:
            return value
    return value


def evaluate(op: str, actual: Any, expected: Any) -> bool:
    """One comparison of a condition; an unfilled value equals None and fails every order test."""
    if is_empty(actual):
        return {"eq": expected is None, "ne": expected is not None, "not_in": True}.get(op, False)
    if op in ("in", "not_in"):
        pool = [_comparable(v) for v in (expected or [])]
        items = actual if isinstance(actual, list) else [actual]
        hit = any(_comparable(a) in pool for a in items)
        return hit if op == "in" else not hit
    if op == "contains":
        if isinstance(actual, str):
            return isinstance(expected, str) and expected in actual
        return isinstance(actual, list) and _comparable(expected) in [_comparable(a) for a in actual]
    a, b = _comparable(actual), _comparable(expected)
    try:
        return {
            "eq": lambda: a == b, "ne": lambda: a != b, "gt": lambda: a > b,
            "ge": lambda: a >= b, "lt": lambda: a < b, "le": lambda: a <= b,
        }[op]()
    except TypeError:
        return False


def weekdays_between(a: dt.date, b: dt.date) -> int:
    """Monday–Friday days d with a < d <= b (no holiday calendar); same convention as WorkdayCalendar."""
    if b <= a:
        return 0
    start = a + dt.timedelta(days=1)
    full, rest = divmod((b - a).days, 7)
    count = full * 5
    for i in range(rest):
        if (start + dt.timedelta(days=full * 7 + i)).weekday() < 5:
            count += 1
    return count
