"""iCalendar export and import: round trips read back by `icalendar`, real-world files, corrupt files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil import rrule as du

from oa_client.domain.meetings import (
    TZ,
    Attendee,
    Material,
    Meeting,
    Recurrence,
    Room,
    cancel_meeting,
    parse_meeting,
    revise,
)
from oa_client.domain.meetings_recurrence import (
    cancel_occurrence,
    expand,
    move_occurrence,
    series_starts,
)
from oa_client.errors import ValidationError
from oa_client.services.ical import (
    apply_invitation,
    export_calendar,
    export_meeting,
    export_occurrence_cancellation,
    import_calendar,
    import_invitation,
    meeting_uid,
)

STAMP = datetime(2025, 9, 20, 1, 0, tzinfo=ZoneInfo("UTC"))
ROOMS = {"r1": Room(id="r1", name="第一会议室", building="行政楼", floor="2楼", capacity=30)}


def full_meeting() -> Meeting:
    start = datetime(2025, 9, 1, 9, 0, tzinfo=TZ)
    m = Meeting(
        subject="局长办公会; 第3次, 议事", starts_at=start, ends_at=start + timedelta(minutes=90),
        room_id="r1", online_link="https://meeting.example.gov.cn/j/123",
        host_unit_id="u-office", host_unit_name="市政府办公室", chair_id="lead", chair_name="王局长",
        organiser_id="sec", organiser_name="秘书科 刘", organiser_email="liu@example.gov.cn",
        agenda=("研究国庆节期间安全工作, 含值班", "审议预算调整方案"),
        description="请各单位主要负责同志参加。\n材料会前阅读。",
        attendees=(
            Attendee(id="p1", name="张三", email="zhang@example.gov.cn"),
            Attendee(id="p2", name="李四", required=False),
            Attendee(id="p3", name="赵六", role="observer"),
            Attendee(kind="unit", id="u-fin", name="财政局", seats=2),
        ),
        materials=(Material(name="预算调整方案.pdf", sha256="ab" * 32, size=2048),),
        reply_deadline=start - timedelta(days=1),
        recurrence=Recurrence(freq="weekly", count=6),
    )
    m = cancel_occurrence(m, original_start=datetime(2025, 9, 29, 9, 0, tzinfo=TZ))
    return move_occurrence(m, original_start=datetime(2025, 9, 15, 9, 0, tzinfo=TZ),
                           starts_at=datetime(2025, 9, 16, 14, 30, tzinfo=TZ),
                           ends_at=datetime(2025, 9, 16, 16, 0, tzinfo=TZ), room_id="r2")


def test_round_trip_keeps_every_field() -> None:
    m = full_meeting()
    back = import_invitation(export_meeting(m, rooms=ROOMS, now=STAMP))
    assert back.model_dump() == m.model_dump()


def test_export_read_back_by_icalendar() -> None:
    m = full_meeting()
    cal = icalendar.Calendar.from_ical(export_meeting(m, rooms=ROOMS, now=STAMP))
    assert str(cal["method"]) == "REQUEST"
    assert cal.walk("VTIMEZONE")[0]["tzid"] == "Asia/Shanghai"
    master, moved = cal.walk("VEVENT")
    assert str(master["uid"]) == str(moved["uid"]) == meeting_uid(m) == f"{m.id}@zhengwu-oa"
    assert master["sequence"] == m.sequence == 2
    assert master.decoded("dtstart") == m.starts_at
    assert master["rrule"]["FREQ"] == ["WEEKLY"] and master["rrule"]["COUNT"] == [6]
    assert [d.dt for d in master["exdate"].dts] == [datetime(2025, 9, 29, 9, 0, tzinfo=TZ)]
    assert moved.decoded("recurrence-id") == datetime(2025, 9, 15, 9, 0, tzinfo=TZ)
    assert str(master["location"]) == "第一会议室（行政楼 2楼）"
    assert str(master["organizer"]) == "mailto:liu@example.gov.cn"
    # only people with an e-mail address are ATTENDEEs (a cal-address is a URI: mailto); the
    # others ride along as X-OA-ATTENDEE, for this client only
    assert str(master["attendee"]) == "mailto:zhang@example.gov.cn"
    others = master["x-oa-attendee"]
    assert [str(a) for a in others] == ["p2", "p3", "u-fin"]
    assert others[0].params["ROLE"] == "OPT-PARTICIPANT" and others[2].params["CUTYPE"] == "GROUP"
    # the moved sitting's override says who organises and who attends, as RFC 5546 asks
    assert str(moved["organizer"]) == "mailto:liu@example.gov.cn"
    assert str(moved["attendee"]) == "mailto:zhang@example.gov.cn" and moved["sequence"] == 2
    assert "ATTACH" not in master and "urn:" not in export_meeting(m, rooms=ROOMS, now=STAMP).decode()
    assert "研究国庆节期间安全工作" in str(master["description"])
    # dateutil, reading the exported rule, finds the same sittings as our expansion
    rule = du.rrulestr(master["rrule"].to_ical().decode(), dtstart=master.decoded("dtstart"))
    ours = [o.original_start for o in expand(m, window_start=m.starts_at, window_end=m.starts_at + timedelta(days=60))]
    theirs = [d for d in rule if d != datetime(2025, 9, 29, 9, 0, tzinfo=TZ)]
    assert sorted({*ours}) == theirs


def test_uid_is_stable_and_sequence_grows_then_cancel_is_a_cancel() -> None:
    m = full_meeting()
    changed = revise(m, subject="局长办公会（调整）")
    first = icalendar.Calendar.from_ical(export_meeting(m, now=STAMP)).walk("VEVENT")[0]
    second = icalendar.Calendar.from_ical(export_meeting(changed, now=STAMP)).walk("VEVENT")[0]
    assert first["uid"] == second["uid"] and second["sequence"] == first["sequence"] + 1
    gone = cancel_meeting(changed)
    cal = icalendar.Calendar.from_ical(export_meeting(gone, now=STAMP))
    assert str(cal["method"]) == "CANCEL"
    ev = cal.walk("VEVENT")[0]
    assert str(ev["status"]) == "CANCELLED" and ev["sequence"] == gone.sequence == 4
    assert import_invitation(cal.to_ical()).state == "cancelled"
    one = icalendar.Calendar.from_ical(export_occurrence_cancellation(
        m, original_start=datetime(2025, 9, 8, 9, 0, tzinfo=TZ), now=STAMP))
    assert str(one["method"]) == "CANCEL"
    assert one.walk("VEVENT")[0].decoded("recurrence-id") == datetime(2025, 9, 8, 9, 0, tzinfo=TZ)


def test_my_calendar_subscription_holds_every_meeting() -> None:
    start = datetime(2025, 10, 9, 9, 0, tzinfo=TZ)
    meetings = [
        Meeting(subject=f"会议{i}", starts_at=start + timedelta(days=i), ends_at=start + timedelta(days=i, hours=1),
                room_id="r1", attendees=(Attendee(id="p1", name="张三", email="zhang@example.gov.cn"),),
                organiser_id="sec", organiser_name="秘书科 刘", organiser_email="liu@example.gov.cn")
        for i in range(5)
    ]
    meetings.append(full_meeting())
    data = export_calendar(meetings, rooms=ROOMS, now=STAMP)
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["method"]) == "PUBLISH" and str(cal["x-wr-calname"]) == "我的会议"
    assert len(cal.walk("VEVENT")) == 7  # five, a series and its moved sitting
    # a PUBLISH feed names its organiser and no ATTENDEE (RFC 5546 §3.2.1)
    assert all("ATTENDEE" not in ev and str(ev["organizer"]) == "mailto:liu@example.gov.cn"
               for ev in cal.walk("VEVENT"))
    # with an organiser without e-mail, the feed is a plain calendar: no METHOD
    no_mail = export_calendar([meetings[0].model_copy(update={"organiser_email": ""})], now=STAMP)
    assert "METHOD" not in icalendar.Calendar.from_ical(no_mail) and b"ORGANIZER" not in no_mail
    back = import_calendar(data)
    assert [m.model_dump() for m in back] == [m.model_dump() for m in meetings]


def test_all_day_event_round_trip() -> None:
    m = Meeting(subject="全市统计工作培训", starts_at=datetime(2025, 10, 9, tzinfo=TZ),
                ends_at=datetime(2025, 10, 11, tzinfo=TZ), all_day=True, location_text="市委党校",
                attendees=(Attendee(id="p1"),))
    ev = icalendar.Calendar.from_ical(export_meeting(m, now=STAMP)).walk("VEVENT")[0]
    assert ev.decoded("dtstart") == date(2025, 10, 9)
    assert import_invitation(export_meeting(m, now=STAMP)).model_dump() == m.model_dump()


OUTLOOK_LIKE = """BEGIN:VCALENDAR\r
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r
VERSION:2.0\r
METHOD:REQUEST\r
BEGIN:VTIMEZONE\r
TZID:Asia/Shanghai\r
BEGIN:STANDARD\r
DTSTART:16010101T000000\r
TZOFFSETFROM:+0800\r
TZOFFSETTO:+0800\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:040000008200E00074C5B7101A82E008000000001@example.com\r
SEQUENCE:3\r
DTSTAMP:20250920T010000Z\r
DTSTART;TZID=Asia/Shanghai:20251009T143000\r
DTEND;TZID=Asia/Shanghai:20251009T160000\r
SUMMARY:季度经济形势分析会\r
LOCATION:市发改委 5楼会议室\r
DESCRIPTION:请带好材料\\n谢谢\r
ORGANIZER;CN="王 主任":mailto:wang@example.gov.cn\r
ATTENDEE;CN=张三;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:Zhang@Example.gov.cn\r
ATTENDEE;CN=李四;ROLE=OPT-PARTICIPANT:mailto:li@example.gov.cn\r
RRULE:FREQ=WEEKLY;BYDAY=TH;UNTIL=20251231T160000Z;WKST=MO\r
EXDATE:20251016T063000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_import_a_real_world_invitation_with_tzid_utc_exdate_and_rrule() -> None:
    m = import_invitation(OUTLOOK_LIKE)
    assert m.subject == "季度经济形势分析会" and m.sequence == 3
    assert m.starts_at == datetime(2025, 10, 9, 14, 30, tzinfo=TZ) and m.duration == timedelta(minutes=90)
    assert m.location_text == "市发改委 5楼会议室" and m.room_id is None
    assert m.description == "请带好材料\n谢谢"
    assert m.organiser_name == "王 主任" and m.organiser_email == "wang@example.gov.cn"
    assert [(a.id, a.required) for a in m.attendees] == [("zhang@example.gov.cn", True), ("li@example.gov.cn", False)]
    assert m.ical_uid == "040000008200E00074C5B7101A82E008000000001@example.com"
    assert m.id == import_invitation(OUTLOOK_LIKE).id  # importing again finds the same meeting
    occ = expand(m, window_start=m.starts_at, window_end=datetime(2026, 1, 1, tzinfo=TZ))
    assert [o.starts_at.day for o in occ[:3]] == [9, 23, 30]  # 10-16 excluded (given in UTC)
    assert occ[-1].starts_at == datetime(2025, 12, 25, 14, 30, tzinfo=TZ)


