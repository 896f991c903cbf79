"""Meetings (办会) as the server rules them: rooms and bookings.

Rooms are written by 会议管理员 only and seen by everyone (oa_server.visibility). A booking is judged
here, under the revision lock, against every other booking: of two secretaries
who booked the same room offline, the first push wins and the second is refused
with the free rooms and times it could take instead (the client keeps it as a
conflict row — nothing is dropped). End before start, longer than a day, in the
past, too many people for the room, a closed room, an attendee who left: each is
refused with a message naming the field. Every change is logged in `changes`
and reaches the audience (people, units, delegates, the room's managers).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from oa_client.domain.meetings import TZ, Meeting, Room
from oa_client.domain.meetings_check import check_series, validate_meeting
from oa_client.domain.meetings_conflicts import (
    Conflict,
    busy_intervals,
    detect_conflicts,
    format_span,
    meeting_window,
    overlaps,
)
from oa_client.domain.meetings_findtime import find_a_time
from oa_client.domain.meetings_records import (
    audience_lists,
    meeting_from_record,
    room_from_record,
    rooms_by_id,
    utc_text,
)
from oa_client.errors import ValidationError
from oa_server.authority import Authority, Ruling, register
from oa_server.authority.content import content_unmoved, stamp_content
from oa_server.authority.context import Ctx
from oa_server.i18n import _
from sync.protocol import Op

MEETING_ADMIN = "meeting_admin"
#: fields only the server writes on a meeting (a client's values are replaced)
SERVER_FIELDS = ("changes", "rsvp", "rsvp_people", "booking_state", "confirmed_at", "warnings",
                 "organiser_id", "organiser_name", "approved_by", "tentative", "rsvp_reset_seq",
                 "approval_reason", "content_version", "content_device")
_PAST = datetime(1970, 1, 1, tzinfo=UTC)
ALTERNATIVES = 3


def is_meeting_admin(ctx: Ctx) -> bool:
    """Whether the asking user holds 会议管理员."""
    return MEETING_ADMIN in set(ctx.user.roles)


def _name(ctx: Ctx, user_id: str) -> str:
    user = ctx.org.user(user_id)
    return str(user.name) if user is not None else user_id


# ---------------------------------------------------------------- rooms


class RoomsAuthority(Authority):
    """Only a unit's 会议管理员 add, edit or remove that unit's rooms; everyone sees them."""

    collection = "rooms"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """A 会议管理员 of the room's unit, managers from that unit, a well-formed room."""
        if not is_meeting_admin(ctx):
            return Ruling.reject("forbidden", _("只有会议管理员可以维护会议室"))
        own_unit = str(ctx.user.unit_id)
        if current is not None and str(current.get("unit_id") or "") != own_unit:
            return Ruling.reject("forbidden", _("只能维护本单位的会议室"))
        if op.kind == "delete":
            return Ruling.accept(payload)
        try:
            room = room_from_record({**payload, "id": op.entity_id})
        except ValidationError as exc:
            return Ruling.reject("validation", exc.message)
        for manager in room.manager_ids:
            person = ctx.org.active_user(manager)
            if person is None or str(person.unit_id) != own_unit:
                return Ruling.reject("validation", _("会议室管理人员必须是本单位在岗人员"))
        for p in room.closed_periods:
            if p.ends_at <= p.starts_at:
                return Ruling.reject("validation", _("停用时段的结束时间必须晚于开始时间"))
        out = dict(payload)
        out["equipment"] = sorted(room.equipment)
        out["manager_ids"] = list(room.manager_ids)
        return Ruling.accept(out)


# ---------------------------------------------------------------- bookings


def _plain(rec: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (rec or {}).items() if k not in ("id", "rev", "created_by")}


FIELD_TEXT = re.compile(r'"(starts_at|ends_at)":"([^"]*)"')
_SKIP = ('"state":"cancelled"', '"booking_state":"refused"', '"source":"ics"')


