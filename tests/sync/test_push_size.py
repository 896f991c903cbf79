"""Push requests stay under the server's body limit: an outbox of large edits is sent in
smaller batches, and one edit too large on its own is set aside, not retried forever."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oa_client.domain.ids import new_id
from oa_client.services import records as svc
from sync.transport import push_body
from tests.server.support import copy_sqlite
from tests.sync.support import LiveServer, live_records, make_client

DRAFTER = "liuyang"
LIMIT = 160 * 1024  # the server's body limit in these tests (the default is 10 MB)


@pytest.fixture
def small_server(sync_template: Path, tmp_path: Path):
    data_dir = tmp_path / "server"
    live = LiveServer(data_dir, f"sqlite:///{copy_sqlite(sync_template, data_dir)}",
                      max_body_bytes=LIMIT).start()
    yield live
    live.stop()


def noise(rng: random.Random, chars: int) -> str:
    """Chinese text gzip cannot shrink much (a body of that size stays that size)."""
    return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(chars))


def doc(title: str, body: str) -> dict:
    return {"id": new_id(), "direction": "outgoing", "doc_kind": "通知", "title": title,
            "body": body}


def test_large_edits_go_in_batches_the_server_accepts(small_server, tmp_path):
    rng = random.Random(7)
    a = make_client(small_server, tmp_path, DRAFTER)
    a.engine.batch = 500
    docs = [doc(f"关于第{i}批材料的报告", noise(rng, 12_000)) for i in range(8)]
    for d in docs:  # ~36 KB each after UTF-8: 8 of them are over the limit
        svc.save(a.store, "documents", d)
    report = a.engine.sync()
    assert report.applied == 8 and report.rejected == 0
    assert a.store.records.pending_ops() == 0
    assert a.engine.max_push_bytes < LIMIT  # learned from the 413
    b = make_client(small_server, tmp_path, DRAFTER, name="second-desk")
    b.engine.sync()
    assert set(live_records(b.store)) == {d["id"] for d in docs}
    a.close()
    b.close()


def test_one_edit_over_the_limit_is_set_aside_and_the_rest_goes_through(small_server, tmp_path):
    rng = random.Random(8)
    a = make_client(small_server, tmp_path, DRAFTER)
    big = doc("关于全年工作的总结", noise(rng, 80_000))
    small = doc("关于召开周例会的通知", "请准时参加。")
    svc.save(a.store, "documents", big)
    svc.save(a.store, "documents", small)
    report = a.engine.sync()  # ends: nothing stays stuck in the outbox
    assert report.rejected == 1 and report.applied == 1
    assert a.store.records.pending_ops() == 0
    (kept,) = a.store.db.query(
        "SELECT entity_id, kind, local_payload, resolution FROM conflicts")
    assert kept[0] == big["id"] and kept[1] == "rejected"
    assert json.loads(kept[2])["body"] == big["body"]  # the text is kept, not lost
    assert json.loads(kept[3])["code"] == "too_large"
    assert "附件" in json.loads(kept[3])["message"]
    assert set(live_records(a.store)) == {small["id"]}
    a.close()


def test_the_batch_bound_counts_bytes_not_characters(server, tmp_path):
    rng = random.Random(9)
    a = make_client(server, tmp_path, DRAFTER)
    a.engine.batch = 500
    a.engine.max_push_bytes = 100_000
    sent: list[int] = []
    push = a.transport.push

    def counting(ops):
        sent.append(sum(len(op["payload"].encode()) for op in ops))
        return push(ops)

    a.transport.push = counting
    for i in range(4):  # 12,000 characters each: 48,000 characters, but ~144,000 bytes
        svc.save(a.store, "documents", doc(f"关于第{i}季度工作的报告", noise(rng, 12_000)))
    report = a.engine.sync()
    assert report.applied == 4 and a.store.records.pending_ops() == 0
    assert len(sent) >= 2 and all(size <= 100_000 for size in sent)
    a.close()


odd = st.text(st.characters(codec="utf-8"), max_size=12)


@given(op_id=odd, entity_id=odd, base_rev=st.integers(0, 2**40),
       payload=st.dictionaries(odd, st.one_of(odd, st.integers(), st.none(), st.booleans()),
                               max_size=4))
def test_a_spliced_push_body_is_the_json_of_the_request(op_id, entity_id, base_rev, payload):
    op = {"op_id": op_id, "kind": "upsert", "entity": "documents", "entity_id": entity_id,
          "base_rev": base_rev}
    stored = json.dumps(payload, ensure_ascii=False)
    expected = {"device_id": "设备\"1\u2028", "ops": [{**op, "payload": payload}] * 2}
    body = push_body("设备\"1\u2028", [{**op, "payload": stored}, {**op, "payload": payload}])
    assert json.loads(body.text) == expected


def test_a_server_taking_fewer_ops_per_push_gets_smaller_batches(server, tmp_path, monkeypatch):
    # a server from before pushes of 1,000 ops: its 422 on `ops` halves the batches
    from pydantic import Field

    from oa_server.api.routes import sync as routes
    from sync.protocol import MAX_OPS_PER_PUSH, Op, PushRequest

    class OlderPushRequest(PushRequest):
        ops: list[Op] = Field(max_length=500)

    monkeypatch.setattr(routes, "PushRequest", OlderPushRequest)
    a = make_client(server, tmp_path, DRAFTER)
    a.engine.batch = MAX_OPS_PER_PUSH  # (the tests' clients send 50)
    docs = [doc(f"关于第{i}项工作的通知", "") for i in range(600)]
    for d in docs:
        svc.save(a.store, "documents", d)
    report = a.engine.sync()
    assert report.applied == 600 and report.rejected == 0
    assert a.store.records.pending_ops() == 0
    assert a.engine.batch == 500
    assert {d["id"] for d in docs} <= set(live_records(a.store))
    a.close()
