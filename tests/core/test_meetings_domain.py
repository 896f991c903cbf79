"""Meetings domain: validation, booking conflicts, recurrence with exceptions, find-a-time, replies, sign-in."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as du
from hypothesis import given, settings
from hypothesis import strategies as st

from oa_client import i18n
from oa_client.domain.meetings import (
    TZ,
    Attendee,
    ClosedPeriod,
    Meeting,
    Recurrence,
    Room,
    attendance,
    cancel_meeting,
    check_in,
    make_rsvp,
    parse_meeting,
    revise,
    unanswered,
)
from oa_client.domain.meetings_check import validate_meeting
from oa_client.domain.meetings_conflicts import (
    Booking,
    busy_intervals,
    check_booking,
    detect_conflicts,
    pair_conflicts,
    raise_for_conflicts,
)
from oa_client.domain.meetings_findtime import WorkingHours, find_a_time
from oa_client.domain.meetings_recurrence import (
    cancel_occurrence,
    expand,
    move_occurrence,
    series_starts,
    split_series,
)
from oa_client.domain.workdays import shipped_calendar
from oa_client.errors import ConflictError, ValidationError

NOW = datetime(2025, 9, 22, 8, 0, tzinfo=TZ)
ROOMS = {
    "small": Room(id="small", name="小会议室", building="行政楼", floor="3楼", capacity=6),
    "big": Room(id="big", name="第一会议室", building="行政楼", floor="2楼", capacity=40,
                equipment=frozenset({"projector", "video"})),
    "closed": Room(id="closed", name="报告厅", capacity=200, closed_periods=(
        ClosedPeriod(starts_at=datetime(2025, 9, 29, tzinfo=TZ), ends_at=datetime(2025, 10, 1, tzinfo=TZ),
                     reason="设备检修"),)),
}


def at(day: str, hhmm: str) -> datetime:
    """A Beijing time."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=TZ)


def mk(start: datetime, minutes: int = 60, *, room: str | None = "big", people: tuple[str, ...] = ("p1",),
       **extra: object) -> Meeting:
    return Meeting(
        subject=extra.pop("subject", "局长办公会"), starts_at=start, ends_at=start + timedelta(minutes=minutes),
        room_id=room, attendees=tuple(Attendee(id=p, name=f"人员{p}") for p in people), **extra,
    )


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"ends_at": at("2025-09-29", "08:00")}, "ends_at", "结束时间必须晚于开始时间"),
        ({"starts_at": at("2025-09-20", "09:00"), "ends_at": at("2025-09-20", "10:00")}, "starts_at", "已经过去"),
        ({"reply_deadline": at("2025-09-29", "09:30")}, "reply_deadline", "回执截止时间"),
        ({"attendees": ()}, "attendees", "参会人员"),
        ({"ends_at": at("2025-09-30", "10:00")}, "ends_at", "不能超过一天"),
        ({"subject": "  "}, "subject", "会议名称"),
        ({"room_id": None}, "room_id", "会议室"),
        ({"room_id": None, "online_link": "ftp://x"}, "online_link", "https://"),
        # numbers past what a series can hold (each was a 500 from the server's expansion)
        ({"starts_at": datetime(9999, 12, 31, 9, tzinfo=TZ),
          "ends_at": datetime(9999, 12, 31, 10, tzinfo=TZ)}, "starts_at", "不能晚于2199年"),
        ({"recurrence": Recurrence(freq="daily", interval=10**9)}, "recurrence", "重复间隔不能超过366"),
        ({"recurrence": Recurrence(freq="weekly", interval=2**70)}, "recurrence", "重复间隔"),
        ({"recurrence": Recurrence(freq="daily", count=10**9)}, "recurrence", "不能超过1000次"),
        ({"recurrence": Recurrence(freq="daily", until=datetime(2060, 12, 31, tzinfo=TZ))},
         "recurrence", "二十年"),
        ({"recurrence": Recurrence(freq="monthly", by_weekday=(0,), week_of_month=9)},
         "recurrence", "第几周"),
    ],
)
def test_validation_errors_are_chinese_and_name_the_field(changes: dict, field: str, text: str) -> None:
    m = mk(at("2025-09-29", "09:00")).model_copy(update=changes)
    with pytest.raises(ValidationError) as err:
        validate_meeting(m, now=NOW, room=ROOMS["big"])
    assert err.value.field == field
    assert text in err.value.message