def test_daylight_saving_zone_and_utc_and_floating_times() -> None:
    ny = """BEGIN:VCALENDAR\r
VERSION:2.0\r
BEGIN:VEVENT\r
UID:dst-1@example.org\r
DTSTART;TZID=America/New_York:20251020T090000\r
DURATION:PT1H\r
RRULE:FREQ=WEEKLY;COUNT=4\r
SUMMARY:Video call with partners\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:utc-1@example.org\r
DTSTART:20251009T010000Z\r
DTEND:20251009T020000Z\r
SUMMARY:UTC\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:floating-1@example.org\r
DTSTART:20251009T090000\r
SUMMARY:Floating\r
END:VEVENT\r
END:VCALENDAR\r
"""
    series, utc, floating = import_calendar(ny)
    assert series.timezone == "America/New_York"
    beijing = [s.astimezone(TZ).hour for s in series_starts(series)]
    assert beijing == [21, 21, 22, 22]  # 09:00 in New York, before and after DST ends
    theirs = list(du.rrule(du.WEEKLY, count=4, dtstart=datetime(2025, 10, 20, 9, tzinfo=ZoneInfo("America/New_York"))))
    assert list(series_starts(series)) == theirs
    assert utc.starts_at == datetime(2025, 10, 9, 9, 0, tzinfo=TZ)
    assert floating.starts_at == datetime(2025, 10, 9, 9, 0, tzinfo=TZ)  # floating = Beijing time
    assert floating.duration == timedelta(hours=1)


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a calendar",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:cut off",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2025XX\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:no start\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20251009T090000\r\nDTEND:20251009T080000\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20251009T090000\r\nRRULE:FREQ=YEARLY\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n",
        b"\xff\xfe\x00garbage\x00",
    ],
    ids=["text", "truncated", "bad-date", "no-start", "no-event", "end-before-start", "yearly", "binary"],
)
def test_a_corrupt_or_unsupported_file_is_a_clear_validation_error(data: bytes) -> None:
    with pytest.raises(ValidationError) as err:
        import_calendar(data)
    assert err.value.field == "ics"
    assert err.value.message and "Traceback" not in err.value.message