def existing_meetings(ctx: Ctx, *, exclude: str, window: tuple[datetime, datetime]) -> list[Meeting]:
    """Other live bookings that may overlap the window (cancelled and refused ones left out).

    Asks `meeting_spans` for the meetings near the window, then reads their stored JSON text
    and decodes only the candidates: a single sitting outside the
    window is skipped on its times (stored data is canonical JSON, so the fields are found as
    text); series and moved sittings are always decoded. This batch's own writes are included
    (`Ctx.texts`).
    """
    lo, hi = utc_text(window[0]), utc_text(window[1])
    out = []
    for rid, text in ctx.meetings_near(*window):
        if rid == exclude or any(marker in text for marker in _SKIP):
            continue
        single = '"recurrence":null' in text and '"exceptions":[]' in text
        if single:
            times = dict(FIELD_TEXT.findall(text))
            if times.get("ends_at", "9") <= lo or times.get("starts_at", "") >= hi:
                continue
        try:
            out.append(meeting_from_record({**json.loads(text), "id": rid}))
        except (ValidationError, ValueError):
            continue
    return out


def alternatives(*, meeting: Meeting, conflict: Conflict, rooms: dict[str, Room],
                 existing: list[Meeting], now: datetime) -> str:
    """Free rooms at the refused time, and the next free times of the wanted room."""
    start, end = conflict.starts_at, conflict.ends_at
    day = start.astimezone(TZ).date()
    window = (datetime.combine(day, datetime.min.time(), tzinfo=TZ),
              datetime.combine(day + timedelta(days=7), datetime.min.time(), tzinfo=TZ))
    _people, room_busy = busy_intervals(existing, window_start=window[0], window_end=window[1])
    free_rooms = [
        r for r in sorted(rooms.values(), key=lambda r: (r.capacity, r.name))
        if r.id != conflict.room_id and r.capacity >= meeting.headcount
        and not any(overlaps(start, end, s, e) for s, e in room_busy.get(r.id, ()))
        and not any(overlaps(start, end, p.starts_at, p.ends_at) for p in r.closed_periods)
    ][:ALTERNATIVES]
    parts = []
    if free_rooms:
        parts.append(_("同一时间可改用：{rooms}").format(rooms="、".join(r.name for r in free_rooms)))
    wanted = rooms.get(conflict.room_id or "")
    if wanted is not None:
        slots = find_a_time(duration=end - start, first_day=day, last_day=day + timedelta(days=6),
                            required_busy={}, rooms=[wanted], room_busy=room_busy,
                            headcount=min(meeting.headcount, wanted.capacity), now=now,
                            step=timedelta(minutes=30), limit=40)
        picked: list = []
        for s in slots:  # distinct suggestions, not the same hour shifted by a quarter
            if len(picked) < ALTERNATIVES and all(not overlaps(s.starts_at, s.ends_at, p.starts_at,
                                                               p.ends_at) for p in picked):
                picked.append(s)
        slots = picked
        if slots:
            parts.append(_("“{room}”空闲时间：{times}").format(
                room=wanted.name, times="、".join(format_span(s.starts_at, s.ends_at) for s in slots)))
    if not parts:
        return _("近一周内没有合适的空闲会议室，请调整时间或人数")
    return "；".join(parts)


def _active_ids(ctx: Ctx, meeting: Meeting, current: Meeting | None) -> set[str]:
    known = {a.id for a in current.attendees} if current is not None else set()
    active = set(known)
    for a in meeting.attendees:
        if a.id in known:
            continue
        if a.kind == "person" and ctx.org.active_user(a.id) is not None:
            active.add(a.id)
        if a.kind == "unit":
            unit = ctx.org.unit(a.id)
            if unit is not None and unit.active:
                active.add(a.id)
    return active


