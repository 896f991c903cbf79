"""Authorisation matrix: for every record type, users outside its visibility get nothing on
pull and a `forbidden` rejection on push (the same answer whether the record exists or not)."""

from __future__ import annotations

import pytest

from oa_client.services import records as svc
from sync.protocol import CHILD_COLLECTIONS, ORG_COLLECTIONS, SERVER_COLLECTIONS, SYNC_COLLECTIONS
from tests.sync.support import live_records, make_client

TOP_LEVEL = [c for c in SYNC_COLLECTIONS if c not in ORG_COLLECTIONS
             and c not in SERVER_COLLECTIONS and c not in CHILD_COLLECTIONS
             and c != "attachments"]
CHILDREN = ("document_events", "document_revisions")

SAMPLES = {
    "documents": {"direction": "outgoing", "title": "内部公文", "body": "正文"},
    "rooms": {"name": "第一会议室", "capacity": 20},
    "meetings": {"title": "周例会", "starts_at": "2026-11-23T09:00"},
    "service_items": {"code": "QJ", "name": "请休假"},
    "requests": {"service_item_id": "QJ", "state": "draft"},
    "data_items": {"code": "A01", "name": "常住人口", "version": 1},
    "report_templates": {"name": "月报", "period": "monthly"},
    "submissions": {"template_id": "t1", "period": "2026-10", "state": "draft"},
    "supervision_tasks": {"title": "督办事项", "state": "open"},
    "phrases": {"text": "同意，请办公室按程序办理。"},
    "delegations": {"principal_id": "u1", "delegate_id": "u2", "start": "2026-11-23",
                    "end": "2026-11-27"},
}


@pytest.fixture
def owner(server, tmp_path):
    c = make_client(server, tmp_path, "liuyang")  # 市政府办公室
    yield c
    c.close()


@pytest.fixture
def outsider(server, tmp_path):
    c = make_client(server, tmp_path, "chenmeiling")  # 财政局
    yield c
    c.close()


def _push(client, collection, rid, kind="upsert", base_rev=1, payload=None):
    return client.transport.push([{"op_id": f"{collection}-{rid}-{kind}", "kind": kind,
                                   "entity": collection, "entity_id": rid, "base_rev": base_rev,
                                   "payload": payload or {"title": "越权"}}]).results[0]


def _seed(server, owner, collection: str, rid: str, *, audience: set[str] | None = None,
          data: dict | None = None) -> None:
    """Put a record of the owner's unit on the server as the server would (each module's own
    rules for who may create what are tested with the module; this test is about sight)."""
    import uuid

    from oa_server.models import User
    from oa_server.sync_push import server_batch

    unit = owner.transport.user["unit"]["id"]
    from datetime import UTC, datetime

    # the in-thread server exposes its app; the PostgreSQL process server its sessionmaker
    factory = server.app.state.sessionmaker if hasattr(server, "app") else server.sessionmaker
    now = server.clock() if server.clock is not None else datetime.now(UTC)
    with factory() as session:
        user = session.get(User, uuid.UUID(owner.transport.user["id"]))
        with server_batch(session, user=user, now=now) as ctx:
            ctx.put(collection, rid, dict(data or SAMPLES[collection]), unit_id=unit,
                    audience={f"user:{owner.transport.user['id']}", *(audience or {f"unit:{unit}"})})
        session.commit()


@pytest.mark.parametrize("collection", TOP_LEVEL)
def test_top_level_records_are_invisible_and_unwritable_outside(server, owner, outsider,
                                                                 collection):
    _seed(server, owner, collection, f"{collection}-1")
    owner.engine.sync()
    outsider.engine.sync()
    assert live_records(outsider.store, collection) == {}
    hidden = _push(outsider, collection, f"{collection}-1")
    missing = _push(outsider, collection, f"{collection}-nope")
    deleting = _push(outsider, collection, f"{collection}-1", kind="delete")
    for result in (hidden, missing, deleting):
        assert result.status == "rejected" and result.server_record is None
    # what a stranger learns about a hidden record is what they learn about a missing one
    assert (hidden.code, hidden.message) == (missing.code, missing.message)
    assert deleting.code in ("forbidden", "read_only")
    owner.engine.sync()
    assert len(live_records(owner.store, collection)) == 1  # untouched


def _child(owner, collection: str, doc_id: str, **extra) -> None:
    """A valid child record for the documents authority: 送审 (a flow start) or a body revision."""
    me = owner.transport.user["id"]
    if collection == "document_events":
        record = {"document_id": doc_id, "action": "start", "actor_id": me,
                  "at": "2026-11-23T09:00:00+08:00"}
    else:
        record = {"document_id": doc_id, "base_rev": 0, "author_id": me, "body": "修改后的正文"}
    svc.append_event(owner.store, collection, {**record, **extra})


