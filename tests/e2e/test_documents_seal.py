"""用印 end to end: after the 用印 step the 印章管理员 asks the server to lay the document out
(GB/T 9704) and press the unit's seal; the sealed PDF verifies against the server's root and
travels with 分发 to the receiving unit. Someone else may not press the seal."""

from __future__ import annotations

import pytest

from docs_exchange.verify import verify_pdf
from oa_client.errors import SyncError
from oa_client.services import documents as docs
from tests.e2e.test_documents_flow import (
    CITY_CLERK,
    CLERK,
    DIRECTOR,
    request_fields,
    sign_off,
    unit_id,
)


def test_sealed_pdf_verifies_and_travels_with_dispatch(desks):
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    sign_off(desks, doc_id)
    clerk.sync()
    clerk.act(doc_id, "approve", "number")
    with pytest.raises(SyncError) as early:  # not before the 用印 step
        docs.request_seal(clerk.client.transport, doc_id=doc_id)
    err = early.value
    assert (err.kind, err.status, err.code) == ("invalid", 422, "validation")
    assert err.body["field"] == "state" and "尚未完成用印环节" in err.message
    clerk.act(doc_id, "approve", "seal")
    director = desks[DIRECTOR]  # sees the document, holds no seal
    director.sync()
    with pytest.raises(SyncError) as refused:
        docs.request_seal(director.client.transport, doc_id=doc_id)
    err = refused.value
    assert (err.kind, err.status, err.code) == ("forbidden", 403, "forbidden")
    assert "只有本单位的印章管理员" in err.message
    director.sync()
    assert director.doc(doc_id).get("sealed_attachment_id") is None  # neither refusal sealed it
    sealed = docs.request_seal(clerk.client.transport, doc_id=doc_id)
    again = docs.request_seal(clerk.client.transport, doc_id=doc_id)
    assert again["attachment_id"] == sealed["attachment_id"]  # sealed once
    clerk.sync()
    rec = clerk.doc(doc_id)
    assert rec["sealed_attachment_id"] == sealed["attachment_id"]
    pdf = clerk.store.blobs.read(sealed["attachment_id"])
    report = verify_pdf(pdf, trust_roots=[clerk.client.transport.ca_root()])
    assert report.ok and report.signatures, report.problems
    clerk.act(doc_id, "approve", "dispatch")
    city = desks[CITY_CLERK]
    city.sync()
    inc_id = clerk.doc(doc_id)["receipts"][unit_id(clerk, "普宁市人民政府")]["incoming_id"]
    names = [a["name"] for a in city.view(inc_id).attachments]
    assert names == [sealed["name"]]
    (att,) = city.view(inc_id).attachments
    assert city.store.blobs.read(att["id"]) == pdf
