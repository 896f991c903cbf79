"""Booking conflicts: one pure function the server runs as the authority and the client offline.

Intervals are half-open [start, end): a meeting ending at 10:00 and one starting
at 10:00 do not conflict. Room double-booking, closed rooms, too small rooms and
unknown rooms block a booking; an attendee booked elsewhere is a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from oa_client.domain.meetings import TZ, Meeting, Room
from oa_client.domain.meetings_recurrence import Occurrence, expand, series_starts
from oa_client.errors import ConflictError
from oa_client.i18n import _

HORIZON = timedelta(days=366)  # how far an open-ended series is checked

ConflictKind = Literal["room_booked", "room_closed", "capacity", "room_missing", "attendee_busy"]


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether two half-open intervals share any time (back-to-back does not)."""
    return a_start < b_end and b_start < a_end


def format_span(start: datetime, end: datetime) -> str:
    """A time span as shown to users, in Beijing time: 2025-10-09 09:00–10:00."""
    s, e = start.astimezone(TZ), end.astimezone(TZ)
    tail = e.strftime("%H:%M") if s.date() == e.date() else e.strftime("%Y-%m-%d %H:%M")
    return f"{s:%Y-%m-%d %H:%M}–{tail}"


@dataclass(frozen=True)
class Booking:
    """One occurrence as it occupies a room and people."""

    meeting_id: str
    subject: str
    starts_at: datetime
    ends_at: datetime
    room_id: str | None
    person_ids: frozenset[str]
    tentative: bool = False


def meeting_people(meeting: Meeting) -> frozenset[str]:
    """People a meeting occupies: invited persons and the chair (units choose later)."""
    ids = {a.id for a in meeting.attendees if a.kind == "person"}
    if meeting.chair_id:
        ids.add(meeting.chair_id)
    return frozenset(ids)


def _booking(meeting: Meeting, occ: Occurrence, people: frozenset[str]) -> Booking:
    return Booking(meeting.id, meeting.subject, occ.starts_at, occ.ends_at, occ.room_id, people,
                   meeting.tentative)


def bookings_of(meeting: Meeting, *, window_start: datetime, window_end: datetime) -> list[Booking]:
    """The meeting's occurrences overlapping the window, as bookings."""
    people = meeting_people(meeting)
    return [_booking(meeting, o, people) for o in expand(meeting, window_start=window_start,
                                                         window_end=window_end)]


def meeting_window(meeting: Meeting, *, horizon: timedelta = HORIZON) -> tuple[datetime, datetime]:
    """From the first start to the last end of the series (open-ended: the horizon)."""
    start = meeting.starts_at
    end = meeting.ends_at
    if meeting.recurrence is not None:
        starts = list(series_starts(meeting, stop=start + horizon))
        end = (starts[-1] if starts else start) + meeting.duration
    for e in meeting.exceptions:
        if e.starts_at is not None:
            start = min(start, e.starts_at)
            end = max(end, e.ends_at or e.starts_at + meeting.duration)
    return start, end


@dataclass(frozen=True)
class Conflict:
    """Why a booking cannot stand (blocking) or should be looked at (warning)."""

    kind: ConflictKind
    starts_at: datetime
    ends_at: datetime
    room_id: str | None = None
    room_name: str = ""
    other_meeting_id: str | None = None
    other_subject: str = ""
    person_id: str | None = None
    person_name: str = ""
    detail: str = ""  # closing reason, or "capacity/needed"

    @property
    def blocking(self) -> bool:
        """Whether the booking is refused because of it (attendee clashes only warn)."""
        return self.kind != "attendee_busy"

    @property
    def message(self) -> str:
        """What the secretary is told, in the current language."""
        span = format_span(self.starts_at, self.ends_at)
        if self.kind == "room_booked":
            return _("会议室“{room}”在{time}已被“{other}”预订").format(
                room=self.room_name, time=span, other=self.other_subject)
        if self.kind == "room_closed":
            return _("会议室“{room}”在{time}不开放：{reason}").format(
                room=self.room_name, time=span, reason=self.detail or _("暂停使用"))
        if self.kind == "capacity":
            capacity, needed = self.detail.split("/")
            return _("会议室“{room}”只能容纳{capacity}人，本次会议需要{count}个座位").format(
                room=self.room_name, capacity=capacity, count=needed)
        if self.kind == "room_missing":
            return _("会议室不存在或已停用")
        return _("{name}在{time}另有会议“{other}”").format(
            name=self.person_name or self.person_id, time=span, other=self.other_subject)


