"""Attachments and 常用意见 have rules on the server (issue #19, finding 3): an insider of the
same unit who is not on a document's route tries, with hand-made ops, to swap another
person's attachment, share it with another unit, delete it, add one to a running document,
and to rewrite a colleague's 常用意见 — each is refused and the server's copy stays as it was.
An attachment record never changes (a rename is refused, so nothing resets who sees it), and
after 签发 the attachments are frozen."""

from __future__ import annotations

import hashlib

from oa_client.domain.ids import new_id
from oa_client.services import documents as docs
from sync.protocol import OpResult
from tests.e2e.conftest import Desk

DRAFTER, DIRECTOR, INSIDER = "liuyang", "huangjianhua", "xiefang"  # all 市政府办公室
FINANCE_CLERK = "huangli"  # 财政局
SIGNER = "linhuimin"  # 分管副市长: signs the 通知 off


def _unit_id(desk: Desk, name: str) -> str:
    return next(u["id"] for u in desk.store.records.list("units", limit=1000) if u["name"] == name)


def notice_fields(desk: Desk) -> dict:
    """A 通知 of the 市政府办公室 to 洪阳镇."""
    return {"doc_kind": "通知", "title": "普宁市人民政府办公室关于做好防汛物资储备的通知",
            "main_to": [_unit_id(desk, "洪阳镇人民政府")], "issuer_name": "普宁市人民政府办公室",
            "body": "各镇人民政府：\n请做好防汛物资储备工作。"}


def push_one(desk: Desk, kind: str, entity: str, entity_id: str, payload: dict,
             base_rev: int = 0) -> OpResult:
    """Send one hand-made op, as a modified client would."""
    (result,) = desk.client.transport.push([{
        "op_id": new_id(), "kind": kind, "entity": entity, "entity_id": entity_id,
        "base_rev": base_rev, "payload": payload}]).results
    return result


def server_attachment(desk: Desk, att_id: str) -> dict | None:
    """The attachment as the desk holds it after a sync (None when it is not there)."""
    desk.sync()
    rows = desk.store.db.query(
        "SELECT name, size, sha256, rev FROM attachments WHERE id = ? AND deleted = 0", (att_id,))
    return dict(zip(("name", "size", "sha256", "rev"), rows[0], strict=True)) if rows else None


def attached_draft(desks) -> tuple[Desk, str, str]:
    """刘洋's synced draft with one attachment: (desk, document id, attachment id)."""
    drafter = desks[DRAFTER]
    doc_id, _ = docs.compose(drafter.store, me=drafter.me, fields=notice_fields(drafter))
    docs.attach_file(drafter.store, me=drafter.me, doc_id=doc_id, name="储备清单.xlsx",
                     data=b"PK\x03\x04 list v1")
    drafter.sync()
    (att_id,) = [r[0] for r in drafter.store.db.query(
        "SELECT id FROM attachments WHERE owner_id = ?", (doc_id,))]
    return drafter, doc_id, att_id


def assert_refused(result: OpResult, *codes: str) -> None:
    """Rejected with one of `codes` (the who-sees-what rule may hide the record first: then
    the answer is `forbidden`, which says nothing about whether it exists)."""
    assert result.status == "rejected", result
    assert result.code in codes, result


def test_an_insider_cannot_swap_share_or_delete_anothers_attachment(desks):
    drafter, doc_id, att_id = attached_draft(desks)
    before = server_attachment(drafter, att_id)
    insider = desks[INSIDER]
    finance = _unit_id(insider, "普宁市财政局")
    swapped = {"owner_kind": "document", "owner_id": doc_id, "name": "储备清单.xlsx",
               "size": 9, "sha256": hashlib.sha256(b"malicious").hexdigest(), "mime": None}
    assert_refused(push_one(insider, "upsert", "attachments", att_id, swapped,
                            base_rev=before["rev"]), "immutable", "forbidden")
    shared = {**swapped, "size": before["size"], "sha256": before["sha256"],
              "audience_units": [finance]}
    assert_refused(push_one(insider, "upsert", "attachments", att_id, shared,
                            base_rev=before["rev"]), "immutable", "forbidden")
    assert_refused(push_one(insider, "delete", "attachments", att_id, {}, base_rev=before["rev"]),
                   "not_allowed", "forbidden")
    assert server_attachment(drafter, att_id) == before  # unchanged, still there
    finance_clerk = desks[FINANCE_CLERK]
    finance_clerk.sync()
    assert not finance_clerk.store.db.query("SELECT 1 FROM attachments WHERE id = ?", (att_id,))