def test_a_time_zone_no_one_has_is_refused_in_a_notice_and_ignored_in_a_file() -> None:
    """The series repeats on its zone's wall clock: a notice naming a zone that does not exist
    is a ValidationError naming the field (the server's push of one was a 500); a file naming
    one (X-OA-TIMEZONE) is read in the zone of its times instead."""
    start = datetime(2025, 10, 9, 9, 0, tzinfo=TZ)
    for zone in ("text", "", "../etc/passwd", "Asia/Nowhere"):
        with pytest.raises(ValidationError) as err:
            parse_meeting({"subject": "周例会", "starts_at": start.isoformat(),
                           "ends_at": (start + timedelta(hours=1)).isoformat(), "timezone": zone})
        assert err.value.field == "timezone", zone
    data = export_meeting(Meeting(subject="周例会", starts_at=start, ends_at=start + timedelta(hours=1),
                                  recurrence=Recurrence(freq="weekly", count=3)), now=STAMP)
    forged = data.replace(b"END:VEVENT", b"X-OA-TIMEZONE:text\r\nEND:VEVENT", 1)
    assert forged != data
    m = import_invitation(forged)
    assert m.timezone == "Asia/Shanghai" and m.starts_at == start
    assert len(expand(m, window_start=start, window_end=start + timedelta(days=30))) == 3