def test_a_room_too_small_is_refused_and_units_count_their_seats() -> None:
    people = tuple(f"p{i}" for i in range(5))
    m = mk(at("2025-09-29", "09:00"), room="small", people=people)
    validate_meeting(m, now=NOW, room=ROOMS["small"])
    m = m.model_copy(update={"attendees": (*m.attendees, Attendee(kind="unit", id="u1", name="财政局", seats=2))})
    assert m.headcount == 7
    with pytest.raises(ValidationError, match="只能容纳6人") as err:
        validate_meeting(m, now=NOW, room=ROOMS["small"])
    assert err.value.field == "room_id"
    try:
        i18n.set_language("en")
        with pytest.raises(ValidationError, match="seats"):
            validate_meeting(m, now=NOW, room=ROOMS["small"])
    finally:
        i18n.set_language("zh_CN")


def test_malformed_data_and_naive_times_are_validation_errors() -> None:
    with pytest.raises(ValidationError) as err:
        parse_meeting({"subject": "x", "starts_at": "2025-09-29T09:00", "ends_at": "2025-09-29T10:00+08:00"})
    assert err.value.field == "starts_at"


def test_revising_bumps_the_sequence_and_cancelling_twice_is_refused() -> None:
    m = mk(at("2025-09-29", "09:00"))
    moved = revise(m, starts_at=at("2025-09-29", "10:00"), ends_at=at("2025-09-29", "11:00"))
    assert moved.sequence == 1 and moved.id == m.id
    gone = cancel_meeting(moved)
    assert gone.state == "cancelled" and gone.sequence == 2
    with pytest.raises(ValidationError):
        cancel_meeting(gone)


# ---------------------------------------------------------------- conflicts


def kinds(conflicts: list) -> list[str]:
    return sorted(c.kind for c in conflicts)


def test_overlap_is_a_conflict_but_back_to_back_is_not() -> None:
    a = mk(at("2025-09-29", "09:00"))
    assert kinds(detect_conflicts(meeting=mk(at("2025-09-29", "09:30")), existing=[a], rooms=ROOMS)) == [
        "attendee_busy", "room_booked"]
    assert detect_conflicts(meeting=mk(at("2025-09-29", "10:00")), existing=[a], rooms=ROOMS) == []
    assert detect_conflicts(meeting=mk(at("2025-09-29", "08:00")), existing=[a], rooms=ROOMS) == []
    other_room = mk(at("2025-09-29", "09:00"), room="small", people=("p2",))
    assert detect_conflicts(meeting=other_room, existing=[a], rooms=ROOMS) == []
    assert detect_conflicts(meeting=mk(at("2025-09-29", "09:00")), existing=[cancel_meeting(a)], rooms=ROOMS) == []


def test_an_attendee_booked_elsewhere_only_warns() -> None:
    a = mk(at("2025-09-29", "09:00"), room="small", people=("p1",))
    b = mk(at("2025-09-29", "09:30"), room="big", people=("p1", "p2"))
    check = check_booking(meeting=b, existing=[a], rooms=ROOMS, authoritative=True)
    assert check.ok and kinds(check.warnings) == ["attendee_busy"]
    assert "人员p1" in check.warnings[0].message and "局长办公会" in check.warnings[0].message


def test_closed_room_capacity_and_unknown_room_block() -> None:
    m = mk(at("2025-09-29", "09:00"), room="closed")
    (c,) = detect_conflicts(meeting=m, existing=[], rooms=ROOMS)
    assert c.kind == "room_closed" and "设备检修" in c.message
    crowd = mk(at("2025-10-09", "09:00"), room="small", people=tuple(f"p{i}" for i in range(8)))
    (c,) = detect_conflicts(meeting=crowd, existing=[], rooms=ROOMS)
    assert c.kind == "capacity" and "只能容纳6人" in c.message
    (c,) = detect_conflicts(meeting=mk(at("2025-10-09", "09:00"), room="gone"), existing=[], rooms=ROOMS)
    assert c.kind == "room_missing"


