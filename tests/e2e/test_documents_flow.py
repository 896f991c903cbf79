"""End to end through the real server over HTTP with the demo org: a 请示 from 洪阳镇 to the
city, drafted → 核稿 → 签发 (主要领导) → 复核 → 编号 → 用印 → 分发 → 签收 → 登记 → 初审 →
拟办 → 批示 → 承办 → 传阅 (three readers) → 办结 → 归档, asserting every state, receipt and
opinion on both sides; and the same with the drafting client offline until 签发."""

from __future__ import annotations

import re

import pytest

from docs_exchange.verify import verify_pdf
from oa_client.errors import SyncError
from oa_client.services import documents as docs
from oa_client.services.todo import todo_items
from tests.e2e.conftest import Desk

CLERK, DIRECTOR, MAYOR = "huangxiaomei", "chenweijie", "lianghaitao"  # 洪阳镇
CITY_CLERK, CITY_DIRECTOR, CITY_MAYOR = "wuqiong", "huangjianhua", "chenzhiqiang"
CHIEF = "zhengxiaoyan"  # 秘书科
READERS = ("linhuimin", "lindongsheng", "xiefang")
YEAR = "2026"


def unit_id(desk: Desk, name: str) -> str:
    """A unit's id by name from the desk's org cache."""
    return next(u["id"] for u in desk.store.records.list("units", limit=1000) if u["name"] == name)


def request_fields(desk: Desk, **extra) -> dict:
    """A 请示 from 洪阳镇 to 普宁市人民政府."""
    return {"doc_kind": "请示", "title": "洪阳镇人民政府关于拨付防汛抢险资金的请示",
            "main_to": [unit_id(desk, "普宁市人民政府")],
            "body": "今年第 12 号台风造成我镇堤围多处受损。\n恳请市政府拨付抢险资金 80 万元。\n妥否，请批示。",
            "urgency": "加急", "issuer_name": "洪阳镇人民政府", **extra}


def opinions(view: docs.DocumentView) -> list[tuple[str, str, str, str]]:
    """(step, action, actor, opinion) of every accepted timeline entry."""
    return [(e.step or "", e.action, e.actor_name, e.opinion) for e in view.timeline
            if e.outcome == "accepted"]


def sign_off(d: dict[str, Desk], doc_id: str) -> None:
    """核稿 → 签发 by the 主要领导 → 复核, each desk syncing first, states asserted on the way."""
    director, mayor = d[DIRECTOR], d[MAYOR]
    director.sync()
    view = director.view(doc_id)
    assert view.state == "review" and view.can("approve") and not mayor.view(doc_id).can("approve")
    director.act(doc_id, "approve", "review", opinion="内容属实，请镇长签发。")
    mayor.sync()
    view = mayor.view(doc_id)
    assert view.state == "sign_off" and view.holder_names == ["梁海涛"]
    mayor.act(doc_id, "approve", "sign_off", opinion="同意上报。",
              signature={"png": b"\x89PNG\r\n\x1a\nsig", "strokes": [[[0, 0], [5, 8]]]})
    director.sync()
    rec = director.doc(doc_id)
    assert rec["state"] == "recheck" and rec["signers"] == ["梁海涛"] and rec["signed_off_on"]
    assert rec["date"] == rec["signed_off_on"]  # 成文日期
    # the date is an element the desks edit: an edit made before 签发 is now a conflict
    assert rec["content_device"] == mayor.client.transport.device_id
    director.act(doc_id, "approve", "recheck", opinion="复核无误。")


def issue(d: dict[str, Desk], doc_id: str) -> str:
    """编号 → 用印 → 分发 by the 洪阳镇 clerk (also the seal keeper); returns the 文号."""
    clerk = d[CLERK]
    clerk.sync()
    assert clerk.view(doc_id).state == "number"
    clerk.act(doc_id, "approve", "number")
    number = clerk.doc(doc_id)["doc_number"]
    assert re.fullmatch(rf"洪府〔{YEAR}〕\d+号", number)
    assert clerk.view(doc_id).state == "seal"
    clerk.act(doc_id, "approve", "seal", opinion="已用印。")
    rec = clerk.doc(doc_id)  # 用印 made the 正式文件: the server's layout, sealed
    report = verify_pdf(clerk.store.blobs.read(rec["sealed_attachment_id"]),
                        trust_roots=clerk.client.engine.trust_roots())
    assert report.ok and report.signatures[-1].signer.name == "洪阳镇人民政府", report.text()
    clerk.act(doc_id, "approve", "dispatch")
    return number


