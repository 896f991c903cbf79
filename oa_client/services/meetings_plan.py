"""Find a time (找时间) and iCalendar files for meetings.

Find-a-time joins what this desk knows (my meetings, the rooms' bookings I can
see) with the server's free/busy answer when online — a user never holds other
people's meetings locally. Export writes one meeting or my whole calendar as
.ics; import reads invitations (time zones and daylight saving kept) into my
calendar as personal entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from oa_client.domain.meetings import Meeting, Room
from oa_client.domain.meetings_conflicts import busy_intervals
from oa_client.domain.meetings_findtime import Slot, WorkingHours, find_a_time
from oa_client.domain.meetings_records import (
    expected_people,
    meeting_from_record,
    meeting_record,
    parse_time,
    rsvp_from_record,
    utc_text,
)
from oa_client.domain.meetings_records import (
    rooms_by_id as _rooms_by_id,
)
from oa_client.errors import OAError, ValidationError
from oa_client.i18n import _
from oa_client.services import records as rec_svc
from oa_client.services.meetings import (
    day_bounds,
    get_meeting,
    meetings_between,
    replies,
    rooms,
)
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

Interval = tuple[datetime, datetime]


@dataclass
class FreeBusy:
    """Busy times per person and per room over a window, and where they came from."""

    start: datetime
    end: datetime
    people: dict[str, list[Interval]] = field(default_factory=dict)
    rooms: dict[str, list[Interval]] = field(default_factory=dict)
    from_server: bool = False
    server_error: str = ""


def _merge(into: dict[str, list[Interval]], more: Mapping[str, Iterable[Interval]]) -> None:
    for key, spans in more.items():
        known = set(into.setdefault(key, []))
        into[key].extend(s for s in spans if s not in known)
        into[key].sort()


def local_busy(store: LocalStore, *, people: Sequence[str], start: datetime, end: datetime
               ) -> FreeBusy:
    """Busy times from the meetings on this desk (people named in them, rooms they hold)."""
    meetings: list[Meeting] = []
    named: dict[str, set[str]] = {}
    for rec in meetings_between(store, start, end):
        if rec.get("booking_state") == "refused":
            continue
        try:
            m = meeting_from_record(rec)
        except ValidationError:
            continue
        meetings.append(m)
        named[m.id] = set(expected_people(m, rec.get("rsvp_people") or {}))
        if rec.get("source") == "ics":  # an imported invitation keeps its owner busy
            named[m.id].add(str(rec.get("organiser_id") or ""))
    person_busy, room_busy = busy_intervals(meetings, window_start=start, window_end=end)
    out = FreeBusy(start, end, rooms=room_busy)
    wanted = set(people)
    out.people = {p: sorted(person_busy.get(p, [])) for p in wanted}
    from oa_client.domain.meetings_conflicts import bookings_of

    for m in meetings:
        extra = (named.get(m.id, set()) & wanted)
        if not extra:
            continue
        for b in bookings_of(m, window_start=start, window_end=end):
            _merge(out.people, {p: [(b.starts_at, b.ends_at)] for p in extra - b.person_ids})
    return out


def server_busy(transport: Any, *, people: Sequence[str], start: datetime, end: datetime,
                room_ids: Sequence[str] | None = None) -> FreeBusy:
    """Busy times as the server knows them (everyone's bookings, times only)."""
    body: dict[str, Any] = {"user_ids": list(people), "start": utc_text(start), "end": utc_text(end)}
    if room_ids is not None:
        body["room_ids"] = list(room_ids)
    data = transport.request("POST", "/meetings/freebusy", json_body=body).json()
    out = FreeBusy(start, end, from_server=True)
    for key, target in (("people", out.people), ("rooms", out.rooms)):
        for ident, spans in (data.get(key) or {}).items():
            target[ident] = [(parse_time(s, field="start"), parse_time(e, field="end")) for s, e in spans]
    return out


def free_busy(store: LocalStore, transport: Any | None, *, people: Sequence[str], start: datetime,
              end: datetime) -> FreeBusy:
    """Local busy times, joined with the server's when online (a failure is said, not raised)."""
    out = local_busy(store, people=people, start=start, end=end)
    if transport is None:
        return out
    try:
        remote = server_busy(transport, people=people, start=start, end=end)
    except OAError as exc:
        out.server_error = exc.message
        return out
    except Exception as exc:  # network trouble: the local answer still stands
        out.server_error = str(exc)
        return out
    _merge(out.people, remote.people)
    _merge(out.rooms, remote.rooms)
    out.from_server = True
    return out


@dataclass(frozen=True)
class Suggestions:
    """What find-a-time shows: busy times side by side, rooms, and the suggested slots."""

    busy: FreeBusy
    rooms: tuple[Room, ...]
    slots: tuple[Slot, ...]


def suggest(store: LocalStore, transport: Any | None, *, required: Sequence[str],
            optional: Sequence[str] = (), duration: timedelta, first_day: date,
            last_day: date | None = None, headcount: int | None = None,
            equipment: Iterable[str] = (), need_room: bool = True, now: datetime | None = None,
            limit: int = 8, hours: WorkingHours | None = None,
            busy: FreeBusy | None = None) -> Suggestions:
    """The first slots where every required attendee and a big-enough room are free."""
    last = last_day or first_day
    start, _e = day_bounds(first_day)
    _s, end = day_bounds(last)
    if busy is None:
        busy = free_busy(store, transport, people=[*required, *optional], start=start, end=end)
    room_map = rooms(store)
    kwargs: dict[str, Any] = {"working_hours": hours} if hours is not None else {}
    slots = find_a_time(
        duration=duration, first_day=first_day, last_day=last,
        required_busy={p: busy.people.get(p, []) for p in required},
        optional_busy={p: busy.people.get(p, []) for p in optional},
        rooms=list(room_map.values()), room_busy=busy.rooms,
        headcount=headcount or max(1, len(required) + len(optional)), equipment=equipment,
        need_room=need_room, now=now or datetime.now(UTC), limit=limit * 8,
        step=timedelta(minutes=30), **kwargs)
    picked: list[Slot] = []
    for s in slots:  # distinct times, not one hour shifted by a quarter
        if len(picked) < limit and all(s.ends_at <= p.starts_at or p.ends_at <= s.starts_at
                                       for p in picked):
            picked.append(s)
    slots = picked
    return Suggestions(busy, tuple(sorted(room_map.values(), key=lambda r: (r.capacity, r.name))),
                       tuple(slots))


# ---------------------------------------------------------------- iCalendar


def with_addresses(store: LocalStore, meeting: Meeting) -> Meeting:
    """The meeting with the e-mail addresses the org chart on this desk knows (organiser and
    people invited), where the notice has none: .ics files address people by mail only."""
    ids = [meeting.organiser_id, *(a.id for a in meeting.attendees if a.kind == "person")]
    found = store.records.get_many("users", [i for i in ids if i])
    mail = {i: str(u.get("email") or "").strip() for i, u in found.items()}
    attendees = tuple(a if a.email or not mail.get(a.id) else a.model_copy(update={"email": mail[a.id]})
                      for a in meeting.attendees)
    organiser_email = meeting.organiser_email or mail.get(meeting.organiser_id, "")
    return meeting.model_copy(update={"attendees": attendees, "organiser_email": organiser_email})


def export_meeting_ics(store: LocalStore, meeting_id: str, *, now: datetime | None = None) -> bytes:
    """One meeting as an .ics invitation (METHOD:CANCEL once cancelled)."""
    meeting = with_addresses(store, get_meeting(store, meeting_id))
    rsvps = [r for r in (rsvp_from_record(x) for x in replies(store, meeting_id)) if r is not None]
    return _ical().export_meeting(meeting, rooms=rooms(store), rsvps=rsvps, now=now)


def export_my_calendar(store: LocalStore, *, user_id: str, unit_id: str = "",
                       start: datetime | None = None, end: datetime | None = None,
                       name: str = "", now: datetime | None = None) -> bytes:
    """Subscription-style export of my calendar (METHOD:PUBLISH): from 30 days back, a year on."""
    now = now or datetime.now(UTC)
    start = start or now - timedelta(days=30)
    end = end or now + timedelta(days=366)
    from oa_client.services.meetings import _is_mine

    chosen = []
    for rec in meetings_between(store, start, end):
        if rec.get("state") == "cancelled" or not _is_mine(rec, user_id, unit_id):
            continue
        try:
            chosen.append(with_addresses(store, meeting_from_record(rec)))
        except ValidationError:
            continue
    return _ical().export_calendar(chosen, name=name, rooms=rooms(store), now=now)


def read_ics(data: bytes | str) -> list[Meeting]:
    """The meetings of an .ics file; a malformed file is a ValidationError (field `ics`)."""
    if isinstance(data, bytes | bytearray) and not data.strip():
        raise ValidationError(_("日历文件是空的"), field="ics")
    return _ical().import_calendar(data)


def import_ics(store: LocalStore, data: bytes | str, *, user_id: str, user_name: str = "") -> list[str]:
    """Import invitations into my calendar as personal entries (only I see them); their ids."""
    saved = []
    for m in read_ics(data):
        rec = meeting_record(m, source="ics", organiser_id=user_id, booking_state="confirmed",
                             organiser_name=m.organiser_name or user_name,
                             audience_users=[user_id], audience_units=[], audience_roles=[],
                             rsvp={}, tentative=False)
        rec["room_id"] = None
        rec["location_text"] = m.location_text or ""
        rec_svc.save(store, "meetings", rec)
        saved.append(m.id)
    return saved


def import_changes(store: LocalStore, data: bytes | str) -> Changes:
    """An update or cancellation (.ics) applied to an imported meeting I hold."""
    incoming = read_ics(data)
    uid = incoming[0].ical_uid
    rows = store.db.query("SELECT id FROM meetings WHERE deleted = 0 AND instr(data, ?) > 0",
                          (f'"ical_uid":"{uid}"',)) if uid else []
    if not rows:
        raise ValidationError(_("日历文件中没有这次会议"), field="ics")
    rec = store.records.get("meetings", rows[0][0])
    updated = _ical().apply_invitation(meeting_from_record(rec), data)
    out = {k: v for k, v in rec.items() if k not in ("deleted", "updated_at")}
    out.update(meeting_record(updated))
    out["room_id"] = None
    return rec_svc.save(store, "meetings", out)


def rooms_by_id(store: LocalStore) -> dict[str, Room]:
    """Usable rooms by id (re-exported for screens)."""
    return _rooms_by_id(store.records.list("rooms", limit=1000, order_by="name"))


def _ical():
    """The .ics module, imported on first use (icalendar costs ~45 ms at start-up)."""
    from oa_client.services import ical

    return ical
