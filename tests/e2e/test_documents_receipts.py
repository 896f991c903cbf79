"""Honest 回执 over the real server: 已发送 when the server wrote the 收文, 已送达 only when a desk
of the receiving unit pulled it (later than sending, naming who), 已签收 when a person signed for
it, 已退回 with the reason; nobody — the sender, another unit, a tampered client — can forge
one by pushing fields: the server owns them."""

from __future__ import annotations

from oa_client.services import documents as docs
from tests.e2e.conftest import Desk
from tests.e2e.test_documents_conflicts import _event, _push
from tests.e2e.test_documents_flow import (
    CITY_CLERK,
    CLERK,
    issue,
    request_fields,
    sign_off,
    unit_id,
)

FINANCE_CLERK = "huangli"  # 普宁市财政局 文书
OTHER_CLERK = "laiqiuxia"  # 梅塘镇: neither sender nor recipient


def _dispatched(desks) -> tuple[Desk, str, str, str]:
    """A 请示 of 洪阳镇, 主送 the city, 抄送 财政局, taken to 分发; (clerk, doc id, city, finance)."""
    clerk = desks[CLERK]
    city, finance = unit_id(clerk, "普宁市人民政府"), unit_id(clerk, "普宁市财政局")
    doc_id, _ = docs.compose(clerk.store, me=clerk.me,
                             fields=request_fields(clerk, cc_to=[finance]))
    clerk.sync()
    clerk.act(doc_id, "submit", "draft", opinion="请审核。")
    sign_off(desks, doc_id)
    issue(desks, doc_id)
    clerk.sync()
    return clerk, doc_id, city, finance


def _receipts(clerk: Desk, doc_id: str) -> dict[str, tuple[str, str]]:
    """unit name → (status label, time shown) as the sender's window shows them."""
    clerk.sync()
    return {r.unit_name: (r.status_label, r.at) for r in clerk.view(doc_id).receipts}


def test_receipts_say_sent_delivered_signed_and_returned(desks, server):
    fin = desks[FINANCE_CLERK]  # 财政局's 文书 signed in before anything was sent
    clerk, doc_id, city, finance = _dispatched(desks)
    sent = clerk.doc(doc_id)["receipts"]
    assert {u: (r["status"], r.get("delivered_at")) for u, r in sent.items()} == {
        city: ("sent", None), finance: ("sent", None)}
    sent_at = sent[city]["sent_at"]
    assert _receipts(clerk, doc_id) == {"普宁市人民政府": ("已发送", sent_at),
                                        "普宁市财政局": ("已发送", sent_at)}
    # the sender's own pulls and another unit's deliver nothing
    desks[OTHER_CLERK].sync()
    clerk.sync()
    assert _receipts(clerk, doc_id)["普宁市人民政府"] == ("已发送", sent_at)

    server.clock.advance(minutes=12)
    city_clerk = desks[CITY_CLERK]  # the city's 收发员 signs in: her desk pulls the 收文
    receipt = (clerk.sync(), clerk.doc(doc_id)["receipts"][city])[1]
    assert receipt["status"] == "delivered" and receipt["delivered_at"] > sent_at
    assert receipt["delivered_to"] == "吴琼"
    assert receipt["delivered_device"] == city_clerk.client.transport.device_id
    assert _receipts(clerk, doc_id) == {"普宁市人民政府": ("已送达", receipt["delivered_at"]),
                                        "普宁市财政局": ("已发送", sent_at)}
    inc_id = receipt["incoming_id"]
    assert city_clerk.doc(inc_id)["state"] == "receive"
    city_clerk.sync()  # delivered once: another pull changes nothing
    assert clerk.doc(doc_id)["receipts"][city]["delivered_at"] == receipt["delivered_at"]

    server.clock.advance(minutes=3)
    city_clerk.act(inc_id, "approve", "receive", opinion="已签收。")
    signed = (clerk.sync(), clerk.doc(doc_id)["receipts"][city])[1]
    assert (signed["status"], signed["by_name"]) == ("received", "吴琼")
    assert signed["received_at"] > signed["delivered_at"]
    assert _receipts(clerk, doc_id)["普宁市人民政府"] == ("已签收", signed["received_at"])

    server.clock.advance(minutes=30)
    report = fin.sync()  # her desk pulls the 收文: delivered, and nothing to pull again after
    assert report.repulled == []
    fin_inc = clerk.doc(doc_id)["receipts"][finance]["incoming_id"]
    assert fin.doc(fin_inc)["delivered_at"] and "delivery_pending" not in fin.doc(fin_inc)
    server.clock.advance(minutes=2)
    fin.act(fin_inc, "return", "receive", opinion="本局非主送机关，请按程序报送市政府。")
    returned = (clerk.sync(), clerk.doc(doc_id)["receipts"][finance])[1]
    assert returned["status"] == "returned" and returned["reason"] == "本局非主送机关，请按程序报送市政府。"
    assert sent_at < returned["delivered_at"] < returned["returned_at"]
    view = {r.unit_name: r for r in clerk.view(doc_id).receipts}["普宁市财政局"]
    assert (view.status_label, view.reason, view.by_name) == (
        "已退回", "本局非主送机关，请按程序报送市政府。", "黄莉")


