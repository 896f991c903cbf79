"""Recurring meetings: expand a series into occurrences; edit one, or all following.

Stdlib only (the server shares it): daily, weekly on chosen weekdays, monthly on
the same day or the n-th weekday, with COUNT/UNTIL, following RFC 5545 (as
dateutil's rrule does). Series repeat on the wall clock of the meeting's
time zone, so imported series keep their local hour across daylight saving.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from oa_client.domain.ids import new_id
from oa_client.domain.meetings import Meeting, OccurrenceException, Recurrence, revise
from oa_client.errors import ValidationError
from oa_client.i18n import _

MAX_PERIODS = 20_000  # weeks/months/days walked before giving up on an empty rule


@dataclass(frozen=True)
class Occurrence:
    """One sitting of a meeting (its own time and room if it was moved)."""

    meeting_id: str
    original_start: datetime
    starts_at: datetime
    ends_at: datetime
    room_id: str | None
    moved: bool = False


def _month_days(year: int, month: int, rule: Recurrence, first: datetime) -> list[int]:
    last = _calendar.monthrange(year, month)[1]
    if not rule.by_weekday:
        return [first.day] if first.day <= last else []
    if rule.week_of_month is None:  # every such weekday of the month (RFC 5545 BYDAY=MO)
        return [d for d in range(1, last + 1) if _calendar.weekday(year, month, d) in rule.by_weekday]
    days = []
    for wd in rule.by_weekday:
        matching = [d for d in range(1, last + 1) if _calendar.weekday(year, month, d) == wd]
        n = rule.week_of_month
        if n == -1:
            days.append(matching[-1])
        elif 1 <= n <= len(matching):
            days.append(matching[n - 1])
    return sorted(days)


def _period(first: datetime, rule: Recurrence, k: int) -> list[datetime]:
    """Naive wall-clock candidates of the k-th period (day, week or month) of the rule."""
    if rule.freq == "daily":
        return [first + timedelta(days=k * rule.interval)]
    if rule.freq == "weekly":
        monday = first - timedelta(days=first.weekday())
        week = monday + timedelta(weeks=k * rule.interval)
        return [week + timedelta(days=wd) for wd in sorted(set(rule.by_weekday or (first.weekday(),)))]
    months = first.month - 1 + k * rule.interval
    year, month = first.year + months // 12, months % 12 + 1
    return [first.replace(year=year, month=month, day=d) for d in _month_days(year, month, rule, first)]


def series_starts(meeting: Meeting, *, stop: datetime | None = None) -> Iterator[datetime]:
    """Start of every occurrence the rule makes (moved and cancelled ones included), in order."""
    rule = meeting.recurrence
    if rule is None:
        yield meeting.starts_at
        return
    if stop is None and rule.until is None and rule.count is None:
        raise ValidationError(_("无限重复的会议必须给出查询时间范围"), field="recurrence")
    zone = ZoneInfo(meeting.timezone)
    first = meeting.starts_at.astimezone(zone).replace(tzinfo=None)
    made = 0
    for k in range(MAX_PERIODS):
        try:
            walls = _period(first, rule, k)
        except (OverflowError, ValueError):  # past the calendar's last year: the series ends
            return
        for wall in walls:
            if wall < first:
                continue
            start = wall.replace(tzinfo=zone)
            if rule.until is not None and start > rule.until:
                return
            if stop is not None and start >= stop:
                return
            yield start
            made += 1
            if rule.count is not None and made >= rule.count:
                return


def _key(d: datetime) -> datetime:
    return d.astimezone(UTC)


def expand(meeting: Meeting, *, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """Occurrences overlapping [window_start, window_end), moved ones at their new time."""
    if meeting.state == "cancelled":
        return []
    exceptions = {_key(e.original_start): e for e in meeting.exceptions}
    length = meeting.duration
    found: list[Occurrence] = []
    for start in series_starts(meeting, stop=window_end):
        if start + length <= window_start or _key(start) in exceptions:
            continue
        found.append(Occurrence(meeting.id, start, start, start + length, meeting.room_id))
    for e in meeting.exceptions:
        if e.cancelled or e.starts_at is None:
            continue
        end = e.ends_at or e.starts_at + length
        if e.starts_at < window_end and end > window_start:
            found.append(
                Occurrence(meeting.id, e.original_start, e.starts_at, end,
                           e.room_id or meeting.room_id, moved=True)
            )
    found.sort(key=lambda o: o.starts_at)
    return found


def is_occurrence(meeting: Meeting, start: datetime) -> bool:
    """Whether the rule makes an occurrence starting exactly then."""
    target = _key(start)
    for s in series_starts(meeting, stop=start + timedelta(seconds=1)):
        if _key(s) == target:
            return True
    return False


def _replace_exception(meeting: Meeting, exc: OccurrenceException) -> Meeting:
    if not is_occurrence(meeting, exc.original_start):
        raise ValidationError(_("该时间没有这一系列的会议"), field="original_start")
    kept = tuple(e for e in meeting.exceptions if _key(e.original_start) != _key(exc.original_start))
    return revise(meeting, exceptions=(*kept, exc))


def cancel_occurrence(meeting: Meeting, *, original_start: datetime) -> Meeting:
    """The series with one occurrence cancelled ("this one only")."""
    return _replace_exception(meeting, OccurrenceException(original_start=original_start, cancelled=True))


def move_occurrence(
    meeting: Meeting,
    *,
    original_start: datetime,
    starts_at: datetime,
    ends_at: datetime,
    room_id: str | None = None,
) -> Meeting:
    """The series with one occurrence moved to another time or room ("this one only")."""
    if ends_at <= starts_at:
        raise ValidationError(_("结束时间必须晚于开始时间"), field="ends_at")
    return _replace_exception(
        meeting,
        OccurrenceException(original_start=original_start, starts_at=starts_at, ends_at=ends_at,
                            room_id=room_id),
    )


def split_series(meeting: Meeting, *, from_start: datetime) -> tuple[Meeting, Meeting]:
    """Split for "all following": the series up to from_start, and a new series from it on."""
    rule = meeting.recurrence
    if rule is None or not is_occurrence(meeting, from_start):
        raise ValidationError(_("该时间没有这一系列的会议"), field="original_start")
    if _key(from_start) == _key(meeting.starts_at):
        raise ValidationError(_("从第一次会议起修改请直接修改整个系列"), field="original_start")
    before = sum(1 for _s in series_starts(meeting, stop=from_start))
    if rule.count is None:
        head_rule = rule.model_copy(update={"until": from_start - timedelta(seconds=1)})
    else:
        head_rule = rule.model_copy(update={"count": before})
    head = revise(
        meeting,
        recurrence=head_rule,
        exceptions=tuple(e for e in meeting.exceptions if _key(e.original_start) < _key(from_start)),
    )
    tail_rule = rule.model_copy(update={"count": None if rule.count is None else rule.count - before})
    tail = meeting.model_copy(
        update={
            "id": new_id(), "ical_uid": None, "sequence": 0,
            "starts_at": from_start, "ends_at": from_start + meeting.duration,
            "recurrence": tail_rule,
            "exceptions": tuple(e for e in meeting.exceptions if _key(e.original_start) >= _key(from_start)),
        }
    )
    return head, tail
