"""Every bad booking the server refuses (even from a client that skipped its own checks), with
a message naming the problem; rooms kept by 会议管理员 only; approval rooms; a recurring
series changed for "this one only" and for "all following"; changes logged and notified."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from oa_client.domain.meetings import Attendee, Meeting, Recurrence
from oa_client.domain.meetings_records import meeting_record
from oa_client.errors import SyncError, ValidationError
from oa_client.services import meetings as mtg
from oa_client.services import records as svc
from oa_server.models import User
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client, server_session

MONDAY = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def uid(client) -> str:
    return str(client.transport.user["id"])


def push(client, entity: str, payload: dict, *, entity_id: str | None = None, kind="upsert",
         base_rev: int = 0):
    op = {"op_id": str(uuid.uuid4()), "kind": kind, "entity": entity,
          "entity_id": entity_id or str(uuid.uuid4()), "base_rev": base_rev, "payload": payload}
    return client.transport.push([op]).results[0]


@pytest.fixture
def desk(server, tmp_path):  # noqa: F811
    server.clock.now = MONDAY - timedelta(days=2)
    admin = make_client(server, tmp_path, "xiefang")
    for rid, name, cap, extra in (
        ("r-1", "第一会议室", 20, {}),
        ("r-closed", "第三会议室", 20, {"closed_periods": [{
            "starts_at": "2026-11-23T00:00:00Z", "ends_at": "2026-11-25T00:00:00Z",
            "reason": "设备检修"}]}),
        ("r-approve", "常务会议室", 30, {"needs_approval": True}),
    ):
        svc.save(admin.store, "rooms", {"id": rid, "name": name, "capacity": cap, **extra})
    assert admin.engine.sync().rejected == 0
    yield server, admin
    admin.close()


def notice(admin, **over) -> dict:
    start = over.pop("start", MONDAY + timedelta(hours=1))
    m = Meeting(subject=over.pop("subject", "工作例会"), starts_at=start,
                ends_at=over.pop("end", start + timedelta(hours=1)), room_id=over.pop("room_id", "r-1"),
                attendees=over.pop("attendees", (Attendee(id=uid(admin), name="谢芳"),)), **over)
    return meeting_record(m)


@pytest.mark.parametrize(("change", "code", "words"), [
    ({"end": MONDAY}, "validation", "结束时间必须晚于开始时间"),
    ({"end": MONDAY + timedelta(hours=30)}, "validation", "不能超过一天"),
    ({"start": MONDAY - timedelta(days=3)}, "validation", "已经过去"),
    ({"room_id": "r-closed"}, "room_closed", "设备检修"),
    ({"room_id": "r-none"}, "room_missing", "会议室不存在"),
    ({"subject": "   "}, "validation", "会议名称"),
    ({"attendees": ()}, "validation", "参会人员"),
    ({"online_link": "ftp://x", "room_id": None}, "validation", "https://"),
])
def test_bad_bookings_are_refused_by_the_server(desk, change, code, words):
    _server, admin = desk
    result = push(admin, "meetings", notice(admin, **change))
    assert (result.status, result.code) == ("rejected", code), result
    assert words in result.message


def test_capacity_and_an_attendee_who_left(desk, tmp_path):
    live, admin = desk
    many = tuple(Attendee(id=str(uuid.uuid4()), name=f"人员{i}") for i in range(25))
    # unknown people are refused as "no longer in the unit", before the room is even looked at
    result = push(admin, "meetings", notice(admin, attendees=many))
    assert result.status == "rejected" and "已不在本单位" in result.message
    unit = Attendee(kind="unit", id=str(admin.transport.user["unit"]["id"]), name="办公室", seats=25)
    result = push(admin, "meetings", notice(admin, attendees=(unit,)))
    assert result.code == "validation" and "只能容纳20人" in result.message
    leaver = make_client(live, tmp_path, "caiweidong")
    with live.session() as s:
        user = s.get(User, uuid.UUID(uid(leaver)))
        user.active = False
        s.commit()
    result = push(admin, "meetings", notice(admin, attendees=(Attendee(id=uid(leaver), name="蔡卫东"),)))
    assert result.status == "rejected" and "“蔡卫东”已不在本单位" in result.message
    leaver.close()


def test_rooms_are_kept_by_meeting_admins_only(desk, tmp_path):
    live, admin = desk
    clerk = make_client(live, tmp_path, "liuyang")
    result = push(clerk, "rooms", {"name": "私设会议室", "capacity": 5})
    assert (result.status, result.code) == ("rejected", "forbidden")
    assert "会议管理员" in result.message
    result = push(admin, "rooms", {"name": "坏会议室", "capacity": 0})
    assert result.code == "validation" and "容纳人数" in result.message
    clerk.engine.sync()  # everyone sees the rooms
    assert {r["id"] for r in clerk.store.records.list("rooms")} >= {"r-1", "r-closed", "r-approve"}
    # the desk refuses a closed room before sending, too
    clerk_meeting = Meeting(subject="培训", starts_at=MONDAY + timedelta(hours=1),
                            ends_at=MONDAY + timedelta(hours=2), room_id="r-closed",
                            attendees=(Attendee(id=uid(clerk), name="刘洋"),))
    with pytest.raises(Exception, match="设备检修"):
        mtg.book(clerk.store, meeting=clerk_meeting, user_id=uid(clerk), now=live.clock.now)
    clerk.close()


def test_a_room_needing_approval_waits_for_its_manager(desk, tmp_path):
    live, admin = desk
    clerk = make_client(live, tmp_path, "liuyang")
    clerk.engine.sync()
    m = Meeting(subject="常务会议筹备会", starts_at=MONDAY + timedelta(hours=2),
                ends_at=MONDAY + timedelta(hours=3), room_id="r-approve",
                attendees=(Attendee(id=uid(clerk), name="刘洋"),))
    booked = mtg.book(clerk.store, meeting=m, user_id=uid(clerk), now=live.clock.now)
    clerk.engine.sync()
    assert clerk.store.records.get("meetings", booked.meeting_id)["booking_state"] == "pending_approval"
    admin.engine.sync()  # the 会议管理员 sees it to decide
    with pytest.raises(ValidationError):
        mtg.decide_booking(admin.store, meeting_id=booked.meeting_id, approve=False)
    mtg.decide_booking(admin.store, meeting_id=booked.meeting_id, approve=True)
    assert admin.engine.sync().rejected == 0
    clerk.engine.sync()
    rec = clerk.store.records.get("meetings", booked.meeting_id)
    assert rec["booking_state"] == "confirmed" and rec["changes"][-1]["kind"] == "approval"
    clerk.close()


def test_a_series_this_one_only_and_all_following(desk, tmp_path):
    live, admin = desk
    member = make_client(live, tmp_path, "zhengxiaoyan")
    start = MONDAY + timedelta(hours=6)  # Mondays 15:00 in Beijing
    weekly = Meeting(subject="主任办公会", starts_at=start, ends_at=start + timedelta(hours=1),
                     room_id="r-1", recurrence=Recurrence(freq="weekly", count=6),
                     attendees=(Attendee(id=uid(admin), name="谢芳"),
                                Attendee(id=uid(member), name="郑晓燕")))
    booked = mtg.book(admin.store, meeting=weekly, user_id=uid(admin), now=live.clock.now)
    assert admin.engine.sync().rejected == 0
    member.engine.sync()
    week = lambda n: start + timedelta(weeks=n)  # noqa: E731

    # this one only: the second sitting is cancelled, the third moved to Tuesday
    mtg.cancel_one(admin.store, meeting_id=booked.meeting_id, user_id=uid(admin),
                   original_start=week(1))
    mtg.move_one(admin.store, meeting_id=booked.meeting_id, user_id=uid(admin),
                 original_start=week(2), starts_at=week(2) + timedelta(days=1),
                 ends_at=week(2) + timedelta(days=1, hours=1), now=live.clock.now)
    assert admin.engine.sync().rejected == 0
    member.engine.sync()
    rec = member.store.records.get("meetings", booked.meeting_id)
    assert [c["kind"] for c in rec["changes"]] == ["created", "occurrence_cancelled", "occurrence_moved"]
    def days(n):
        seen = mtg.calendar(member.store, view="week", day=week(n).date(), user_id=uid(member))
        return [s.starts_at for s in seen if s.meeting_id == booked.meeting_id and s.state != "cancelled"]

    assert days(0) == [week(0)] and days(1) == []  # cancelled: not held, but still shown as 已取消
    shown = mtg.calendar(member.store, view="week", day=week(1).date(), user_id=uid(member))
    assert [(s.starts_at, s.status_label) for s in shown if s.meeting_id == booked.meeting_id] == [
        (week(1), "已取消")]
    assert days(2) == [week(2) + timedelta(days=1)]  # moved to Tuesday
    assert rec["rsvp"][uid(member)] == "pending"

    # all following: from the fourth sitting on, an hour earlier; the series splits in two
    tail_id, _b = mtg.change_following(admin.store, meeting_id=booked.meeting_id, user_id=uid(admin),
                                       from_start=week(3), shift=timedelta(hours=-1),
                                       now=live.clock.now)
    assert admin.engine.sync().rejected == 0
    member.engine.sync()
    head = member.store.records.get("meetings", booked.meeting_id)
    tail = member.store.records.get("meetings", tail_id)
    assert head["recurrence"]["count"] == 3 and tail["recurrence"]["count"] == 3
    assert tail["starts_at"] == "2026-12-14T06:00:00Z" and tail["series_previous_id"] == booked.meeting_id
    assert head["changes"][-1]["kind"] == "series"
    sittings = mtg.calendar(member.store, view="month", day=week(4).date(), user_id=uid(member))
    assert {s.starts_at.astimezone(UTC).hour for s in sittings if s.meeting_id == tail_id} == {6}

    # moving a sitting onto another booking is refused by the live, with alternatives
    other = Meeting(subject="临时协调会", starts_at=week(4) + timedelta(hours=-1),
                    ends_at=week(4), room_id="r-1", attendees=(Attendee(id=uid(member), name="郑晓燕"),))
    result = push(member, "meetings", meeting_record(other))
    assert result.code == "booking_conflict" and "主任办公会" in result.message
    assert "空闲时间" in result.message

    # a cancellation reaches everyone, logged
    mtg.cancel(admin.store, meeting_id=tail_id, user_id=uid(admin), reason="改为线上")
    assert admin.engine.sync().rejected == 0
    member.engine.sync()
    tail = member.store.records.get("meetings", tail_id)
    assert tail["state"] == "cancelled" and tail["changes"][-1]["summary"] == "会议已取消"
    # only the organiser changes a meeting
    result = push(member, "meetings", {**tail, "title": "改名"}, entity_id=tail_id, base_rev=tail["rev"])
    assert (result.status, result.code) == ("rejected", "forbidden")
    member.close()


def test_replies_and_sign_in_that_cannot_stand(desk, tmp_path):
    live, admin = desk
    member = make_client(live, tmp_path, "zhengxiaoyan")
    outsider = make_client(live, tmp_path, "yangfan")
    m = Meeting(subject="专题会", starts_at=MONDAY + timedelta(hours=1), ends_at=MONDAY + timedelta(hours=2),
                room_id="r-1", attendees=(Attendee(id=uid(member), name="郑晓燕"),))
    booked = mtg.book(admin.store, meeting=m, user_id=uid(admin), now=live.clock.now)
    admin.engine.sync()
    member.engine.sync()
    with pytest.raises(ValidationError, match="原因"):
        mtg.reply(member.store, meeting_id=booked.meeting_id, attendee_id=uid(member),
                  user_id=uid(member), answer="decline", now=live.clock.now)
    # a forged decline without reason, a reply for someone else, a delegate who left
    result = push(member, "meeting_replies", {"meeting_id": booked.meeting_id, "attendee_id": uid(member),
                                              "answer": "decline"}, kind="action")
    assert result.code == "validation" and "原因" in result.message
    result = push(admin, "meeting_replies", {"meeting_id": booked.meeting_id, "attendee_id": "nobody",
                                             "answer": "attend"}, kind="action")
    assert "参会名单" in result.message
    result = push(member, "meeting_replies", {"meeting_id": booked.meeting_id, "attendee_id": uid(member),
                                              "answer": "delegate", "delegate_id": str(uuid.uuid4())},
                  kind="action")
    assert "代参会人员不存在" in result.message
    with server_session(live) as session:
        sysadmin = str(session.query(User).filter_by(login="huangwei").one().id)
    result = push(member, "meeting_replies", {"meeting_id": booked.meeting_id, "attendee_id": uid(member),
                                              "answer": "delegate", "delegate_id": sysadmin},
                  kind="action")  # the 三员 attend no business: the 系统管理员 is no delegate
    assert result.code == "validation" and "管理员账号" in result.message
    # sign-in before it opens, and by someone not invited
    result = push(member, "checkins", {"meeting_id": booked.meeting_id, "user_id": uid(member)},
                  kind="action")
    assert result.code == "validation" and "签到尚未开始" in result.message
    result = push(outsider, "checkins", {"meeting_id": booked.meeting_id, "user_id": uid(outsider)},
                  kind="action")
    assert result.code == "forbidden"
    member.close()
    outsider.close()


def test_a_meeting_admin_keeps_only_his_own_units_rooms(desk, tmp_path):
    live, admin = desk  # 谢芳: 会议管理员 of 普宁市人民政府办公室, who owns r-1
    other = make_client(live, tmp_path, "chenweijie")  # 会议管理员 of 洪阳镇人民政府
    other.engine.sync()
    room = other.store.records.get("rooms", "r-1")
    # he makes himself manager of the city's room, renames it, deletes it: each refused
    grab = {k: v for k, v in room.items() if k not in ("id", "rev", "deleted", "updated_at")}
    result = push(other, "rooms", {**grab, "manager_ids": [uid(other)]}, entity_id="r-1",
                  base_rev=room["rev"])
    assert (result.status, result.code) == ("rejected", "forbidden") and "本单位" in result.message
    result = push(other, "rooms", {**grab, "name": "洪阳镇借用"}, entity_id="r-1", base_rev=room["rev"])
    assert (result.status, result.code) == ("rejected", "forbidden")
    result = push(other, "rooms", {}, entity_id="r-1", kind="delete", base_rev=room["rev"])
    assert (result.status, result.code) == ("rejected", "forbidden")
    # nor may the city's admin name a township officer as her room's manager
    mine = admin.store.records.get("rooms", "r-1")
    body = {k: v for k, v in mine.items() if k not in ("id", "rev", "deleted", "updated_at")}
    result = push(admin, "rooms", {**body, "manager_ids": [uid(other)]}, entity_id="r-1",
                  base_rev=mine["rev"])
    assert (result.status, result.code) == ("rejected", "validation") and "本单位" in result.message
    admin.engine.sync()
    kept = admin.store.records.get("rooms", "r-1")
    assert (kept["name"], kept["manager_ids"], kept["rev"]) == ("第一会议室", [], mine["rev"])
    # his own unit's room he keeps as before
    result = push(other, "rooms", {"name": "洪阳镇小会议室", "capacity": 12})
    assert result.status == "applied"
    other.close()


def test_sign_in_needs_the_code_and_the_servers_clock(desk, tmp_path):
    live, admin = desk
    member = make_client(live, tmp_path, "zhengxiaoyan")
    start = MONDAY + timedelta(hours=1)
    m = Meeting(subject="专题会", starts_at=start, ends_at=start + timedelta(hours=1), room_id="r-1",
                attendees=(Attendee(id=uid(member), name="郑晓燕"),))
    booked = mtg.book(admin.store, meeting=m, user_id=uid(admin), now=live.clock.now)
    assert admin.engine.sync().rejected == 0
    member.engine.sync()
    live.clock.now = start + timedelta(minutes=5)
    code = mtg.parse_checkin_qr(mtg.fetch_checkin_code(
        admin.transport, meeting_id=booked.meeting_id)["qr_text"])[2]
    # the desk asks for the code before anything is queued
    with pytest.raises(ValidationError, match="签到码") as err:
        mtg.sign_in(member.store, meeting_id=booked.meeting_id, user_id=uid(member), now=live.clock.now)
    assert err.value.field == "code" and member.store.records.pending_ops() == 0
    # a forged client: no code → refused, though the meeting is on
    result = push(member, "checkins", {"meeting_id": booked.meeting_id, "user_id": uid(member),
                                       "at": utc(start)}, kind="action")
    assert (result.status, result.code) == ("rejected", "code_required")
    # after the meeting ended, the right code with `at` set to the start → still refused
    live.clock.now = start + timedelta(hours=2)
    result = push(member, "checkins", {"meeting_id": booked.meeting_id, "user_id": uid(member),
                                       "code": code, "at": utc(start)}, kind="action")
    assert (result.status, result.code) == ("rejected", "validation") and "已结束" in result.message
    # during the meeting with the code: recorded at the server's time, late by its clock
    live.clock.now = start + timedelta(minutes=20)
    result = push(member, "checkins", {"meeting_id": booked.meeting_id, "user_id": uid(member),
                                       "code": code, "at": utc(start - timedelta(minutes=30))},
                  kind="action")
    assert result.status == "applied"
    member.engine.sync()
    (signed,) = mtg.checkins(member.store, booked.meeting_id)
    assert signed["at"] == utc(start + timedelta(minutes=20)) and signed["late_minutes"] == 20
    member.close()


def test_sign_in_codes_only_for_the_organiser_and_the_rooms_unit(desk, tmp_path):
    live, admin = desk
    start = MONDAY + timedelta(hours=1)
    m = Meeting(subject="专题会", starts_at=start, ends_at=start + timedelta(hours=1), room_id="r-1",
                attendees=(Attendee(id=uid(admin), name="谢芳"),))
    booked = mtg.book(admin.store, meeting=m, user_id=uid(admin), now=live.clock.now)
    assert admin.engine.sync().rejected == 0
    other_admin = make_client(live, tmp_path, "chenweijie")  # 会议管理员, another unit
    with pytest.raises(SyncError) as err:  # a meeting he may not see: as if there were none
        mtg.fetch_checkin_code(other_admin.transport, meeting_id=booked.meeting_id)
    assert (err.value.kind, err.value.context.get("status")) == ("not_found", 404)
    assert mtg.fetch_checkin_code(admin.transport, meeting_id=booked.meeting_id)["code"]
    invited = mtg.book(admin.store, meeting=Meeting(
        subject="专题会（二）", starts_at=start + timedelta(hours=2),
        ends_at=start + timedelta(hours=3), room_id="r-1",
        attendees=(Attendee(id=uid(other_admin), name="陈伟杰"),)), user_id=uid(admin),
        now=live.clock.now)
    assert admin.engine.sync().rejected == 0
    with pytest.raises(SyncError) as err:  # invited, he sees it, but the room is not his unit's
        mtg.fetch_checkin_code(other_admin.transport, meeting_id=invited.meeting_id)
    assert (err.value.kind, err.value.context.get("status")) == ("forbidden", 403)
    assert "会议室所属单位" in str(err.value)
    other_admin.close()


@pytest.mark.parametrize("login", ["huangwei", "sunyue", "hexiaoqin"])
def test_free_busy_is_for_business_users_only(desk, tmp_path, login):
    live, admin = desk
    who = make_client(live, tmp_path, login)  # one of the three administrators
    body = {"user_ids": [uid(admin)], "start": utc(MONDAY), "end": utc(MONDAY + timedelta(days=1))}
    with pytest.raises(SyncError) as err:
        who.transport.request("POST", "/meetings/freebusy", json_body=body)
    assert (err.value.kind, err.value.context.get("status")) == ("forbidden", 403)
    assert "三员分立" in str(err.value)
    busy = admin.transport.request("POST", "/meetings/freebusy", json_body=body).json()
    assert set(busy["people"]) == {uid(admin)}
    who.close()


def test_the_three_administrators_are_never_invited(desk):
    live, admin = desk
    with server_session(live) as session:
        ids = {u.login: str(u.id) for u in session.query(User).filter(
            User.login.in_(("huangwei", "sunyue", "zhengxiaoyan")))}
    for login, name in (("huangwei", "黄伟"), ("sunyue", "孙悦")):
        result = push(admin, "meetings", notice(admin, attendees=(
            Attendee(id=uid(admin), name="谢芳"), Attendee(id=ids[login], name=name))))
        assert (result.status, result.code) == ("rejected", "validation"), result
        assert "管理员账号" in result.message and name in result.message
    # a colleague with business roles is invited as before
    result = push(admin, "meetings", notice(admin, attendees=(
        Attendee(id=uid(admin), name="谢芳"), Attendee(id=ids["zhengxiaoyan"], name="郑晓燕"))))
    assert result.status == "applied", result


def test_a_meeting_taken_up_again_meets_the_bookings_made_meanwhile(desk):
    """Cancelled, its room booked by another meeting, then un-cancelled: the room is checked
    again, so the two never both hold it."""
    _live, admin = desk
    first_id = str(uuid.uuid4())
    first = push(admin, "meetings", notice(admin, subject="周例会"), entity_id=first_id)
    assert first.status == "applied", first
    record = admin.transport.pull(0, limit=5000)
    mine = next(c.data for c in record.changes if c.id == first_id)
    cancelled = push(admin, "meetings", {**mine, "state": "cancelled"}, entity_id=first_id,
                     base_rev=first.rev)
    assert cancelled.status == "applied", cancelled
    other = push(admin, "meetings", notice(admin, subject="专题会"))  # the same room and hour
    assert other.status == "applied", other
    again = push(admin, "meetings", {**mine, "state": "scheduled"}, entity_id=first_id,
                 base_rev=cancelled.rev)
    assert (again.status, again.code) == ("rejected", "booking_conflict"), again

