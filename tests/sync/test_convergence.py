"""Convergence under faults: three clients edit offline and online through a network that
drops requests, drops responses after the server applied them, answers 500/503, times out
and truncates bodies. Afterwards every client equals the server, every acknowledged op was
applied once, the outboxes are empty and every conflict is recorded.

OA_SOAK_N_SYNC (or OA_SOAK_N) sets the number of steps (default 1500 here, 500 on
PostgreSQL; every fault kind still occurs)."""

from __future__ import annotations

import os
import random

from oa_client.errors import SyncError
from oa_client.services import records as svc
from oa_server.sync_models import SyncCounter, SyncOp
from sync.protocol import OpResult
from tests.sync.support import FaultyAdapter, live_records, make_client

STEPS = int(os.environ.get("OA_SOAK_N_SYNC", os.environ.get("OA_SOAK_N", "1500")))
#: one unit: the 拟稿人 and his 科长 see (and may edit) his drafts; the 文书 of another
#: section sees only her own — each desk must equal what the server lets it see
USERS = ("liuyang", "zhengxiaoyan", "wuqiong")


def _server_view(client) -> dict:
    out, cursor = {}, 0
    while True:
        page = client.transport.pull(cursor, limit=5000)
        for rec in page.changes:
            if rec.collection != "documents":
                continue
            if rec.deleted:
                out.pop(rec.id, None)
            else:
                out[rec.id] = (rec.rev, {k: v for k, v in rec.data.items() if v is not None})
        cursor = page.next_cursor
        if not page.has_more:
            return out


def test_three_clients_converge_through_a_faulty_network(server, tmp_path):
    run_convergence(server, tmp_path, steps=STEPS)


def test_they_converge_with_two_ops_a_batch(server, tmp_path):
    """Every sync pushes several batches: answers are stored while the next batch is on
    the wire, through the same faults."""
    run_convergence(server, tmp_path, steps=max(STEPS * 2 // 5, 200), batch=2)


def run_convergence(server, tmp_path, *, steps: int, batch: int | None = None) -> None:
    """The seeded random run and every check afterwards (`batch`: ops a push batch holds)."""
    rng = random.Random(20261122)
    clients = [make_client(server, tmp_path, u, rng=random.Random(i)) for i, u in enumerate(USERS)]
    for c in clients:
        c.engine.batch = batch or c.engine.batch
    online = dict.fromkeys(range(3), True)
    ops_made: dict[int, dict[str, str]] = {i: {} for i in range(3)}  # op_id → entity_id
    counter = 0

    def remember_ops(i: int) -> None:
        for op in clients[i].store.records.outbox(limit=10_000):
            ops_made[i].setdefault(op["op_id"], op["entity_id"])

    for _step in range(steps):
        i = rng.randrange(3)
        c = clients[i]
        c.adapter.rate = 0.3
        roll = rng.random()
        live = list(live_records(c.store))
        if roll < 0.22 or not live:
            counter += 1
            svc.save(c.store, "documents", {"direction": "outgoing", "title": f"公文{counter}",
                                            "body": f"{c.name} 起草", "n": counter})
        elif roll < 0.50:
            rid = rng.choice(live)
            rec = c.store.records.get("documents", rid)
            counter += 1
            # same-second edits on several clients are the common case here
            svc.save(c.store, "documents", {**rec, "body": f"{c.name} 修改 {counter}", "n": counter})
        elif roll < 0.57:
            svc.delete(c.store, "documents", rng.choice(live))
        elif roll < 0.62:
            online[i] = not online[i]
            continue
        remember_ops(i)
        if online[i] and rng.random() < 0.6:
            try:
                c.engine.sync()
            except SyncError as exc:
                assert exc.kind in ("network", "server"), exc
    faults = {}
    for c in clients:
        for k, v in c.adapter.counts.items():
            faults[k] = faults.get(k, 0) + v
    assert set(faults) == set(FaultyAdapter.FAULTS), faults  # every kind of fault happened

    # the network heals: everyone syncs until nothing moves
    for c in clients:
        c.adapter.rate = 0.0
    for _round in range(4):
        for c in clients:
            c.engine.sync()

    # 1. outboxes are empty
    assert [c.store.records.pending_ops() for c in clients] == [0, 0, 0]
    # 2. every client equals the server, as far as the server lets it see
    for c in clients:
        assert live_records(c.store) == _server_view(c), c.name
    # 3. every acknowledged op was applied once: each revision belongs to exactly one op
    with server.session() as s:
        results = [OpResult.model_validate_json(r.result) for r in s.query(SyncOp).all()]
        top = s.get(SyncCounter, "rev").value
        by_op = {r.op_id: r for r in results}
    revs = [r.rev for r in results if r.status == "applied"]
    fresh = sorted(set(revs))
    assert fresh == list(range(1, top + 1)), "a revision was skipped or an op applied twice"
    # 4. every op reached the server or lives on in a recorded conflict
    for i, c in enumerate(clients):
        conflicted = {r[0] for r in c.store.db.query("SELECT entity_id FROM conflicts")}
        for op_id, entity_id in ops_made[i].items():
            result = by_op.get(op_id)
            if result is None or result.status != "applied":
                assert entity_id in conflicted, (c.name, op_id, result)
    total_conflicts = sum(
        c.store.db.query("SELECT count(*) FROM conflicts")[0][0] for c in clients)
    assert total_conflicts > 0  # the run really exercised conflicts
    for c in clients:
        c.close()
