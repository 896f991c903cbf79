"""Sync benchmark: initial sync of N records, incremental pulls and pushes, bytes on the wire.

A real server (`oa-server serve`, one worker on an SQLite file, its own process on
loopback, as a server is its own machine in an office) seeded with N small document
records visible to one user; a fresh encrypted client profile syncs them. The pull
stores records without search indexing when pages are large (schema v6); the index
catch-up that follows in `SyncEngine.sync()` is timed on its own (`search_catchup_s`)
and in `initial_with_search_records_per_s`; `search_catchup_cpu_s` is the CPU time it took
on all its threads (above the wall time when its two threads overlapped on two free cores,
below it when other work on the machine held a core).
Then 1% of the records change on the server and the client pulls them, and the client
edits 1,000 records and pushes them: `push_1000_first_s` is the first push the server
process takes after starting; then `OA_BENCH_ROUNDS` more pulls and pushes of the same
1,000 records (5; 3 with --quick), and `incremental_1000_s` and `push_1000_s` are their
medians, with the fastest and slowest beside them (`_min_s`, `_max_s`): one push or pull
of 1,000 on a shared 2-core box varies by half from one to the next. Each pull and push is
followed, untimed, by the checkpoint `SyncEngine.sync()` runs at its end. `incremental_bytes`
is the first incremental pull's, and `incremental_vs_full_bytes` compares it with the
bytes of a full re-download, same run.
A desk of another unit (`QUIET_LOGIN`), caught up before the pushes and at rest through
them, may see none of them; woken at the end, its pull from the cursor it had reads every revision
since (`quiet_desk_revisions_slept`) to find none: `quiet_desk_pull_s`, against its pull from
where its long-poll's answer vouched that nothing of its changed (`quiet_until`, the cursor
the desk client moves to): `quiet_desk_pull_after_quiet_s`, and their ratio. Then a whole
`SyncEngine.sync()` with nothing new, as every live-update wake and every periodic sync of an
up-to-date desk runs it (push, pull, the digest check, index, files): `idle_sync_s` for the
desk that sees all N records, `quiet_desk_idle_sync_s` for the one that sees none.
The seeded records' ids follow their revisions (`ids: in_order`); `OA_BENCH_IDS=unordered` gives
the same ids in an order unrelated to the revisions (`ids: unordered`), as a desk meets them:
ids are made on desks when a record is made, revisions when it last changed.
`initial_checkpoint_s` and `incremental_checkpoint_s` are the checkpoints `SyncEngine.sync()`
runs when it is done (after the first sync with its index catch-up, and after the pull of
1,000), copying what the sync left in the WAL into the database file: costs the figures
above do not include (a large commit no longer pays it on the spot; the sync does at its end).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, update

from bench.corpus import Corpus
from oa_client.services import records as svc
from oa_client.store.keys import MemoryKeyring
from oa_client.store.local import open_store
from oa_server import visibility
from oa_server.config import Settings
from oa_server.db import make_engine, make_sessionmaker
from oa_server.demo import DEMO_PASSWORD, seed
from oa_server.migrate import upgrade
from oa_server.models import User
from oa_server.security import password_hasher
from oa_server.sync_models import SyncAudience, SyncCounter, SyncRecord
from sync.engine import SyncEngine, SyncReport
from sync.transport import MemoryTokenStore, Transport
from tests.server.support import fixed_keys
from tests.sync.support import ProcessServer

LOGIN = "liuyang"
QUIET_LOGIN = "chenmeiling"  # 财政局预算股: sees none of liuyang's drafts
CHEAP = {"argon2_time_cost": 1, "argon2_memory_cost": 8, "argon2_parallelism": 1}


def prepare_server_db(url: str) -> None:
    """Migrate and seed the demo org chart."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine, keys=fixed_keys())() as s:
            seed(s, hasher=password_hasher(Settings(**CHEAP)))
            s.commit()
    finally:
        engine.dispose()


