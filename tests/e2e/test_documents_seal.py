"""用印 makes the 正式文件 (issue #19, finding 1): when the issuing unit's 印章管理员 takes the
用印 step, the server lays the signed-off 公文 out per GB/T 9704 and presses the unit's seal;
the sealed PDF and the signed exchange package are the document's read-only attachments,
分发 carries them to the receiving unit, whose client checks the seal on arrival and again
offline with the CA root it synced. Nobody else takes 用印; 分发 waits for the 正式文件."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from pypdf import PdfReader

from docs_exchange.package import verify_package
from docs_exchange.verify import verify_pdf
from oa_client.domain.ids import new_id
from oa_client.errors import PermissionDenied, RenderError, SyncError, ValidationError
from oa_client.services import documents as docs
from oa_server import sealing
from tests.e2e.conftest import Desk
from tests.e2e.test_documents_attachment_rules import push_one
from tests.e2e.test_documents_flow import (
    CITY_CLERK,
    CLERK,
    DIRECTOR,
    request_fields,
    sign_off,
    unit_id,
)
from tests.e2e.test_meetings import DEMO_LOGINS
from tests.sync.support import make_client
from ui.documents.official import arrival_checker

STATS = ("受损情况统计表.xlsx", b"PK\x03\x04 damage statistics")


def numbered(desks: dict[str, Desk]) -> str:
    """A 洪阳镇 请示 with one attachment, signed off and numbered: at 用印."""
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    docs.attach_file(clerk.store, me=clerk.me, doc_id=doc_id, name=STATS[0], data=STATS[1])
    clerk.act(doc_id, "submit", "draft")
    sign_off(desks, doc_id)
    clerk.sync()
    clerk.act(doc_id, "approve", "number")
    assert clerk.view(doc_id).state == "seal" and not clerk.doc(doc_id).get("sealed_attachment_id")
    return doc_id


def page_text(pdf: bytes) -> str:
    """The text of every page, as a reader extracts it."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_seal_step_makes_the_official_file_which_travels_and_verifies_offline(desks, server,
                                                                             tmp_path):
    doc_id = numbered(desks)
    clerk = desks[CLERK]  # 文书 and 印章管理员 of 洪阳镇
    clerk.act(doc_id, "approve", "seal", opinion="已用印。")
    rec = clerk.doc(doc_id)
    assert rec["state"] == "dispatch" and rec["seal_state"] == "sealed" and rec["sealed_at"]
    pdf = clerk.store.blobs.read(rec["sealed_attachment_id"])
    assert hashlib.sha256(pdf).hexdigest() == rec["sealed_sha256"]
    report = verify_pdf(pdf, trust_roots=clerk.client.engine.trust_roots())
    assert report.ok, report.text()
    (seal,) = report.signatures
    assert (seal.signer.name, seal.signer.kind) == ("洪阳镇人民政府", "seal")
    assert seal.reason == f"公文用印：{rec['doc_number']}"
    text = page_text(pdf)
    for element in ("洪阳镇人民政府文件", rec["doc_number"], "签发人", "梁海涛",
                    "洪阳镇人民政府关于拨付防汛抢险资金的请示", "普宁市人民政府：",
                    "恳请市政府拨付抢险资金", "附件：受损情况统计表"):
        assert element in text.replace(" ", ""), element
    year, month, day = (int(x) for x in rec["date"].split("-"))
    assert "洪阳镇人民政府" in text.split("恳请")[-1]  # 署名 after the body
    assert re.search(rf"{year}年{month}月{day}日", text.replace(" ", ""))  # 成文日期
    view = clerk.view(doc_id)
    assert view.official is not None and view.official.name.endswith("（正式文件）.pdf")
    assert ("approve", "dispatch") in [(a.action, a.step) for a in view.allowed]
    # the 正式文件 is the server's: its own seal keeper cannot remove or replace it
    att = clerk.store.db.query("SELECT rev FROM attachments WHERE id = ?",
                               (rec["sealed_attachment_id"],))[0][0]
    refused = push_one(clerk, "delete", "attachments", rec["sealed_attachment_id"], {}, att)
    assert (refused.status, refused.code) == ("rejected", "read_only")

    clerk.act(doc_id, "approve", "dispatch")
    city = desks[CITY_CLERK]
    city.client.engine.check_arrivals = arrival_checker(city.store)
    assert city.sync().checked == 1  # checked on arrival
    inc_id = clerk.doc(doc_id)["receipts"][unit_id(clerk, "普宁市人民政府")]["incoming_id"]
    inc = city.doc(inc_id)
    names = sorted(a["name"] for a in city.view(inc_id).attachments)
    assert names == sorted([STATS[0], view.official.name,
                            "洪阳镇人民政府关于拨付防汛抢险资金的请示（交换包）.zip"])
    official = city.view(inc_id).official
    assert official is not None and official.downloaded
    assert official.verdict["ok"] and official.verdict["signer"] == "洪阳镇人民政府"
    assert official.verdict["reason"] == seal.reason and official.verdict["signed_at"]

    # at the receiving unit, offline, with the CA root its client synced
    city.client.transport.base_url = "http://127.0.0.1:9"
    roots = city.client.engine.trust_roots()
    there = city.store.blobs.read(inc["sealed_attachment_id"])
    assert there == pdf and verify_pdf(there, trust_roots=roots).ok
    package = verify_package(city.store.blobs.read(inc["package_attachment_id"]),
                             trust_roots=roots)
    assert package.ok, package.text()
    assert package.pdf == pdf and package.attachments == {STATS[0]: STATS[1]}
    assert package.metadata["doc_number"] == rec["doc_number"]
    assert package.signer is not None and package.signer.name == "洪阳镇人民政府"

    # audited with the record and the file's hash
    auditor = make_client(server, tmp_path, "hexiaoqin")
    log = auditor.transport.request("GET", "/audit", params={"action": "document.sealed"}).json()
    auditor.close()
    entries = [e for e in log if e["target"] == f"documents:{doc_id}"]
    assert len(entries) == 1 and entries[0]["details"]["signed_sha256"] == rec["sealed_sha256"]


