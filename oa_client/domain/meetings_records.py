"""Meetings as synced records: the one mapping between record dicts and the domain models.

Client and server store a meeting as its `Meeting` fields (JSON) plus the record's own
columns (`title`, `starts_at`, `ends_at` in UTC, `organiser_id`, `state`) and fields
the server owns (`rsvp`, `rsvp_people`, `changes`, `booking_state`, audience lists).
Rooms, replies (回执) and sign-ins (签到) map the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pydantic

from oa_client.domain.calendar_range import in_range
from oa_client.domain.meetings import CheckIn, Meeting, Room, Rsvp, parse_meeting
from oa_client.errors import ValidationError
from oa_client.i18n import _

MEETING_FIELDS = frozenset(Meeting.model_fields)
ROOM_FIELDS = frozenset(Room.model_fields)
RSVP_FIELDS = frozenset(Rsvp.model_fields)
CHECKIN_FIELDS = frozenset(CheckIn.model_fields)
#: rsvp map values (what todo and the reply table read) per reply answer
RSVP_STATE = {"attend": "accepted", "decline": "declined", "delegate": "delegated"}
#: booking states: 待确认 offline, confirmed by the server, waiting for the room's 管理员, refused
BOOKING_STATES = ("tentative", "confirmed", "pending_approval", "refused")


def utc_text(value: datetime) -> str:
    """A time as the record columns hold it: UTC, second precision, `Z` (sorts as text)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any, *, field: str) -> datetime:
    """An aware datetime from a record field; a ValidationError naming the field otherwise."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(_("时间格式不正确：{field}").format(field=field), field=field) from None
    if parsed.tzinfo is None:
        raise ValidationError(_("时间格式不正确：{field}").format(field=field), field=field)
    if not in_range(parsed):
        raise ValidationError(_("时间超出范围：{field}").format(field=field), field=field)
    return parsed


def meeting_from_record(rec: Mapping[str, Any]) -> Meeting:
    """The domain meeting of a record (title is its subject); malformed → ValidationError."""
    data = {k: v for k, v in rec.items() if k in MEETING_FIELDS and v is not None}
    data.setdefault("subject", rec.get("title") or "")
    if "id" in rec:
        data["id"] = str(rec["id"])
    for key in ("agenda",):
        if isinstance(data.get(key), str):
            data[key] = tuple(line for line in str(data[key]).splitlines() if line.strip())
    return parse_meeting(data)


def meeting_record(meeting: Meeting, **extra: Any) -> dict[str, Any]:
    """A record for the meeting: its fields as JSON, the columns, then `extra` on top."""
    rec = meeting.model_dump(mode="json")
    rec["title"] = meeting.subject
    rec["starts_at"] = utc_text(meeting.starts_at)
    rec["ends_at"] = utc_text(meeting.ends_at)
    rec["state"] = meeting.state
    rec.update(extra)
    return rec


def room_from_record(rec: Mapping[str, Any]) -> Room:
    """The domain room of a record; a malformed field is a ValidationError naming it."""
    data = {k: v for k, v in rec.items() if k in ROOM_FIELDS and v is not None}
    if "id" in rec:
        data["id"] = str(rec["id"])
    if isinstance(data.get("equipment"), list | tuple):
        data["equipment"] = frozenset(str(e) for e in data["equipment"])
    try:
        return Room.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        if where == "capacity":
            raise ValidationError(_("会议室容纳人数必须是大于零的整数"), field="capacity") from None
        if where == "name":
            raise ValidationError(_("请填写会议室名称"), field="name") from None
        raise ValidationError(_("会议室信息格式不正确：{field}").format(field=where), field=where) from None


def rooms_by_id(records: Iterable[Mapping[str, Any]]) -> dict[str, Room]:
    """Usable rooms (active, readable) by id; a broken room record is left out."""
    out: dict[str, Room] = {}
    for rec in records:
        if rec.get("active") is False or rec.get("deleted"):
            continue
        try:
            room = room_from_record(rec)
        except ValidationError:
            continue
        out[room.id] = room
    return out


def rsvp_from_record(rec: Mapping[str, Any]) -> Rsvp | None:
    """The domain reply of a `meeting_replies` record (None when unreadable)."""
    data = {k: v for k, v in rec.items() if k in RSVP_FIELDS and v is not None}
    try:
        return Rsvp.model_validate(data)
    except pydantic.ValidationError:
        return None


def checkin_from_record(rec: Mapping[str, Any]) -> CheckIn | None:
    """The domain sign-in of a `checkins` record (None when unreadable)."""
    data = {k: v for k, v in rec.items() if k in CHECKIN_FIELDS and v is not None}
    data.setdefault("person_id", rec.get("user_id") or "")
    try:
        return CheckIn.model_validate(data)
    except pydantic.ValidationError:
        return None


def expected_people(meeting: Meeting, rsvp_people: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Who is expected in person → the attendee (person or unit) they come for.

    Invited persons come themselves unless they sent a delegate; a unit sends the
    people its reply names (代参会).
    """
    out: dict[str, str] = {}
    for a in meeting.attendees:
        named = [str(p) for p in rsvp_people.get(a.id, ()) if p]
        if named:
            for pid in named:
                out.setdefault(pid, a.id)
        elif a.kind == "person":
            out.setdefault(a.id, a.id)
    if meeting.chair_id and meeting.attendee(meeting.chair_id) is None:
        out.setdefault(meeting.chair_id, meeting.chair_id)
    return out


def audience_lists(meeting: Meeting, *, organiser_id: str, rsvp_people: Mapping[str, Iterable[str]],
                   room: Room | None = None) -> dict[str, list[str]]:
    """Who must see the meeting: invited people and units, the chair, the organiser,
    delegates and people a unit named, and the room's managers (approval)."""
    users = {a.id for a in meeting.attendees if a.kind == "person"}
    users.update(str(p) for people in rsvp_people.values() for p in people if p)
    users.update(p for p in (meeting.chair_id, organiser_id) if p)
    roles: list[str] = []
    if room is not None:
        users.update(room.manager_ids)
        if room.needs_approval and not room.manager_ids:
            roles = ["meeting_admin"]
    return {
        "audience_users": sorted(users),
        "audience_units": sorted({a.id for a in meeting.attendees if a.kind == "unit"}),
        "audience_roles": roles,
    }
