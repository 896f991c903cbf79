"""A draft's body edit survives when an older upsert of the draft was queued before it; an
edit of the elements made before the draft last moved applies unless someone else wrote the
elements since."""

from __future__ import annotations

import pytest

from oa_client.services import documents as docs
from sync.org import fetch_org
from tests.e2e.conftest import Desk
from tests.e2e.test_documents_flow import CLERK, request_fields, unit_id
from tests.sync.support import make_client

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


@pytest.mark.parametrize("synced_first", [True, False], ids=["synced-draft", "new-draft"])
def test_an_element_edit_after_the_desks_own_body_revision_applies_in_the_next_batch(
        desks, synced_first):
    """修改正文 then 修改要素, sent one op a batch: the revision moves the document on the
    server, and the edit after it is still the desk's own, not a conflict with itself."""
    clerk = desks[CLERK]
    clerk.client.engine.batch = 1
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    if synced_first:
        clerk.sync()
    docs.save_body(clerk.store, me=clerk.me, doc_id=doc_id, body=NEW_BODY)
    title = "洪阳镇人民政府关于拨付防汛抢险资金的请示（修改）"
    docs.update_draft(clerk.store, me=clerk.me, doc_id=doc_id,
                      fields={**request_fields(clerk), "body": NEW_BODY, "title": title})
    report = clerk.sync()  # asserts no conflict, no refusal
    assert report.applied == (2 if synced_first else 3)
    assert (clerk.doc(doc_id)["body"], clerk.doc(doc_id)["title"]) == (NEW_BODY, title)


def _draft_on_two_devices(server, tmp_path, desks) -> tuple[Desk, Desk, str]:
    """A synced draft of the 拟稿人, who also works on it from a second device."""
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.sync()
    laptop = Desk(make_client(server, tmp_path, CLERK, name="clerk-laptop"))
    fetch_org(laptop.store, laptop.client.transport)
    laptop.sync()
    return clerk, laptop, doc_id


def test_an_edit_after_another_devices_body_revision_keeps_that_body_and_applies_the_rest(
        server, tmp_path, desks):
    clerk, laptop, doc_id = _draft_on_two_devices(server, tmp_path, desks)
    docs.save_body(laptop.store, me=laptop.me, doc_id=doc_id, body=NEW_BODY)
    laptop.sync()
    # the desk, not yet synced, changes the title and shares the draft with the city
    city = unit_id(clerk, "普宁市人民政府")
    title = "洪阳镇人民政府关于拨付防汛抢险资金的请示（修改）"
    docs.update_draft(clerk.store, me=clerk.me, doc_id=doc_id,
                      fields={**request_fields(clerk), "title": title, "audience_units": [city]})
    clerk.sync()
    doc = clerk.doc(doc_id)
    assert (doc["body"], doc["title"], doc["body_rev"]) == (NEW_BODY, title, 1)
    assert city in doc["audience_units"]
    laptop.sync()
    assert laptop.doc(doc_id)["title"] == title
    laptop.client.close()


def test_an_edit_after_another_devices_edit_of_the_elements_stays_a_conflict(
        server, tmp_path, desks):
    clerk, laptop, doc_id = _draft_on_two_devices(server, tmp_path, desks)
    docs.update_draft(laptop.store, me=laptop.me, doc_id=doc_id,
                      fields={**request_fields(laptop), "title": "笔记本上改的标题的请示"})
    laptop.sync()
    docs.update_draft(clerk.store, me=clerk.me, doc_id=doc_id,
                      fields={**request_fields(clerk), "title": "办公室电脑上改的标题的请示"})
    report = clerk.sync(clean=False)
    assert (report.conflicts, report.applied) == (1, 0)
    assert clerk.doc(doc_id)["title"] == "笔记本上改的标题的请示"  # the server's, pulled
    (local,) = [row[0] for row in clerk.store.db.query(
        "SELECT local_payload FROM conflicts WHERE entity_id = ?", (doc_id,))]
    assert "办公室电脑上改的标题的请示" in local  # the desk's version kept, not dropped
    laptop.client.close()