def test_two_secretaries_booking_offline_one_gets_it_the_other_is_offered_alternatives() -> None:
    first = mk(at("2025-09-29", "09:00"), people=("p1",), subject="党组会")
    second = mk(at("2025-09-29", "09:30"), people=("p2", "p3"), subject="项目调度会")
    # offline each client sees no conflict: both are kept, marked tentative
    offline = [check_booking(meeting=m, existing=[], rooms=ROOMS, authoritative=False) for m in (first, second)]
    assert all(c.ok and c.meeting.tentative for c in offline)
    # the server confirms the first that arrives and refuses the second, naming the clash
    won = check_booking(meeting=offline[0].meeting, existing=[], rooms=ROOMS, authoritative=True)
    assert won.ok and not won.meeting.tentative
    lost = check_booking(meeting=offline[1].meeting, existing=[won.meeting], rooms=ROOMS, authoritative=True)
    with pytest.raises(ConflictError, match="党组会") as err:
        raise_for_conflicts(lost)
    assert err.value.conflicts[0].kind == "room_booked"
    people, rooms = busy_intervals([won.meeting], window_start=at("2025-09-29", "00:00"),
                                   window_end=at("2025-09-30", "00:00"))
    offers = find_a_time(duration=second.duration, first_day=date(2025, 9, 29),
                         required_busy={p: people.get(p, []) for p in ("p2", "p3")},
                         rooms=list(ROOMS.values()), room_busy=rooms, headcount=2, limit=3)
    assert offers and offers[0].starts_at == at("2025-09-29", "08:30") and offers[0].room_id == "small"
    for slot in offers:
        again = second.model_copy(update={"starts_at": slot.starts_at, "ends_at": slot.ends_at,
                                          "room_id": slot.room_id})
        assert check_booking(meeting=again, existing=[won.meeting], rooms=ROOMS, authoritative=True).ok


# ---------------------------------------------------------------- recurrence


def weekly_office_meeting() -> Meeting:
    return mk(at("2025-09-01", "09:00"), 90, subject="每周办公会", recurrence=Recurrence(freq="weekly", count=8))


def test_recurrence_with_a_moved_and_a_cancelled_occurrence() -> None:
    m = weekly_office_meeting()
    m = cancel_occurrence(m, original_start=at("2025-09-29", "09:00"))  # the week before 国庆
    m = move_occurrence(m, original_start=at("2025-09-15", "09:00"), starts_at=at("2025-09-16", "14:30"),
                        ends_at=at("2025-09-16", "16:00"), room_id="small")
    assert m.sequence == 2
    occ = expand(m, window_start=at("2025-09-01", "00:00"), window_end=at("2025-12-31", "00:00"))
    starts = [o.starts_at for o in occ]
    assert len(occ) == 7  # COUNT=8 with one cancelled
    assert at("2025-09-29", "09:00") not in starts
    moved = next(o for o in occ if o.moved)
    assert moved.starts_at == at("2025-09-16", "14:30") and moved.room_id == "small"
    assert moved.original_start == at("2025-09-15", "09:00")
    # the moved occurrence blocks its new slot and frees its old one; the cancelled one frees its slot
    probe = {
        "old": mk(at("2025-09-15", "09:00"), people=("p9",)),
        "new": mk(at("2025-09-16", "15:00"), room="small", people=("p9",)),
        "cancelled": mk(at("2025-09-29", "09:30"), people=("p9",)),
        "kept": mk(at("2025-09-22", "10:00"), people=("p9",)),
    }
    blocked = {k for k, p in probe.items() if detect_conflicts(meeting=p, existing=[m], rooms=ROOMS)}
    assert blocked == {"new", "kept"}
    # and the series checked as a whole against them (symmetric)
    found = detect_conflicts(meeting=m, existing=list(probe.values()), rooms=ROOMS)
    assert {c.other_meeting_id for c in found} == {probe["new"].id, probe["kept"].id}


def test_cancel_or_move_a_time_that_is_not_an_occurrence_is_refused() -> None:
    with pytest.raises(ValidationError):
        cancel_occurrence(weekly_office_meeting(), original_start=at("2025-09-02", "09:00"))


def test_edit_all_following_splits_the_series() -> None:
    m = cancel_occurrence(weekly_office_meeting(), original_start=at("2025-10-13", "09:00"))
    head, tail = split_series(m, from_start=at("2025-09-22", "09:00"))
    window = {"window_start": at("2025-08-01", "00:00"), "window_end": at("2026-01-01", "00:00")}
    assert [o.starts_at.day for o in expand(head, **window)] == [1, 8, 15]
    assert tail.id != m.id and tail.recurrence is not None and tail.recurrence.count == 5
    assert [o.starts_at for o in expand(tail, **window)][:2] == [at("2025-09-22", "09:00"), at("2025-09-29", "09:00")]
    assert len(expand(tail, **window)) == 4  # 10-13 stays cancelled


