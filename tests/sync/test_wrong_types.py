"""An insider with a valid account pushes records whose fields hold the wrong kind of JSON
value (a number for a title, an object for 主送 …), as a tampered client would. Each op is
refused alone, naming the field; nothing is stored for the desks that would read it; never
a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from oa_client.domain.indexed import INDEXED_FIELDS
from oa_client.domain.meetings import Attendee, Meeting
from oa_client.services import documents as docs
from oa_client.services import meetings as mtg
from oa_client.services import records as svc
from sync.org import fetch_org
from sync.protocol import ORG_COLLECTIONS, SERVER_COLLECTIONS
from tests.sync.support import make_client


@pytest.fixture
def drafter(server, tmp_path):
    c = make_client(server, tmp_path, "liuyang")  # 市政府办公室 秘书科, 拟稿人
    yield c
    c.close()


def push(client, entity, rid, payload, *, base_rev=0, kind="upsert"):
    """One raw op, as a tampered client would send it."""
    op = {"op_id": uuid.uuid4().hex, "kind": kind,
          "entity": entity, "entity_id": rid, "base_rev": base_rev, "payload": payload}
    return client.transport.push([op]).results[0]


DRAFT = {"direction": "outgoing", "doc_kind": "通知", "title": "关于做好安全生产工作的通知",
         "body": "各单位：……"}
#: (field, wrong value, how the refusal names it)
DOCUMENT_CASES = [
    ("title", 5, "标题"), ("title", ["关于"], "“title”"), ("body", {"p": 1}, "“body”"),
    ("doc_kind", 5, "文种"), ("secrecy", True, "密级"), ("date", 20261207, "成文日期"),
    ("copy_no", 1.5, "份号"), ("issuer_name", [], "发文机关署名"),
    ("main_to", 5, "主送机关"), ("main_to", {"id": "u"}, "主送机关"), ("cc_to", [1], "抄送机关"),
    ("signers", 5, "签发人"), ("signers", True, "签发人"),
    ("countersign_departments", "办公室", "会签部门"),
    ("attachments", 5, "附件"), ("attachments", ["a.pdf"], "附件"),
    ("attachments", [{"name": 5}], "附件"), ("attachments", [{"name": "a", "size": "12"}], "附件"),
]


@pytest.mark.parametrize("field,value,label", DOCUMENT_CASES)
def test_a_document_made_with_a_wrongly_typed_element_is_refused_naming_it(
        drafter, field, value, label):
    rid = f"doc-wrong-{field}"
    result = push(drafter, "documents", rid, {**DRAFT, "id": rid, field: value})
    assert (result.status, result.code) == ("rejected", "validation")
    assert label in result.message
    drafter.engine.sync()
    assert drafter.store.records.get_many("documents", [rid]) == {}


def test_an_edit_with_a_wrongly_typed_element_leaves_the_document_as_it_was(drafter):
    svc.save(drafter.store, "documents", {**DRAFT, "id": "doc-edit"})
    drafter.engine.sync()
    stored = drafter.store.records.get("documents", "doc-edit")
    for field, value, label in [("title", 7, "标题"), ("main_to", 7, "主送机关"),
                                ("body_rev", "x", "正文版本"), ("body_rev", [1], "正文版本")]:
        result = push(drafter, "documents", "doc-edit", {**stored, field: value},
                      base_rev=stored["rev"])
        assert (result.status, result.code) == ("rejected", "validation"), field
        assert label in result.message
    drafter.engine.sync()
    after = drafter.store.records.get("documents", "doc-edit")
    assert (after["rev"], after["title"], after.get("main_to")) == (
        stored["rev"], stored["title"], stored.get("main_to"))


def test_a_desk_reads_a_document_an_older_server_kept_with_a_number_for_its_recipients():
    """The desk's own reading of 主送/抄送 takes what is not a list of ids as none."""
    data = docs.domain_data({**DRAFT, "main_to": 5, "cc_to": {"u": 1}})
    assert (data["main_to"], data["cc_to"]) == ([], [])


WRITABLE = [c for c in INDEXED_FIELDS if c not in ORG_COLLECTIONS + SERVER_COLLECTIONS]


