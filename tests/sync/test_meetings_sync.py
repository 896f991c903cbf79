"""Meetings at the sync layer: overlapping bookings inside one pushed batch (the second is
judged against the first, under the same lock), a resent op gets its stored answer, a series
with one sitting in a closed period is refused naming that sitting."""

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