def test_an_insider_cannot_add_to_a_running_document_she_may_not_edit(desks):
    drafter, doc_id, _att_id = attached_draft(desks)
    drafter.act(doc_id, "submit", "draft")  # now at 核稿, held by 黄建华
    insider = desks[INSIDER]
    data = b"%PDF-1.7 injected"
    injected = {"owner_kind": "document", "owner_id": doc_id, "name": "补充说明.pdf",
                "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                "mime": "application/pdf"}
    new_att = new_id()
    assert_refused(push_one(insider, "upsert", "attachments", new_att, injected),
                   "not_allowed", "forbidden")
    assert server_attachment(drafter, new_att) is None
    # the holder of the step may add one before 签发
    director = desks[DIRECTOR]
    director.sync()
    docs.attach_file(director.store, me=director.me, doc_id=doc_id, name="核稿意见.txt",
                     data="核稿意见".encode())
    director.sync()
    drafter.sync()
    assert "核稿意见.txt" in [a["name"] for a in drafter.view(doc_id).attachments]


def test_a_rename_is_refused_and_changes_nobodys_view(desks):
    drafter, doc_id, att_id = attached_draft(desks)
    drafter.act(doc_id, "submit", "draft")
    director = desks[DIRECTOR]
    director.sync()
    before = server_attachment(drafter, att_id)
    renamed = {"owner_kind": "document", "owner_id": doc_id, "name": "储备清单（修订）.xlsx",
               "size": before["size"], "sha256": before["sha256"], "mime": None}
    result = push_one(drafter, "upsert", "attachments", att_id, renamed, base_rev=before["rev"])
    assert (result.status, result.code) == ("rejected", "immutable")
    assert "新版本请作为新附件添加" in result.message
    assert server_attachment(drafter, att_id) == before
    assert server_attachment(director, att_id) == before  # the route still sees it, unchanged


def test_attachments_are_frozen_after_sign_off(desks):
    drafter, doc_id, att_id = attached_draft(desks)
    drafter.act(doc_id, "submit", "draft")
    desks[DIRECTOR].act(doc_id, "approve", "review")
    signer = desks[SIGNER]
    signer.sync()
    signer.act(doc_id, "approve", "sign_off", opinion="同意。",
               signature={"png": b"\x89PNG\r\n\x1a\nsig", "strokes": [[[0, 0], [5, 8]]]})
    director = desks[DIRECTOR]
    director.sync()
    assert director.doc(doc_id)["state"] == "recheck"
    assert director.doc(doc_id)["frozen_attachments"] == [att_id]  # the signature is not one
    data = b"late addition"
    late = {"owner_kind": "document", "owner_id": doc_id, "name": "补充.txt", "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "mime": None}
    assert_refused(push_one(director, "upsert", "attachments", new_id(), late), "frozen")
    assert_refused(push_one(drafter, "delete", "attachments", att_id, {},
                            base_rev=server_attachment(drafter, att_id)["rev"]), "frozen")
    assert server_attachment(drafter, att_id) is not None


def test_a_client_cannot_make_or_remove_a_server_file(desks):
    drafter = desks[DRAFTER]
    doc_id, _ = docs.compose(drafter.store, me=drafter.me, fields=notice_fields(drafter))
    drafter.sync()
    data = b"%PDF-1.7 forged seal"
    forged = {"owner_kind": "document", "owner_id": doc_id, "name": "正式文件.pdf",
              "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
              "mime": "application/pdf", "role": "official", "server_owned": True}
    assert_refused(push_one(drafter, "upsert", "attachments", new_id(), forged), "read_only")


def test_phrases_are_their_owners_alone(desks):
    drafter = desks[DRAFTER]
    docs.add_phrase(drafter.store, me=drafter.me, text="请按程序办理。")
    drafter.sync()
    (phrase,) = docs.phrases(drafter.store, me=drafter.me)
    insider = desks[INSIDER]
    changed = push_one(insider, "upsert", "phrases", phrase["id"],
                       {"owner_id": drafter.id, "text": "不同意。"}, base_rev=phrase["rev"])
    assert_refused(changed, "not_allowed", "forbidden")
    assert_refused(push_one(insider, "delete", "phrases", phrase["id"], {},
                            base_rev=phrase["rev"]), "not_allowed", "forbidden")
    planted = push_one(insider, "upsert", "phrases", new_id(),
                       {"owner_id": drafter.id, "text": "同意。"})
    assert_refused(planted, "not_allowed")
    drafter.sync()
    assert [p["text"] for p in docs.phrases(drafter.store, me=drafter.me)] == ["请按程序办理。"]