def _admin_invited(ctx: Ctx, meeting: Meeting, current: Meeting | None) -> str | None:
    """The name of a person newly invited who is active but holds no business (one of the
    三员, or an account without a business role): they would never see the notice."""
    known = {a.id for a in current.attendees} if current is not None else set()
    for a in meeting.attendees:
        if a.kind != "person" or a.id in known or ctx.org.active_user(a.id) is None:
            continue
        if ctx.org.business_user(a.id) is None:
            return a.name or a.id
    return None


def _day(value: datetime) -> str:
    return value.astimezone(TZ).strftime("%m月%d日 %H:%M")


def change_entries(before: Meeting | None, after: Meeting, before_room: str, after_room: str
                   ) -> list[tuple[str, str]]:
    """What changed, as (kind, summary) lines for the `changes` log and the notice."""
    if before is None:
        return [("created", _("发出会议通知"))]
    out: list[tuple[str, str]] = []
    if after.state == "cancelled" and before.state != "cancelled":
        return [("cancelled", _("会议已取消"))]
    if (before.starts_at, before.ends_at) != (after.starts_at, after.ends_at):
        out.append(("time", _("会议时间由{old}改为{new}").format(
            old=format_span(before.starts_at, before.ends_at),
            new=format_span(after.starts_at, after.ends_at))))
    if before.room_id != after.room_id or before.online_link != after.online_link:
        out.append(("place", _("会议地点由“{old}”改为“{new}”").format(old=before_room or "—",
                                                                  new=after_room or "—")))
    old_exc = {e.original_start: e for e in before.exceptions}
    for e in after.exceptions:
        if old_exc.get(e.original_start) == e:
            continue
        if e.cancelled:
            out.append(("occurrence_cancelled", _("{day}的会议取消（仅此一次）").format(
                day=_day(e.original_start))))
        elif e.starts_at is not None:
            out.append(("occurrence_moved", _("{day}的会议改到{new}（仅此一次）").format(
                day=_day(e.original_start),
                new=format_span(e.starts_at, e.ends_at or e.starts_at + after.duration))))
    if before.recurrence != after.recurrence:
        out.append(("series", _("重复安排有调整")))
    if (before.subject, before.agenda, before.attendees, before.chair_id, before.description,
            before.materials, before.reply_deadline) != (
            after.subject, after.agenda, after.attendees, after.chair_id, after.description,
            after.materials, after.reply_deadline):
        out.append(("content", _("会议内容有更新")))
    return out