def test_only_the_issuing_units_seal_keeper_takes_the_seal_step(desks):
    doc_id = numbered(desks)
    director = desks[DIRECTOR]  # sees the document, keeps no seal
    director.sync()
    with pytest.raises(PermissionDenied):
        docs.act(director.store, me=director.me, doc_id=doc_id, action="approve", step="seal")
    event = {"document_id": doc_id, "action": "approve", "step": "seal",
             "actor_id": director.id, "at": "2026-05-01T09:00:00+08:00"}
    refused = push_one(director, "action", "document_events", new_id(), event)
    assert (refused.status, refused.code) == ("rejected", "not_seal_keeper")
    city_keeper = desks["caiweidong"]  # another unit's 印章管理员
    refused = push_one(city_keeper, "action", "document_events", new_id(),
                       {**event, "actor_id": city_keeper.id})
    assert refused.status == "rejected" and refused.code in ("not_seal_keeper", "forbidden")
    clerk = desks[CLERK]
    handed = push_one(clerk, "action", "document_events", new_id(),
                      {**event, "action": "reassign", "actor_id": clerk.id, "to_user": director.id})
    assert (handed.status, handed.code) == ("rejected", "not_seal_keeper")
    clerk.sync()
    assert clerk.doc(doc_id).get("seal_state") is None and clerk.view(doc_id).state == "seal"


def test_dispatch_waits_for_the_official_file_and_the_keeper_asks_again(desks, monkeypatch):
    doc_id = numbered(desks)
    clerk = desks[CLERK]

    def broken(*_a, **_k):
        raise RenderError("字体缺失（测试）")

    monkeypatch.setattr(sealing, "render_pdf", broken)
    clerk.act(doc_id, "approve", "seal")  # the step is taken; making the file failed
    rec = clerk.doc(doc_id)
    assert (rec["state"], rec["seal_state"]) == ("dispatch", "failed")
    assert rec["seal_error"] == "字体缺失（测试）" and not rec.get("sealed_attachment_id")
    view = clerk.view(doc_id)
    assert view.seal_state == "failed" and not view.can("approve")  # 分发 not offered
    event = {"document_id": doc_id, "action": "approve", "step": "dispatch",
             "actor_id": clerk.id, "at": "2026-05-01T09:00:00+08:00"}
    refused = push_one(clerk, "action", "document_events", new_id(), event)
    assert (refused.status, refused.code) == ("rejected", "not_sealed")
    director = desks[DIRECTOR]
    with pytest.raises(SyncError) as other:
        docs.request_seal(director.client.transport, doc_id=doc_id)
    assert (other.value.status, other.value.code) == (403, "forbidden")
    monkeypatch.undo()
    made = docs.request_seal(clerk.client.transport, doc_id=doc_id)
    again = docs.request_seal(clerk.client.transport, doc_id=doc_id)
    assert again == made  # sealed once
    clerk.sync()
    assert clerk.doc(doc_id)["sealed_attachment_id"] == made["attachment_id"]
    clerk.act(doc_id, "approve", "dispatch")
    assert clerk.doc(doc_id)["state"] == "dispatched"


def test_the_signed_elements_stay_as_signed(desks):
    """After 签发 and 复核 the 文书 may fill in the 版记 at 编号, but not change the title."""
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    sign_off(desks, doc_id)
    clerk.sync()
    rec = clerk.doc(doc_id)
    changed = push_one(clerk, "upsert", "documents", doc_id,
                       {**rec, "title": "洪阳镇人民政府关于拨付救灾资金的请示"}, rec["rev"])
    assert (changed.status, changed.code) == ("rejected", "not_allowed")
    filled = push_one(clerk, "upsert", "documents", doc_id,
                      {**rec, "printer": "洪阳镇党政办", "print_date": rec["date"]}, rec["rev"])
    assert filled.status == "applied", filled
    clerk.sync()
    clerk.act(doc_id, "approve", "number")
    clerk.act(doc_id, "approve", "seal")
    pdf = clerk.store.blobs.read(clerk.doc(doc_id)["sealed_attachment_id"])
    assert "洪阳镇党政办" in page_text(pdf).replace(" ", "")  # the 版记 as filled in


