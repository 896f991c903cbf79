"""Meetings at the sync layer: overlapping bookings inside one pushed batch (the second is
judged against the first, under the same lock), a resent op gets its stored answer, a series
with one sitting in a closed period is refused naming that sitting; the organiser's change
is not a conflict with replies made meanwhile, nor with the desk's own earlier change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from oa_client.domain.meetings import Attendee, Meeting, Recurrence
from oa_client.domain.meetings_records import meeting_record
from oa_client.services import records as svc
from tests.sync.support import make_client

MONDAY = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _op(payload: dict, entity="meetings", op_id: str | None = None) -> dict:
    return {"op_id": op_id or str(uuid.uuid4()), "kind": "upsert", "entity": entity,
            "entity_id": str(uuid.uuid4()), "base_rev": 0, "payload": payload}


def test_overlaps_in_one_batch_and_a_resent_op(server, tmp_path):
    server.clock.now = MONDAY - timedelta(days=1)
    admin = make_client(server, tmp_path, "xiefang")
    svc.save(admin.store, "rooms", {"id": "r-1", "name": "第一会议室", "capacity": 10,
                                    "closed_periods": [{"starts_at": "2026-12-07T00:00:00Z",
                                                        "ends_at": "2026-12-08T00:00:00Z",
                                                        "reason": "年度检修"}]})
    admin.engine.sync()
    me = Attendee(id=str(admin.transport.user["id"]), name="谢芳")

    def booking(subject, start, **kw):
        return meeting_record(Meeting(subject=subject, starts_at=start, ends_at=start + timedelta(hours=1),
                                      room_id="r-1", attendees=(me,), **kw))

    first = _op(booking("甲会", MONDAY))
    second = _op(booking("乙会", MONDAY + timedelta(minutes=30)))
    back_to_back = _op(booking("丙会", MONDAY + timedelta(hours=1)))
    results = admin.transport.push([first, second, back_to_back]).results
    assert [r.status for r in results] == ["applied", "rejected", "applied"]
    assert results[1].code == "booking_conflict" and "甲会" in results[1].message
    # the same op sent again gets the same answer, nothing booked twice
    again = admin.transport.push([second]).results[0]
    assert (again.status, again.code, again.message) == ("rejected", "booking_conflict", results[1].message)

    weekly = _op(booking("周例会", MONDAY + timedelta(hours=4),
                         recurrence=Recurrence(freq="weekly", count=4)))
    result = admin.transport.push([weekly]).results[0]
    assert result.code == "room_closed" and "2026-12-07" in result.message and "年度检修" in result.message
    admin.close()


def _booked_and_replied(server, tmp_path):
    """谢芳 books a meeting for 郑晓燕, who replies (回执) while 谢芳 has not synced again."""
    from oa_client.services import meetings as mtg
    from oa_client.services import meetings_replies as rsvp

    server.clock.now = MONDAY - timedelta(days=3)
    admin = make_client(server, tmp_path, "xiefang")
    chief = make_client(server, tmp_path, "zhengxiaoyan")
    svc.save(admin.store, "rooms", {"id": "r-1", "name": "第一会议室", "capacity": 10})
    admin.engine.sync()
    chief_id = str(chief.transport.user["id"])
    start = MONDAY + timedelta(hours=1)
    booked = mtg.book(admin.store, user_id=str(admin.transport.user["id"]), user_name="谢芳",
                      now=server.clock.now,
                      meeting=Meeting(subject="数字政府建设推进会", starts_at=start,
                                      ends_at=start + timedelta(hours=2), room_id="r-1",
                                      attendees=(Attendee(id=chief_id, name="郑晓燕"),)))
    admin.engine.sync()
    chief.engine.sync()
    rsvp.reply(chief.store, meeting_id=booked.meeting_id, attendee_id=chief_id, user_id=chief_id,
               answer="attend", now=server.clock.now)
    assert chief.engine.sync().applied == 1
    return admin, chief, booked.meeting_id, chief_id


def test_the_organisers_change_is_not_a_conflict_with_replies_made_meanwhile(server, tmp_path):
    from oa_client.services import meetings as mtg

    admin, chief, meeting_id, chief_id = _booked_and_replied(server, tmp_path)
    mtg.change(admin.store, meeting_id=meeting_id, user_id=str(admin.transport.user["id"]),
               now=server.clock.now, agenda=("通报建设进展", "部署下一阶段任务"))
    report = admin.engine.sync()  # the change was made on the revision before the reply
    assert (report.applied, report.conflicts) == (1, 0)
    assert admin.store.db.query("SELECT count(*) FROM conflicts") == [(0,)]
    for client in (admin, chief):
        client.engine.sync()
        rec = client.store.records.get("meetings", meeting_id)
        assert rec["agenda"] == ["通报建设进展", "部署下一阶段任务"]  # the organiser's change
        assert rec["rsvp"][chief_id] == "accepted"  # and the reply, both kept
    admin.close()
    chief.close()


def test_two_desks_of_the_organiser_changing_the_meeting_still_conflict(server, tmp_path):
    from oa_client.services import meetings as mtg

    admin, chief, meeting_id, _chief_id = _booked_and_replied(server, tmp_path)
    laptop = make_client(server, tmp_path, "xiefang", name="xiefang-laptop")
    laptop.engine.sync()
    organiser = str(admin.transport.user["id"])
    mtg.change(laptop.store, meeting_id=meeting_id, user_id=organiser, now=server.clock.now,
               agenda=("笔记本上改的议程",))
    assert laptop.engine.sync().applied == 1
    mtg.change(admin.store, meeting_id=meeting_id, user_id=organiser, now=server.clock.now,
               agenda=("办公室电脑上改的议程",))
    report = admin.engine.sync()
    assert (report.applied, report.conflicts) == (0, 1)  # the losing side is kept, not dropped
    (kept,) = admin.store.db.query("SELECT local_payload FROM conflicts WHERE kind = 'edit'")
    assert "办公室电脑上改的议程" in kept[0]
    assert admin.store.records.get("meetings", meeting_id)["agenda"] == ["笔记本上改的议程"]
    for c in (admin, chief, laptop):
        c.close()


def test_a_second_change_from_the_desk_that_made_the_first_is_not_a_conflict(server, tmp_path):
    from oa_client.services import meetings as mtg
    from oa_client.services import meetings_replies as rsvp
    from sync.engine import SyncReport

    admin, chief, meeting_id, chief_id = _booked_and_replied(server, tmp_path)
    organiser = str(admin.transport.user["id"])
    admin.engine.sync()  # sees the first reply
    mtg.change(admin.store, meeting_id=meeting_id, user_id=organiser, now=server.clock.now,
               agenda=("通报建设进展",))
    first = SyncReport()
    admin.engine.push(first)  # pushed, but the pull that would follow never happens
    assert first.applied == 1
    rsvp.reply(chief.store, meeting_id=meeting_id, attendee_id=chief_id, user_id=chief_id,
               answer="decline", reason="出差", now=server.clock.now)
    chief.engine.sync()
    mtg.change(admin.store, meeting_id=meeting_id, user_id=organiser, now=server.clock.now,
               agenda=("通报建设进展", "部署下一阶段任务"))  # on top of its own first change
    report = admin.engine.sync()
    assert (report.applied, report.conflicts) == (1, 0)
    rec = admin.store.records.get("meetings", meeting_id)
    assert rec["agenda"] == ["通报建设进展", "部署下一阶段任务"]
    assert rec["rsvp"][chief_id] == "declined"
    admin.close()
    chief.close()


def test_a_change_of_a_meeting_the_desk_booked_and_never_pulled_back_is_not_a_conflict(
        server, tmp_path):
    """Booked and pushed, not yet pulled back (the desk's copy has no content version): a
    reply moves the meeting on the server; the organiser's change made on top still goes."""
    from oa_client.services import meetings as mtg
    from oa_client.services import meetings_replies as rsvp
    from sync.engine import SyncReport

    server.clock.now = MONDAY - timedelta(days=3)
    admin = make_client(server, tmp_path, "xiefang")
    chief = make_client(server, tmp_path, "zhengxiaoyan")
    svc.save(admin.store, "rooms", {"id": "r-2", "name": "第二会议室", "capacity": 10})
    admin.engine.sync()
    chief_id, organiser = str(chief.transport.user["id"]), str(admin.transport.user["id"])
    start = MONDAY + timedelta(hours=3)
    booked = mtg.book(admin.store, user_id=organiser, user_name="谢芳", now=server.clock.now,
                      meeting=Meeting(subject="营商环境优化专题会", starts_at=start,
                                      ends_at=start + timedelta(hours=1), room_id="r-2",
                                      attendees=(Attendee(id=chief_id, name="郑晓燕"),)))
    pushed = SyncReport()
    admin.engine.push(pushed)  # pushed; the pull that would bring it back never happens
    assert pushed.applied == 1
    assert "content_version" not in admin.store.records.get("meetings", booked.meeting_id)
    chief.engine.sync()
    rsvp.reply(chief.store, meeting_id=booked.meeting_id, attendee_id=chief_id, user_id=chief_id,
               answer="attend", now=server.clock.now)
    assert chief.engine.sync().applied == 1
    mtg.change(admin.store, meeting_id=booked.meeting_id, user_id=organiser,
               now=server.clock.now, agenda=("研究优化措施",))
    report = admin.engine.sync()
    assert (report.applied, report.conflicts) == (1, 0)
    rec = admin.store.records.get("meetings", booked.meeting_id)
    assert rec["agenda"] == ["研究优化措施"] and rec["rsvp"][chief_id] == "accepted"
    admin.close()
    chief.close()
