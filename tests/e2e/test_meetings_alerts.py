"""Meetings through the real server (issue #21, item 5): a unit's 回执 names any number of its
people — each refused plainly when of another unit, named twice, unknown or over the seats, and
after a cancellation; the organiser marks any expected person at 签到, a unit's named people
included; a cancellation, a change of time or place and a moved sitting alert every attendee
until they acknowledge it; a cancelled meeting stays on the calendar as 已取消."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from oa_client.domain.meetings import Attendee, Meeting, Recurrence
from oa_client.errors import ValidationError
from oa_client.services import meetings as mtg
from oa_client.services import meetings_alerts as alerts
from oa_client.services.account import ADMIN_ROLES
from oa_client.services.todo import todo_items
from tests.e2e.test_meetings import MONDAY, add_rooms, names, room, uid, unit_of
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client

START = MONDAY + timedelta(hours=1)  # Monday 10:00 Beijing


def push(client, entity: str, payload: dict):
    op = {"op_id": str(uuid.uuid4()), "kind": "action", "entity": entity,
          "entity_id": str(uuid.uuid4()), "base_rev": 0, "payload": payload}
    return client.transport.push([op]).results[0]


@pytest.fixture
def office(server, tmp_path):  # noqa: F811
    """谢芳 books a meeting for 普政数 (four seats) and 郑晓燕 in person; everyone synced."""
    server.clock.now = MONDAY - timedelta(days=3)
    people = {login: make_client(server, tmp_path, login) for login in (
        "xiefang", "zhangmin", "yangfan", "lixiaolong", "chenjing", "zhengxiaoyan")}
    admin, clerk = people["xiefang"], people["zhangmin"]
    add_rooms(admin, room("r-big", "第一会议室", 30))
    meeting = Meeting(
        subject="政务数据共享推进会", starts_at=START, ends_at=START + timedelta(hours=2), room_id="r-big",
        attendees=(Attendee(kind="unit", id=unit_of(clerk), name="普宁市政务服务数据管理局", seats=4),
                   Attendee(kind="person", id=uid(people["zhengxiaoyan"]), name="郑晓燕")))
    booked = mtg.book(admin.store, meeting=meeting, user_id=uid(admin), user_name="谢芳", now=server.clock.now)
    assert admin.engine.sync().rejected == 0
    for c in people.values():
        names(c)  # the org chart on every desk
        c.engine.sync()
    yield server, people, booked.meeting_id
    for c in people.values():
        c.close()


def test_a_unit_names_three_people_and_the_organiser_marks_one_at_sign_in(office):
    live, people, mid = office
    admin, clerk = people["xiefang"], people["zhangmin"]
    three = [uid(people[p]) for p in ("yangfan", "lixiaolong", "chenjing")]
    mtg.reply(clerk.store, meeting_id=mid, attendee_id=unit_of(clerk), user_id=uid(clerk),
              answer="attend", attendee_ids=three, now=live.clock.now)
    assert clerk.engine.sync().rejected == 0
    admin.engine.sync()
    rec = admin.store.records.get("meetings", mid)
    assert rec["rsvp_people"][unit_of(clerk)] == three
    assert set(three) <= set(rec["audience_users"])  # each named person now sees the meeting
    expected = {e.name: e for e in mtg.expected_list(admin.store, mid, names(admin))}
    assert set(expected) == {"杨帆", "李晓龙", "陈静", "郑晓燕"}
    assert expected["陈静"].attendee_name == "普宁市政务服务数据管理局"
    # the organiser marks 陈静 (named by the unit, not invited by name) at 签到
    live.clock.now = START + timedelta(minutes=5)
    mtg.sign_in(admin.store, meeting_id=mid, user_id=uid(admin), person_id=uid(people["chenjing"]),
                now=live.clock.now)
    assert admin.engine.sync().rejected == 0
    signed = mtg.checkins(admin.store, mid)
    assert [(c["user_id"], c["method"], c["late"]) for c in signed] == [(uid(people["chenjing"]), "organiser", True)]
    expected = {e.name: e for e in mtg.expected_list(admin.store, mid, names(admin))}
    assert expected["陈静"].signed_in and not expected["杨帆"].signed_in
    # the organiser may also mark a walk-in, but only someone who exists
    result = push(admin, "checkins", {"meeting_id": mid, "person_id": str(uuid.uuid4())})
    assert (result.status, result.code) == ("rejected", "validation") and "签到人员不存在" in result.message


@pytest.mark.parametrize(("who", "words"), [
    (lambda p: [uid(p["yangfan"]), uid(p["zhengxiaoyan"])], "参会人员“郑晓燕”不是本单位在职人员"),
    (lambda p: [uid(p["yangfan"]), uid(p["lixiaolong"]), uid(p["yangfan"])], "参会人员“杨帆”填写了两次"),
    (lambda p: [uid(p["yangfan"]), "7f0c52b4-9a41-4a0e-8f59-2f7f7d3c9d11"],
     "参会人员不存在或已不在岗：7f0c52b4-9a41-4a0e-8f59-2f7f7d3c9d11"),
    (lambda p: [], "请填写本单位参会人员"),
    # 黄伟, the unit's 系统管理员: the three administrators attend no business
    (lambda p: [uid(p["yangfan"]), p["admin_id"]], "参会人员不存在或已不在岗：{admin_id}"),
])
def test_a_unit_reply_naming_the_wrong_people_is_refused_on_the_desk_and_by_the_server(office, who, words):
    live, people, mid = office
    clerk = people["zhangmin"]
    admin_id = next(u["id"] for u in clerk.store.records.list("users", limit=500)
                    if u.get("name") == "黄伟")
    named = who({**people, "admin_id": admin_id})
    words = words.format(admin_id=admin_id)
    with pytest.raises(ValidationError) as err:
        mtg.reply(clerk.store, meeting_id=mid, attendee_id=unit_of(clerk), user_id=uid(clerk),
                  answer="attend", attendee_ids=named, now=live.clock.now)
    assert err.value.message == words and err.value.field == "attendee_ids"
    # a client that skipped its own checks is refused by the server with the same words
    result = push(clerk, "meeting_replies", {"meeting_id": mid, "attendee_id": unit_of(clerk),
                                             "answer": "attend", "attendee_ids": named})
    assert (result.status, result.code, result.message) == ("rejected", "validation", words)
    assert mtg.replies(clerk.store, mid) == []


def test_more_people_than_the_units_seats_is_refused(office):
    live, people, mid = office
    clerk = people["zhangmin"]
    named = sorted(u["id"] for u in clerk.store.records.list(
        "users", where={"unit_id": unit_of(clerk)}, limit=100)
        if u.get("active") is not False and not ADMIN_ROLES & set(u.get("roles") or ()))[:5]
    assert len(named) == 5
    with pytest.raises(ValidationError, match=r"参会人数超过本单位名额（4人）"):
        mtg.reply(clerk.store, meeting_id=mid, attendee_id=unit_of(clerk), user_id=uid(clerk),
                  answer="attend", attendee_ids=named, now=live.clock.now)
    result = push(clerk, "meeting_replies", {"meeting_id": mid, "attendee_id": unit_of(clerk),
                                             "answer": "attend", "attendee_ids": named})
    assert result.status == "rejected" and result.message == "参会人数超过本单位名额（4人）"


def test_a_reply_after_the_cancellation_is_refused(office):
    live, people, mid = office
    admin, clerk = people["xiefang"], people["zhangmin"]
    mtg.cancel(admin.store, meeting_id=mid, user_id=uid(admin), reason="上级临时召开会议")
    assert admin.engine.sync().rejected == 0
    clerk.engine.sync()
    with pytest.raises(ValidationError, match="会议已取消，无需回执"):
        mtg.reply(clerk.store, meeting_id=mid, attendee_id=unit_of(clerk), user_id=uid(clerk),
                  answer="attend", attendee_ids=[uid(people["yangfan"])], now=live.clock.now)
    result = push(clerk, "meeting_replies", {"meeting_id": mid, "attendee_id": unit_of(clerk),
                                             "answer": "attend", "attendee_ids": [uid(people["yangfan"])]})
    assert (result.status, result.message) == ("rejected", "会议已取消，无需回执")


def _alerts(client, today) -> list:
    me = client.transport.user
    return [i for i in todo_items(client.store, user_id=str(me["id"]), unit_id=str(me["unit"]["id"]),
                                  today=today, now=MONDAY - timedelta(days=3)) if i.kind == "meeting_changed"]


def test_a_change_and_a_cancellation_alert_every_attendee_until_acknowledged(office):
    live, people, mid = office
    admin, clerk, chief = people["xiefang"], people["zhangmin"], people["zhengxiaoyan"]
    yangfan = people["yangfan"]
    today = START.date() - timedelta(days=3)
    mtg.reply(clerk.store, meeting_id=mid, attendee_id=unit_of(clerk), user_id=uid(clerk),
              answer="attend", attendee_ids=[uid(yangfan)], now=live.clock.now)
    assert clerk.engine.sync().rejected == 0
    assert _alerts(chief, today) == []  # nothing changed yet
    add_rooms(admin, room("r-small", "第二会议室", 12))
    mtg.change(admin.store, meeting_id=mid, user_id=uid(admin), now=live.clock.now,
               starts_at=START + timedelta(hours=4), ends_at=START + timedelta(hours=6), room_id="r-small")
    assert admin.engine.sync().rejected == 0
    for c in (chief, yangfan, clerk):
        c.engine.sync()
    [alert] = _alerts(chief, today)
    assert alert.title == ("会议已变更：政务数据共享推进会（会议时间由2026-11-23 10:00–12:00改为"
                           "2026-11-23 14:00–16:00；会议地点由“第一会议室”改为“第二会议室”）")
    assert alert.urgency == "加急"
    assert [a.record_id for a in _alerts(yangfan, today)] == [mid]  # named by his unit's reply
    assert _alerts(clerk, today) == []  # the unit named 杨帆, not her
    assert _alerts(admin, today) == []  # the organiser made the change
    # 郑晓燕 acknowledges: gone for her, still there for 杨帆
    rec = chief.store.records.get("meetings", mid)
    found = alerts.alert_for(chief.store, rec, user_id=uid(chief), unit_id=unit_of(chief))
    alerts.acknowledge(chief.store, user_id=uid(chief), meeting_id=mid, sequence=found.sequence)
    assert _alerts(chief, today) == [] and len(_alerts(yangfan, today)) == 1

    # then the meeting is cancelled: a new alert, with the reason, and 已取消 on the calendar
    mtg.cancel(admin.store, meeting_id=mid, user_id=uid(admin), reason="上级临时召开会议")
    assert admin.engine.sync().rejected == 0
    chief.engine.sync()
    [alert] = _alerts(chief, today)
    assert alert.title == "会议已取消：政务数据共享推进会（原因：上级临时召开会议）"
    assert not any(i.kind == "rsvp" and i.record_id == mid for i in todo_items(
        chief.store, user_id=uid(chief), unit_id=unit_of(chief), today=today, now=live.clock.now))
    [sitting] = [s for s in mtg.calendar(chief.store, view="week", day=START.date(), user_id=uid(chief),
                                         unit_id=unit_of(chief)) if s.meeting_id == mid]
    assert (sitting.state, sitting.status_label) == ("cancelled", "已取消")
    rec = chief.store.records.get("meetings", mid)
    found = alerts.alert_for(chief.store, rec, user_id=uid(chief), unit_id=unit_of(chief))
    alerts.acknowledge(chief.store, user_id=uid(chief), meeting_id=mid, sequence=found.sequence)
    assert _alerts(chief, today) == []


def test_a_moved_and_a_cancelled_sitting_of_a_series_alert_the_attendees(office):
    live, people, _mid = office
    admin, chief = people["xiefang"], people["zhengxiaoyan"]
    add_rooms(admin, room("r-small", "第二会议室", 12))
    weekly = Meeting(subject="周例会", starts_at=START, ends_at=START + timedelta(hours=1), room_id="r-small",
                     recurrence=Recurrence(freq="weekly", count=4),
                     attendees=(Attendee(kind="person", id=uid(chief), name="郑晓燕"),))
    booked = mtg.book(admin.store, meeting=weekly, user_id=uid(admin), now=live.clock.now)
    assert admin.engine.sync().rejected == 0
    second = START + timedelta(weeks=1)
    mtg.move_one(admin.store, meeting_id=booked.meeting_id, user_id=uid(admin), original_start=second,
                 starts_at=second + timedelta(days=1), ends_at=second + timedelta(days=1, hours=1),
                 now=live.clock.now)
    assert admin.engine.sync().rejected == 0
    chief.engine.sync()
    today = START.date() - timedelta(days=3)
    [alert] = _alerts(chief, today)
    assert alert.title == "会议已变更：周例会（11月30日 10:00的会议改到2026-12-01 10:00–11:00（仅此一次））"
    rec = chief.store.records.get("meetings", booked.meeting_id)
    alerts.acknowledge(chief.store, user_id=uid(chief), meeting_id=booked.meeting_id,
                       sequence=alerts.alert_for(chief.store, rec, user_id=uid(chief),
                                                 unit_id=unit_of(chief)).sequence)
    third = START + timedelta(weeks=2)
    mtg.cancel_one(admin.store, meeting_id=booked.meeting_id, user_id=uid(admin), original_start=third)
    assert admin.engine.sync().rejected == 0
    chief.engine.sync()
    [alert] = _alerts(chief, today)
    assert alert.title == "会议已变更：周例会（12月07日 10:00的会议取消（仅此一次））"
    # the cancelled sitting stays on the calendar, marked 已取消; the others are as they were
    week = mtg.calendar(chief.store, view="week", day=third.date(), user_id=uid(chief), unit_id=unit_of(chief))
    assert [(s.starts_at, s.status_label) for s in week if s.meeting_id == booked.meeting_id] == [
        (third, "已取消")]