class MeetingsAuthority(Authority):
    """Bookings and notices: the rules, the server's conflict check, the change log."""

    collection = "meetings"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Judge a booking, a change, a cancellation or a room manager's approval."""
        organiser = str((current or {}).get("organiser_id") or (current or {}).get("created_by")
                        or ctx.user_id)
        if op.kind == "delete":
            if organiser != ctx.user_id:
                return Ruling.reject("forbidden", _("只有会议组织者可以删除会议"))
            return Ruling.accept(payload)
        rooms = rooms_by_id(ctx.records("rooms"))
        if current is not None and organiser != ctx.user_id:
            return self._approval(ctx, payload, current, rooms)
        try:
            before = meeting_from_record(current) if current is not None else None
            meeting = meeting_from_record({**payload, "id": op.entity_id})
        except ValidationError as exc:
            return Ruling.reject("validation", exc.message)
        if payload.get("source") == "ics":
            try:
                check_series(meeting, first_fits=False)
            except ValidationError as exc:
                return Ruling.reject("validation", exc.message)
            return self._personal(ctx, payload, meeting)
        room = rooms.get(meeting.room_id or "")
        if meeting.room_id and room is None and (before is None or before.room_id != meeting.room_id):
            return Ruling.reject("room_missing", _("会议室不存在或已停用"))
        timing = before is None or (before.starts_at, before.ends_at, before.recurrence) != (
            meeting.starts_at, meeting.ends_at, meeting.recurrence)
        placing = timing or before is None or before.room_id != meeting.room_id or \
            before.exceptions != meeting.exceptions or before.attendees != meeting.attendees or \
            before.state == "cancelled"  # taken up again: its room may be booked meanwhile
        if meeting.state != "cancelled" and (admin := _admin_invited(ctx, meeting, before)):
            return Ruling.reject("validation", _(
                "参会人员须是在岗的业务人员，不能是管理员账号：{name}").format(name=admin))
        if meeting.state != "cancelled":
            try:
                validate_meeting(meeting, now=ctx.now if (before is None or before.starts_at
                                                            != meeting.starts_at) else _PAST,
                                 room=room, active_ids=_active_ids(ctx, meeting, before))
            except ValidationError as exc:
                return Ruling.reject("validation", exc.message)
            old = {e.original_start for e in before.exceptions} if before else set()
            for e in meeting.exceptions:
                if e.starts_at is not None and e.original_start not in old and e.starts_at < ctx.now:
                    return Ruling.reject("validation", _("不能把会议改到已经过去的时间"))
        warnings: list[str] | None = None
        if meeting.state != "cancelled" and placing:
            refused, warnings = self._conflicts(ctx, meeting, rooms)
            if refused is not None:
                return refused
        out = self._stamp(ctx, payload, current, before, meeting, room, rooms, organiser)
        if warnings is not None:
            out["warnings"] = warnings
        return Ruling.accept(out)

    def rebase(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any]) -> bool:
        """A change made before the latest replies (回执) or approval still applies: those move
        only server fields, which `_stamp` keeps. So does one made on the desk whose own
        change is the latest. Another desk's write of the meeting since stays a conflict."""
        return op.kind == "upsert" and content_unmoved(ctx, payload, current)

    def _personal(self, ctx: Ctx, payload: dict[str, Any], meeting: Meeting) -> Ruling:
        """An imported invitation (.ics): a personal calendar entry, seen by its owner only."""
        if meeting.ends_at <= meeting.starts_at:
            return Ruling.reject("validation", _("结束时间必须晚于开始时间"))
        if meeting.room_id:
            return Ruling.reject("validation", _("导入的日程不能占用会议室，请另行预订"))
        out = {k: v for k, v in payload.items() if k not in SERVER_FIELDS}
        out.update(organiser_id=ctx.user_id, organiser_name=_name(ctx, ctx.user_id),
                   booking_state="confirmed", tentative=False, rsvp={},
                   audience_users=[ctx.user_id], audience_units=[], audience_roles=[],
                   title=meeting.subject, starts_at=utc_text(meeting.starts_at),
                   ends_at=utc_text(meeting.ends_at))
        return Ruling.accept(out)

    def _conflicts(self, ctx: Ctx, meeting: Meeting, rooms: dict[str, Room]
                   ) -> tuple[Ruling | None, list[str]]:
        window = meeting_window(meeting)
        existing = existing_meetings(ctx, exclude=meeting.id, window=window)
        found = detect_conflicts(meeting=meeting, existing=existing, rooms=rooms)
        blocking = [c for c in found if c.blocking]
        if not blocking:
            return None, [c.message for c in found][:20]
        first = blocking[0]
        hint = alternatives(meeting=meeting, conflict=first, rooms=rooms, existing=existing,
                            now=ctx.now) if first.kind in ("room_booked", "room_closed") else ""
        message = first.message + ("。" + hint if hint else "")
        code = {"room_booked": "booking_conflict", "room_closed": "room_closed",
                "capacity": "capacity", "room_missing": "room_missing"}[first.kind]
        return Ruling.reject(code, message), []

    def _stamp(self, ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None,
               before: Meeting | None, meeting: Meeting, room: Room | None,
               rooms: dict[str, Room], organiser: str) -> dict[str, Any]:
        out = dict(payload)
        kept = _plain(current)
        for key in SERVER_FIELDS:
            out.pop(key, None)
            if key in kept:
                out[key] = kept[key]
        out["organiser_id"] = organiser
        out["organiser_name"] = _name(ctx, organiser)
        # every write of the organiser's counts; replies and approvals leave it as it is
        stamp_content(ctx, out, kept)
        out["title"] = meeting.subject
        out["starts_at"], out["ends_at"] = utc_text(meeting.starts_at), utc_text(meeting.ends_at)
        out["tentative"] = False
        rsvp = dict(kept.get("rsvp") or {})
        for a in meeting.attendees:
            rsvp.setdefault(a.id, "pending")
        rsvp = {k: v for k, v in rsvp.items() if meeting.attendee(k) is not None}
        room_name = room.name if room else ""
        old_room = rooms.get(before.room_id or "") if before else None
        entries = change_entries(before, meeting, old_room.name if old_room else "", room_name)
        if entries:
            out["sequence"] = max(meeting.sequence, int(kept.get("sequence") or 0) + 1) \
                if before is not None else meeting.sequence
        if any(kind in ("time", "place", "occurrence_moved") for kind, _s in entries):
            rsvp = dict.fromkeys(rsvp, "pending")  # everyone confirms the new time or place
            out["rsvp_reset_seq"] = out.get("sequence", 0)
        out["rsvp"] = rsvp
        out["room_name"] = room_name
        changes = list(kept.get("changes") or [])
        at = utc_text(ctx.now)
        changes += [{"at": at, "by": ctx.user_id, "by_name": _name(ctx, ctx.user_id),
                     "kind": kind, "summary": text, "sequence": out.get("sequence", 0)}
                    for kind, text in entries]
        out["changes"] = changes[-200:]
        state = kept.get("booking_state")
        if room is not None and (before is None or before.room_id != meeting.room_id):
            needs = room.needs_approval and organiser not in room.manager_ids
            state = "pending_approval" if needs else "confirmed"
        out["booking_state"] = state or "confirmed"
        out["confirmed_at"] = kept.get("confirmed_at") or at
        named = {k: v for k, v in (kept.get("rsvp_people") or {}).items() if meeting.attendee(k)}
        out["rsvp_people"] = named  # a removed attendee's people no longer see the meeting
        out.update(audience_lists(meeting, organiser_id=organiser, rsvp_people=named, room=room))
        return out

    def _approval(self, ctx: Ctx, payload: dict[str, Any], current: dict[str, Any],
                  rooms: dict[str, Room]) -> Ruling:
        """A room's manager approves or refuses a booking (nothing else may change)."""
        room = rooms.get(str(current.get("room_id") or ""))
        manager = room is not None and (ctx.user_id in room.manager_ids or (
            not room.manager_ids and is_meeting_admin(ctx)))
        if not manager:
            return Ruling.reject("forbidden", _("只有会议组织者可以修改会议"))
        decision = payload.get("booking_state")
        if decision not in ("confirmed", "refused") or current.get("booking_state") != "pending_approval":
            return Ruling.reject("validation", _("该会议不在待审批状态"))
        out = _plain(current)
        out["booking_state"] = decision
        out["approved_by"] = ctx.user_id
        reason = str(payload.get("approval_reason") or "").strip()
        if decision == "refused" and not reason:
            return Ruling.reject("validation", _("请填写不同意使用会议室的原因"))
        out["approval_reason"] = reason
        text = _("会议室使用申请已同意") if decision == "confirmed" else \
            _("会议室使用申请未同意：{reason}").format(reason=reason)
        out["changes"] = [*list(out.get("changes") or []),
                          {"at": utc_text(ctx.now), "by": ctx.user_id, "by_name": _name(ctx, ctx.user_id),
                           "kind": "approval", "summary": text, "sequence": out.get("sequence", 0)}]
        return Ruling.accept(out)


register(RoomsAuthority())
register(MeetingsAuthority())
