"""Insider probe, 用印 and 分发: a 正式文件 made before the 公文 went back is never sent in place
of the document as it now reads (its new 文号, title and text); and ids the server derives for
分发 from public facts (the 收文 copy, its start event) cannot be taken first by a desk to stop
the receiving unit from signing for the 公文 (签收)."""

from __future__ import annotations

import hashlib
import uuid

from oa_client.services import documents as docs
from tests.e2e.conftest import Desk
from tests.e2e.test_documents_attachment_rules import push_one
from tests.e2e.test_documents_flow import (
    CITY_CLERK,
    CLERK,
    DIRECTOR,
    MAYOR,
    request_fields,
    sign_off,
    unit_id,
)
from tests.e2e.test_documents_seal import numbered, page_text

NEW_TITLE = "洪阳镇人民政府关于拨付防汛抢修资金的请示"


def _sealed_text(desk: Desk, att_id: str) -> str:
    """The text of a sealed PDF the desk holds, without the spaces and line breaks a reader
    inserts."""
    return "".join(page_text(desk.store.blobs.read(att_id)).split())


def _incoming_of(clerk: Desk, doc_id: str) -> str:
    """The id of the 收文 分发 made at 普宁市人民政府 (as the receipt names it)."""
    return clerk.doc(doc_id)["receipts"][unit_id(clerk, "普宁市人民政府")]["incoming_id"]


def test_a_sealed_document_returned_and_changed_is_sealed_and_sent_as_it_now_reads(desks):
    doc_id = numbered(desks)
    clerk, director, mayor = desks[CLERK], desks[DIRECTOR], desks[MAYOR]
    clerk.act(doc_id, "approve", "seal")
    first = clerk.doc(doc_id)
    old_number, old_file = first["doc_number"], first["sealed_attachment_id"]
    assert first["seal_state"] == "sealed"
    clerk.act(doc_id, "return", "dispatch", to_step="recheck", opinion="标题需调整。")
    assert not clerk.doc(doc_id).get("sealed_attachment_id")  # the old file is not its 正式文件

    director.sync()
    rec = director.doc(doc_id)
    edited = push_one(director, "upsert", "documents", doc_id, {**rec, "title": NEW_TITLE},
                      rec["rev"])
    assert edited.status == "applied", edited
    director.sync()
    docs.save_body(director.store, me=director.me, doc_id=doc_id,
                   body=director.doc(doc_id)["body"].replace("80 万元", "120 万元"))
    director.sync()
    director.act(doc_id, "approve", "recheck", opinion="标题与金额已改，请镇长重新签发。")
    mayor.sync()
    mayor.act(doc_id, "approve", "sign_off", opinion="同意。")
    director.sync()
    director.act(doc_id, "approve", "recheck")
    clerk.sync()
    clerk.act(doc_id, "approve", "number")
    new_number = clerk.doc(doc_id)["doc_number"]
    assert new_number and new_number != old_number
    clerk.act(doc_id, "approve", "seal")

    rec = clerk.doc(doc_id)
    assert rec["seal_state"] == "sealed" and rec["sealed_attachment_id"] != old_file
    pdf = clerk.store.blobs.read(rec["sealed_attachment_id"])
    assert hashlib.sha256(pdf).hexdigest() == rec["sealed_sha256"]
    text = _sealed_text(clerk, rec["sealed_attachment_id"])
    assert new_number in text and NEW_TITLE in text and "120万元" in text
    assert old_number not in text and "抢险资金的请示" not in text

    clerk.act(doc_id, "approve", "dispatch")
    city = desks[CITY_CLERK]
    city.sync()
    inc = city.doc(_incoming_of(clerk, doc_id))
    assert (inc["title"], inc["doc_number"]) == (NEW_TITLE, new_number)
    delivered = city.store.blobs.read(inc["sealed_attachment_id"])
    assert delivered == pdf  # the file made from the 公文 as it now reads, nothing older
    names = [a["name"] for a in city.view(inc["id"]).attachments]
    assert not any("已作废" in n for n in names)


def test_a_document_sent_back_to_its_number_is_sealed_again_with_its_record_elements(desks):
    """Returned from 分发 to 编号, the 版记 filled in: the old 正式文件 is void at once and the
    next 用印 makes a new one that shows the 版记; the old file stays, marked 已作废."""
    doc_id = numbered(desks)
    clerk = desks[CLERK]
    clerk.act(doc_id, "approve", "seal")
    old_file = clerk.doc(doc_id)["sealed_attachment_id"]
    assert "洪阳镇党政办" not in _sealed_text(clerk, old_file)
    clerk.act(doc_id, "return", "dispatch", to_step="number", opinion="版记漏填。")
    rec = clerk.doc(doc_id)
    filled = push_one(clerk, "upsert", "documents", doc_id,
                      {**rec, "printer": "洪阳镇党政办", "print_date": rec["date"]}, rec["rev"])
    assert filled.status == "applied", filled
    clerk.sync()
    clerk.act(doc_id, "approve", "number")
    assert not clerk.doc(doc_id).get("sealed_attachment_id")
    clerk.act(doc_id, "approve", "seal")
    rec = clerk.doc(doc_id)
    assert rec["seal_state"] == "sealed" and rec["sealed_attachment_id"] != old_file
    assert "洪阳镇党政办" in _sealed_text(clerk, rec["sealed_attachment_id"])
    old = clerk.store.db.query("SELECT name FROM attachments WHERE id = ?", (old_file,))
    assert old and old[0][0].endswith("（正式文件）（已作废）.pdf")  # kept, marked void


