"""Meetings (办会) on the desk: book, send notices, reply, sign in, calendars — all offline.

A booking is checked here against the meetings this desk holds and saved as
tentative (待确认); the server (the authority) checks it against everyone's and
confirms it, or refuses it with free rooms and times (the refusal is kept as a
conflict row). Replies and sign-ins are records of their own; the server folds
them into the meeting. Calendar queries expand series into sittings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from oa_client.domain.meetings import (
    TZ,
    Material,
    Meeting,
    Room,
    cancel_meeting,
    revise,
)
from oa_client.domain.meetings_check import validate_meeting
from oa_client.domain.meetings_conflicts import check_booking, meeting_window, raise_for_conflicts
from oa_client.domain.meetings_records import (
    audience_lists,
    meeting_from_record,
    meeting_record,
    rooms_by_id,
    utc_text,
)
from oa_client.domain.meetings_recurrence import (
    Occurrence,
    cancel_occurrence,
    expand,
    move_occurrence,
    split_series,
)
from oa_client.errors import PermissionDenied, ValidationError
from oa_client.i18n import _
from oa_client.services import records as rec_svc
from oa_client.services.meetings_replies import (
    Expected,
    ReplyRow,
    checkins,
    expected_list,
    fetch_checkin_code,
    get_meeting,
    get_meeting_record,
    parse_checkin_qr,
    replies,
    reply,
    reply_id,
    reply_table,
    sign_in,
)
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

SCAN = 20_000  # meetings looked at for one calendar window


# ---------------------------------------------------------------- reading


def rooms(store: LocalStore) -> dict[str, Room]:
    """Usable rooms on this desk, by id."""
    return rooms_by_id(store.records.list("rooms", limit=1000, order_by="name"))


def room_records(store: LocalStore) -> list[dict[str, Any]]:
    """Every room record (for the 会议管理员's room list), by name."""
    return store.records.list("rooms", limit=1000, order_by="name")


def _window_ids(store: LocalStore, start: datetime, end: datetime, *, room_id: str | None = None
                ) -> list[str]:
    sql = ("SELECT id FROM meetings WHERE deleted = 0 AND starts_at < ?"
           " AND (ends_at > ? OR instr(data, '\"freq\"') > 0 OR instr(data, '\"original_start\"') > 0)")
    params: list[Any] = [utc_text(end), utc_text(start)]
    if room_id is not None:
        sql += " AND room_id = ?"
        params.append(room_id)
    sql += " ORDER BY starts_at LIMIT ?"
    params.append(SCAN)
    return [r[0] for r in store.db.query(sql, tuple(params))]


def meetings_between(store: LocalStore, start: datetime, end: datetime, *,
                     room_id: str | None = None) -> list[dict[str, Any]]:
    """Meeting records that may have a sitting in [start, end) (series included)."""
    ids = _window_ids(store, start, end, room_id=room_id)
    found = store.records.get_many("meetings", ids)
    return [found[i] for i in ids if i in found]


@dataclass(frozen=True)
class Sitting:
    """One sitting of a meeting in a calendar view."""

    meeting_id: str
    subject: str
    starts_at: datetime
    ends_at: datetime
    original_start: datetime
    room_id: str | None
    room_name: str
    state: str  # scheduled / cancelled
    booking_state: str  # tentative (待确认) / confirmed / pending_approval / refused
    organiser_id: str
    recurring: bool
    moved: bool
    mine: bool  # invited, organising, chairing or delegated

    @property
    def status_label(self) -> str:
        """已取消 / 待确认 / 待审批 / 未获批准 / 已确认, in the current language."""
        if self.state == "cancelled":
            return _("已取消")
        return {
            "tentative": _("待确认"), "pending_approval": _("待审批"), "refused": _("未获批准"),
        }.get(self.booking_state, _("已确认"))


def _is_mine(rec: Mapping[str, Any], user_id: str, unit_id: str) -> bool:
    if user_id and (rec.get("organiser_id") == user_id or rec.get("chair_id") == user_id
                    or user_id in (rec.get("audience_users") or [])):
        return True
    return bool(unit_id and unit_id in (rec.get("audience_units") or []))


def sittings(records: Iterable[Mapping[str, Any]], start: datetime, end: datetime, *,
             user_id: str = "", unit_id: str = "", room_names: Mapping[str, str] | None = None
             ) -> list[Sitting]:
    """Every sitting of the records inside [start, end), in time order (bad records skipped)."""
    out: list[Sitting] = []
    names = room_names or {}
    for rec in records:
        try:
            meeting = meeting_from_record(rec)
        except ValidationError:
            continue
        state = str(rec.get("booking_state") or ("tentative" if rec.get("rev", 0) <= 0 else "confirmed"))
        if rec.get("tentative") and int(rec.get("rev") or 0) <= 0:
            state = "tentative"
        mine = _is_mine(rec, user_id, unit_id)
        # a cancelled meeting, and a cancelled sitting of a series, stay on the calendar as 已取消
        scheduled = meeting.model_copy(update={"state": "scheduled"})
        found = [(occ, meeting.state) for occ in expand(scheduled, window_start=start, window_end=end)]
        found += [(Occurrence(meeting.id, e.original_start, e.original_start,
                              e.original_start + meeting.duration, meeting.room_id), "cancelled")
                  for e in meeting.exceptions if e.cancelled and e.original_start < end
                  and e.original_start + meeting.duration > start]
        for occ, sitting_state in found:
            room = occ.room_id or ""
            out.append(Sitting(
                meeting.id, meeting.subject, occ.starts_at, occ.ends_at, occ.original_start,
                occ.room_id, names.get(room) or str(rec.get("room_name") or meeting.location_text or ""),
                sitting_state, state, str(rec.get("organiser_id") or ""),
                meeting.recurrence is not None, occ.moved, mine))
    out.sort(key=lambda s: (s.starts_at, s.subject))
    return out


def day_bounds(day: date, days: int = 1) -> tuple[datetime, datetime]:
    """[00:00 of day, 00:00 of day+days) in Beijing time."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=TZ)
    return start, start + timedelta(days=days)


def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def calendar(store: LocalStore, *, view: str, day: date, user_id: str = "", unit_id: str = "",
             room_id: str | None = None, only_mine: bool = True) -> list[Sitting]:
    """My sittings (or a room's bookings) for the day, week or month holding `day`."""
    if view == "day":
        start, end = day_bounds(day)
    elif view == "week":
        start, end = day_bounds(week_start(day), 7)
    elif view == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        start, end = day_bounds(week_start(first), (week_start(nxt) - week_start(first)).days + 7)
    else:
        raise ValidationError(_("未知的日历视图：{view}").format(view=view), field="view")
    names = {rid: r.name for rid, r in rooms(store).items()}
    found = sittings(meetings_between(store, start, end, room_id=room_id), start, end,
                     user_id=user_id, unit_id=unit_id, room_names=names)
    if room_id is None and only_mine:
        found = [s for s in found if s.mine]
    return found


# ---------------------------------------------------------------- booking


def _local_check(store: LocalStore, meeting: Meeting, *, now: datetime, room_map: dict[str, Room],
                 check_time: bool, known_ids: set[str] | None = None,
                 instead: Meeting | None = None) -> list[str]:
    """Validate and conflict-check on this desk; raise on the first blocking problem."""
    room = room_map.get(meeting.room_id or "")
    if meeting.room_id and room is None:
        raise ValidationError(_("会议室不存在或已停用"), field="room_id")
    active = _active_ids(store, meeting, known_ids or set())
    validate_meeting(meeting, now=now if check_time else datetime(1970, 1, 1, tzinfo=UTC),
                     room=room, active_ids=active)
    start, end = meeting_window(meeting)
    existing = [instead] if instead is not None else []  # a series being split: its new head
    for rec in meetings_between(store, start, end):
        if rec["id"] == meeting.id or rec.get("booking_state") == "refused":
            continue
        if instead is not None and rec["id"] == instead.id:
            continue
        try:
            existing.append(meeting_from_record(rec))
        except ValidationError:
            continue
    check = check_booking(meeting=meeting, existing=existing, rooms=room_map, authoritative=False)
    raise_for_conflicts(check)
    return [c.message for c in check.warnings]


def _active_ids(store: LocalStore, meeting: Meeting, known: set[str]) -> set[str]:
    people = [a.id for a in meeting.attendees if a.kind == "person" and a.id not in known]
    units = [a.id for a in meeting.attendees if a.kind == "unit" and a.id not in known]
    users = store.records.get_many("users", people) if people else {}
    found = store.records.get_many("units", units) if units else {}
    active = set(known)
    for pid in people:
        u = users.get(pid)
        # a person the desk does not know yet is left to the server to judge
        if u is None or u.get("active", True) is not False:
            active.add(pid)
    for uid in units:
        u = found.get(uid)
        if u is None or u.get("active", True) is not False:
            active.add(uid)
    return active


@dataclass(frozen=True)
class Booked:
    """A saved booking: its id, attendee clashes to look at, what changed."""

    meeting_id: str
    warnings: tuple[str, ...]
    changes: Changes


def _save(store: LocalStore, meeting: Meeting, *, organiser_id: str, room_map: dict[str, Room],
          current: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None
          ) -> Changes:
    kept = {k: v for k, v in (current or {}).items() if k not in ("deleted", "updated_at")}
    rec = {**kept, **meeting_record(meeting)}
    rec.update(extra or {})
    rec["organiser_id"] = organiser_id
    rec["tentative"] = True  # until the server answers: 待确认
    rec["booking_state"] = "tentative"
    rec["room_name"] = room_map[meeting.room_id].name if meeting.room_id in room_map else ""
    rec.update(audience_lists(meeting, organiser_id=organiser_id,
                              rsvp_people=kept.get("rsvp_people") or {},
                              room=room_map.get(meeting.room_id or "")))
    rsvp = dict(kept.get("rsvp") or {})
    for a in meeting.attendees:
        rsvp.setdefault(a.id, "pending")
    rec["rsvp"] = rsvp
    return rec_svc.save(store, "meetings", rec)


def book(store: LocalStore, *, meeting: Meeting, user_id: str, user_name: str = "",
         now: datetime | None = None, files: Sequence[tuple[str, bytes]] = ()) -> Booked:
    """Book a room and send the notice with its materials (offline: tentative until the
    server confirms)."""
    room_map = rooms(store)
    listed = tuple(Material(name=n, sha256=hashlib.sha256(d).hexdigest(), size=len(d)) for n, d in files)
    meeting = meeting.model_copy(update={"organiser_id": user_id,
                                         "organiser_name": user_name or meeting.organiser_name,
                                         "tentative": True, "materials": (*meeting.materials, *listed)})
    warnings = _local_check(store, meeting, now=rec_svc.now_or(now), room_map=room_map, check_time=True)
    changes = _save(store, meeting, organiser_id=user_id, room_map=room_map)
    for name, data in files:
        changes.merge(rec_svc.attach(store, owner_kind="meeting", owner_id=meeting.id, name=name, data=data))
    return Booked(meeting.id, tuple(warnings), changes)


def add_materials(store: LocalStore, *, meeting_id: str, user_id: str,
                  files: Sequence[tuple[str, bytes]]) -> Changes:
    """Add materials (附件) to a meeting I organise; everyone invited gets them on sync."""
    rec, meeting = _mine(store, meeting_id, user_id)
    listed = tuple(Material(name=n, sha256=hashlib.sha256(d).hexdigest(), size=len(d)) for n, d in files)
    changes = _save(store, revise(meeting, materials=(*meeting.materials, *listed)), organiser_id=user_id,
                    room_map=rooms(store), current=rec)
    for name, data in files:
        changes.merge(rec_svc.attach(store, owner_kind="meeting", owner_id=meeting_id, name=name, data=data))
    return changes


def materials(store: LocalStore, meeting_id: str) -> list[dict[str, Any]]:
    """The meeting's material files on this desk: id, name, size, whether the bytes are here."""
    rows = store.db.query("SELECT id, name, size, storage FROM attachments WHERE owner_kind = 'meeting'"
                          " AND owner_id = ? AND deleted = 0 ORDER BY name", (meeting_id,))
    return [{"id": r[0], "name": r[1], "size": int(r[2] or 0), "here": r[3] != "remote"} for r in rows]


def _mine(store: LocalStore, meeting_id: str, user_id: str) -> tuple[dict[str, Any], Meeting]:
    rec = get_meeting_record(store, meeting_id)
    if str(rec.get("organiser_id") or rec.get("created_by") or user_id) != user_id:
        raise PermissionDenied(_("只有会议组织者可以修改会议"))
    return rec, meeting_from_record(rec)


def change(store: LocalStore, *, meeting_id: str, user_id: str, now: datetime | None = None,
           **fields: Any) -> Booked:
    """Change the meeting (time, room, agenda, attendees …); everyone is told."""
    rec, meeting = _mine(store, meeting_id, user_id)
    updated = revise(meeting, **fields)
    room_map = rooms(store)
    check_time = updated.starts_at != meeting.starts_at
    warnings = _local_check(store, updated, now=rec_svc.now_or(now), room_map=room_map, check_time=check_time,
                            known_ids={a.id for a in meeting.attendees})
    return Booked(meeting_id, tuple(warnings), _save(store, updated, organiser_id=user_id,
                                                     room_map=room_map, current=rec))


def cancel(store: LocalStore, *, meeting_id: str, user_id: str, reason: str = "") -> Changes:
    """Cancel the whole meeting (series); the cancellation reaches everyone invited."""
    rec, meeting = _mine(store, meeting_id, user_id)
    return _save(store, cancel_meeting(meeting), organiser_id=user_id, room_map=rooms(store),
                 current=rec, extra={"cancel_reason": reason.strip()})


def cancel_one(store: LocalStore, *, meeting_id: str, user_id: str, original_start: datetime
               ) -> Changes:
    """Cancel one sitting of a series ("this one only")."""
    rec, meeting = _mine(store, meeting_id, user_id)
    return _save(store, cancel_occurrence(meeting, original_start=original_start),
                 organiser_id=user_id, room_map=rooms(store), current=rec)


def move_one(store: LocalStore, *, meeting_id: str, user_id: str, original_start: datetime,
             starts_at: datetime, ends_at: datetime, room_id: str | None = None,
             now: datetime | None = None) -> Booked:
    """Move one sitting of a series to another time or room ("this one only")."""
    rec, meeting = _mine(store, meeting_id, user_id)
    if starts_at < rec_svc.now_or(now):
        raise ValidationError(_("不能把会议改到已经过去的时间"), field="starts_at")
    updated = move_occurrence(meeting, original_start=original_start, starts_at=starts_at,
                              ends_at=ends_at, room_id=room_id)
    room_map = rooms(store)
    warnings = _local_check(store, updated, now=rec_svc.now_or(now), room_map=room_map, check_time=False,
                            known_ids={a.id for a in meeting.attendees})
    return Booked(meeting_id, tuple(warnings), _save(store, updated, organiser_id=user_id,
                                                     room_map=room_map, current=rec))


def change_following(store: LocalStore, *, meeting_id: str, user_id: str, from_start: datetime,
                     now: datetime | None = None, **fields: Any) -> tuple[str, Booked]:
    """Change every sitting from `from_start` on ("all following"): the series is split and
    the new tail carries the change. Returns the tail's id."""
    rec, meeting = _mine(store, meeting_id, user_id)
    head, tail = split_series(meeting, from_start=from_start)
    if fields:
        shift = fields.pop("shift", None)
        data = tail.model_dump()
        if isinstance(shift, timedelta):
            data["starts_at"] = tail.starts_at + shift
            data["ends_at"] = tail.ends_at + shift
        data.update(fields)
        tail = Meeting.model_validate(data)
    room_map = rooms(store)
    warnings = _local_check(store, tail, now=rec_svc.now_or(now), room_map=room_map, check_time=True,
                            known_ids={a.id for a in meeting.attendees}, instead=head)
    changes = _save(store, head, organiser_id=user_id, room_map=room_map, current=rec,
                    extra={"series_next_id": tail.id})
    changes.merge(_save(store, tail, organiser_id=user_id, room_map=room_map,
                        extra={"series_previous_id": meeting.id}))
    return tail.id, Booked(tail.id, tuple(warnings), changes)


def decide_booking(store: LocalStore, *, meeting_id: str, approve: bool, reason: str = "") -> Changes:
    """A room's manager approves or refuses a booking that needs approval."""
    rec = get_meeting_record(store, meeting_id)
    if rec.get("booking_state") != "pending_approval":
        raise ValidationError(_("该会议不在待审批状态"), field="booking_state")
    if not approve and not reason.strip():
        raise ValidationError(_("请填写不同意使用会议室的原因"), field="approval_reason")
    out = {k: v for k, v in rec.items() if k not in ("deleted", "updated_at")}
    out["booking_state"] = "confirmed" if approve else "refused"
    out["approval_reason"] = reason.strip()
    return rec_svc.save(store, "meetings", out)


def chase(store: LocalStore, *, meeting_id: str, user_id: str, now: datetime | None = None
          ) -> list[str]:
    """催: remind everyone who has not answered; returns their ids (shown as urgent to-dos)."""
    rec, _meeting = _mine(store, meeting_id, user_id)
    waiting = [k for k, v in (rec.get("rsvp") or {}).items() if v == "pending"]
    if not waiting:
        raise ValidationError(_("所有参会人员都已回执"), field="rsvp")
    out = {k: v for k, v in rec.items() if k not in ("deleted", "updated_at")}
    out["reminders"] = [*list(rec.get("reminders") or []),
                        {"at": utc_text(rec_svc.now_or(now)), "by": user_id, "to": waiting}][-20:]
    rec_svc.save(store, "meetings", out)
    return waiting


__all__ = [
    "Booked",
    "Expected",
    "ReplyRow",
    "Sitting",
    "add_materials",
    "book",
    "calendar",
    "cancel",
    "cancel_one",
    "change",
    "change_following",
    "chase",
    "checkins",
    "decide_booking",
    "expected_list",
    "fetch_checkin_code",
    "get_meeting",
    "get_meeting_record",
    "materials",
    "meetings_between",
    "move_one",
    "parse_checkin_qr",
    "replies",
    "reply",
    "reply_id",
    "reply_table",
    "room_records",
    "rooms",
    "sign_in",
    "sittings",
    "week_start",
]