def seed_records(url: str, n: int, *, login: str = LOGIN, start_rev: int = 0,
                 unordered: bool = False) -> tuple[str, str]:
    """Bulk-insert n drafts of `login`'s, seen as the server's rule says (the drafter and the
    drafter's 科长: `oa_server.visibility`); return (unit_id, user_id). `unordered`: the ids
    `doc-0000000`… are given to the revisions in a shuffled order."""
    engine = make_engine(url)
    corpus = Corpus(seed=5)
    numbers = list(range(n))
    if unordered:
        random.Random(5).shuffle(numbers)
    now = datetime.now(UTC)
    try:
        with make_sessionmaker(engine)() as s:
            user = s.scalars(select(User).where(User.login == login)).one()
            unit, uid = str(user.unit_id), str(user.id)
            readers = visibility.audience("documents", {"state": "draft", "drafter_id": uid},
                                          unit_id=unit, author=uid, facts=_People(user))
            for lo in range(0, n, 5000):
                recs, aud = [], []
                for i in range(lo, min(n, lo + 5000)):
                    rid = f"doc-{numbers[i]:07d}"
                    # drafts of this desk's user: the one kind of document the server's
                    # documents authority lets its drafter edit from the client
                    data = {"direction": "outgoing", "doc_kind": "通知", "title": corpus.title(),
                            "body": "", "state": "draft", "drafter_id": uid, "unit_id": unit}
                    recs.append({"collection": "documents", "id": rid, "rev": start_rev + i + 1,
                                 "deleted": False, "data": json.dumps(data, ensure_ascii=False),
                                 "unit_id": unit, "created_by": uid, "updated_by": uid,
                                 "updated_at": now})
                    aud.extend({"collection": "documents", "record_id": rid,
                                "principal": principal, "active": True}
                               for principal in sorted(readers))
                s.execute(insert(SyncRecord), recs)
                s.execute(insert(SyncAudience), aud)
            s.execute(update(SyncCounter).where(SyncCounter.name == "rev")
                      .values(value=start_rev + n))
            s.commit()
    finally:
        engine.dispose()
    return unit, uid


class _People:
    """`visibility.Facts` knowing the one drafter of the seeded records."""

    def __init__(self, user: User) -> None:
        self.user = user

    def person(self, user_id: str | None) -> User | None:
        """The drafter (nobody else is asked)."""
        return self.user if str(user_id) == str(self.user.id) else None

    def record(self, collection: str, record_id: str) -> dict | None:
        """No other record is needed for a draft."""
        return None


def touch_records(url: str, ids: list[str]) -> None:
    """Change records on the server, each at a new revision (as other users' edits would)."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            top = s.scalar(select(SyncCounter.value).where(SyncCounter.name == "rev"))
            for k, rid in enumerate(ids, start=1):
                rec = s.get(SyncRecord, ("documents", rid))
                data = json.loads(rec.data)
                data["urgency"] = "特急"
                rec.data, rec.rev = json.dumps(data, ensure_ascii=False), top + k
            s.execute(update(SyncCounter).where(SyncCounter.name == "rev")
                      .values(value=top + len(ids)))
            s.commit()
    finally:
        engine.dispose()


def _client(root: Path, name: str, url: str, login: str = LOGIN):
    kr = MemoryKeyring()
    store = open_store(root / name, keyring_backend=kr, server_url=url, username=login)
    transport = Transport(url, device_id=store.device_id(), tokens=MemoryTokenStore())
    transport.login(login, DEMO_PASSWORD)
    return store, transport, SyncEngine(store, transport, pull_limit=5000)


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Run the sync suite; return its metrics."""
    n = int(os.environ.get("OA_BENCH_RECORDS", 10_000 if quick else 100_000))
    ids = os.environ.get("OA_BENCH_IDS", "in_order")
    if ids not in ("in_order", "unordered"):
        raise SystemExit(f"OA_BENCH_IDS: in_order or unordered, not {ids!r}")
    root = Path(tempfile.mkdtemp(prefix="oa-bench-sync-"))
    try:
        data_dir = root / "server"
        url = f"sqlite:///{data_dir / 'oa-server.sqlite3'}"
        data_dir.mkdir()
        prepare_server_db(url)
        seed_records(url, n, unordered=ids == "unordered")
        server = ProcessServer(data_dir, url, root / "serve.log", workers=1).start()
        try:
            rounds = int(os.environ.get("OA_BENCH_ROUNDS", 3 if quick else 5))
            metrics = {**_measure(root, server.url, url, n, rounds, verbose), "ids": ids}
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if verbose:
        for k, v in metrics.items():
            print(f"  {k}: {v}")
    return metrics