def test_replies_become_partstat() -> None:
    from oa_client.domain.meetings import make_rsvp

    m = full_meeting()
    now = datetime(2025, 8, 30, 9, 0, tzinfo=TZ)
    rsvps = [make_rsvp(meeting=m, attendee_id="p1", answer="attend", now=now),
             make_rsvp(meeting=m, attendee_id="u-fin", answer="delegate", delegate_id="d7", now=now)]
    ev = icalendar.Calendar.from_ical(export_meeting(m, rsvps=rsvps, now=STAMP)).walk("VEVENT")[0]
    params = [ev["attendee"].params, *(a.params for a in ev["x-oa-attendee"])]
    assert params[0]["PARTSTAT"] == "ACCEPTED" and params[1]["PARTSTAT"] == "NEEDS-ACTION"
    assert params[3]["PARTSTAT"] == "DELEGATED" and "DELEGATED-TO" not in params[3]  # d7 has no address


def test_apply_updates_and_cancellations_to_the_meeting_we_hold() -> None:
    m = full_meeting()
    held = import_invitation(export_meeting(m, now=STAMP))
    later = revise(m, subject="局长办公会（改期）", starts_at=m.starts_at + timedelta(hours=1),
                   ends_at=m.ends_at + timedelta(hours=1))
    updated = apply_invitation(held, export_meeting(later, now=STAMP))
    assert updated.subject == "局长办公会（改期）" and updated.sequence == later.sequence and updated.id == held.id
    assert apply_invitation(updated, export_meeting(m, now=STAMP)) == updated  # an older copy changes nothing
    one = export_occurrence_cancellation(later, original_start=datetime(2025, 9, 8, 10, 0, tzinfo=TZ), now=STAMP)
    after = apply_invitation(updated, one)
    window = {"window_start": after.starts_at, "window_end": after.starts_at + timedelta(days=60)}
    assert datetime(2025, 9, 8, 10, 0, tzinfo=TZ) not in [o.starts_at for o in expand(after, **window)]
    assert len(expand(after, **window)) == len(expand(updated, **window)) - 1
    # the lone cancelled sitting, imported without its series, never takes the series' id
    (alone,) = import_calendar(one)
    assert alone.id != m.id and alone.ical_uid == meeting_uid(m)
    other = Meeting(subject="别的会", starts_at=m.starts_at, ends_at=m.ends_at, attendees=m.attendees)
    with pytest.raises(ValidationError, match="没有这次会议"):
        apply_invitation(other, one)


