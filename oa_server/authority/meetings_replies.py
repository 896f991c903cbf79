"""Replies (回执) and sign-in (签到) to meetings, as the server rules them.

A reply answers for an invited person (by that person) or an invited unit (by
someone of that unit who sees the invitation — its office and head, see
oa_server.visibility — naming who attends): attend, decline with a reason, or send
a delegate (代参会). The meeting's `rsvp` map, `rsvp_people` and audience follow
every reply, so delegates see the meeting. A sign-in is by the person, with the code of
the room screen's QR code (proof of being in the room), or marked by the organiser; it is
timed by the server's clock (never the client's), so lateness is computed from the
occurrence's start and a sign-in after the meeting ended is refused; a second sign-in is
refused.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from oa_client.domain.meetings import Meeting, check_in, check_unit_people, make_rsvp
from oa_client.domain.meetings_records import (
    RSVP_STATE,
    audience_lists,
    expected_people,
    meeting_from_record,
    parse_time,
    room_from_record,
    utc_text,
)
from oa_client.domain.meetings_recurrence import expand
from oa_client.errors import ValidationError
from oa_server.authority import Authority, Ruling, register
from oa_server.authority.context import Ctx
from oa_server.db import session_keys
from oa_server.i18n import _
from sync.protocol import Op


def checkin_code(secret: str, meeting_id: str, occurrence_start: datetime) -> str:
    """The sign-in code the room screen shows (as a QR code) for one occurrence."""
    msg = f"{meeting_id}|{utc_text(occurrence_start)}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:10]


def _meeting(ctx: Ctx, meeting_id: str) -> tuple[dict[str, Any] | None, Meeting | None]:
    rec = ctx.get("meetings", meeting_id)
    if rec is None:
        return None, None
    try:
        return rec, meeting_from_record(rec)
    except ValidationError:
        return rec, None


def _organiser(rec: dict[str, Any]) -> str:
    return str(rec.get("organiser_id") or rec.get("created_by") or "")


class RepliesAuthority(Authority):
    """回执: who may answer for whom, and what a valid answer is."""

    collection = "meeting_replies"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Answer for myself, or for my unit naming who attends; decline needs a reason."""
        if op.kind == "delete":
            return Ruling.reject("forbidden", _("回执不能删除，可以重新回执"))
        meeting_id = str((current or payload).get("meeting_id") or "")
        rec, meeting = _meeting(ctx, meeting_id)
        if rec is None or meeting is None:
            return Ruling.reject("not_found", _("会议不存在或已删除"))
        attendee_id = str(payload.get("attendee_id") or ctx.user_id)
        if current is not None and str(current.get("attendee_id")) != attendee_id:
            return Ruling.reject("validation", _("回执不能改为他人的回执"))
        attendee = meeting.attendee(attendee_id)
        organiser = _organiser(rec) == ctx.user_id
        if attendee is not None and not organiser:
            mine = attendee.id == ctx.user_id if attendee.kind == "person" else \
                attendee.id == str(ctx.user.unit_id)
            if not mine:
                return Ruling.reject("forbidden", _("只能为本人或本单位填写回执"))
        answer = str(payload.get("answer") or "")
        if answer not in RSVP_STATE:
            return Ruling.reject("validation", _("请选择参会、请假或代参会"))
        try:
            rsvp = make_rsvp(meeting=meeting, attendee_id=attendee_id, answer=answer,  # type: ignore[arg-type]
                             now=ctx.now, reason=str(payload.get("reason") or ""),
                             delegate_id=str(payload.get("delegate_id") or ""),
                             delegate_name=str(payload.get("delegate_name") or ""))
        except ValidationError as exc:
            return Ruling.reject("validation", exc.message)
        people: list[str] = []
        if answer == "delegate" and rsvp.delegate_id:
            delegate = ctx.org.business_user(rsvp.delegate_id)
            if delegate is None:
                return Ruling.reject("validation", _("代参会人员不存在、已停用或是管理员账号"))
            people = [rsvp.delegate_id]
            if not rsvp.delegate_name:
                rsvp = rsvp.model_copy(update={"delegate_name": str(delegate.name)})
        if attendee is not None and attendee.kind == "unit" and answer == "attend":
            def lookup(pid: str) -> tuple[str, str] | None:
                user = ctx.org.business_user(pid)  # the three administrators attend no business
                if user is None:
                    return None
                return str(user.unit_id), str(user.name)

            named = payload.get("attendee_ids") or []
            if not isinstance(named, list):
                return Ruling.reject("validation", _("参会人员名单格式不正确"))
            try:
                people = list(check_unit_people(attendee, named, lookup=lookup))
            except ValidationError as exc:
                return Ruling.reject("validation", exc.message)
        out = dict(payload)
        out.update(rsvp.model_dump(mode="json"))
        out.update(meeting_id=meeting_id, user_id=ctx.user_id, attendee_ids=people,
                   answer_unit_id=str(ctx.user.unit_id), created_at=utc_text(ctx.now),
                   sequence=int(rec.get("sequence") or 0), attendee_kind=attendee.kind if attendee
                   else "person")
        return Ruling.accept(out)

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """The meeting's `rsvp` map, named people and audience follow the reply."""
        rec, meeting = _meeting(ctx, str(payload.get("meeting_id") or ""))
        if rec is None or meeting is None:
            return
        attendee_id = str(payload["attendee_id"])
        data = {k: v for k, v in rec.items() if k not in ("id", "rev", "created_by")}
        rsvp = dict(data.get("rsvp") or {})
        named = dict(data.get("rsvp_people") or {})
        state, people = RSVP_STATE[str(payload["answer"])], list(payload.get("attendee_ids") or [])
        if rsvp.get(attendee_id) == state and list(named.get(attendee_id) or []) == people:
            return  # the same answer again: the meeting (and the organiser's pending edits) stay put
        rsvp[attendee_id], named[attendee_id] = state, people
        data["rsvp"], data["rsvp_people"] = rsvp, named
        room = None
        room_rec = ctx.get("rooms", str(rec.get("room_id") or "")) if rec.get("room_id") else None
        if room_rec is not None:
            try:
                room = room_from_record(room_rec)
            except ValidationError:
                room = None
        data.update(audience_lists(meeting, organiser_id=_organiser(rec), rsvp_people=named,
                                   room=room))
        ctx.put("meetings", str(rec["id"]), data)


