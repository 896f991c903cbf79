"""Meetings (办会): rooms, meeting notices, replies (回执) and sign-in (签到) as pure data and rules.

Times are timezone-aware; the house zone is Asia/Shanghai. Recurrence lives in
meetings_recurrence, the checks of a notice before it is sent in meetings_check, booking
conflicts in meetings_conflicts, find-a-time in meetings_findtime. The server runs these
same rules as the authority.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from oa_client.domain.calendar_range import SaneAwareDatetime
from oa_client.domain.ids import new_id
from oa_client.errors import ValidationError
from oa_client.i18n import _

TZ = ZoneInfo("Asia/Shanghai")
CHECK_IN_OPENS = timedelta(hours=1)  # sign-in opens this long before the start


def zone_of(name: object) -> ZoneInfo | None:
    """The IANA time zone of this name (Asia/Shanghai …), None for a name no zone has."""
    if not isinstance(name, str) or not name or len(name) > 64:  # the longest IANA name is 32
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClosedPeriod(_Frozen):
    """A time a room cannot be booked (repairs, reserved), with the reason."""

    starts_at: SaneAwareDatetime
    ends_at: SaneAwareDatetime
    reason: str = ""


class Room(_Frozen):
    """A meeting room: where it is, how many it seats, what it has, who approves it."""

    id: str = Field(default_factory=new_id)
    name: str
    building: str = ""
    floor: str = ""
    capacity: int = Field(ge=1)
    equipment: frozenset[str] = frozenset()  # projector, video, …
    needs_approval: bool = False
    manager_ids: tuple[str, ...] = ()
    closed_periods: tuple[ClosedPeriod, ...] = ()

    @property
    def label(self) -> str:
        """Name with building and floor, as shown in notices."""
        where = " ".join(p for p in (self.building, self.floor) if p)
        return f"{self.name}（{where}）" if where else self.name


class Attendee(_Frozen):
    """Someone invited: a person, or a unit that decides who attends (代参会)."""

    kind: Literal["person", "unit"] = "person"
    id: str
    name: str = ""
    email: str = ""
    required: bool = True
    role: Literal["member", "observer"] = "member"  # 出席 / 列席
    seats: int = Field(default=1, ge=1)  # places a unit may fill


class Material(_Frozen):
    """A meeting material (attachment) by content hash."""

    name: str
    sha256: str = ""
    size: int = 0


class Recurrence(_Frozen):
    """A repeat rule (weekly 办公会 …): daily, weekly on weekdays, or monthly."""

    freq: Literal["daily", "weekly", "monthly"]
    interval: int = Field(default=1, ge=1)
    by_weekday: tuple[int, ...] = ()  # 0 = Monday; weekly, or monthly with week_of_month
    week_of_month: int | None = None  # monthly: 1..5, or -1 for the last
    count: int | None = Field(default=None, ge=1)
    until: SaneAwareDatetime | None = None


class OccurrenceException(_Frozen):
    """One occurrence of a series cancelled or moved ("this one only")."""

    original_start: SaneAwareDatetime
    cancelled: bool = False
    starts_at: SaneAwareDatetime | None = None
    ends_at: SaneAwareDatetime | None = None
    room_id: str | None = None


class Meeting(_Frozen):
    """A meeting notice (会议通知) and its series, as the organiser sends it."""

    id: str = Field(default_factory=new_id)
    subject: str
    starts_at: SaneAwareDatetime
    ends_at: SaneAwareDatetime
    timezone: str = "Asia/Shanghai"  # wall clock the series repeats in
    all_day: bool = False
    room_id: str | None = None
    online_link: str | None = None
    location_text: str = ""  # free text (imported invitations)
    host_unit_id: str = ""
    host_unit_name: str = ""
    chair_id: str = ""  # 主持人
    chair_name: str = ""
    organiser_id: str = ""
    organiser_name: str = ""
    organiser_email: str = ""
    agenda: tuple[str, ...] = ()
    description: str = ""
    attendees: tuple[Attendee, ...] = ()
    materials: tuple[Material, ...] = ()
    reply_deadline: SaneAwareDatetime | None = None
    recurrence: Recurrence | None = None
    exceptions: tuple[OccurrenceException, ...] = ()
    state: Literal["scheduled", "cancelled"] = "scheduled"
    sequence: int = 0
    tentative: bool = False  # booked offline, not yet confirmed by the server
    ical_uid: str | None = None

    @pydantic.field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if zone_of(value) is None:  # the series repeats on its wall clock: it must exist
            raise ValueError("unknown time zone")
        return value

    @property
    def duration(self) -> timedelta:
        """How long each occurrence lasts."""
        return self.ends_at - self.starts_at

    @property
    def headcount(self) -> int:
        """Seats needed: one per person, a unit's seats per unit."""
        return sum(a.seats if a.kind == "unit" else 1 for a in self.attendees)

    def attendee(self, attendee_id: str) -> Attendee | None:
        """The invited person or unit with this id."""
        return next((a for a in self.attendees if a.id == attendee_id), None)


