"""Find a time (找时间): the first slots where all required attendees and a big-enough room are free.

Slots lie inside working hours (08:30–12:00 and 14:30–17:30 by default) on
working days (weekends and official holidays skipped when a calendar is given);
a meeting never straddles the lunch break. Optional attendees' clashes are
reported with each slot, not avoided.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, model_validator

from oa_client.domain.meetings import TZ, Room
from oa_client.errors import ValidationError
from oa_client.i18n import _

Interval = tuple[datetime, datetime]


class WorkingHours(BaseModel):
    """The office's working periods in a day (Beijing time), configurable."""

    model_config = ConfigDict(frozen=True)

    periods: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 30), time(17, 30)))

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        last = time.min
        for start, end in self.periods:
            if not (last <= start < end):
                raise ValueError("working periods must be ordered and non-empty")
            last = end
        return self


DEFAULT_HOURS = WorkingHours()


@dataclass(frozen=True)
class Slot:
    """A suggested time, the room for it (None when no room is needed) and who optional is busy."""

    starts_at: datetime
    ends_at: datetime
    room_id: str | None
    optional_busy: tuple[str, ...] = ()


class _Busy:
    """One person's or room's busy time, merged and sorted for fast overlap tests."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged: list[list[datetime]] = []
        for s, e in sorted(intervals):
            if e <= s:
                continue
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def free(self, s: datetime, e: datetime) -> bool:
        i = bisect_right(self.starts, s) - 1
        if i >= 0 and self.ends[i] > s:
            return False
        return not (i + 1 < len(self.starts) and self.starts[i + 1] < e)


def _weekdays(day: date) -> bool:
    return day.weekday() < 5


def find_a_time(
    *,
    duration: timedelta,
    first_day: date,
    last_day: date | None = None,
    required_busy: Mapping[str, Sequence[Interval]],
    optional_busy: Mapping[str, Sequence[Interval]] | None = None,
    rooms: Sequence[Room] = (),
    room_busy: Mapping[str, Sequence[Interval]] | None = None,
    headcount: int = 1,
    equipment: Iterable[str] = (),
    need_room: bool = True,
    working_hours: WorkingHours = DEFAULT_HOURS,
    is_workday: Callable[[date], bool] | None = None,
    now: datetime | None = None,
    step: timedelta = timedelta(minutes=15),
    limit: int = 5,
) -> list[Slot]:
    """The first `limit` slots from first_day to last_day where everyone required and a room are free."""
    if duration <= timedelta(0):
        raise ValidationError(_("会议时长必须大于零"), field="duration")
    if last_day is not None and last_day < first_day:
        raise ValidationError(_("结束日期不能早于开始日期"), field="last_day")
    if step <= timedelta(0):
        raise ValidationError(_("时间间隔必须大于零"), field="step")
    last_day = last_day or first_day
    workday = is_workday or _weekdays
    people = [_Busy(v) for v in required_busy.values()]
    optional = {k: _Busy(v) for k, v in (optional_busy or {}).items()}
    wanted = set(equipment)
    candidates = sorted(
        (r for r in rooms if r.capacity >= headcount and wanted <= r.equipment),
        key=lambda r: (r.capacity, r.name),
    )  # the smallest room that fits comes first
    busy_rooms = {
        r.id: _Busy([*(room_busy or {}).get(r.id, ()), *((p.starts_at, p.ends_at) for p in r.closed_periods)])
        for r in candidates
    }
    found: list[Slot] = []
    day = first_day
    while day <= last_day and len(found) < limit:
        if workday(day):
            for p_start, p_end in working_hours.periods:
                s = datetime.combine(day, p_start, tzinfo=TZ)
                end_of_period = datetime.combine(day, p_end, tzinfo=TZ)
                while s + duration <= end_of_period and len(found) < limit:
                    e = s + duration
                    if (now is None or s >= now) and all(b.free(s, e) for b in people):
                        room = next((r for r in candidates if busy_rooms[r.id].free(s, e)), None)
                        if room is not None or not need_room:
                            clash = tuple(sorted(k for k, b in optional.items() if not b.free(s, e)))
                            found.append(Slot(s, e, room.id if room and need_room else None, clash))
                    s += step
        day += timedelta(days=1)
    return found