def _secret(ctx: Ctx) -> str | None:
    keys = session_keys(ctx.session)
    return keys.checkin_secret if keys is not None else None


class CheckinsAuthority(Authority):
    """签到: once per person and sitting; by the person, or marked by the organiser."""

    collection = "checkins"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """A sign-in in its window (self), by the organiser (marked), never twice."""
        if op.kind != "action" or current is not None:
            return Ruling.reject("forbidden", _("签到记录不能修改或删除"))
        meeting_id = str(payload.get("meeting_id") or "")
        rec, meeting = _meeting(ctx, meeting_id)
        if rec is None or meeting is None:
            return Ruling.reject("not_found", _("会议不存在或已删除"))
        person = str(payload.get("person_id") or payload.get("user_id") or ctx.user_id)
        marked_by = ""
        if person != ctx.user_id:
            if ctx.user_id not in (_organiser(rec), meeting.chair_id):
                return Ruling.reject("forbidden", _("只有会议组织者可以代为签到"))
            if ctx.org.user(person) is None:
                return Ruling.reject("validation", _("签到人员不存在"))
            marked_by = ctx.user_id
        expected = expected_people(meeting, rec.get("rsvp_people") or {})
        unit_ids = {a.id for a in meeting.attendees if a.kind == "unit"}
        user = ctx.org.user(person)
        invited = person in expected or (user is not None and str(user.unit_id) in unit_ids)
        if not invited and not marked_by:
            return Ruling.reject("forbidden", _("您不在本次会议的参会名单中"))
        try:
            occurrence = parse_time(payload.get("occurrence_start") or utc_text(meeting.starts_at),
                                    field="occurrence_start")
        except ValidationError as exc:
            return Ruling.reject("validation", exc.message)
        sittings = expand(meeting, window_start=occurrence - timedelta(days=1),
                          window_end=occurrence + timedelta(days=1))
        sitting = next((o for o in sittings if o.original_start == occurrence
                        or o.starts_at == occurrence), None)
        if sitting is None:
            return Ruling.reject("validation", _("该时间没有这一系列的会议"))
        at = ctx.now  # the server's clock: a client's claimed time is never taken
        shifted = meeting.model_copy(update={"starts_at": sitting.starts_at,
                                             "ends_at": sitting.ends_at})
        try:
            done = check_in(meeting=shifted, person_id=person, at=at, marked_by=marked_by)
        except ValidationError as exc:
            return Ruling.reject("validation", exc.message)
        code = str(payload.get("code") or "")
        if not code and not marked_by:
            return Ruling.reject("code_required", _("签到需要签到码：请扫描会议室屏幕上的二维码，或输入签到码"))
        if code:
            secret = _secret(ctx)
            if secret is None or not hmac.compare_digest(
                    code, checkin_code(secret, meeting.id, sitting.original_start)):
                return Ruling.reject("validation", _("签到码不正确或已过期，请重新扫描会议室屏幕上的二维码"))
        for other in ctx.children("checkins", "meetings", meeting.id):
            if str(other.get("user_id")) == person and \
                    str(other.get("occurrence_start")) == utc_text(sitting.original_start):
                return Ruling.reject("already_signed", _("{name}已经签到").format(
                    name=user.name if user is not None else person))
        out = {k: v for k, v in payload.items() if k != "code"}
        out.update(done.model_dump(mode="json"))
        out.update(meeting_id=meeting.id, user_id=person, at=utc_text(at),
                   occurrence_start=utc_text(sitting.original_start), invited=invited,
                   method="qr" if code else ("organiser" if marked_by else "client"),
                   person_name=user.name if user is not None else person)
        return Ruling.accept(out)


register(RepliesAuthority())
register(CheckinsAuthority())
