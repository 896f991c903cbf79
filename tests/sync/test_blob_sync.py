"""Attachments travel: bytes uploaded (resumably) before their record, downloaded by those
who see the owner record, stored encrypted, checked against the hash."""

from __future__ import annotations

import hashlib
import os

import pytest

from oa_client.errors import StoreError, SyncError
from oa_client.services import records as svc
from tests.sync.support import make_client, server_put

BIG = os.urandom(5 * 1024 * 1024 + 321)  # above the inline limit: an encrypted file
SMALL = "附件：防汛值班表".encode() * 100


def _doc(client, rid):
    svc.save(client.store, "documents", {"id": rid, "direction": "outgoing", "title": "带附件的通知",
                                         "body": "见附件"})


def _attachments(client):
    return {r[0]: r[1:] for r in client.store.db.query(
        "SELECT name, id, storage, sha256 FROM attachments WHERE deleted = 0")}


def test_attachments_reach_a_colleague_and_not_an_outsider(server, tmp_path):
    a = make_client(server, tmp_path, "liuyang")
    b = make_client(server, tmp_path, "zhengxiaoyan")
    outsider = make_client(server, tmp_path, "chenmeiling")
    _doc(a, "doc-att")
    svc.attach(a.store, owner_kind="document", owner_id="doc-att", name="值班表.txt", data=SMALL)
    svc.attach(a.store, owner_kind="document", owner_id="doc-att", name="规划全文.pdf", data=BIG)
    report = a.engine.sync()
    assert report.uploaded == 2 and a.store.db.query(
        "SELECT count(*) FROM attachments WHERE uploaded = 0")[0][0] == 0

    report = b.engine.sync()
    assert report.downloaded == 2
    got = _attachments(b)
    assert set(got) == {"值班表.txt", "规划全文.pdf"}
    assert b.store.blobs.read(got["规划全文.pdf"][0]) == BIG
    assert b.store.blobs.read(got["值班表.txt"][0]) == SMALL
    assert got["规划全文.pdf"][1] == "file"  # stored as an encrypted file on B's desk too
    assert [h.kind for h in b.store.search("值班表")] == ["attachment"]

    outsider.engine.sync()
    assert _attachments(outsider) == {}
    sha = hashlib.sha256(BIG).hexdigest()
    assert outsider.transport.blob_size(sha) is None
    with pytest.raises(SyncError) as err:
        outsider.transport.download(sha)
    assert err.value.kind == "not_found"
    for c in (a, b, outsider):
        c.close()


def test_an_interrupted_upload_resumes_where_the_server_stands(server, tmp_path):
    a = make_client(server, tmp_path, "liuyang")
    _doc(a, "doc-resume")
    svc.attach(a.store, owner_kind="document", owner_id="doc-resume", name="大文件.bin", data=BIG)
    sent: list[int] = []
    real = a.transport.upload_chunk

    def flaky(upload_id, offset, data):
        sent.append(offset)
        if len(sent) == 3:
            raise SyncError("injected: network gone", kind="network")
        return real(upload_id, offset, data)

    a.transport.upload_chunk = flaky
    with pytest.raises(SyncError):
        a.engine.sync()
    assert a.store.db.query("SELECT count(*) FROM blob_uploads")[0][0] == 1  # remembered
    assert a.store.records.pending_ops() == 2  # the document and its attachment wait for the bytes
    a.engine.sync()
    resumed_from = sent[3]
    assert resumed_from == 2 * 1024 * 1024  # not from zero
    assert a.store.db.query("SELECT count(*) FROM blob_uploads")[0][0] == 0
    b = make_client(server, tmp_path, "zhengxiaoyan")
    b.engine.sync()
    (att_id, *_rest), = _attachments(b).values()
    assert b.store.blobs.read(att_id) == BIG
    a.close()
    b.close()


def test_a_record_whose_bytes_are_missing_waits_and_says_so(server, tmp_path):
    a = make_client(server, tmp_path, "liuyang")
    b = make_client(server, tmp_path, "zhengxiaoyan")
    _doc(a, "doc-missing")
    a.engine.sync()
    # a client may not push a record naming bytes it never uploaded …
    meta = {"owner_kind": "document", "owner_id": "doc-missing", "name": "缺失.pdf",
            "size": 10, "sha256": "0" * 64}
    refused = a.transport.push([{"op_id": "att-x", "kind": "upsert", "entity": "attachments",
                                 "entity_id": "att-x", "base_rev": 0, "payload": meta}])
    assert (refused.results[0].status, refused.results[0].code) == ("rejected", "blob_unknown")
    # … but a record may still arrive before its bytes (an older server's, a lost file)
    server_put(server, a, [("attachments", "att-x", meta)])
    report = b.engine.sync()
    assert report.downloaded == 0
    with pytest.raises(StoreError) as err:
        b.store.blobs.read("att-x")
    assert err.value.kind == "not_downloaded" and "联网同步后" in err.value.message
    a.close()
    b.close()


def test_bytes_the_server_refuses_are_listed_and_do_not_block_sync(server, tmp_path, monkeypatch):
    a = make_client(server, tmp_path, "liuyang")
    _doc(a, "doc-refused")
    svc.attach(a.store, owner_kind="document", owner_id="doc-refused", name="超大.iso", data=SMALL)

    def too_large(sha, size):
        raise SyncError("附件超过 512 MB 的上限", kind="too_large", code="payload_too_large")

    monkeypatch.setattr(a.transport, "upload_start", too_large)
    report = a.engine.sync()
    assert report.uploaded == 0 and report.applied >= 1  # the document still went up
    kind, resolution = a.store.db.query(
        "SELECT kind, resolution FROM conflicts WHERE entity = 'attachments'")[0]
    assert kind == "rejected" and "512 MB" in resolution
    a.close()
