"""A pull page can end between a flow event and the document it moved: the event keeps the
revision it was written at, the document takes a newer one, so a desk meeting the document
for the first time gets the event first. The event must still be stored (it was set aside as
unreadable for good, and the desk's timeline lacked it)."""

from __future__ import annotations

import uuid

from tests.sync.support import make_client


def _push(client, entity, rid, payload, *, kind="upsert"):
    op = {"op_id": uuid.uuid4().hex, "kind": kind, "entity": entity, "entity_id": rid,
          "base_rev": 0, "payload": payload}
    result = client.transport.push([op]).results[0]
    assert result.status == "applied", result
    return result


def test_events_met_before_their_document_are_stored_once_it_comes(server, tmp_path):
    drafter = make_client(server, tmp_path, "liuyang")  # 市政府办公室 秘书科, 拟稿人
    me = str(drafter.transport.user["id"])
    _push(drafter, "documents", "doc-edge", {"id": "doc-edge", "direction": "outgoing",
                                             "doc_kind": "通知", "title": "关于开展安全检查的通知",
                                             "body": "各单位：……"})
    for rid, action, step, at in (("ev-start", "start", None, "2026-11-20T10:05:00+08:00"),
                                  ("ev-submit", "submit", "draft", "2026-11-20T10:06:00+08:00")):
        _push(drafter, "document_events", rid, {"document_id": "doc-edge", "action": action,
                                                "step": step, "actor_id": me, "at": at},
              kind="action")
    laptop = make_client(server, tmp_path, "liuyang", name="liuyang-laptop", device_id="laptop-2")
    laptop.engine.pull_limit = 1  # a page edge between every two records
    laptop.engine.sync()
    events = laptop.store.records.get_many("document_events", ["ev-start", "ev-submit"])
    assert sorted(events) == ["ev-start", "ev-submit"]
    waiting = laptop.store.db.query("SELECT entity_id FROM conflicts WHERE kind = 'unreadable'"
                                    " AND resolved_at IS NULL")
    assert waiting == []
    assert laptop.store.records.get("documents", "doc-edge")["flow_step"] == "review"
    report = laptop.engine.sync()  # and the next sync finds nothing to re-pull
    assert report.repulled == []
    for client in (drafter, laptop):
        client.close()