@pytest.mark.parametrize("collection", CHILDREN)
def test_children_follow_their_document(owner, outsider, collection):
    svc.save(owner.store, "documents", {**SAMPLES["documents"], "id": "doc-p"})
    _child(owner, collection, "doc-p", id=f"{collection}-1")
    report = owner.engine.sync()
    assert (report.rejected, report.conflicts) == (0, 0)
    outsider.engine.sync()
    assert live_records(outsider.store, collection) == {}
    # an event on someone else's document is refused the same way as on a missing one
    on_hidden = _push(outsider, collection, "ev-x", kind="action", base_rev=0,
                      payload={"document_id": "doc-p", "action": "approve"})
    on_missing = _push(outsider, collection, "ev-y", kind="action", base_rev=0,
                       payload={"document_id": "no-doc", "action": "approve"})
    assert (on_hidden.status, on_hidden.code) == (on_missing.status, on_missing.code) == (
        "rejected", "forbidden")
    # a colleague in the owner's unit sees both the document and its events
    assert len(live_records(owner.store, collection)) == 1


def test_roles_grant_sight_where_the_record_says_so(owner, outsider, server, tmp_path):
    supervisor = make_client(server, tmp_path, "lindongsheng")  # 督查室 (same unit as owner)
    _seed(server, owner, "supervision_tasks", "task-role",
          audience={"role:supervisor"}, data={"title": "全市督办", "state": "open",
                                             "audience_roles": ["supervisor"]})
    owner.engine.sync()
    supervisor.engine.sync()
    outsider.engine.sync()
    assert len(live_records(supervisor.store, "supervision_tasks")) == 1
    assert live_records(outsider.store, "supervision_tasks") == {}
    supervisor.close()


def test_bad_audience_is_a_validation_rejection(owner):
    result = _push(owner, "documents", "bad-aud", base_rev=0,
                   payload={"title": "x", "direction": "outgoing", "audience_units": "all"})
    assert (result.status, result.code) == ("rejected", "validation")


def test_attachments_follow_their_owner(owner, outsider):
    svc.save(owner.store, "documents", {**SAMPLES["documents"], "id": "doc-a"})
    svc.attach(owner.store, owner_kind="document", owner_id="doc-a", name="内部.pdf", data=b"%PDF")
    owner.engine.sync()
    outsider.engine.sync()
    assert outsider.store.db.query("SELECT count(*) FROM attachments")[0][0] == 0
    meta = {"owner_kind": "document", "name": "x", "size": 1, "sha256": "0" * 64}
    on_hidden = _push(outsider, "attachments", "att-h", base_rev=0,
                      payload={**meta, "owner_id": "doc-a"})
    on_missing = _push(outsider, "attachments", "att-m", base_rev=0,
                       payload={**meta, "owner_id": "nothing"})
    unknown_owner = _push(outsider, "attachments", "att-u", base_rev=0,
                          payload={**meta, "owner_kind": "passwords", "owner_id": "doc-a"})
    assert {(r.status, r.code) for r in (on_hidden, on_missing, unknown_owner)} == {
        ("rejected", "forbidden")}


def test_sharing_a_document_shares_its_revisions_events_and_attachments(owner, outsider):
    svc.save(owner.store, "documents", {**SAMPLES["documents"], "id": "doc-share"})
    _child(owner, "document_revisions", "doc-share")
    svc.attach(owner.store, owner_kind="document", owner_id="doc-share", name="附件一.txt",
               data="附件内容".encode())
    owner.engine.sync()
    outsider.engine.sync()
    assert live_records(outsider.store, "document_revisions") == {}
    unit = outsider.transport.user["unit"]["id"]
    rec = owner.store.records.get("documents", "doc-share")
    svc.save(owner.store, "documents", {**rec, "audience_units": [unit]})  # 征求意见 of another unit
    owner.engine.sync()
    report = outsider.engine.sync()
    assert set(live_records(outsider.store)) == {"doc-share"}
    assert len(live_records(outsider.store, "document_revisions")) == 1
    assert report.downloaded == 1
    _child(owner, "document_events", "doc-share")  # 送审: the flow's readers see its events
    _child(owner, "document_events", "doc-share", action="submit", step="draft")
    assert owner.engine.sync().rejected == 0
    outsider.engine.sync()
    assert len(live_records(outsider.store, "document_events")) == 2
    rec = owner.store.records.get("documents", "doc-share")
    svc.save(owner.store, "documents", {**rec, "audience_units": []})
    assert owner.engine.sync().rejected == 1  # once it runs, only the step's holder edits it
    outsider.engine.sync()
    assert set(live_records(outsider.store)) == {"doc-share"}


def test_a_child_made_in_the_same_push_as_a_share_follows_it(owner, outsider):
    """The attachment is new in the very push that shares its document: it is not stored yet
    when the share moves the children's audience, and must move with them."""
    svc.save(owner.store, "documents", {**SAMPLES["documents"], "id": "doc-same"})
    owner.engine.sync()
    svc.attach(owner.store, owner_kind="document", owner_id="doc-same", name="附件一.txt",
               data="同一次提交的附件".encode())
    rec = owner.store.records.get("documents", "doc-same")
    svc.save(owner.store, "documents",
             {**rec, "audience_units": [outsider.transport.user["unit"]["id"]]})
    report = owner.engine.sync()
    assert (report.rejected, report.conflicts, report.applied) == (0, 0, 2)
    report = outsider.engine.sync()
    assert set(live_records(outsider.store)) == {"doc-same"}
    assert outsider.store.db.query("SELECT name FROM attachments") == [("附件一.txt",)]
    assert report.downloaded == 1