@pytest.mark.parametrize(
    ("rule", "du_kwargs"),
    [
        (Recurrence(freq="weekly", interval=2, by_weekday=(0, 3), count=10),
         {"freq": du.WEEKLY, "interval": 2, "byweekday": (du.MO, du.TH), "count": 10}),
        (Recurrence(freq="monthly", count=12), {"freq": du.MONTHLY, "count": 12}),
        (Recurrence(freq="monthly", by_weekday=(0,), week_of_month=1, count=6),
         {"freq": du.MONTHLY, "byweekday": du.MO(1), "count": 6}),
        (Recurrence(freq="monthly", by_weekday=(4,), week_of_month=-1, count=6),
         {"freq": du.MONTHLY, "byweekday": du.FR(-1), "count": 6}),
        (Recurrence(freq="daily", interval=3, until=datetime(2025, 11, 1, tzinfo=TZ)),
         {"freq": du.DAILY, "interval": 3, "until": datetime(2025, 11, 1, tzinfo=TZ)}),
    ],
)
def test_expansion_agrees_with_dateutil_rrule(rule: Recurrence, du_kwargs: dict) -> None:
    starts = {
        "monthly": at("2025-01-31", "09:00") if rule.week_of_month is None else None,
    }.get(rule.freq)
    if starts is None:
        starts = at("2025-09-01", "09:00") if rule.week_of_month != -1 else at("2025-09-26", "09:00")
    m = mk(starts, recurrence=rule)
    ours = list(series_starts(m))
    theirs = list(du.rrule(dtstart=starts, **du_kwargs))
    assert ours == theirs


def test_a_series_repeats_on_its_own_wall_clock_across_daylight_saving() -> None:
    ny = ZoneInfo("America/New_York")
    m = mk(datetime(2025, 10, 20, 9, 0, tzinfo=ny), timezone="America/New_York",
           recurrence=Recurrence(freq="weekly", count=4))
    local = [s.astimezone(ny).hour for s in series_starts(m)]
    beijing = [s.astimezone(TZ).hour for s in series_starts(m)]
    assert local == [9, 9, 9, 9]
    assert beijing == [21, 21, 22, 22]  # DST ends on 2025-11-02


def test_an_open_ended_series_needs_a_window() -> None:
    m = mk(at("2025-09-01", "09:00"), recurrence=Recurrence(freq="weekly"))
    with pytest.raises(ValidationError):
        list(series_starts(m))
    assert len(expand(m, window_start=at("2025-09-01", "00:00"), window_end=at("2025-10-01", "00:00"))) == 5
    earlier = at("2025-08-01", "08:00")
    validate_meeting(m, now=earlier, room=ROOMS["big"])
    bad = m.model_copy(update={"recurrence": Recurrence(freq="weekly", by_weekday=(2,))})
    with pytest.raises(ValidationError, match="重复规则"):
        validate_meeting(bad, now=earlier, room=ROOMS["big"])


# ---------------------------------------------------------------- find-a-time


def test_find_a_time_over_a_week_with_lunch_break_and_holiday() -> None:
    cal = shipped_calendar()
    busy = {
        "p1": [(at("2025-09-29", "08:30"), at("2025-09-29", "11:00")),
               (at("2025-09-29", "14:30"), at("2025-09-30", "17:30"))],
        "p2": [(at("2025-09-28", "00:00"), at("2025-09-29", "00:00"))],
    }
    slots = find_a_time(duration=timedelta(hours=2), first_day=date(2025, 9, 27), last_day=date(2025, 10, 12),
                        required_busy=busy, optional_busy={"p3": [(at("2025-10-09", "08:00"), at("2025-10-09", "09:00"))]},
                        rooms=list(ROOMS.values()), headcount=3, is_workday=cal.is_workday, limit=4,
                        step=timedelta(minutes=30))
    # 09-27 Saturday: off; 09-28 the make-up Sunday: p2 busy; 09-29 only 11:00–12:00 free: too short
    # before lunch, afternoon busy; 09-30 busy; 10-01…10-08 holiday; 10-09 from 08:30
    assert [s.starts_at for s in slots] == [at("2025-10-09", h) for h in ("08:30", "09:00", "09:30", "10:00")]
    assert slots[0].optional_busy == ("p3",) and slots[2].optional_busy == ()
    assert all(s.room_id == "small" for s in slots)  # the smallest room that fits
    one_hour = find_a_time(duration=timedelta(hours=1), first_day=date(2025, 9, 29), required_busy=busy,
                           rooms=list(ROOMS.values()), step=timedelta(minutes=30), limit=10)
    assert [s.starts_at for s in one_hour] == [at("2025-09-29", "11:00")]  # never across the lunch break