def test_a_list_or_object_where_every_desk_keeps_one_value_is_refused(drafter):
    """A desk keeps these fields in indexed columns: a record holding a list or an object
    there could be stored on no desk that sees it (each would set it aside unreadable).
    One push holds a case for every such field of every collection a desk may write."""
    cases = [(c, f, v) for c in WRITABLE for f in INDEXED_FIELDS[c] for v in ([1], {"a": 1})]
    ops = [{"op_id": uuid.uuid4().hex, "kind": "upsert", "entity": c, "base_rev": 0,
            "entity_id": f"wrong-{i}", "payload": {"id": f"wrong-{i}", f: v}}
           for i, (c, f, v) in enumerate(cases)]
    results = drafter.transport.push(ops).results
    assert len(results) == len(cases) > 100
    for (collection, field, value), result in zip(cases, results, strict=True):
        assert (result.status, result.code) == ("rejected", "validation"), (collection, field, value)
        assert f"“{field}”只能填写单个值" in result.message


def test_a_unit_reply_naming_its_people_as_a_number_is_refused(server, tmp_path):
    """A unit's 回执 names who attends as a list of people; a number there is refused (it
    was a 500 that held the unit's whole outbox)."""
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    server.clock.now = now
    desks = {}
    for login in ("xiefang", "zhangmin"):
        desks[login] = make_client(server, tmp_path, login)
        fetch_org(desks[login].store, desks[login].transport)
    organiser, clerk = desks["xiefang"], desks["zhangmin"]
    unit_id = str(clerk.transport.user["unit"]["id"])
    start = now + timedelta(days=3)
    meeting = Meeting(subject="专题工作会议", starts_at=start, ends_at=start + timedelta(hours=1),
                      online_link="https://meet.example/1", agenda=("议题一",),
                      attendees=(Attendee(kind="unit", id=unit_id, name="普政数", seats=2),),
                      reply_deadline=start - timedelta(days=1))
    booked = mtg.book(organiser.store, meeting=meeting, user_id=str(organiser.transport.user["id"]),
                      user_name="谢芳", now=now)
    organiser.engine.sync()
    clerk.engine.sync()
    reply = {"meeting_id": booked.meeting_id, "attendee_id": unit_id, "answer": "attend",
             "attendee_kind": "unit", "user_id": str(clerk.transport.user["id"])}
    for value in (5, True, "某某"):
        result = push(clerk, "meeting_replies", f"reply-{uuid.uuid4().hex[:8]}",
                      {**reply, "attendee_ids": value})
        assert (result.status, result.code) == ("rejected", "validation"), value
        assert "参会人员" in result.message
    for desk in desks.values():
        desk.close()


def test_a_meeting_naming_a_time_zone_no_one_has_is_refused(server, tmp_path):
    """A notice's series repeats on its zone's wall clock; a zone that does not exist is
    refused naming the field (it was a 500 that held the organiser's whole outbox)."""
    organiser = make_client(server, tmp_path, "xiefang")  # 会议管理员
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    notice = {"subject": "专题工作会议", "starts_at": start.isoformat(),
              "ends_at": (start + timedelta(hours=1)).isoformat(),
              "online_link": "https://meet.example/1",
              "attendees": [{"id": str(organiser.transport.user["id"]), "name": "谢芳"}],
              "recurrence": {"freq": "weekly", "count": 3}}
    for zone in ("text", "Asia/Nowhere", 5):
        rid = f"m-zone-{uuid.uuid4().hex[:8]}"
        result = push(organiser, "meetings", rid, {**notice, "id": rid, "timezone": zone})
        assert (result.status, result.code) == ("rejected", "validation"), zone
        assert "timezone" in result.message
    rid = f"m-zone-{uuid.uuid4().hex[:8]}"
    good = push(organiser, "meetings", rid, {**notice, "id": rid, "timezone": "Asia/Shanghai"})
    assert good.status == "applied", good
    organiser.close()


