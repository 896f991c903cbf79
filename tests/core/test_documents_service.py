"""The 公文 service offline: compose with exact element errors, local flow checks, body
revisions with marks, lists, phrases and delegations (no server involved)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from oa_client.errors import PermissionDenied, ValidationError
from oa_client.services import documents as docs
from tests.support.store_helpers import open_profile

UNIT, CITY = "unit-hy", "unit-city"
CLERK = {"id": "u-clerk", "name": "黄晓梅", "unit": {"id": UNIT, "name": "洪阳镇人民政府"}}
DIRECTOR = {"id": "u-dir", "name": "陈伟杰", "unit": {"id": UNIT}}
MAYOR = {"id": "u-boss", "name": "梁海涛", "unit": {"id": UNIT}}
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path, file_keyring):
    s = open_profile(tmp_path / "p", file_keyring)
    s.records.write("units", [
        {"id": UNIT, "rev": 0, "name": "洪阳镇人民政府", "doc_code": "洪府"},
        {"id": CITY, "rev": 0, "name": "普宁市人民政府", "doc_code": "普府"}])
    s.records.write("users", [
        {"id": "u-clerk", "rev": 0, "unit_id": UNIT, "name": "黄晓梅", "roles": ["clerk", "seal_keeper"]},
        {"id": "u-dir", "rev": 0, "unit_id": UNIT, "name": "陈伟杰", "roles": ["office_director"]},
        {"id": "u-boss", "rev": 0, "unit_id": UNIT, "name": "梁海涛", "roles": ["principal_leader"]},
        {"id": "u-dep", "rev": 0, "unit_id": UNIT, "name": "朱艳萍", "roles": ["deputy_leader"]}])
    yield s
    s.close()


def _request(**extra):
    return {"doc_kind": "请示", "title": "关于拨付防汛抢险资金的请示", "main_to": [CITY],
            "body": "今年汛期我镇受灾严重，恳请市政府拨付抢险资金。\n妥否，请批示。", **extra}


def test_compose_names_the_wrong_element(store):
    with pytest.raises(ValidationError) as err:
        docs.compose(store, me=CLERK, fields=_request(title="  "))
    assert err.value.field == "title"
    with pytest.raises(ValidationError) as err:
        docs.compose(store, me=CLERK, fields=_request(secrecy="机密"))
    assert err.value.field == "secrecy" and "涉密" in err.value.message
    found = docs.validate(_request(main_to=[CITY, UNIT]), store=store)
    assert [e.field for e in found] == ["main_to"]
    assert docs.validate({**_request(), "attachments": [
        {"name": "大文件", "size": docs.MAX_ATTACHMENT_BYTES + 1}]})[0].field == "attachments"
    assert store.records.count("documents") == 0  # nothing half-saved


def test_submit_review_and_local_refusals(store):
    doc_id, _ = docs.compose(store, me=CLERK, fields=_request())
    view = docs.open_document(store, doc_id, me=CLERK, now=NOW)
    assert view.state == "draft" and view.can("submit")
    assert docs.list_documents(store, me=CLERK, box="drafts")[0]["id"] == doc_id
    docs.act(store, me=CLERK, doc_id=doc_id, action="submit", step="draft", opinion="请审核", now=NOW)
    view = docs.open_document(store, doc_id, me=DIRECTOR, now=NOW)
    assert view.state == "review" and view.can("approve") and view.can("return")
    assert view.timeline[0].outcome == "pending" and view.timeline[0].opinion == "请审核"
    with pytest.raises(PermissionDenied):  # the mayor does not hold 核稿
        docs.act(store, me=MAYOR, doc_id=doc_id, action="approve", step="review", now=NOW)
    with pytest.raises(ValidationError) as err:
        docs.act(store, me=DIRECTOR, doc_id=doc_id, action="return", step="review",
                 to_step="draft", opinion="  ", now=NOW)
    assert err.value.field == "opinion"
    docs.act(store, me=DIRECTOR, doc_id=doc_id, action="approve", step="review", opinion="同意",
             now=NOW)
    view = docs.open_document(store, doc_id, me=MAYOR, now=NOW)
    assert view.state == "sign_off" and view.can("approve")  # 请示: the principal leader signs


def test_body_revisions_are_marked(store):
    doc_id, _ = docs.compose(store, me=CLERK, fields=_request())
    docs.save_body(store, me=CLERK, doc_id=doc_id, body="今年汛期我镇受灾特别严重。", now=NOW)
    view = docs.open_document(store, doc_id, me=CLERK, now=NOW)
    assert view.body == "今年汛期我镇受灾特别严重。"
    assert ("insert", "特别") in view.body_marked
    assert view.revisions[0]["author_id"] == "u-clerk" and view.revisions[0]["base_rev"] == 0
    assert docs.compare("甲乙丙", "甲丁丙") == [("equal", "甲"), ("delete", "乙"), ("insert", "丁"),
                                          ("equal", "丙")]
    with pytest.raises(PermissionDenied):
        docs.save_body(store, me=DIRECTOR, doc_id=doc_id, body="别人改稿")


def test_phrases_and_delegations(store):
    docs.add_phrase(store, me=MAYOR, text="同意，请按程序办理。")
    with pytest.raises(ValidationError):
        docs.add_phrase(store, me=MAYOR, text="  ")
    assert [p["text"] for p in docs.phrases(store, me=MAYOR)] == ["同意，请按程序办理。"]
    docs.delegate(store, me=MAYOR, delegate_id="u-dep", start=date(2026, 11, 23),
                  end=date(2026, 11, 27))
    assert docs.delegations(store, me={"id": "u-dep"})[0]["principal_id"] == "u-boss"
    with pytest.raises(ValidationError):
        docs.delegate(store, me=MAYOR, delegate_id="u-dep", start=date(2026, 11, 27),
                      end=date(2026, 11, 23))


def test_boxes_filter_in_the_database(store):
    a, _ = docs.compose(store, me=CLERK, fields=_request())
    b, _ = docs.compose(store, me=CLERK, fields=_request(doc_kind="函", title="关于商请协助抢修堤围的函",
                                                          urgency="特急"))
    store.records.write("documents", [{**store.records.get("documents", a), "direction": "incoming",
                                       "state": "receive", "holder_ids": ["u-dir"]}])
    assert [d["id"] for d in docs.list_documents(store, me=CLERK, box="drafts")] == [b]
    assert [d["id"] for d in docs.list_documents(store, me=CLERK, box="drafts", kind="函",
                                                 urgency="特急", query="堤围")] == [b]
    assert docs.list_documents(store, me=CLERK, box="drafts", kind="请示") == []
    assert [d["id"] for d in docs.list_documents(store, me=DIRECTOR, box="incoming",
                                                 query="防汛")] == [a]
    assert [d["id"] for d in docs.list_documents(store, me=DIRECTOR, box="todo")] == [a]
    with pytest.raises(ValidationError):
        docs.list_documents(store, me=CLERK, box="trash")


def test_delete_draft_only_before_it_is_sent(store):
    doc_id, _ = docs.compose(store, me=CLERK, fields=_request())
    with pytest.raises(PermissionDenied):
        docs.delete_draft(store, me=DIRECTOR, doc_id=doc_id)
    other, _ = docs.compose(store, me=CLERK, fields=_request())
    docs.act(store, me=CLERK, doc_id=other, action="submit", step="draft", now=NOW)
    with pytest.raises(PermissionDenied):
        docs.delete_draft(store, me=CLERK, doc_id=other)
    docs.delete_draft(store, me=CLERK, doc_id=doc_id)
    assert [d["id"] for d in docs.list_documents(store, me=CLERK, box="drafts")] == []
