"""An insider with a valid account pushes records whose fields hold the wrong kind of JSON
value (a number for a title, an object for 主送 …), as a tampered client would. Each op is
refused alone, naming the field; nothing is stored for the desks that would read it; never
a 500."""

from __future__ import annotations

import uuid

import pytest

from oa_client.services import documents as docs
from oa_client.services import records as svc
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
    ("title", 5, "标题"), ("title", ["关于"], "标题"), ("body", {"p": 1}, "正文"),
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
