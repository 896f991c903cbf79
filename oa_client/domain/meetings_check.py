"""Checking a meeting notice before it is sent: subject, times, attendees, place, room size,
and that the first sitting fits its repeat rule. The server runs the same check."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from oa_client.domain.calendar_range import LAST_YEAR
from oa_client.domain.meetings import Meeting, Room
from oa_client.domain.meetings_recurrence import is_occurrence
from oa_client.errors import ValidationError
from oa_client.i18n import _

MAX_DURATION = timedelta(hours=24)
MAX_INTERVAL = 366  # every 366 days, weeks or months at most
MAX_COUNT = 1000  # sittings of one series
MAX_SPAN = timedelta(days=7305)  # a series ends within twenty years of its first sitting


def validate_meeting(
    meeting: Meeting,
    *,
    now: datetime,
    room: Room | None = None,
    active_ids: Collection[str] | None = None,
) -> None:
    """Raise a ValidationError (in Chinese, naming the field) for the first broken rule.

    active_ids, when given, are the people and units still in the org chart: an
    attendee outside it has left the unit (or the unit was dissolved).
    """
    if not meeting.subject.strip():
        raise ValidationError(_("请填写会议名称"), field="subject")
    if meeting.ends_at <= meeting.starts_at:
        raise ValidationError(_("结束时间必须晚于开始时间"), field="ends_at")
    if meeting.duration > MAX_DURATION and not meeting.all_day:
        raise ValidationError(_("会议时长不能超过一天，多日会议请分场次安排"), field="ends_at")
    if meeting.starts_at < now:
        raise ValidationError(_("不能安排已经过去的会议"), field="starts_at")
    if meeting.reply_deadline is not None and meeting.reply_deadline > meeting.starts_at:
        raise ValidationError(_("回执截止时间不能晚于会议开始时间"), field="reply_deadline")
    if not meeting.attendees:
        raise ValidationError(_("请至少选择一位参会人员或一个参会单位"), field="attendees")
    if active_ids is not None:
        gone = next((a for a in meeting.attendees if a.id not in active_ids), None)
        if gone is not None:
            raise ValidationError(
                _("参会人员“{name}”已不在本单位，请重新选择").format(name=gone.name or gone.id),
                field="attendees", attendee_id=gone.id,
            )
    if not meeting.room_id and not meeting.online_link and not meeting.location_text.strip():
        raise ValidationError(_("请选择会议室或填写线上会议链接"), field="room_id")
    if meeting.online_link and not meeting.online_link.startswith(("https://", "http://")):
        raise ValidationError(_("线上会议链接应以 https:// 开头"), field="online_link")
    if room is not None and room.id == meeting.room_id and room.capacity < meeting.headcount:
        raise ValidationError(
            _("会议室“{room}”只能容纳{capacity}人，本次会议需要{count}个座位").format(
                room=room.name, capacity=room.capacity, count=meeting.headcount
            ),
            field="room_id",
        )
    check_series(meeting)


def check_series(meeting: Meeting, *, first_fits: bool = True) -> None:
    """The series fits the calendar and, with `first_fits`, its first sitting fits the rule
    (a meeting imported from a calendar file is checked without: RFC 5545 lets its DTSTART
    stand outside the rule); a ValidationError if not."""
    if any(t.year > LAST_YEAR for t in _times(meeting)):
        raise ValidationError(_("会议时间不正确：不能晚于{year}年").format(year=LAST_YEAR),
                              field="starts_at")
    rule = meeting.recurrence
    if rule is None:
        return
    if rule.until is not None and rule.until < meeting.starts_at:
        raise ValidationError(_("重复截止日期不能早于第一次会议"), field="recurrence")
    if any(not 0 <= d <= 6 for d in rule.by_weekday):
        raise ValidationError(_("重复规则中的星期不正确"), field="recurrence")
    if rule.week_of_month not in (None, -1, 1, 2, 3, 4, 5):
        raise ValidationError(_("重复规则中的第几周不正确"), field="recurrence")
    if rule.interval > MAX_INTERVAL:
        raise ValidationError(_("重复间隔不能超过{n}").format(n=MAX_INTERVAL),
                              field="recurrence")
    if rule.count is not None and rule.count > MAX_COUNT:
        raise ValidationError(_("重复次数不能超过{n}次").format(n=MAX_COUNT), field="recurrence")
    if rule.until is not None and rule.until > meeting.starts_at + MAX_SPAN:
        raise ValidationError(_("重复截止日期不能晚于第一次会议后二十年"), field="recurrence")
    if first_fits and not is_occurrence(meeting, meeting.starts_at):
        raise ValidationError(_("第一次会议的日期不符合重复规则"), field="recurrence")


def _times(meeting: Meeting) -> list[datetime]:
    """Every start and end the notice names: the first sitting's and each moved one's."""
    out = [meeting.starts_at, meeting.ends_at]
    for e in meeting.exceptions:
        out += [t for t in (e.starts_at, e.ends_at) if t is not None]
    return out