def test_find_a_time_respects_capacity_equipment_closures_bookings_and_now() -> None:
    rooms = list(ROOMS.values())
    assert find_a_time(duration=timedelta(hours=1), first_day=date(2025, 9, 29), required_busy={},
                       rooms=rooms, headcount=50) == []  # only the hall seats 50, closed that day
    slots = find_a_time(duration=timedelta(hours=1), first_day=date(2025, 9, 29), last_day=date(2025, 10, 12),
                        required_busy={}, rooms=rooms, headcount=50, limit=2)
    assert [(s.starts_at, s.room_id) for s in slots] == [(at("2025-10-01", "08:30"), "closed"),
                                                         (at("2025-10-01", "08:45"), "closed")]
    slots = find_a_time(duration=timedelta(hours=1), first_day=date(2025, 9, 29), last_day=date(2025, 10, 12),
                        required_busy={}, rooms=rooms, headcount=50, limit=1,
                        is_workday=shipped_calendar().is_workday)
    assert slots[0].starts_at == at("2025-10-09", "08:30")  # the holiday week is skipped
    slots = find_a_time(duration=timedelta(hours=1), first_day=date(2025, 9, 29), required_busy={},
                        rooms=rooms, equipment={"video"}, room_busy={"big": [(at("2025-09-29", "08:00"),
                                                                               at("2025-09-29", "10:00"))]},
                        now=at("2025-09-29", "09:05"), limit=1)
    assert slots[0].room_id == "big" and slots[0].starts_at == at("2025-09-29", "10:00")
    custom = WorkingHours(periods=((time(9, 0), time(11, 30)), (time(13, 30), time(17, 0))))
    slots = find_a_time(duration=timedelta(minutes=30), first_day=date(2025, 9, 29), required_busy={},
                        need_room=False, working_hours=custom, limit=100)
    assert slots[0].starts_at == at("2025-09-29", "09:00") and slots[0].room_id is None
    assert slots[-1].ends_at == at("2025-09-29", "17:00")
    assert len(slots) == 9 + 13  # starts every 15 minutes
    with pytest.raises(ValidationError):
        find_a_time(duration=timedelta(0), first_day=date(2025, 9, 29), required_busy={})