def parse_meeting(data: dict[str, Any]) -> Meeting:
    """Build a Meeting from plain data; a malformed field is a ValidationError naming it."""
    try:
        return Meeting.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise ValidationError(_("会议信息格式不正确：{field}").format(field=where), field=where) from None


def revise(meeting: Meeting, **changes: Any) -> Meeting:
    """The meeting with changes applied and its SEQUENCE bumped (everyone is notified)."""
    data = meeting.model_dump()
    data.update(changes)
    data["sequence"] = meeting.sequence + 1
    return Meeting.model_validate(data)


def cancel_meeting(meeting: Meeting) -> Meeting:
    """The whole meeting (series) cancelled; sent to everyone as a cancellation."""
    if meeting.state == "cancelled":
        raise ValidationError(_("会议已经取消"), field="state")
    return revise(meeting, state="cancelled")


class Rsvp(_Frozen):
    """A reply (回执): attend, decline with a reason, or send a delegate (代参会)."""

    meeting_id: str
    attendee_id: str
    answer: Literal["attend", "decline", "delegate"]
    reason: str = ""
    delegate_id: str = ""
    delegate_name: str = ""
    answered_at: AwareDatetime
    late: bool = False  # answered after the reply deadline


def make_rsvp(
    *,
    meeting: Meeting,
    attendee_id: str,
    answer: Literal["attend", "decline", "delegate"],
    now: datetime,
    reason: str = "",
    delegate_id: str = "",
    delegate_name: str = "",
) -> Rsvp:
    """A checked reply; raises a ValidationError when the reply cannot be accepted."""
    if meeting.state == "cancelled":
        raise ValidationError(_("会议已取消，无需回执"), field="meeting_id")
    if meeting.attendee(attendee_id) is None:
        raise ValidationError(_("您不在本次会议的参会名单中"), field="attendee_id")
    if now >= meeting.starts_at and meeting.recurrence is None:
        raise ValidationError(_("会议已开始，不能再提交回执"), field="answered_at")
    if answer == "decline" and not reason.strip():
        raise ValidationError(_("请填写不能参会的原因"), field="reason")
    if answer == "delegate" and not (delegate_id or delegate_name.strip()):
        raise ValidationError(_("请指定代参会人员"), field="delegate_id")
    late = meeting.reply_deadline is not None and now > meeting.reply_deadline
    return Rsvp(
        meeting_id=meeting.id, attendee_id=attendee_id, answer=answer, reason=reason.strip(),
        delegate_id=delegate_id, delegate_name=delegate_name.strip(), answered_at=now, late=late,
    )


#: an active person's (unit id, name), or None for someone unknown or gone
PersonLookup = Callable[[str], tuple[str, str] | None]


