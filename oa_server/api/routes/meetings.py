"""Meetings endpoints a client cannot answer from its own records.

- `POST /meetings/freebusy`: busy times of people and rooms for find-a-time (a user
  never holds other people's meetings locally); times only, no subjects.
- `GET /meetings/{id}/checkin-code`: the sign-in code the room screen shows as a QR
  code (the organiser, the chair, or a 会议管理员 of the unit owning the room).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from oa_client.domain.meetings_conflicts import bookings_of
from oa_client.domain.meetings_records import (
    expected_people,
    meeting_from_record,
    parse_time,
    utc_text,
)
from oa_client.errors import NotFoundError, PermissionDenied, ValidationError
from oa_server.api.deps import CurrentUser, NowDep, SessionDep
from oa_server.authority.meetings import FIELD_TEXT, MEETING_ADMIN
from oa_server.authority.meetings_replies import checkin_code
from oa_server.authz import require_business_user
from oa_server.i18n import _
from oa_server.meeting_spans import texts_in_window
from oa_server.models import User
from oa_server.schemas import ErrorOut
from oa_server.sync_models import SyncRecord
from oa_server.visibility import sees_record

router = APIRouter(prefix="/meetings", tags=["meetings"],
                   responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                              404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
MAX_SPAN = timedelta(days=62)
MAX_PEOPLE = 200


class FreeBusyIn(BaseModel):
    """Whose busy times, over which window (at most two months)."""

    model_config = ConfigDict(extra="forbid")

    user_ids: list[str] = Field(default_factory=list, max_length=MAX_PEOPLE)
    room_ids: list[str] | None = None  # None: every room
    start: AwareDatetime
    end: AwareDatetime


class FreeBusyOut(BaseModel):
    """Busy intervals `[start, end]` (UTC ISO) per person and per room."""

    people: dict[str, list[tuple[str, str]]]
    rooms: dict[str, list[tuple[str, str]]]


def may_show_checkin_code(user: User, *, data: dict, created_by: str, chair_id: str | None,
                          session: Session) -> bool:
    """The organiser, the chair, or a 会议管理员 of the unit that owns the meeting's room."""
    uid = str(user.id)
    if uid in (str(data.get("organiser_id") or created_by), chair_id):
        return True
    if MEETING_ADMIN not in set(user.roles) or not data.get("room_id"):
        return False
    room = session.get(SyncRecord, ("rooms", str(data["room_id"])))
    return room is not None and not room.deleted and room.unit_id == str(user.unit_id)


@router.post("/freebusy")
def freebusy(body: FreeBusyIn, user: CurrentUser, session: SessionDep) -> FreeBusyOut:
    """Busy times of the people and rooms asked for, from the live bookings near the window
    (`meeting_spans`: a bounded query; business users only: the three administrators see no
    one's calendar)."""
    require_business_user(user)
    if body.end <= body.start:
        raise ValidationError(_("结束时间必须晚于开始时间"), field="end")
    if body.end - body.start > MAX_SPAN:
        raise ValidationError(_("查询范围不能超过两个月"), field="end")
    wanted_people = set(body.user_ids)
    wanted_rooms = set(body.room_ids) if body.room_ids is not None else None
    people: dict[str, list[tuple[str, str]]] = {p: [] for p in wanted_people}
    rooms: dict[str, list[tuple[str, str]]] = {r: [] for r in wanted_rooms or ()}
    start_text, end_text = utc_text(body.start), utc_text(body.end)
    for rid, text, created_by in texts_in_window(session, body.start, body.end):
        if '"state":"cancelled"' in text or '"booking_state":"refused"' in text:
            continue
        if '"recurrence":null' in text and '"exceptions":[]' in text:  # one sitting: check its times
            times = dict(FIELD_TEXT.findall(text))
            if times.get("ends_at", "9") <= start_text or times.get("starts_at", "") >= end_text:
                continue
        data = json.loads(text)
        try:
            meeting = meeting_from_record({**data, "id": rid})
        except ValidationError:
            continue
        expected = set(expected_people(meeting, data.get("rsvp_people") or {}))
        if data.get("source") == "ics":  # an imported invitation keeps its owner busy
            expected.add(str(data.get("organiser_id") or created_by))
        for b in bookings_of(meeting, window_start=body.start, window_end=body.end):
            span = (utc_text(b.starts_at), utc_text(b.ends_at))
            for pid in (b.person_ids | expected) & wanted_people:
                people[pid].append(span)
            if b.room_id and (wanted_rooms is None or b.room_id in wanted_rooms):
                rooms.setdefault(b.room_id, []).append(span)
    return FreeBusyOut(people={k: sorted(v) for k, v in people.items()},
                       rooms={k: sorted(v) for k, v in rooms.items()})


class CheckinCodeOut(BaseModel):
    """What the room screen shows: the code and the text of its QR code."""

    meeting_id: str
    occurrence_start: str
    code: str
    qr_text: str


@router.get("/{meeting_id}/checkin-code")
def meeting_checkin_code(
    meeting_id: str, request: Request, user: CurrentUser, session: SessionDep, now: NowDep,
    occurrence: Annotated[datetime | None, Query()] = None,
) -> CheckinCodeOut:
    """The sign-in code of one sitting (organiser, chair, or the room's unit's 会议管理员)."""
    rec = session.get(SyncRecord, ("meetings", meeting_id))
    if rec is None or not sees_record(session, user=user, collection="meetings",
                                      record_id=meeting_id):
        raise NotFoundError(_("会议不存在或已删除"))  # a meeting one may not see: as if missing
    data = json.loads(rec.data)
    try:
        meeting = meeting_from_record({**data, "id": rec.id})
    except ValidationError as exc:
        raise NotFoundError(exc.message) from None
    if not may_show_checkin_code(user, data=data, created_by=rec.created_by,
                                 chair_id=meeting.chair_id, session=session):
        raise PermissionDenied(_("只有会议组织者或会议室所属单位的会议管理员可以显示签到二维码"))
    start = parse_time(occurrence, field="occurrence") if occurrence else meeting.starts_at
    code = checkin_code(request.app.state.server_keys.checkin_secret, meeting.id, start)
    session.commit()
    return CheckinCodeOut(meeting_id=meeting.id, occurrence_start=utc_text(start), code=code,
                          qr_text=f"oa-checkin:{meeting.id}:{utc_text(start)}:{code}")