def test_seal_taken_again_after_a_return_to_seal_makes_the_file_again(desks):
    """Returned from 分发 to 用印 and sealed again: the 用印 is done (seal_state sealed), with
    a 正式文件 made now; 分发 sends that one."""
    doc_id = numbered(desks)
    clerk = desks[CLERK]
    clerk.act(doc_id, "approve", "seal")
    old_file = clerk.doc(doc_id)["sealed_attachment_id"]
    clerk.act(doc_id, "return", "dispatch", to_step="seal", opinion="印迹不清，重新用印。")
    clerk.act(doc_id, "approve", "seal")
    rec = clerk.doc(doc_id)
    assert rec["seal_state"] == "sealed" and rec["sealed_attachment_id"] != old_file
    clerk.act(doc_id, "approve", "dispatch")
    city = desks[CITY_CLERK]
    city.sync()
    inc = city.doc(_incoming_of(clerk, doc_id))
    delivered = city.store.blobs.read(inc["sealed_attachment_id"])
    assert hashlib.sha256(delivered).hexdigest() == rec["sealed_sha256"]


def _squat_start_event(squatter: Desk, doc_id: str) -> None:
    """On a decoy draft of the squatter's own, a 'start' event at the id the server will
    give the start event of 普宁市人民政府's 收文 of `doc_id`."""
    city = unit_id(squatter, "普宁市人民政府")
    inc_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"oa-exchange:{doc_id}:{city}:0"))
    start_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{inc_id}:start"))
    decoy, _ = docs.compose(squatter.store, me=squatter.me,
                            fields=request_fields(squatter, title="洪阳镇人民政府关于诱饵的请示"))
    squatter.sync()
    squat = push_one(squatter, "action", "document_events", start_id, {
        "document_id": decoy, "action": "start", "actor_id": squatter.id,
        "at": "2026-05-01T09:00:00+08:00", "unit_id": squatter.me["unit"]["id"]})
    assert squat.status == "applied", squat  # the desk's own draft: nothing wrong in itself


def test_a_squatted_start_event_id_does_not_stop_the_receiving_unit_signing_for_it(desks):
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    _squat_start_event(clerk, doc_id)
    sign_off(desks, doc_id)
    clerk.sync()
    for step in ("number", "seal", "dispatch"):
        clerk.act(doc_id, "approve", step)
    inc_id = _incoming_of(clerk, doc_id)
    city = desks[CITY_CLERK]
    city.sync()
    view = city.view(inc_id)
    assert view.state == "receive" and view.can("approve")
    city.act(inc_id, "approve", "receive", opinion="已签收。")
    assert city.doc(inc_id)["state"] == "register"
    clerk.sync()
    assert clerk.doc(doc_id)["receipts"][unit_id(clerk, "普宁市人民政府")]["status"] == "received"


def test_a_squatted_incoming_copy_id_is_not_taken_over_by_dispatch(desks):
    """A draft of the sender's made at the id of the 收文 to come: 分发 makes its own 收文,
    which the receiving unit signs for, and the squatter's draft stays his, unchanged."""
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    city_id = unit_id(clerk, "普宁市人民政府")
    squat_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"oa-exchange:{doc_id}:{city_id}:0"))
    squat = push_one(clerk, "upsert", "documents", squat_id, {
        **request_fields(clerk, title="洪阳镇人民政府关于诱饵的请示"), "direction": "outgoing",
        "unit_id": clerk.me["unit"]["id"]})
    assert squat.status == "applied", squat
    sign_off(desks, doc_id)
    clerk.sync()
    for step in ("number", "seal", "dispatch"):
        clerk.act(doc_id, "approve", step)
    inc_id = _incoming_of(clerk, doc_id)
    assert inc_id != squat_id
    decoy = clerk.doc(squat_id)
    assert decoy["title"] == "洪阳镇人民政府关于诱饵的请示" and decoy.get("direction") == "outgoing"
    city = desks[CITY_CLERK]
    city.sync()
    seen = city.store.db.query("SELECT count(*) FROM documents WHERE id = ?", (squat_id,))
    assert seen == [(0,)]  # the squatter's draft is not delivered to the city
    city.act(inc_id, "approve", "receive", opinion="已签收。")
    assert city.doc(inc_id)["state"] == "register"
    assert city.store.blobs.read(city.doc(inc_id)["sealed_attachment_id"])