def check_unit_people(attendee: Attendee, people: Iterable[str], *, lookup: PersonLookup
                      ) -> tuple[str, ...]:
    """The people an invited unit's 回执 names, checked: at least one, each an active person of
    that unit, none twice, no more than the unit's seats. Raises a ValidationError naming who."""
    named = [str(p).strip() for p in people if str(p).strip()]
    if not named:
        raise ValidationError(_("请填写本单位参会人员"), field="attendee_ids")
    seen: set[str] = set()
    for pid in named:
        found = lookup(pid)
        if found is None:
            raise ValidationError(_("参会人员不存在或已不在岗：{id}").format(id=pid), field="attendee_ids")
        unit_id, name = found
        if pid in seen:
            raise ValidationError(_("参会人员“{name}”填写了两次").format(name=name), field="attendee_ids")
        seen.add(pid)
        if unit_id != attendee.id:
            raise ValidationError(_("参会人员“{name}”不是本单位在职人员").format(name=name),
                                  field="attendee_ids")
    if len(named) > attendee.seats:
        raise ValidationError(_("参会人数超过本单位名额（{n}人）").format(n=attendee.seats),
                              field="attendee_ids")
    return tuple(named)


def unanswered(meeting: Meeting, rsvps: Iterable[Rsvp]) -> list[Attendee]:
    """Invited people and units who have not replied yet (to chase, 催办)."""
    answered = {r.attendee_id for r in rsvps if r.meeting_id == meeting.id}
    return [a for a in meeting.attendees if a.id not in answered]


class CheckIn(_Frozen):
    """A sign-in (签到): by the person, or marked by the organiser; lateness computed."""

    meeting_id: str
    occurrence_start: SaneAwareDatetime
    person_id: str
    at: AwareDatetime
    marked_by: str = ""  # organiser's id when not self
    late: bool = False
    late_minutes: int = 0


def check_in(
    *,
    meeting: Meeting,
    person_id: str,
    at: datetime,
    occurrence_start: datetime | None = None,
    marked_by: str = "",
    grace: timedelta = timedelta(0),
) -> CheckIn:
    """Sign someone in, from an hour before the start: oneself until the end, someone marked by
    the organiser also afterwards (补记 from the paper list), never days ahead."""
    start = occurrence_start or meeting.starts_at
    end = start + meeting.duration
    if meeting.state == "cancelled":
        raise ValidationError(_("会议已取消，无法签到"), field="meeting_id")
    if at < start - CHECK_IN_OPENS:
        raise ValidationError(_("签到尚未开始（会前一小时开放）"), field="at")
    if not marked_by and at > end:
        raise ValidationError(_("会议已结束，不能签到"), field="at")
    late_by = at - (start + grace)
    late = late_by > timedelta(0)
    return CheckIn(
        meeting_id=meeting.id, occurrence_start=start, person_id=person_id, at=at,
        marked_by=marked_by, late=late, late_minutes=int(late_by.total_seconds() // 60) if late else 0,
    )


class Attendance(_Frozen):
    """Who came, who was late, who is absent, who sent apologies — for the 纪要."""

    present: tuple[str, ...] = ()
    late: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    on_leave: tuple[str, ...] = ()  # declined with a reason (请假)
    observers: tuple[str, ...] = ()  # 列席


def attendance(meeting: Meeting, *, rsvps: Iterable[Rsvp], check_ins: Iterable[CheckIn]) -> Attendance:
    """Attendance of people expected (invited people and named delegates) from replies and sign-in."""
    replies = {r.attendee_id: r for r in rsvps if r.meeting_id == meeting.id}
    signed = {c.person_id: c for c in check_ins if c.meeting_id == meeting.id}
    expected: list[tuple[str, Attendee]] = []
    on_leave: list[str] = []
    for a in meeting.attendees:
        r = replies.get(a.id)
        if r is not None and r.answer == "decline":
            on_leave.append(a.id)
        elif r is not None and r.answer == "delegate" and r.delegate_id:
            expected.append((r.delegate_id, a))
        elif a.kind == "person":
            expected.append((a.id, a))
    present = [pid for pid, _a in expected if pid in signed]
    return Attendance(
        present=tuple(present),
        late=tuple(pid for pid in present if signed[pid].late),
        absent=tuple(pid for pid, _a in expected if pid not in signed),
        on_leave=tuple(on_leave),
        observers=tuple(pid for pid, a in expected if a.role == "observer"),
    )
