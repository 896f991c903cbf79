"""Free/busy and the booking checks ask `meeting_spans` for the meetings near their window:
the index keeps every live meeting's first start and last end (open for a series without an
end), written with the meeting, and nothing it leaves out could have been busy."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text

from oa_client.domain.meetings import Attendee, Meeting, OccurrenceException, Recurrence
from oa_client.domain.meetings_records import meeting_record, utc_text
from oa_server.db import make_engine, make_sessionmaker
from oa_server.meeting_spans import span_of, texts_in_window
from oa_server.migrate import upgrade
from oa_server.sync_models import MeetingSpan, SyncRecord
from tests.server.support import fixed_keys
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client

MONDAY = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing
WEEK = timedelta(days=7)
HOUR = timedelta(hours=1)


def uid(client) -> str:
    return str(client.transport.user["id"])


def push(client, payload: dict, *, entity_id: str, base_rev: int = 0):
    op = {"op_id": str(uuid.uuid4()), "kind": "upsert", "entity": "meetings",
          "entity_id": entity_id, "base_rev": base_rev, "payload": payload}
    return client.transport.push([op]).results[0]


def notice(client, subject: str, start: datetime, room: str = "r-1", **over) -> dict:
    return meeting_record(Meeting(subject=subject, starts_at=start, ends_at=start + HOUR,
                                  room_id=room, attendees=(Attendee(id=uid(client), name="谢芳"),),
                                  **over))


@pytest.fixture
def desk(server, tmp_path):  # noqa: F811
    server.clock.now = MONDAY - timedelta(days=2)
    admin = make_client(server, tmp_path, "xiefang")
    push_room = {"op_id": str(uuid.uuid4()), "kind": "upsert", "entity": "rooms",
                 "entity_id": "r-1", "base_rev": 0,
                 "payload": {"name": "第一会议室", "capacity": 20}}
    assert admin.transport.push([push_room]).results[0].status == "applied"
    yield server, admin
    admin.close()


def busy(client, person: str, start: datetime, end: datetime) -> list[list[str]]:
    body = {"user_ids": [person], "start": utc_text(start), "end": utc_text(end)}
    return client.transport.request("POST", "/meetings/freebusy", json_body=body).json()["people"][person]


def test_free_busy_finds_every_kind_of_sitting_through_the_index(desk):
    live, admin = desk
    me = uid(admin)
    far = MONDAY + 20 * WEEK  # a window long after the series began
    weekly = notice(admin, "周例会", MONDAY, recurrence=Recurrence(freq="weekly", by_weekday=(0,)))
    three = notice(admin, "三次培训", MONDAY + 2 * HOUR,
                   recurrence=Recurrence(freq="weekly", by_weekday=(0,), count=3))
    moved = notice(admin, "月度会", MONDAY + 4 * HOUR,
                   recurrence=Recurrence(freq="monthly", count=2),
                   exceptions=(OccurrenceException(original_start=MONDAY + 4 * HOUR,
                                                   starts_at=far + 6 * HOUR,
                                                   ends_at=far + 7 * HOUR),))
    single = notice(admin, "专题会", far + 2 * HOUR)
    for rid, rec in (("m-weekly", weekly), ("m-three", three), ("m-moved", moved),
                     ("m-single", single)):
        assert push(admin, rec, entity_id=rid).status == "applied", rid
    spans = busy(admin, me, far, far + timedelta(days=1))
    assert spans == sorted([
        [utc_text(far), utc_text(far + HOUR)],  # the 21st sitting of the open series
        [utc_text(far + 2 * HOUR), utc_text(far + 3 * HOUR)],  # the single meeting
        [utc_text(far + 6 * HOUR), utc_text(far + 7 * HOUR)],  # the sitting moved out there
    ])  # the three-sitting series ended long before
    assert busy(admin, me, MONDAY + 2 * WEEK, MONDAY + 2 * WEEK + timedelta(days=1)) == [
        [utc_text(MONDAY + 2 * WEEK), utc_text(MONDAY + 2 * WEEK + HOUR)],
        [utc_text(MONDAY + 2 * WEEK + 2 * HOUR), utc_text(MONDAY + 2 * WEEK + 3 * HOUR)],
    ]
    # cancelled, the single meeting leaves the index and the answer
    cancelled = {**single, "state": "cancelled", "cancel_reason": "改期"}
    with live.session() as session:
        current = session.execute(text(
            "SELECT rev FROM sync_records WHERE collection='meetings' AND id='m-single'")).scalar()
    assert push(admin, cancelled, entity_id="m-single", base_rev=current).status == "applied"
    assert busy(admin, me, far, far + timedelta(days=1)) == [
        [utc_text(far), utc_text(far + HOUR)], [utc_text(far + 6 * HOUR), utc_text(far + 7 * HOUR)]]
    with live.session() as session:
        assert "m-single" not in {rid for rid, _t, _b in texts_in_window(session, far, far + WEEK)}


def test_the_query_reads_only_the_meetings_near_its_window(desk):
    live, admin = desk
    for week in range(1, 21):  # twenty meetings, one a week
        start = MONDAY + week * WEEK + 3 * HOUR
        assert push(admin, notice(admin, f"第{week}周例会", start),
                    entity_id=f"m-{week:02d}").status == "applied"
    series = notice(admin, "周例会", MONDAY, recurrence=Recurrence(freq="weekly", by_weekday=(0,)))
    assert push(admin, series, entity_id="m-series").status == "applied"
    lo = MONDAY + 15 * WEEK
    with live.session() as session:
        found = sorted(rid for rid, _text, _by in texts_in_window(session, lo, lo + timedelta(days=1)))
    assert found == ["m-15", "m-series"]  # not the other nineteen


@pytest.mark.parametrize(("data", "span"), [
    ({"starts_at": "2026-12-01T01:00:00Z", "ends_at": "2026-12-01T02:00:00Z"},
     ("2026-12-01T01:00:00Z", "2026-12-01T02:00:00Z")),
    ({"starts_at": "2026-12-01T01:00:00Z", "ends_at": "2026-12-01T02:00:00Z",
      "state": "cancelled"}, None),
    ({"starts_at": "2026-12-01T01:00:00Z", "ends_at": "2026-12-01T02:00:00Z",
      "booking_state": "refused"}, None),
    ({"starts_at": "2026-12-01T01:00:00Z", "ends_at": "2026-12-01T02:00:00Z",
      "recurrence": {"freq": "weekly"}}, ("2026-12-01T01:00:00Z", None)),
    ({"starts_at": "2026-12-01T01:00:00Z", "ends_at": "2026-12-01T02:00:00Z",
      "recurrence": {"freq": "daily", "until": "2026-12-10T00:00:00Z"}},
     ("2026-12-01T01:00:00Z", "2026-12-11T01:00:00Z")),
    ({"starts_at": "2026-12-01T01:00:00Z", "ends_at": "2026-12-01T02:00:00Z",
      "exceptions": [{"original_start": "2026-12-01T01:00:00Z",
                      "starts_at": "2026-11-30T01:00:00Z", "ends_at": "2026-11-30T02:00:00Z"}]},
     ("2026-11-30T01:00:00Z", "2026-12-01T02:00:00Z")),
    ({"starts_at": "不是时间", "ends_at": "2026-12-01T02:00:00Z"}, None),
])
def test_the_span_of_a_meeting(data, span):
    assert span_of(data) == span


def test_the_migration_indexes_the_meetings_already_stored(tmp_path):
    url = f"sqlite:///{tmp_path / 'oa.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine, "0008")
    rows = {"m-live": {"starts_at": "2026-12-01T01:00:00Z", "ends_at": "2026-12-01T02:00:00Z"},
            "m-cancelled": {"starts_at": "2026-12-01T01:00:00Z",
                            "ends_at": "2026-12-01T02:00:00Z", "state": "cancelled"},
            "m-series": {"starts_at": "2026-12-01T01:00:00Z", "ends_at": "2026-12-01T02:00:00Z",
                         "recurrence": {"freq": "weekly"}}}
    with make_sessionmaker(engine, keys=fixed_keys())() as s:
        for rev, (rid, data) in enumerate(rows.items(), start=1):
            s.execute(insert(SyncRecord).values(
                collection="meetings", id=rid, rev=rev, deleted=False, data=json.dumps(data),
                unit_id="u", parent=None, created_by="p", updated_by="p",
                updated_at=MONDAY))
        s.commit()
    upgrade(engine)
    with make_sessionmaker(engine, keys=fixed_keys())() as s:
        spans = {m.meeting_id: (m.first_start, m.last_end) for m in s.scalars(select(MeetingSpan))}
    engine.dispose()
    assert spans == {"m-live": ("2026-12-01T01:00:00Z", "2026-12-01T02:00:00Z"),
                     "m-series": ("2026-12-01T01:00:00Z", None)}