def test_monthly_every_monday_and_unsupported_setpos() -> None:
    every_monday = (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:m@x\r\nDTSTART;TZID=Asia/Shanghai:20251006T090000\r\n"
                    b"DTEND;TZID=Asia/Shanghai:20251006T100000\r\nRRULE:FREQ=MONTHLY;BYDAY=MO;COUNT=9\r\n"
                    b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    m = import_invitation(every_monday)
    theirs = list(du.rrule(du.MONTHLY, byweekday=du.MO, count=9, dtstart=m.starts_at))
    assert list(series_starts(m)) == theirs
    last_workday = every_monday.replace(b"BYDAY=MO;COUNT=9", b"BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")
    with pytest.raises(ValidationError, match="重复规则"):
        import_invitation(last_workday)


def test_a_series_in_a_daylight_saving_zone_round_trips() -> None:
    ny = ZoneInfo("America/New_York")
    start = datetime(2025, 10, 20, 9, 0, tzinfo=ny)
    m = Meeting(subject="中美视频会商", starts_at=start.astimezone(TZ), ends_at=(start + timedelta(hours=1)).astimezone(TZ),
                timezone="America/New_York", online_link="https://meeting.example/ny",
                attendees=(Attendee(id="p1"),), recurrence=Recurrence(freq="weekly", count=4))
    data = export_meeting(m, now=STAMP)
    cal = icalendar.Calendar.from_ical(data)
    assert {str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")} == {"America/New_York"}
    back = import_invitation(data)
    assert back.model_dump() == m.model_dump()
    assert [s.astimezone(ny).hour for s in series_starts(back)] == [9, 9, 9, 9]


WRITERS = {
    "request": lambda: export_meeting(full_meeting(), rooms=ROOMS, now=STAMP),
    "cancel": lambda: export_meeting(cancel_meeting(full_meeting()), rooms=ROOMS, now=STAMP),
    "one-sitting-cancel": lambda: export_occurrence_cancellation(
        full_meeting(), original_start=datetime(2025, 9, 8, 9, 0, tzinfo=TZ), now=STAMP),
    "publish": lambda: export_calendar([full_meeting()], rooms=ROOMS, now=STAMP),
    "nobody-has-mail": lambda: export_meeting(full_meeting().model_copy(update={
        "organiser_email": "", "attendees": tuple(a.model_copy(update={"email": ""})
                                                  for a in full_meeting().attendees)}), now=STAMP),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_ics_we_write_parses_with_vobject_and_names_who_rfc_5546_asks_for(writer: str) -> None:
    import vobject

    text = WRITERS[writer]().decode("utf-8")
    assert "urn:" not in text and "\nATTACH" not in text  # no made-up addresses or links
    [cal] = list(vobject.readComponents(text))
    method = cal.method.value if hasattr(cal, "method") else None
    assert method == {"request": "REQUEST", "cancel": "CANCEL", "one-sitting-cancel": "CANCEL",
                      "publish": "PUBLISH", "nobody-has-mail": None}[writer]
    events = cal.vevent_list
    assert len(events) == (1 if writer == "one-sitting-cancel" else 2)  # a series and its moved sitting
    for ev in events:
        assert ev.uid.value and ev.dtstamp.value and ev.dtstart.value
        organizer = ev.contents.get("organizer", [])
        attendees = ev.contents.get("attendee", [])
        if method in ("REQUEST", "CANCEL"):  # RFC 5546 §3.2.2, §3.2.5: every VEVENT
            assert [o.value for o in organizer] == ["mailto:liu@example.gov.cn"]
            assert [a.value for a in attendees] == ["mailto:zhang@example.gov.cn"]
            assert attendees[0].params["CN"] == ["张三"] and "PARTSTAT" in attendees[0].params
            assert int(ev.sequence.value) == (3 if writer == "cancel" else 2)
        elif method == "PUBLISH":  # §3.2.1: the organiser, no attendees
            assert [o.value for o in organizer] == ["mailto:liu@example.gov.cn"] and attendees == []
        else:  # no addresses at all: a plain calendar, no iTIP method, no ORGANIZER/ATTENDEE
            assert organizer == [] and attendees == []
    overrides = [ev for ev in events if "recurrence-id" in ev.contents]
    if writer in ("request", "cancel", "publish"):  # the moved sitting
        assert [o.recurrence_id.value.replace(tzinfo=None) for o in overrides] == [datetime(2025, 9, 15, 9, 0)]
    if writer == "one-sitting-cancel":
        assert overrides[0].recurrence_id.value.replace(tzinfo=None) == datetime(2025, 9, 8, 9, 0)
        assert overrides[0].status.value == "CANCELLED"


def test_people_without_mail_still_round_trip_through_this_client() -> None:
    m = full_meeting().model_copy(update={"organiser_email": "", "attendees": tuple(
        a.model_copy(update={"email": ""}) for a in full_meeting().attendees)})
    data = export_meeting(m, rooms=ROOMS, now=STAMP)
    assert b"ORGANIZER" not in data and b"\nATTENDEE" not in data
    assert import_invitation(data).model_dump() == m.model_dump()