def _measure(root: Path, base: str, db_url: str, n: int, rounds: int,
             verbose: bool) -> dict:
    store, transport, engine = _client(root, "client", base)
    if verbose:
        print(f"sync bench: {n} records")
    t = time.perf_counter()
    engine.pull(SyncReport())
    initial_s = time.perf_counter() - t
    full_bytes = transport.bytes_received
    assert store.records.count("documents") == n, "initial sync incomplete"
    t, cpu = time.perf_counter(), time.process_time()
    engine.index(SyncReport())
    catchup_s, catchup_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    assert len(store.search(store.records.get("documents", f"doc-{n - 1:07d}")["title"])) >= 1
    initial_checkpoint_s = _checkpoint(store)

    step = max(1, n // 1000)  # 1,000 changed records: 1% of 100k
    changed = [f"doc-{i:07d}" for i in range(0, n, step)][:1000]
    pulls, incr_bytes, incremental_checkpoint_s = [], 0, 0.0
    for round_ in range(max(1, rounds)):
        touch_records(db_url, changed)  # each at a new revision again
        before = transport.bytes_received
        t = time.perf_counter()
        report = SyncReport()
        engine.pull(report)
        pulls.append(time.perf_counter() - t)
        assert report.pulled == len(changed)
        if round_ == 0:
            incr_bytes = transport.bytes_received - before
            incremental_checkpoint_s = _checkpoint(store)
        else:
            store.db.checkpoint()  # the checkpoint `SyncEngine.sync()` runs at its end

    # a desk of another unit, at rest through the pushes below (it may see none of them)
    quiet_store, quiet, quiet_engine = _client(root, "quiet", base, login=QUIET_LOGIN)
    quiet_cursor = quiet.pull(0, limit=5000).high_water
    # its first long-poll: the server (which heard none of `touch_records`' writes, made
    # beside it) reads at the wait's timeout who may see them, and so vouches from here on
    assert not quiet.wait(quiet_cursor, timeout=0.2, quiet=True).changed

    # 1,000 edits made on this desk, pushed: first to a server that has not taken a push
    # since it started (imports, statement caches), then `rounds` more in steady state
    timings = []
    for round_ in range(1 + max(1, rounds)):
        for rid in changed:
            rec = store.records.get("documents", rid)
            svc.save(store, "documents", {**rec, "title": rec["title"] + f"（修改稿{round_}）"})
        t = time.perf_counter()
        push_report = SyncReport()
        engine.push(push_report)
        timings.append(time.perf_counter() - t)
        assert push_report.applied == len(changed)
        store.db.checkpoint()  # the checkpoint `SyncEngine.sync()` runs at its end
    steady = timings[1:]
    at_rest = _quiet_desk(quiet, quiet_cursor)
    at_rest["idle_sync_s"] = round(_idle_sync(engine), 3)
    at_rest["quiet_desk_idle_sync_s"] = round(_idle_sync(quiet_engine), 3)
    store.close()
    quiet_store.close()
    return {
        "records": n,
        "initial_records_per_s": round(n / initial_s),
        "initial_s": round(initial_s, 3),
        "search_catchup_s": round(catchup_s, 3),
        "search_catchup_cpu_s": round(catchup_cpu_s, 3),
        "initial_with_search_records_per_s": round(n / (initial_s + catchup_s)),
        "bytes_per_record": round(full_bytes / n, 1),
        "incremental_changes": len(changed),
        "incremental_1000_s": round(statistics.median(pulls), 3),
        "incremental_1000_min_s": round(min(pulls), 3),
        "incremental_1000_max_s": round(max(pulls), 3),
        "push_1000_s": round(statistics.median(steady), 3),
        "push_1000_min_s": round(min(steady), 3),
        "push_1000_max_s": round(max(steady), 3),
        "push_1000_first_s": round(timings[0], 3),
        "rounds": len(steady),
        "incremental_bytes": incr_bytes,
        "incremental_vs_full_bytes": round(incr_bytes / full_bytes, 4),
        "initial_checkpoint_s": round(initial_checkpoint_s, 3),
        "incremental_checkpoint_s": round(incremental_checkpoint_s, 3),
        **at_rest,
    }


def _idle_sync(engine: SyncEngine) -> float:
    """Seconds of a whole `SyncEngine.sync()` with nothing new (after one that caught up):
    what every live-update wake and every periodic sync of an up-to-date desk costs."""
    engine.sync()
    t = time.perf_counter()
    report = engine.sync()
    assert report.pulled == 0 and report.repulled == [], report
    return time.perf_counter() - t


def _quiet_desk(transport: Transport, cursor: int) -> dict:
    """The desk at rest, woken now: its pull from the cursor it had, against a pull from
    where its long-poll's answer vouched that nothing of its changed (`quiet_until`)."""
    t = time.perf_counter()
    page = transport.pull(cursor, limit=5000)
    from_cursor_s = time.perf_counter() - t
    assert not page.changes and not page.has_more, "the quiet desk saw others' records"
    answer = transport.wait(cursor, timeout=0.2, quiet=True)
    assert not answer.changed and answer.quiet_until == page.high_water, answer
    t = time.perf_counter()
    transport.pull(answer.quiet_until, limit=5000)
    after_quiet_s = time.perf_counter() - t
    return {
        "quiet_desk_revisions_slept": page.high_water - cursor,
        "quiet_desk_pull_s": round(from_cursor_s, 4),
        "quiet_desk_pull_after_quiet_s": round(after_quiet_s, 4),
        "quiet_desk_pull_ratio": round(after_quiet_s / from_cursor_s, 3),
    }


def _checkpoint(store) -> float:
    """Seconds the end-of-sync checkpoint takes (`SyncEngine.sync()` runs it when done)."""
    t = time.perf_counter()
    store.db.checkpoint()
    return time.perf_counter() - t