def test_a_series_past_what_the_calendar_holds_is_refused_saying_why(server, tmp_path):
    """Repeat rules and moved sittings whose dates run past the calendar were 500s from the
    server's expansion (an interval of 10⁹ days, a series until 9999, a sitting moved to the
    year 9999); each is refused saying why, and a sane series beside them is kept."""
    organiser = make_client(server, tmp_path, "xiefang")  # 会议管理员
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    notice = {"subject": "专题工作会议", "starts_at": start.isoformat(),
              "ends_at": (start + timedelta(hours=1)).isoformat(),
              "online_link": "https://meet.example/1",
              "attendees": [{"id": str(organiser.transport.user["id"]), "name": "谢芳"}]}
    moved = [{"original_start": start.isoformat(), "starts_at": "9999-12-31T23:30:00+00:00"}]
    cases = [({"recurrence": {"freq": "daily", "interval": 10**9}}, "重复间隔不能超过366"),
             ({"recurrence": {"freq": "weekly", "interval": 2**70}}, "重复间隔不能超过366"),
             ({"recurrence": {"freq": "daily", "count": 10**9}}, "重复次数不能超过1000次"),
             ({"recurrence": {"freq": "daily", "until": "2060-12-31T00:00:00+00:00"}}, "二十年"),
             # a date past the years records take (calendar_range) is refused as it is read
             ({"recurrence": {"freq": "daily", "until": "9999-12-31T00:00:00+00:00"}},
              "recurrence.until"),
             ({"recurrence": {"freq": "daily", "count": 3}, "exceptions": moved},
              "exceptions.0.starts_at"),
             ({"source": "ics", "recurrence": {"freq": "daily", "count": 10**18}},
              "重复次数不能超过1000次")]
    for change, words in cases:
        rid = f"m-far-{uuid.uuid4().hex[:8]}"
        result = push(organiser, "meetings", rid, {**notice, "id": rid, **change})
        assert (result.status, result.code) == ("rejected", "validation"), change
        assert words in result.message, (change, result.message)
    rid = f"m-far-{uuid.uuid4().hex[:8]}"
    kept = push(organiser, "meetings", rid, {**notice, "id": rid,
                                             "recurrence": {"freq": "weekly", "count": 52}})
    assert kept.status == "applied", kept
    organiser.close()


def test_dates_and_numbers_past_what_records_take_are_refused_not_a_500(drafter, server, tmp_path):
    """A flow event dated 9999 (adding a step's time limit ran off the calendar), a sign-in for a
    sitting in 9999, a time zone name of 200,000 characters, a revision past 64 bits (every
    desk set the record aside): each refused on its own, naming the field."""
    rid = "doc-extreme"
    assert push(drafter, "documents", rid, {**DRAFT, "id": rid}).status == "applied"
    me = str(drafter.transport.user["id"])
    for at in ("9999-12-31", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+14:00"):
        event = {"document_id": rid, "action": "start", "actor_id": me, "at": at}
        result = push(drafter, "document_events", f"ev-{uuid.uuid4().hex[:8]}", event, kind="action")
        assert (result.status, result.code) == ("rejected", "validation"), at
        assert result.message.endswith("at"), result.message
    revision = {"document_id": rid, "base_rev": 2**63, "body": "正文"}
    result = push(drafter, "document_revisions", f"rev-{uuid.uuid4().hex[:8]}", revision)
    assert (result.status, result.code) == ("rejected", "validation")
    assert "base_rev" in result.message
    organiser = make_client(server, tmp_path, "xiefang")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    mid = f"m-{uuid.uuid4().hex[:8]}"
    notice = {"id": mid, "subject": "专题工作会议", "starts_at": start.isoformat(),
              "ends_at": (start + timedelta(hours=1)).isoformat(),
              "online_link": "https://meet.example/1",
              "attendees": [{"id": str(organiser.transport.user["id"]), "name": "谢芳"}]}
    long_zone = push(organiser, "meetings", "m-zone",
                     {**notice, "id": "m-zone", "timezone": "A" * 200_000})
    assert (long_zone.status, long_zone.code) == ("rejected", "validation")
    assert "timezone" in long_zone.message
    assert push(organiser, "meetings", mid, notice).status == "applied"
    for when in ("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"):
        checkin = {"meeting_id": mid, "person_id": str(organiser.transport.user["id"]),
                   "occurrence_start": when}
        result = push(organiser, "checkins", f"ci-{uuid.uuid4().hex[:8]}", checkin, kind="action")
        assert (result.status, result.code) == ("rejected", "validation"), when
        assert "occurrence_start" in result.message
    organiser.close()