WEEK = [at("2025-09-29", "00:00") + timedelta(minutes=15 * i) for i in range(4 * 24 * 5)]
intervals = st.lists(
    st.tuples(st.sampled_from(WEEK), st.integers(min_value=1, max_value=24)).map(
        lambda t: (t[0], t[0] + timedelta(minutes=15 * t[1]))),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(
    busy=st.dictionaries(st.sampled_from(["p1", "p2", "p3", "p4"]), intervals, max_size=4),
    room_busy=st.dictionaries(st.sampled_from(list(ROOMS)), intervals, max_size=3),
    minutes=st.sampled_from([30, 45, 60, 90, 120]),
    headcount=st.integers(min_value=1, max_value=60),
)
def test_find_a_time_never_returns_a_slot_that_conflicts(busy: dict, room_busy: dict, minutes: int,
                                                         headcount: int) -> None:
    slots = find_a_time(duration=timedelta(minutes=minutes), first_day=date(2025, 9, 29),
                        last_day=date(2025, 10, 3), required_busy=busy, rooms=list(ROOMS.values()),
                        room_busy=room_busy, headcount=headcount, limit=20)
    # the same slots booked as meetings never conflict with meetings made from the busy times
    existing = [mk(s, int((e - s).total_seconds() // 60), room=None, people=(p,))
                for p, ivs in busy.items() for s, e in ivs]
    existing += [mk(s, int((e - s).total_seconds() // 60), room=r, people=())
                 for r, ivs in room_busy.items() for s, e in ivs]
    for slot in slots:
        assert slot.starts_at.astimezone(TZ).time() >= time(8, 30)
        assert slot.ends_at.astimezone(TZ).time() <= time(17, 30)
        lunch = (slot.starts_at.replace(hour=12, minute=0), slot.starts_at.replace(hour=14, minute=30))
        assert not (slot.starts_at < lunch[1] and lunch[0] < slot.ends_at)
        m = mk(slot.starts_at, minutes, room=slot.room_id, people=tuple(busy))
        m = m.model_copy(update={"attendees": m.attendees + tuple(
            Attendee(kind="unit", id=f"u{i}") for i in range(headcount - len(busy)))})
        assert detect_conflicts(meeting=m, existing=existing, rooms=ROOMS) == []


bookings = st.builds(
    lambda mid, start, n, room, people: Booking(mid, mid, start, start + timedelta(minutes=15 * n), room,
                                                frozenset(people)),
    st.sampled_from(["a", "b"]), st.sampled_from(WEEK[:96]), st.integers(min_value=1, max_value=16),
    st.sampled_from([None, "small", "big"]), st.sets(st.sampled_from(["p1", "p2", "p3"])),
)


@settings(max_examples=150, deadline=None)
@given(a=bookings, b=bookings)
def test_conflict_detection_is_symmetric(a: Booking, b: Booking) -> None:
    ab = sorted((c.kind, c.person_id or c.room_id) for c in pair_conflicts(a, b))
    ba = sorted((c.kind, c.person_id or c.room_id) for c in pair_conflicts(b, a))
    assert ab == ba
    ma = mk(a.starts_at, int((a.ends_at - a.starts_at).total_seconds() // 60), room=a.room_id,
            people=tuple(sorted(a.person_ids)) or ("x",))
    mb = mk(b.starts_at, int((b.ends_at - b.starts_at).total_seconds() // 60), room=b.room_id,
            people=tuple(sorted(b.person_ids)) or ("y",))
    one = kinds(detect_conflicts(meeting=ma, existing=[mb], rooms=ROOMS))
    other = kinds(detect_conflicts(meeting=mb, existing=[ma], rooms=ROOMS))
    assert one == other


# ---------------------------------------------------------------- replies and sign-in


def noticed() -> Meeting:
    return Meeting(
        subject="全市安全生产工作会议", starts_at=at("2025-10-09", "09:00"), ends_at=at("2025-10-09", "11:00"),
        room_id="big", reply_deadline=at("2025-10-08", "17:00"), chair_id="lead", chair_name="王市长",
        attendees=(Attendee(id="p1", name="张三"), Attendee(id="p2", name="李四"),
                   Attendee(id="p3", name="赵六", role="observer"),
                   Attendee(kind="unit", id="u1", name="应急管理局")),
    )


def test_replies_decline_needs_a_reason_delegate_needs_someone() -> None:
    m = noticed()
    with pytest.raises(ValidationError, match="原因") as err:
        make_rsvp(meeting=m, attendee_id="p2", answer="decline", now=NOW)
    assert err.value.field == "reason"
    with pytest.raises(ValidationError, match="代参会"):
        make_rsvp(meeting=m, attendee_id="u1", answer="delegate", now=NOW)
    with pytest.raises(ValidationError, match="名单"):
        make_rsvp(meeting=m, attendee_id="stranger", answer="attend", now=NOW)
    with pytest.raises(ValidationError, match="取消"):
        make_rsvp(meeting=cancel_meeting(m), attendee_id="p1", answer="attend", now=NOW)
    ok = make_rsvp(meeting=m, attendee_id="p1", answer="attend", now=NOW)
    late = make_rsvp(meeting=m, attendee_id="p2", answer="decline", reason="出差", now=at("2025-10-08", "18:00"))
    assert not ok.late and late.late
    assert [a.id for a in unanswered(m, [ok, late])] == ["p3", "u1"]


def test_sign_in_lateness_and_attendance_for_the_minutes() -> None:
    m = noticed()
    with pytest.raises(ValidationError, match="尚未开始"):
        check_in(meeting=m, person_id="p1", at=at("2025-10-09", "07:30"))
    with pytest.raises(ValidationError, match="已结束"):
        check_in(meeting=m, person_id="p1", at=at("2025-10-09", "11:01"))
    on_time = check_in(meeting=m, person_id="p1", at=at("2025-10-09", "08:50"))
    late = check_in(meeting=m, person_id="d1", at=at("2025-10-09", "09:12"))
    marked = check_in(meeting=m, person_id="p3", at=at("2025-10-09", "11:30"), marked_by="secretary",
                      grace=timedelta(hours=3))  # 补记 after the end, from the paper list
    with pytest.raises(ValidationError, match="尚未开始"):  # but never marked present days ahead
        check_in(meeting=m, person_id="p3", at=at("2025-10-07", "09:00"), marked_by="secretary")
    assert not on_time.late and late.late and late.late_minutes == 12 and not marked.late
    rsvps = [
        make_rsvp(meeting=m, attendee_id="p2", answer="decline", reason="出差", now=NOW),
        make_rsvp(meeting=m, attendee_id="u1", answer="delegate", delegate_id="d1", delegate_name="钱七", now=NOW),
    ]
    result = attendance(m, rsvps=rsvps, check_ins=[on_time, late, marked])
    assert result.present == ("p1", "p3", "d1") and result.late == ("d1",)
    assert result.on_leave == ("p2",) and result.absent == () and result.observers == ("p3",)


def test_an_attendee_who_left_the_unit_is_named() -> None:
    m = mk(at("2025-09-29", "09:00"), people=("p1", "p2"))
    validate_meeting(m, now=NOW, room=ROOMS["big"], active_ids={"p1", "p2"})
    with pytest.raises(ValidationError, match="人员p2") as err:
        validate_meeting(m, now=NOW, room=ROOMS["big"], active_ids={"p1"})
    assert err.value.field == "attendees" and err.value.attendee_id == "p2"


DU_DAYS = (du.MO, du.TU, du.WE, du.TH, du.FR, du.SA, du.SU)


@settings(max_examples=120, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0, tzinfo=TZ)),
    freq=st.sampled_from(["daily", "weekly", "monthly"]),
    interval=st.integers(min_value=1, max_value=3),
    days=st.sets(st.integers(min_value=0, max_value=6), max_size=3),
    nth=st.sampled_from([None, 1, 2, 3, 4, -1]),
    count=st.integers(min_value=1, max_value=25),
)
def test_expansion_matches_dateutil_for_random_rules(start: datetime, freq: str, interval: int, days: set[int],
                                                     nth: int | None, count: int) -> None:
    by_weekday = tuple(sorted(days)) if freq != "daily" else ()
    week_of_month = nth if freq == "monthly" and len(by_weekday) == 1 else None
    rule = Recurrence(freq=freq, interval=interval, by_weekday=by_weekday, week_of_month=week_of_month, count=count)
    kwargs: dict = {"freq": {"daily": du.DAILY, "weekly": du.WEEKLY, "monthly": du.MONTHLY}[freq],
                    "interval": interval, "count": count, "wkst": du.MO}
    if by_weekday:
        kwargs["byweekday"] = [DU_DAYS[d](week_of_month) if week_of_month else DU_DAYS[d] for d in by_weekday]
    ours = list(series_starts(mk(start, recurrence=rule)))
    assert ours == list(du.rrule(dtstart=start, **kwargs))


ORG = {"u1": ("unit-a", "杨帆"), "u2": ("unit-a", "李晓龙"), "u3": ("unit-a", "陈静"),
       "u4": ("unit-a", "张敏"), "x1": ("unit-b", "郑晓燕")}


@pytest.mark.parametrize(("people", "words"), [
    ([], "请填写本单位参会人员"),
    (["u1", "x1"], "参会人员“郑晓燕”不是本单位在职人员"),
    (["u1", "u2", "u1"], "参会人员“杨帆”填写了两次"),
    (["u1", "gone"], "参会人员不存在或已不在岗：gone"),
    (["u1", "u2", "u3", "u4"], "参会人数超过本单位名额（3人）"),
])
def test_a_units_reply_names_only_its_own_people_once_within_its_places(people, words):
    from oa_client.domain.meetings import check_unit_people

    unit = Attendee(kind="unit", id="unit-a", name="普政数", seats=3)
    with pytest.raises(ValidationError) as err:
        check_unit_people(unit, people, lookup=ORG.get)
    assert (err.value.message, err.value.field) == (words, "attendee_ids")
    assert check_unit_people(unit, ["u3", " u1 ", "u2"], lookup=ORG.get) == ("u3", "u1", "u2")
