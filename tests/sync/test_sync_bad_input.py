"""Bad input to the sync and blob endpoints: a JSON error with a code, never a 500."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time

import pytest
import requests

from oa_client.errors import NotFoundError, SyncError
from oa_server.blob_store import MAX_BLOB_BYTES
from sync.protocol import MAX_OPS_PER_PUSH, PROTOCOL_HEADER, PROTOCOL_VERSION
from sync.transport import Transport
from tests.sync.support import make_client


@pytest.fixture
def me(server, tmp_path):
    c = make_client(server, tmp_path, "liuyang")
    yield c
    c.close()


def call(server, me, method, path, *, version=PROTOCOL_VERSION, **kw):
    headers = {"Authorization": f"Bearer {me.transport.access_token}", **kw.pop("headers", {})}
    if version is not None:
        headers[PROTOCOL_HEADER] = str(version)
    return requests.request(method, server.url + "/api/v1" + path, headers=headers, timeout=30, **kw)


def test_malformed_json_is_422(server, me):
    r = call(server, me, "POST", "/sync/push", data=b'{"device_id": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "validation"
    assert "JSON" in r.json()["message"]


def _deletes(n: int) -> list[dict]:
    return [{"op_id": f"op-{i}", "kind": "delete", "entity": "documents",
             "entity_id": f"none-{i}", "base_rev": 1} for i in range(n)]


def test_a_push_of_the_most_ops_is_answered_and_one_more_is_a_clear_422(server, me):
    device = me.store.device_id()
    r = call(server, me, "POST", "/sync/push",
             json={"device_id": device, "ops": _deletes(MAX_OPS_PER_PUSH)})
    assert r.status_code == 200
    assert [x["code"] for x in r.json()["results"]] == ["forbidden"] * MAX_OPS_PER_PUSH
    r = call(server, me, "POST", "/sync/push",
             json={"device_id": device, "ops": _deletes(MAX_OPS_PER_PUSH + 1)})
    assert r.status_code == 422
    assert r.json()["code"] == "validation" and r.json()["field"] == "ops"


def test_broken_gzip_is_422(server, me):
    r = call(server, me, "POST", "/sync/push", data=b"not gzip",
             headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "validation"


def test_gzip_body_is_accepted(server, me):
    body = gzip.compress(b'{"device_id": "%s", "ops": []}' % me.store.device_id().encode())
    r = call(server, me, "POST", "/sync/push", data=body,
             headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["results"] == []


def test_body_over_the_limit_is_413(tmp_path):
    # a server with a small limit, so the whole body fits the socket buffers and the
    # client reads the 413 instead of racing the server's close (10 MB does not fit)
    from oa_server.config import Settings
    from oa_server.embedded import EmbeddedServer

    small = EmbeddedServer(Settings(data_dir=tmp_path, max_body_bytes=64 * 1024)).start()
    try:
        r = requests.post(f"{small.url}/api/v1/sync/push", data=b"x" * (100 * 1024),
                          headers={"Content-Type": "application/json",
                                   PROTOCOL_HEADER: str(PROTOCOL_VERSION)}, timeout=30)
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
        assert r.headers["Accept-Encoding"] == "zstd, gzip"  # as every answer
    finally:
        small.stop()


def test_a_gzip_bomb_is_413_and_other_desks_are_still_answered(server, me, tmp_path):
    # 64 MB of zeros in a ~64 KB body: inflated only up to the body limit (10 MB), off the loop
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=1)
    assert len(bomb) < 1024 * 1024
    other = make_client(server, tmp_path, "zhengxiaoyan")
    answers: list[int] = []
    pulls: list[int] = []

    def bombs() -> None:
        for _ in range(4):
            r = call(server, me, "POST", "/sync/push", data=bomb,
                     headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
            answers.append(r.status_code)
            body = r.json()
            assert body["code"] == "payload_too_large" and "解压后的请求内容超过" in body["message"]

    t = threading.Thread(target=bombs)
    t.start()
    while t.is_alive():
        pulls.append(len(other.transport.pull(0, limit=50).changes))  # a colleague keeps syncing
    t.join()
    assert answers == [413] * 4
    assert pulls  # the colleague's pulls were answered while the bombs were being handled
    other.close()


def test_unknown_op_kind_is_422_naming_the_field(server, me):
    r = call(server, me, "POST", "/sync/push", json={"device_id": me.store.device_id(), "ops": [
        {"op_id": "1", "kind": "explode", "entity": "documents", "entity_id": "x", "payload": {}}]})
    assert r.status_code == 422 and r.json()["field"].startswith("ops.0.kind")


def test_another_devices_id_is_403(server, me):
    r = call(server, me, "POST", "/sync/push", json={"device_id": "someone-else", "ops": []})
    assert r.status_code == 403


@pytest.mark.parametrize("version,needle", [(None, "升级客户端"), ("0", "升级客户端"),
                                            ("abc", "升级客户端"), (PROTOCOL_VERSION + 1, "升级服务器")])
def test_wrong_protocol_version_says_upgrade(server, me, version, needle):
    r = call(server, me, "GET", "/sync/pull", version=version)
    assert r.status_code == 426 and r.json()["code"] == "upgrade_required"
    assert needle in r.json()["message"]


def test_transport_reports_upgrade(server, me, monkeypatch):
    monkeypatch.setattr("sync.transport.PROTOCOL_VERSION", 99)
    with pytest.raises(SyncError) as err:
        me.transport.pull(0)
    assert err.value.kind == "upgrade"


@pytest.mark.parametrize("params", [{"cursor": -1}, {"limit": 0}, {"limit": 999999},
                                    {"collection": "secrets"}])
def test_bad_pull_parameters_are_422(server, me, params):
    r = call(server, me, "GET", "/sync/pull", params=params)
    assert r.status_code == 422, r.text


def test_no_token_is_401_json(server, me):
    r = requests.get(server.url + "/api/v1/sync/pull", headers={PROTOCOL_HEADER: "1"}, timeout=10)
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_long_poll_wakes_on_a_colleagues_change(server, me, tmp_path):
    chief = make_client(server, tmp_path, "zhengxiaoyan")  # my 科长: she sees my drafts
    hw = chief.transport.pull(0).high_water
    result = {}

    def waiter():
        started = time.monotonic()
        result["resp"] = chief.transport.wait(hw, timeout=20)
        result["took"] = time.monotonic() - started

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.5)
    from oa_client.services import records as svc

    svc.save(me.store, "documents", {"direction": "outgoing", "title": "新待办", "body": "x"})
    me.engine.sync()
    t.join(timeout=25)
    assert result["resp"].changed and result["resp"].high_water > hw
    assert result["took"] < 8  # within seconds, not at the 20 s timeout
    quiet = chief.transport.wait(result["resp"].high_water, timeout=1)
    assert not quiet.changed
    chief.close()


# -- blobs ------------------------------------------------------------------------------------

def test_blob_upload_resumes_and_downloads_by_range(server, me):
    t: Transport = me.transport
    data = bytes(range(256)) * 4096 + b"tail"  # ~1 MB
    sha = hashlib.sha256(data).hexdigest()
    assert t.blob_size(sha) is None  # HEAD before upload
    state = t.upload_start(sha, len(data))
    t.upload_chunk(state.upload_id, 0, data[:300_000])
    # the connection breaks; a new session asks where it stands and resumes there
    resumed = t.upload_status(state.upload_id)
    assert resumed.received == 300_000
    t.upload_chunk(state.upload_id, resumed.received, data[300_000:])
    done = t.upload_finish(state.upload_id)
    assert done.complete
    assert t.blob_size(sha) == len(data)
    assert t.download(sha) == data
    assert t.download(sha, start=1000, end=1999) == data[1000:2000]
    assert b"".join(t.iter_download(sha, size=len(data), chunk=200_000, start=500_000)) == data[500_000:]
    again = t.upload_start(sha, len(data))
    assert again.complete  # content-addressed: nothing to send twice


def test_chunks_out_of_order_or_overlapping_are_409(server, me):
    t = me.transport
    data = b"0123456789" * 1000
    state = t.upload_start(hashlib.sha256(data).hexdigest(), len(data))
    with pytest.raises(SyncError) as err:
        t.upload_chunk(state.upload_id, 5000, data[5000:])  # out of order
    assert err.value.kind == "conflict" and err.value.code == "bad_offset"
    t.upload_chunk(state.upload_id, 0, data[:6000])
    with pytest.raises(SyncError) as err:
        t.upload_chunk(state.upload_id, 4000, data[4000:])  # overlapping
    assert err.value.code == "bad_offset"
    assert t.upload_status(state.upload_id).received == 6000


def test_bytes_not_matching_the_hash_are_refused(server, me):
    t = me.transport
    data = b"real content" * 100
    state = t.upload_start(hashlib.sha256(b"something else").hexdigest(), len(data))
    t.upload_chunk(state.upload_id, 0, data)
    with pytest.raises(SyncError) as err:
        t.upload_finish(state.upload_id)
    assert err.value.kind == "invalid" and err.value.code == "hash_mismatch"
    assert t.blob_size(hashlib.sha256(data).hexdigest()) is None


def test_blob_size_limits(server, me):
    t = me.transport
    with pytest.raises(SyncError) as err:
        t.upload_start("a" * 64, MAX_BLOB_BYTES + 1)
    assert err.value.kind == "too_large"
    state = t.upload_start("b" * 64, 10)
    with pytest.raises(SyncError) as err:
        t.upload_chunk(state.upload_id, 0, b"x" * 11)
    assert err.value.kind == "invalid"
    with pytest.raises(SyncError) as err:
        t.upload_status("no-such-upload")
    assert err.value.kind == "not_found"
    r = call(server, me, "HEAD", "/blobs/not-a-hash")
    assert r.status_code == 422


def test_a_record_over_one_megabyte_is_refused_alone(server, me):
    """The limit counts UTF-8 bytes: 400,000 Chinese characters are 1.2 MB. The small op
    beside it is applied; nothing of the large one is stored."""
    from oa_server.sync_models import SyncRecord

    def op(rid: str, body: str) -> dict:
        return {"op_id": f"op-{rid}", "kind": "upsert", "entity": "documents", "entity_id": rid,
                "base_rev": 0, "payload": {"direction": "outgoing", "title": "正文很长的通知",
                                           "body": body}}

    results = me.transport.push([op("doc-huge", "政" * 400_000), op("doc-small", "正文。"),
                                 op("doc-ascii", "x" * 900_000)]).results
    assert [(r.status, r.code) for r in results] == [
        ("rejected", "too_large"), ("applied", None), ("applied", None)]
    assert "1 MB" in results[0].message
    with server.session() as s:
        assert s.get(SyncRecord, ("documents", "doc-huge")) is None
        assert s.get(SyncRecord, ("documents", "doc-small")) is not None


def test_unfinished_uploads_have_a_quota_per_user(sync_template, tmp_path):
    from tests.server.support import copy_sqlite
    from tests.sync.support import LiveServer

    data_dir = tmp_path / "quota-server"
    live = LiveServer(data_dir, f"sqlite:///{copy_sqlite(sync_template, data_dir)}",
                      upload_quota_bytes=1024 * 1024).start()
    try:
        me, colleague = make_client(live, tmp_path, "liuyang"), make_client(live, tmp_path, "zhengxiaoyan")
        first = bytes(range(256)) * 2800  # 700 KB
        second = first[::-1]
        one = me.transport.upload_start(hashlib.sha256(first).hexdigest(), len(first))
        with pytest.raises(SyncError) as err:  # 700 KB + 700 KB of unfinished uploads > 1 MB
            me.transport.upload_start(hashlib.sha256(second).hexdigest(), len(second))
        assert (err.value.kind, err.value.context["code"]) == ("too_large", "payload_too_large")
        assert "未完成的上传" in str(err.value)
        # someone else's quota is their own
        assert colleague.transport.upload_start(hashlib.sha256(second).hexdigest(), len(second)).upload_id
        # finishing the first frees the room
        me.transport.upload_chunk(one.upload_id, 0, first)
        assert me.transport.upload_finish(one.upload_id).complete
        assert me.transport.upload_start(hashlib.sha256(second).hexdigest(), len(second)).upload_id
        me.close()
        colleague.close()
    finally:
        live.stop()


def test_an_op_id_is_one_users_own_on_a_shared_device_id(server, tmp_path):
    # a device id is the client's own choice: two users (here on one shared office PC) may
    # send the same (device, op) pair; each op is applied once for its own sender
    a = make_client(server, tmp_path, "liuyang", device_id="shared-pc")
    b = make_client(server, tmp_path, "zhengxiaoyan", device_id="shared-pc")
    op_id = "00000000-0000-7000-8000-000000000001"
    answers = []
    for client, title in ((a, "刘洋的草稿"), (b, "郑晓燕的草稿")):
        op = {"op_id": op_id, "kind": "upsert", "entity": "documents", "entity_id": f"doc-{title}",
              "base_rev": 0, "payload": {"direction": "outgoing", "title": title, "body": "正文"}}
        answers.append(client.transport.push([op]).results[0])
    assert [r.status for r in answers] == ["applied", "applied"]
    assert answers[0].rev != answers[1].rev
    b.engine.sync()
    assert b.store.records.get("documents", "doc-郑晓燕的草稿")["title"] == "郑晓燕的草稿"
    # the same user resending gets the stored answer, not a second application
    again = b.transport.push([{"op_id": op_id, "kind": "upsert", "entity": "documents",
                               "entity_id": "doc-郑晓燕的草稿", "base_rev": 0,
                               "payload": {"direction": "outgoing", "title": "改过", "body": "x"}}])
    assert again.results[0].rev == answers[1].rev
    a.close()
    b.close()


@pytest.mark.parametrize("number", [b"NaN", b"-Infinity", b"1e400", b"-1" + b"0" * 400 + b".5"])
def test_nan_or_an_infinity_in_a_payload_is_refused_alone(server, me, number):
    """Not JSON (RFC 8259), though Python reads it: that op is refused naming the number,
    nothing of it is kept, and the ops beside it apply."""
    from oa_server.sync_models import SyncRecord

    device = me.store.device_id().encode()
    body = (b'{"device_id": "%s", "ops": [' % device
            + b'{"op_id": "bad-1", "kind": "upsert", "entity": "documents", "entity_id": "doc-bad",'
            b' "payload": {"direction": "outgoing", "title": "note", "x": {"y": [%s]}}},'
            b' {"op_id": "ok-1", "kind": "upsert", "entity": "documents", "entity_id": "doc-ok",'
            b' "payload": {"direction": "outgoing", "title": "note", "copies": 3}}]}' % number)
    r = call(server, me, "POST", "/sync/push", data=body,
             headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    bad, ok = r.json()["results"]
    assert (bad["op_id"], bad["status"], bad["code"]) == ("bad-1", "rejected", "validation")
    assert "NaN" in bad["message"]
    assert (ok["op_id"], ok["status"]) == ("ok-1", "applied")
    with server.session() as s:
        assert s.get(SyncRecord, ("documents", "doc-ok")) is not None
        assert s.get(SyncRecord, ("documents", "doc-bad")) is None
    again = call(server, me, "POST", "/sync/push", data=body,
                 headers={"Content-Type": "application/json"}).json()["results"]
    assert [(x["op_id"], x["status"]) for x in again] == [("bad-1", "rejected"),
                                                          ("ok-1", "applied")]  # resent: same


def test_large_and_fractional_numbers_are_kept_as_they_came(server, me):
    values = {"most": 2**63 - 1, "least": -(2**63), "widest": 2**64 - 1, "ratio": 0.1,
              "tiny": 1e-7, "huge": 1e300}
    r = me.transport.push([{"op_id": "op-n", "kind": "upsert", "entity": "documents",
                            "entity_id": "doc-numbers", "base_rev": 0,
                            "payload": {"direction": "outgoing", "title": "数字", **values}}])
    assert [x.status for x in r.results] == ["applied"]
    (record,) = [c for c in me.transport.pull(0, limit=500).changes if c.id == "doc-numbers"]
    assert {k: record.data[k] for k in values} == values
    assert all(type(record.data[k]) is int for k in ("most", "least", "widest"))


@pytest.mark.parametrize("number", [10**30, 2**64, -(2**63) - 1])
def test_an_integer_past_64_bits_is_refused_alone_naming_it(server, me, tmp_path, number):
    """The desks read it back as a float, its last digits lost: that op is refused naming
    the number, nothing of it is kept, the op beside it applies, and the user's other desk
    reads the kept numbers exactly."""
    from oa_server.sync_models import SyncRecord

    ops = [
        {"op_id": "wide-1", "kind": "upsert", "entity": "documents", "entity_id": "doc-wide",
         "base_rev": 0, "payload": {"direction": "outgoing", "title": "数字",
                                    "x": {"y": [1, number]}}},
        {"op_id": "ok-1", "kind": "upsert", "entity": "documents", "entity_id": "doc-ok",
         "base_rev": 0, "payload": {"direction": "outgoing", "title": "数字", "n": 2**64 - 1}},
    ]
    wide, ok = me.transport.push(ops).results
    again = me.transport.push(ops).results  # resent: the same answers, nothing applied twice
    assert [(x.status, x.rev) for x in again] == [(wide.status, wide.rev), (ok.status, ok.rev)]
    assert (wide.status, wide.code) == ("rejected", "validation")
    assert str(number) in wide.message and "64 位" in wide.message
    assert ok.status == "applied"
    with server.session() as s:
        assert s.get(SyncRecord, ("documents", "doc-wide")) is None
    other = make_client(server, tmp_path / "other", "liuyang")
    other.engine.sync()
    with pytest.raises(NotFoundError):
        other.store.records.get("documents", "doc-wide")
    kept = other.store.records.get("documents", "doc-ok")["n"]
    assert (kept, type(kept)) == (2**64 - 1, int)
    other.close()


def test_a_desks_draft_holding_an_integer_past_64_bits_waits_with_its_reason(server, me):
    """Saved on the desk, refused by the server: the desk's list of refused changes holds
    the draft as it was typed and names the number, and the outbox empties."""
    from oa_client.services import conflicts
    from oa_client.services import records as svc

    svc.save(me.store, "documents", {"id": "doc-wide-desk", "direction": "outgoing",
                                     "doc_kind": "通知", "title": "数字", "count": 10**25})
    me.engine.sync()
    (refused,) = conflicts.open_conflicts(me.store)
    assert (refused.entity_id, refused.kind, refused.code) == ("doc-wide-desk", "rejected",
                                                                "validation")
    assert str(10**25) in refused.message and refused.local["count"] == 10**25
    with pytest.raises(NotFoundError):  # never on the server: the refusal holds it whole
        me.store.records.get("documents", "doc-wide-desk")
    assert me.store.db.query("SELECT count(*) FROM outbox")[0][0] == 0