def pair_conflicts(a: Booking, b: Booking, *, rooms: Mapping[str, Room] | None = None,
                   names: Mapping[str, str] | None = None) -> list[Conflict]:
    """What booking a clashes with in booking b (symmetric in kinds and people)."""
    if a.meeting_id == b.meeting_id or not overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at):
        return []
    names = names or {}
    found = []
    if a.room_id is not None and a.room_id == b.room_id:
        room = (rooms or {}).get(a.room_id)
        found.append(Conflict("room_booked", a.starts_at, a.ends_at, room_id=a.room_id,
                              room_name=room.name if room else a.room_id,
                              other_meeting_id=b.meeting_id, other_subject=b.subject))
    for pid in sorted(a.person_ids & b.person_ids):
        found.append(Conflict("attendee_busy", a.starts_at, a.ends_at, person_id=pid,
                              person_name=names.get(pid, ""), other_meeting_id=b.meeting_id,
                              other_subject=b.subject))
    return found


def room_conflicts(booking: Booking, *, rooms: Mapping[str, Room], headcount: int) -> list[Conflict]:
    """Problems of the room itself for this occurrence: unknown, closed, too small."""
    if booking.room_id is None:
        return []
    room = rooms.get(booking.room_id)
    s, e = booking.starts_at, booking.ends_at
    if room is None:
        return [Conflict("room_missing", s, e, room_id=booking.room_id)]
    found = [
        Conflict("room_closed", s, e, room_id=room.id, room_name=room.name, detail=p.reason)
        for p in room.closed_periods if overlaps(s, e, p.starts_at, p.ends_at)
    ]
    if room.capacity < headcount:
        found.append(Conflict("capacity", s, e, room_id=room.id, room_name=room.name,
                              detail=f"{room.capacity}/{headcount}"))
    return found


def detect_conflicts(
    *,
    meeting: Meeting,
    existing: Iterable[Meeting],
    rooms: Mapping[str, Room],
    horizon: timedelta = HORIZON,
) -> list[Conflict]:
    """Every conflict of the meeting (all its occurrences) with existing meetings and its rooms."""
    if meeting.state == "cancelled":
        return []
    start, end = meeting_window(meeting, horizon=horizon)
    mine = bookings_of(meeting, window_start=start, window_end=end)
    names = {a.id: a.name for a in meeting.attendees}
    found: list[Conflict] = []
    capacity_seen: set[str | None] = set()
    for b in mine:
        for c in room_conflicts(b, rooms=rooms, headcount=meeting.headcount):
            if c.kind == "capacity" or c.kind == "room_missing":
                if c.room_id in capacity_seen:
                    continue
                capacity_seen.add(c.room_id)
            found.append(c)
    others = sorted(
        (o for m in existing if m.id != meeting.id
         for o in bookings_of(m, window_start=start, window_end=end)),
        key=lambda o: o.starts_at,
    )
    for b in mine:
        for o in others:
            if o.starts_at >= b.ends_at:
                break
            found.extend(pair_conflicts(b, o, rooms=rooms, names=names))
    return found


@dataclass(frozen=True)
class BookingCheck:
    """The result of checking a booking: the meeting (tentative offline) and its conflicts."""

    meeting: Meeting
    conflicts: tuple[Conflict, ...]

    @property
    def blocking(self) -> list[Conflict]:
        """Conflicts that refuse the booking."""
        return [c for c in self.conflicts if c.blocking]

    @property
    def warnings(self) -> list[Conflict]:
        """Conflicts shown but not refusing (attendees booked elsewhere)."""
        return [c for c in self.conflicts if not c.blocking]

    @property
    def ok(self) -> bool:
        """Whether the booking may stand."""
        return not self.blocking


def check_booking(
    *,
    meeting: Meeting,
    existing: Iterable[Meeting],
    rooms: Mapping[str, Room],
    authoritative: bool,
    horizon: timedelta = HORIZON,
) -> BookingCheck:
    """Check a booking; off the server (authoritative=False) the meeting is marked tentative."""
    conflicts = detect_conflicts(meeting=meeting, existing=existing, rooms=rooms, horizon=horizon)
    marked = meeting if meeting.tentative == (not authoritative) else meeting.model_copy(
        update={"tentative": not authoritative})
    return BookingCheck(marked, tuple(conflicts))


def raise_for_conflicts(check: BookingCheck) -> None:
    """Raise a ConflictError naming the first blocking conflict (all are attached)."""
    if check.blocking:
        first = check.blocking[0]
        raise ConflictError(first.message, conflicts=tuple(check.blocking), meeting_id=check.meeting.id)


def busy_intervals(
    meetings: Iterable[Meeting], *, window_start: datetime, window_end: datetime
) -> tuple[dict[str, list[tuple[datetime, datetime]]], dict[str, list[tuple[datetime, datetime]]]]:
    """People's and rooms' busy intervals in the window, from their meetings (for find-a-time)."""
    people: dict[str, list[tuple[datetime, datetime]]] = {}
    rooms: dict[str, list[tuple[datetime, datetime]]] = {}
    for m in meetings:
        for b in bookings_of(m, window_start=window_start, window_end=window_end):
            for pid in b.person_ids:
                people.setdefault(pid, []).append((b.starts_at, b.ends_at))
            if b.room_id:
                rooms.setdefault(b.room_id, []).append((b.starts_at, b.ends_at))
    return people, rooms