def test_nobody_forges_a_receipt_by_pushing_fields(desks):
    clerk, doc_id, city, _finance = _dispatched(desks)
    rec = clerk.doc(doc_id)
    inc_id = rec["receipts"][city]["incoming_id"]
    forged = {u: {**r, "status": "received", "delivered_at": r["sent_at"],
                  "received_at": r["sent_at"], "by_name": "吴琼"} for u, r in rec["receipts"].items()}
    # the sender writes the receipts into its own document: the server keeps its own
    result = _push(clerk, "documents", {**rec, "receipts": forged}, rid=doc_id,
                   base_rev=int(rec["rev"]))
    assert (result.status, result.code) == ("rejected", "not_allowed"), result
    # … nor can it say "delivered" with a receipt action, or sign for the 收文 itself
    result = _push(clerk, "document_events", {
        **_event(clerk, doc_id, "urge", None), "receipt_action": "delivered",
        "receiving_unit_id": city}, kind="action", rid="forge-1")
    assert (result.status, result.code) == ("rejected", "validation")
    result = _push(clerk, "document_events", _event(clerk, inc_id, "approve", "receive"),
                   kind="action", rid="forge-2")
    assert result.status == "rejected"
    # a desk of another unit marks the 收文 delivered: it may not even see it
    other = desks[OTHER_CLERK]
    result = _push(other, "documents", {"direction": "incoming", "delivered_at": rec["created_at"],
                                        "delivery_pending": False, "title": rec["title"]},
                   rid=inc_id, base_rev=1)
    assert (result.status, result.code) == ("rejected", "forbidden"), result
    clerk.sync(clean=False)
    receipt = clerk.doc(doc_id)["receipts"][city]
    assert (receipt["status"], receipt.get("delivered_at"), receipt.get("received_at")) == (
        "sent", None, None)
    assert [r.status_label for r in clerk.view(doc_id).receipts] == ["已发送", "已发送"]


def test_a_chase_carrying_fields_of_its_own_keeps_only_what_a_chase_holds(desks):
    """催收 pushed by a tampered client with fields a 催收 does not have (a list as 代办人, a
    number as 意见): the server keeps the 催收 as a desk writes it, so every desk on the route
    still opens the document and lists its timeline."""
    clerk, doc_id, city, _finance = _dispatched(desks)
    result = _push(clerk, "document_events", {
        **_event(clerk, doc_id, "urge", None), "receipt_action": "chase",
        "receiving_unit_id": city, "on_behalf_of": [1, 2], "opinion": 5, "signature_id": {"a": 1},
        "values": 7, "action": 3}, kind="action", rid="chase-extra")
    assert result.status == "applied", result
    clerk.sync(clean=False)
    kept = clerk.store.records.get("document_events", "chase-extra")
    extra = ("on_behalf_of", "opinion", "signature_id", "values")
    assert {k: kept.get(k) for k in extra} == dict.fromkeys(extra)
    assert (kept["receipt_action"], kept["action"]) == ("chase", "urge")
    assert [r.status_label for r in clerk.view(doc_id).receipts] == ["已发送", "已发送"]
