"""回执 and 签到 on the desk: replies for me or my unit, sign-in (self, marked, QR code), and
the organiser's reply table. Re-exported by oa_client.services.meetings."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from oa_client.domain.meetings import Meeting, check_in, check_unit_people, make_rsvp
from oa_client.domain.meetings_records import expected_people, meeting_from_record, utc_text
from oa_client.domain.meetings_recurrence import expand
from oa_client.errors import NotFoundError, ValidationError
from oa_client.i18n import _
from oa_client.services import records as rec_svc
from oa_client.services.account import ADMIN_ROLES
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

REPLY_NS = uuid.UUID("6f1c0a52-5a0e-4d2b-9d55-6f7e3c1d9a10")


def get_meeting_record(store: LocalStore, meeting_id: str) -> dict[str, Any]:
    """A live meeting record; NotFoundError when absent."""
    return rec_svc.get_live(store, "meetings", meeting_id, _("会议不存在或已删除"))


def get_meeting(store: LocalStore, meeting_id: str) -> Meeting:
    """The domain meeting of a record on this desk."""
    return meeting_from_record(get_meeting_record(store, meeting_id))


# ---------------------------------------------------------------- replies and sign-in


def _person(store: LocalStore, person_id: str) -> tuple[str, str] | None:
    """(unit id, name) of an active business person in the org cache; None when unknown, gone
    or one of the three administrators."""
    try:
        user = store.records.get("users", person_id)
    except NotFoundError:
        return None
    if user.get("deleted") or user.get("active") is False:
        return None
    if ADMIN_ROLES & set(user.get("roles") or ()):  # the three administrators attend no business
        return None
    return str(user.get("unit_id") or ""), str(user.get("name") or person_id)


def reply_id(meeting_id: str, attendee_id: str) -> str:
    """One reply record per meeting and attendee (answering again updates it)."""
    return str(uuid.uuid5(REPLY_NS, f"{meeting_id}:{attendee_id}"))


def reply(store: LocalStore, *, meeting_id: str, attendee_id: str, user_id: str, answer: str,
          reason: str = "", delegate_id: str = "", delegate_name: str = "",
          attendee_ids: Iterable[str] = (), now: datetime | None = None) -> Changes:
    """回执 for me or my unit: attend (a unit names who), decline with a reason, or delegate."""
    meeting = get_meeting(store, meeting_id)
    if answer not in ("attend", "decline", "delegate"):
        raise ValidationError(_("请选择参会、请假或代参会"), field="answer")
    rsvp = make_rsvp(meeting=meeting, attendee_id=attendee_id, answer=answer,  # type: ignore[arg-type]
                     now=rec_svc.now_or(now), reason=reason, delegate_id=delegate_id,
                     delegate_name=delegate_name)
    attendee = meeting.attendee(attendee_id)
    named = [str(p) for p in attendee_ids if p]
    if attendee is not None and attendee.kind == "unit" and answer == "attend":
        # without an org chart on this desk yet, who is who is left to the server
        known = bool(store.db.query("SELECT 1 FROM users WHERE deleted = 0 LIMIT 1"))
        named = list(check_unit_people(attendee, named, lookup=lambda pid: _person(store, pid) if known
                                       else (attendee.id, pid)))
    if answer == "delegate" and rsvp.delegate_id:
        named = [rsvp.delegate_id]
    rec = {**rsvp.model_dump(mode="json"), "id": reply_id(meeting_id, attendee_id),
           "user_id": user_id, "attendee_ids": named, "created_at": utc_text(rec_svc.now_or(now)),
           "attendee_kind": attendee.kind if attendee else "person"}
    return rec_svc.save(store, "meeting_replies", rec)


def replies(store: LocalStore, meeting_id: str) -> list[dict[str, Any]]:
    """The reply records of a meeting."""
    return store.records.list("meeting_replies", where={"meeting_id": meeting_id}, limit=5000)


def checkins(store: LocalStore, meeting_id: str) -> list[dict[str, Any]]:
    """The sign-in records of a meeting."""
    return store.records.list("checkins", where={"meeting_id": meeting_id}, limit=5000)


def sign_in(store: LocalStore, *, meeting_id: str, user_id: str, person_id: str | None = None,
            occurrence_start: datetime | None = None, code: str = "",
            now: datetime | None = None) -> Changes:
    """签到 (myself, with the room screen's code; or an attendee marked by the organiser); the
    server times it by its own clock and records lateness."""
    meeting = get_meeting(store, meeting_id)
    person = person_id or user_id
    if person == user_id and not code.strip():
        raise ValidationError(_("签到需要签到码：请扫描会议室屏幕上的二维码，或输入签到码"), field="code")
    start = occurrence_start or meeting.starts_at
    for c in checkins(store, meeting_id):
        if c.get("user_id") == person and str(c.get("occurrence_start")) == utc_text(start):
            raise ValidationError(_("已经签到，无需重复签到"), field="person_id")
    shifted = meeting
    for occ in expand(meeting, window_start=start - timedelta(days=1), window_end=start + timedelta(days=1)):
        if occ.original_start == start:
            shifted = meeting.model_copy(update={"starts_at": occ.starts_at, "ends_at": occ.ends_at})
    marked = user_id if person != user_id else ""
    done = check_in(meeting=shifted, person_id=person, at=rec_svc.now_or(now), marked_by=marked)
    rec = {**done.model_dump(mode="json"), "user_id": person, "at": utc_text(done.at),
           "occurrence_start": utc_text(start)}
    if code:
        rec["code"] = code
    return rec_svc.append_event(store, "checkins", rec)


def parse_checkin_qr(text: str) -> tuple[str, datetime, str]:
    """(meeting id, sitting start, code) from the room screen's QR text."""
    parts = text.strip().split(":", 1)
    if len(parts) != 2 or parts[0] != "oa-checkin":
        raise ValidationError(_("这不是会议签到二维码"), field="code")
    meeting_id, _sep, rest = parts[1].partition(":")
    stamp, _sep2, code = rest.rpartition(":")
    try:
        start = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(_("这不是会议签到二维码"), field="code") from None
    if not meeting_id or not code:
        raise ValidationError(_("这不是会议签到二维码"), field="code")
    return meeting_id, start, code


def fetch_checkin_code(transport: Any, *, meeting_id: str, occurrence_start: datetime | None = None
                       ) -> dict[str, Any]:
    """The room screen's sign-in code from the server (online, organiser only)."""
    params = {"occurrence": utc_text(occurrence_start)} if occurrence_start else None
    return dict(transport.request("GET", f"/meetings/{meeting_id}/checkin-code", params=params).json())


# ---------------------------------------------------------------- reply table


@dataclass(frozen=True)
class ReplyRow:
    """One line of the organiser's live reply table."""

    attendee_id: str
    name: str
    kind: str  # person / unit
    answer: str  # attend / decline / delegate / "" (not yet)
    reason: str
    people: tuple[str, ...]  # delegate or the unit's named attendees (names)
    answered_at: str
    late: bool
    stale: bool  # answered before the time or place changed
    chased: int  # times reminded
    signed_in: bool

    @property
    def answer_label(self) -> str:
        """参会 / 请假 / 代参会 / 未回执, in the current language."""
        return {"attend": _("参会"), "decline": _("请假"), "delegate": _("代参会")}.get(
            self.answer, _("未回执"))


def reply_table(store: LocalStore, meeting_id: str, names: Mapping[str, str]) -> list[ReplyRow]:
    """Every invited person or unit with their reply (not answered first)."""
    rec = get_meeting_record(store, meeting_id)
    meeting = meeting_from_record(rec)
    by_attendee = {r.get("attendee_id"): r for r in replies(store, meeting_id)}
    signed = {c.get("user_id") for c in checkins(store, meeting_id)}
    reset = int(rec.get("rsvp_reset_seq") or 0)
    chased: dict[str, int] = {}
    for r in rec.get("reminders") or []:
        for pid in r.get("to") or []:
            chased[pid] = chased.get(pid, 0) + 1
    rows = []
    for a in meeting.attendees:
        r = by_attendee.get(a.id) or {}
        people = tuple(names.get(p, p) for p in (r.get("attendee_ids") or []))
        if r.get("answer") == "delegate" and not people and r.get("delegate_name"):
            people = (str(r["delegate_name"]),)
        seq = int(r.get("sequence") or 0)
        come = set(r.get("attendee_ids") or []) or ({a.id} if a.kind == "person" else set())
        rows.append(ReplyRow(
            a.id, a.name or names.get(a.id, a.id), a.kind, str(r.get("answer") or ""),
            str(r.get("reason") or ""), people, str(r.get("answered_at") or ""), bool(r.get("late")),
            bool(r) and reset > 0 and seq < reset and (rec.get("rsvp") or {}).get(a.id) == "pending",
            chased.get(a.id, 0), bool(come & signed)))
    rows.sort(key=lambda row: (row.answer != "", row.name))
    return rows


@dataclass(frozen=True)
class Expected:
    """One person expected at a meeting (to mark at 签到): who, for whom, signed in yet."""

    person_id: str
    name: str
    attendee_name: str  # the invited person or unit they come for
    signed_in: bool


def expected_list(store: LocalStore, meeting_id: str, names: Mapping[str, str]) -> list[Expected]:
    """Everyone expected in person: invited people (or their delegates) and the people each unit's
    回执 named; those not signed in first."""
    rec = get_meeting_record(store, meeting_id)
    meeting = meeting_from_record(rec)
    named = dict(rec.get("rsvp_people") or {})
    for r in replies(store, meeting_id):  # the latest reply (one saved here, not yet synced, too)
        if r.get("answer") == "decline":
            named.pop(str(r.get("attendee_id")), None)
        elif r.get("attendee_ids"):
            named[str(r.get("attendee_id"))] = list(r["attendee_ids"])
    signed = {c.get("user_id") for c in checkins(store, meeting_id)}
    out = []
    for pid, for_id in expected_people(meeting, named).items():
        a = meeting.attendee(for_id)
        out.append(Expected(pid, names.get(pid, pid), (a.name if a else "") or names.get(for_id, for_id),
                            pid in signed))
    out.sort(key=lambda e: (e.signed_in, e.attendee_name, e.name))
    return out
