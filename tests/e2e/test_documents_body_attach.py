"""A draft's body edit survives when an older upsert of the draft was queued before it."""

from __future__ import annotations

from oa_client.services import documents as docs
from tests.e2e.test_documents_flow import CLERK, request_fields

NEW_BODY = "修改后的正文：整改问题9处。"


def test_body_edit_after_an_attachment_is_not_lost(desks):
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    # attaching queues an upsert of the draft with the old body; the revision comes after it
    docs.attach_file(clerk.store, me=clerk.me, doc_id=doc_id, name="附件1.txt",
                     data="附件内容".encode())
    docs.save_body(clerk.store, me=clerk.me, doc_id=doc_id, body=NEW_BODY)
    clerk.sync()
    assert clerk.doc(doc_id)["body"] == NEW_BODY
    assert clerk.doc(doc_id)["body_rev"] == 1
    # a later edit of the draft's elements carries the new body and keeps it
    docs.update_draft(clerk.store, me=clerk.me, doc_id=doc_id,
                      fields={**request_fields(clerk), "body": NEW_BODY + "补充。",
                              "title": "洪阳镇人民政府关于拨付防汛抢险资金的请示（修改）"})
    clerk.sync()
    assert clerk.doc(doc_id)["body"] == NEW_BODY + "补充。"