def test_joint_issue_bears_each_units_seal(desks):
    """联合发文: 普政数 with 洪阳镇; each unit's 印章管理员 takes 用印 for its own seal; the
    正式文件 bears both seals, each over its unit's 署名, in the order of the 署名."""
    drafter = desks["lixiaolong"]  # 普政数
    town = unit_id(drafter, "洪阳镇人民政府")
    doc_id, _ = docs.compose(drafter.store, me=drafter.me, fields={
        "doc_kind": "通知", "title": "关于联合开展政务数据共享专项检查的通知",
        "main_to": [unit_id(drafter, "梅塘镇人民政府")],
        "issuer_name": "普宁市政务服务数据管理局",
        "body": "各有关单位：\n为提升政务数据共享质量，决定联合开展专项检查。\n请认真组织自查。"})
    drafter.act(doc_id, "submit", "draft")
    office = desks["chenjing"]
    office.sync()
    office.act(doc_id, "approve", "review", values={"co_issuing_units": [town]})
    for login, step in (("lianghaitao", "countersign"), ("zhouli", "sign_off"),
                        ("chenjing", "recheck"), ("zhangmin", "number")):
        desks[login].sync()
        desks[login].act(doc_id, "approve", step)
    keeper, town_keeper = desks["zhangmin"], desks["huangxiaomei"]
    keeper.act(doc_id, "approve", "seal")
    rec = keeper.doc(doc_id)
    assert rec["state"] == "seal" and not rec.get("seal_state")  # 洪阳镇's seal still to come
    town_keeper.sync()
    assert town_keeper.view(doc_id).can("approve")
    town_keeper.act(doc_id, "approve", "seal")
    rec = town_keeper.doc(doc_id)
    assert (rec["state"], rec["seal_state"]) == ("dispatch", "sealed")
    pdf = town_keeper.store.blobs.read(rec["sealed_attachment_id"])
    report = verify_pdf(pdf, trust_roots=town_keeper.client.engine.trust_roots())
    assert report.ok, report.text()
    assert [(s.signer.name, s.signer.kind) for s in report.signatures] == [
        ("普宁市政务服务数据管理局", "seal"), ("洪阳镇人民政府", "seal")]
    text = page_text(pdf).replace(" ", "")
    assert text.index("普宁市政务服务数据管理局") < text.rindex("洪阳镇人民政府")


def test_minutes_with_no_distribution_are_refused_at_dispatch(desks):
    """A 纪要 whose 分送 was emptied is sealed (no closing, no impression) but not sent: 分发
    names the missing 主送 on the desk, and the server refuses the step too."""
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields={
        "doc_kind": "纪要", "title": "洪阳镇防汛工作会议纪要",
        "body": "会议研究部署了汛期值班工作。\n会议议定：各村落实24小时值班。"})
    clerk.act(doc_id, "submit", "draft")
    users = {u["id"]: u["name"] for u in clerk.store.records.list("users", limit=1000)}
    while clerk.doc(doc_id)["state"] != "dispatch":  # each holder approves in turn
        state = clerk.doc(doc_id)["state"]
        holder = desks[DEMO_LOGINS[users[clerk.doc(doc_id)["holder_ids"][0]]]]
        holder.sync()
        holder.act(doc_id, "approve", state, opinion="同意。", **({"signature": {
            "png": b"\x89PNG\r\n\x1a\nsig", "strokes": [[[0, 0], [5, 8]]]}}
            if state == "sign_off" else {}))
        clerk.sync()
        assert clerk.doc(doc_id)["state"] != state
    rec = clerk.doc(doc_id)
    assert rec["state"] == "dispatch" and rec["seal_state"] == "sealed"
    pdf = clerk.store.blobs.read(rec["sealed_attachment_id"])
    assert verify_pdf(pdf, trust_roots=clerk.client.engine.trust_roots()).ok
    assert not any(page.images for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "洪阳镇人民政府纪要" in page_text(pdf).replace(" ", "")
    with pytest.raises(ValidationError) as refused:
        docs.act(clerk.store, me=clerk.me, doc_id=doc_id, action="approve", step="dispatch")
    assert refused.value.context["field"] == "main_to" and "主送" in refused.value.message
    result = push_one(clerk, "action", "document_events", new_id(), {
        "document_id": doc_id, "action": "approve", "step": "dispatch", "actor_id": clerk.id,
        "at": "2026-05-01T09:00:00+08:00"})
    assert result.status == "rejected" and "没有主送或抄送单位" in (result.message or "")
    assert clerk.sync().rejected == 0 and clerk.doc(doc_id)["state"] == "dispatch"
