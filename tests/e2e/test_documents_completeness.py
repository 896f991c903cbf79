"""Completeness before a number, over the real server: a 请示 signed off without its 发文机关署名
reaches 编号, where the window names the missing element and offers no 编号; the server refuses
a pushed 编号 with code `missing_elements` naming it, and gives no number. Returned to the
drafter, completed and signed off again, it is numbered."""

from __future__ import annotations

import re

import pytest

from oa_client.errors import ValidationError
from oa_client.services import documents as docs
from tests.e2e.test_documents_conflicts import _event, _push
from tests.e2e.test_documents_flow import (
    CLERK,
    DIRECTOR,
    MAYOR,
    YEAR,
    request_fields,
    sign_off,
)


def test_no_number_while_the_issuing_authority_is_missing(desks):
    clerk = desks[CLERK]  # 黄晓梅: drafter, and the 文书 who numbers
    fields = request_fields(clerk)
    del fields["issuer_name"]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=fields)
    clerk.sync()
    clerk.act(doc_id, "submit", "draft", opinion="请审核。")  # a 署名 is not needed to 签发
    sign_off(desks, doc_id)
    clerk.sync()
    view = clerk.view(doc_id)
    assert view.state == "number" and view.missing == ["发文机关署名"]
    number = next(a for a in view.allowed if a.action == "approve")
    assert number.blocked == "公文要素缺失或有误，不能编号：发文机关署名"
    assert next(a for a in view.allowed if a.action == "return").blocked == ""
    with pytest.raises(ValidationError) as refused:  # refused offline, as the server would
        docs.act(clerk.store, me=clerk.me, doc_id=doc_id, action="approve", step="number")
    assert refused.value.field == "issuer_name"
    # a tampered client pushes 编号 anyway: refused, naming the element; no number taken
    result = _push(clerk, "document_events", _event(clerk, doc_id, "approve", "number"),
                   kind="action", rid="number-gap")
    assert (result.status, result.code) == ("rejected", "missing_elements")
    assert result.message == "公文要素缺失或有误，不能编号：发文机关署名"
    clerk.sync()
    rec = clerk.doc(doc_id)
    assert (rec["state"], rec["doc_number"]) == ("number", None)

    # back to the drafter, completed, signed off again: now it is numbered
    clerk.act(doc_id, "return", "number", to_step="draft", opinion="缺发文机关署名，请补正。")
    assert clerk.view(doc_id).state == "draft"
    docs.update_draft(clerk.store, me=clerk.me, doc_id=doc_id,
                      fields={"issuer_name": "洪阳镇人民政府"})
    clerk.sync()
    clerk.act(doc_id, "submit", "draft", opinion="已补正，请审核。")
    for login, step, opinion in ((DIRECTOR, "review", "已补正。"), (MAYOR, "sign_off", "同意上报。"),
                                 (DIRECTOR, "recheck", "复核无误。")):
        desks[login].sync()
        desks[login].act(doc_id, "approve", step, opinion=opinion)
    clerk.sync()
    view = clerk.view(doc_id)
    assert view.state == "number" and view.missing == []
    assert next(a for a in view.allowed if a.action == "approve").blocked == ""
    clerk.act(doc_id, "approve", "number")
    assert re.fullmatch(rf"洪府〔{YEAR}〕\d+号", clerk.doc(doc_id)["doc_number"])
    assert clerk.view(doc_id).state == "seal"
