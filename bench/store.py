"""Store benchmark: the same workload on the encrypted store and on plain SQLite, same run.

Bulk insert of N documents with Chinese bodies, point reads, list pages, search
(2-, 3- and 4-character queries) and profile open time. Ratios compare the
encrypted store with the plain baseline; `search_vs_like_speedup` compares the
FTS search with a LIKE scan over the same rows.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.corpus import Corpus
from oa_client.store.db import Database
from oa_client.store.keys import MemoryKeyring
from oa_client.store.local import open_store
from oa_client.store.records import RecordStore
from oa_client.store.search import like_search, search


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _insert(db: Database, docs: list[dict]) -> dict:
    records = RecordStore(db)
    t = time.perf_counter()
    for i in range(0, len(docs), 1000):
        records.write("documents", docs[i : i + 1000])
    insert_s = time.perf_counter() - t
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"insert_s": insert_s}


def _reads(db: Database, ids: list[str], reads: int, seed: int) -> float:
    records = RecordStore(db)
    rng = random.Random(seed)
    sample = [rng.choice(ids) for _ in range(reads)]
    t = time.perf_counter()
    for rid in sample:
        records.get("documents", rid)
    return time.perf_counter() - t


def _browse(db: Database, queries: list[str]) -> dict:
    records = RecordStore(db)
    t = time.perf_counter()
    pages = 100
    for k in range(pages):
        records.list("documents", limit=50, offset=k * 50)
    list_s = time.perf_counter() - t

    times = []
    for q in queries:
        t = time.perf_counter()
        search(db, q, limit=20)
        times.append(time.perf_counter() - t)
    return {"list_s": list_s, "search": times}


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Run the store suite; return its metrics."""
    n = int(os.environ.get("OA_BENCH_DOCS", 10_000 if quick else 100_000))
    reads = 2_000 if quick else 10_000
    corpus = Corpus()
    docs = [
        {"id": f"doc-{i:07d}", "direction": "outgoing", "doc_kind": "通知",
         "title": corpus.title(), "body": corpus.body(300), "state": "draft"}
        for i in range(n)
    ]
    queries = [corpus.query(k) for k in (2, 3, 4) for _ in range(40 if quick else 100)]
    root = Path(tempfile.mkdtemp(prefix="oa-bench-"))
    try:
        key = secrets.token_bytes(32)
        plain_db = Database(root / "plain.db", b"", plain=True)
        plain_db.migrate()
        enc_db = Database(root / "enc.db", key)
        enc_db.migrate()
        if verbose:
            print(f"store bench: {n} documents, {reads} reads, {len(queries)} queries")
        plain = _insert(plain_db, docs)
        enc = _insert(enc_db, docs)
        ids = [d["id"] for d in docs]
        # reads alternate between the two files in rounds, so machine noise hits both alike
        plain["read_s"] = enc["read_s"] = 0.0
        for _round in range(4):
            plain["read_s"] += _reads(plain_db, ids, reads // 4, seed=_round)
            enc["read_s"] += _reads(enc_db, ids, reads // 4, seed=_round)
        plain.update(_browse(plain_db, queries))
        enc.update(_browse(enc_db, queries))
        like_qs = queries[:: max(1, len(queries) // 15)]
        like_times, fts_times = [], []
        for q in like_qs:
            t = time.perf_counter()
            like_search(enc_db, q, limit=20)
            like_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            search(enc_db, q, limit=20)
            fts_times.append(time.perf_counter() - t)
        plain_db.close()
        enc_db.close()
        open_times = _open_times(root, n)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    by_len: dict[int, list[float]] = {}
    for q, t in zip(queries, enc["search"], strict=True):
        by_len.setdefault(len(q), []).append(t)
    metrics = {
        "documents": n,
        "encrypted_insert_docs_per_s": round(n / enc["insert_s"]),
        "plain_insert_docs_per_s": round(n / plain["insert_s"]),
        "encrypted_vs_plain_insert": round(enc["insert_s"] / plain["insert_s"], 3),
        "encrypted_vs_plain_read": round(enc["read_s"] / plain["read_s"], 3),
        "encrypted_vs_plain_list": round(enc["list_s"] / plain["list_s"], 3),
        "read_us": round(enc["read_s"] / reads * 1e6, 1),
        "search_p50_ms": _ms(_p(enc["search"], 0.5)),
        "search_p95_ms": _ms(_p(enc["search"], 0.95)),
        "search_p95_ms_by_length": {k: _ms(_p(v, 0.95)) for k, v in sorted(by_len.items())},
        "plain_search_p95_ms": _ms(_p(plain["search"], 0.95)),
        "search_vs_like_speedup": round(sum(like_times) / sum(fts_times), 1),
        "open_ms": round(statistics.median(open_times), 2),
    }
    if verbose:
        for k, v in metrics.items():
            print(f"  {k}: {v}")
    return metrics


def _open_times(root: Path, n: int) -> list[float]:
    kr = MemoryKeyring()
    profile = root / "profile"
    store = open_store(profile, keyring_backend=kr, username="bench", server_url="http://127.0.0.1")
    corpus = Corpus(seed=11)
    docs = [
        {"direction": "incoming", "title": corpus.title(), "body": corpus.body(300)}
        for _ in range(min(n, 20_000))
    ]
    for i in range(0, len(docs), 1000):
        store.records.write("documents", docs[i : i + 1000])
    store.close()
    times = []
    for _ in range(7):
        t = time.perf_counter()
        s = open_store(profile, keyring_backend=kr)
        times.append((time.perf_counter() - t) * 1000)
        s.close()
    return times