def at_propose(d: dict[str, Desk]) -> str:
    """A 洪阳镇 请示 taken through to 分发, received, registered and vetted by the city's clerk:
    its 收文 waits for the city office's 拟办; returns the 收文's id."""
    clerk = d[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    for login, step in ((DIRECTOR, "review"), (MAYOR, "sign_off"), (DIRECTOR, "recheck")):
        d[login].sync()
        d[login].act(doc_id, "approve", step)
    issue(d, doc_id)
    inc_id = clerk.doc(doc_id)["receipts"][unit_id(clerk, "普宁市人民政府")]["incoming_id"]
    city_clerk = d[CITY_CLERK]
    city_clerk.sync()
    for step in ("receive", "register", "vet"):
        city_clerk.act(inc_id, "approve", step)
    d[CITY_DIRECTOR].sync()
    return inc_id


def receive_and_handle(d: dict[str, Desk], doc_id: str, number: str, clock) -> None:
    """The city side: 签收 … 归档, with the sender's receipt followed all along (`clock`: the
    server's, moved on while the 收文 waits for the city's desk)."""
    clerk = d[CLERK]
    clerk.sync()
    rec = clerk.doc(doc_id)
    city = unit_id(clerk, "普宁市人民政府")
    assert rec["state"] == "dispatched" and rec["holder_ids"] == []
    receipt = rec["receipts"][city]
    # the server wrote the 收文: sent, and nobody of the city has it yet
    assert receipt["status"] == "sent" and receipt["sent_at"] and not receipt.get("delivered_at")
    assert [(r.unit_name, r.status_label) for r in clerk.view(doc_id).receipts] == [
        ("普宁市人民政府", "已发送")]
    inc_id = receipt["incoming_id"]

    clock.advance(minutes=7)
    city_clerk = d[CITY_CLERK]  # the city's 收发员 signs in; her desk pulls the 收文: delivered
    clerk.sync()
    receipt = clerk.doc(doc_id)["receipts"][city]
    assert receipt["status"] == "delivered" and receipt["delivered_at"] > receipt["sent_at"]
    assert receipt["delivered_to"] == "吴琼"
    assert [(r.unit_name, r.status_label) for r in clerk.view(doc_id).receipts] == [
        ("普宁市人民政府", "已送达")]
    box = docs.list_documents(city_clerk.store, me=city_clerk.me, box="todo")
    assert [r["id"] for r in box] == [inc_id]
    todo = todo_items(city_clerk.store, user_id=city_clerk.id)
    assert [(t.kind, t.record_id, t.urgency) for t in todo if t.collection == "documents"] == [
        ("handle", inc_id, "加急")] and todo[0].deadline  # the 签收 step's time limit
    inc = city_clerk.view(inc_id)
    assert (inc.direction, inc.state, inc.record["doc_number"]) == ("incoming", "receive", number)
    # the 收文 carries the sealed 正式文件; it verifies at the city, offline, with the CA root
    # the city's client synced
    sealed = city_clerk.store.blobs.read(inc.record["sealed_attachment_id"])
    address = city_clerk.client.transport.base_url
    city_clerk.client.transport.base_url = "http://127.0.0.1:9"
    report = verify_pdf(sealed, trust_roots=city_clerk.client.engine.trust_roots())
    assert report.ok and report.signatures[-1].signer.name == "洪阳镇人民政府", report.text()
    assert number in sealed.decode("latin-1") or report.signatures[-1].reason.endswith(number)
    city_clerk.client.transport.base_url = address
    assert inc.record["sender_name"] == "洪阳镇人民政府" and inc.record["urgency"] == "加急"
    city_clerk.act(inc_id, "approve", "receive", opinion="已签收。")
    clerk.sync()
    receipt = clerk.doc(doc_id)["receipts"][city]
    assert receipt["status"] == "received" and receipt["by_name"] == "吴琼" and receipt["received_at"]
    assert clerk.view(doc_id).receipts[0].status_label == "已签收"

    city_clerk.act(inc_id, "approve", "register", values={"handling_days": 5})
    city_clerk.act(inc_id, "approve", "vet", opinion="要素齐全。")
    director = d[CITY_DIRECTOR]
    director.sync()
    chief = d[CHIEF]
    readers = [d[r] for r in READERS]
    dept = str(chief.me["department"]["id"])
    director.act(inc_id, "approve", "propose", opinion="拟请陈市长阅示，秘书科承办。",
                 values={"leader": "principal_leader", "lead_department": [dept],
                         "readers": [r.id for r in readers]})
    mayor = d[CITY_MAYOR]
    mayor.sync()
    assert mayor.view(inc_id).state == "instruct"
    mayor.act(inc_id, "approve", "instruct", opinion="同意拨付，请财政局按程序办理。")
    chief.sync()
    assert chief.view(inc_id).state == "handle"
    chief.act(inc_id, "approve", "handle", opinion="已会同财政局办理。")
    for i, reader in enumerate(readers):
        reader.sync()
        view = reader.view(inc_id)
        assert view.state == "circulate" and view.can("read")
        assert sum(has for _n, has in view.readers) == i
        assert [r["id"] for r in docs.list_documents(reader.store, me=reader.me, box="to_read")] \
            == [inc_id]
        assert ("read", inc_id) in {(t.kind, t.record_id) for t in todo_items(
            reader.store, user_id=reader.id)}
        reader.act(inc_id, "read", "circulate")
    city_clerk.sync()
    assert city_clerk.view(inc_id).state == "complete"
    assert sorted(city_clerk.doc(inc_id)["read_ids"]) == sorted(r.id for r in readers)
    city_clerk.act(inc_id, "approve", "complete", opinion="已办结。")
    city_clerk.act(inc_id, "approve", "archive")
    view = city_clerk.view(inc_id)
    assert view.state == "archived" and view.flow_status == "completed" and view.allowed == []
    assert [(s, a) for s, a, _w, _o in opinions(view)] == [
        ("receive", "approve"), ("register", "approve"), ("vet", "approve"),
        ("propose", "approve"), ("instruct", "approve"), ("handle", "approve"),
        *[("circulate", "read")] * 3, ("complete", "approve"), ("archive", "approve")]
    assert ("instruct", "approve", "陈志强", "同意拨付，请财政局按程序办理。") in opinions(view)
    assert docs.list_documents(city_clerk.store, me=city_clerk.me, box="done")[0]["id"] == inc_id


def test_request_from_township_to_city_full_circle(desks, server):
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.sync()
    clerk.act(doc_id, "submit", "draft", opinion="请审核。")
    assert clerk.doc(doc_id)["state"] == "review"
    sign_off(desks, doc_id)
    number = issue(desks, doc_id)
    view = clerk.view(doc_id)
    assert [(s, a, w) for s, a, w, _o in opinions(view)] == [
        ("draft", "submit", "黄晓梅"), ("review", "approve", "陈伟杰"),
        ("sign_off", "approve", "梁海涛"), ("recheck", "approve", "陈伟杰"),
        ("number", "approve", "黄晓梅"), ("seal", "approve", "黄晓梅"),
        ("dispatch", "approve", "黄晓梅")]
    signed = next(e for e in view.timeline if e.step == "sign_off")
    assert signed.opinion == "同意上报。" and signed.signature_id
    receive_and_handle(desks, doc_id, number, server.clock)
    assert docs.list_documents(clerk.store, me=clerk.me, box="done")[0]["id"] == doc_id


def test_drafting_client_offline_until_sign_off(desks, server):
    clerk = desks[CLERK]
    clerk.client.transport.base_url = "http://127.0.0.1:9"  # the township's network is down
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    docs.save_body(clerk.store, me=clerk.me, doc_id=doc_id,
                   body=clerk.doc(doc_id)["body"] + "\n附：受损情况统计表。")
    docs.attach_file(clerk.store, me=clerk.me, doc_id=doc_id, name="受损情况统计表.xlsx",
                     data=b"PK\x03\x04 stats")
    docs.act(clerk.store, me=clerk.me, doc_id=doc_id, action="submit", step="draft",
             opinion="请审核。")
    view = clerk.view(doc_id)
    assert view.state == "review" and view.timeline[0].outcome == "pending"
    assert view.waiting_on_server  # says what waits for the network
    with pytest.raises(SyncError):
        clerk.client.engine.sync()
    assert clerk.store.records.pending_ops() > 0
    clerk.client.transport.base_url = server.url  # back online
    clerk.sync()
    rec = clerk.doc(doc_id)
    assert rec["state"] == "review" and rec["body_rev"] == 1 and "统计表" in rec["body"]
    assert clerk.view(doc_id).timeline[0].outcome == "accepted"
    sign_off(desks, doc_id)
    # the clerk numbers while offline: the step waits and says 待编号
    clerk.sync()
    clerk.client.transport.base_url = "http://127.0.0.1:9"
    docs.act(clerk.store, me=clerk.me, doc_id=doc_id, action="approve", step="number")
    view = clerk.view(doc_id)
    assert any("待编号" in n for n in view.waiting_on_server) and not view.record.get("doc_number")
    clerk.client.transport.base_url = server.url
    clerk.sync()
    assert re.fullmatch(rf"洪府〔{YEAR}〕\d+号", clerk.doc(doc_id)["doc_number"])
    assert not any("待编号" in n for n in clerk.view(doc_id).waiting_on_server)
    # 用印 offline: the step queues, the window says 待用印, 分发 waits for the 正式文件
    clerk.client.transport.base_url = "http://127.0.0.1:9"
    docs.act(clerk.store, me=clerk.me, doc_id=doc_id, action="approve", step="seal")
    view = clerk.view(doc_id)
    assert any(n.startswith("待用印") for n in view.waiting_on_server)
    assert view.official is None and ("approve", "dispatch") not in [
        (a.action, a.step) for a in view.allowed]
    clerk.client.transport.base_url = server.url
    clerk.sync()
    view = clerk.view(doc_id)
    assert view.official is not None and view.seal_state == "sealed"
    assert not any(n.startswith("待用印") for n in view.waiting_on_server)
    clerk.act(doc_id, "approve", "dispatch")
    city = desks[CITY_CLERK]
    city.sync()
    inc_id = clerk.doc(doc_id)["receipts"][unit_id(clerk, "普宁市人民政府")]["incoming_id"]
    inc = city.view(inc_id)
    assert inc.state == "receive" and sorted(a["name"] for a in inc.attachments) == [
        "受损情况统计表.xlsx", "洪阳镇人民政府关于拨付防汛抢险资金的请示（交换包）.zip",
        "洪阳镇人民政府关于拨付防汛抢险资金的请示（正式文件）.pdf"]
