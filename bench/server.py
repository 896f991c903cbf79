"""Server benchmark: simulated clients against `oa-server serve --workers 2` on PostgreSQL.

Each client signs in, then for the run's duration alternates incremental pulls with
pushes of small batches of edits, timing every request. A /health load from the
same clients in the same run gives the floor the sync latencies are compared to.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.sync import LOGIN, prepare_server_db, seed_records
from oa_server.demo import DEMO_PASSWORD
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

# a throw-away PostgreSQL cluster and a multi-worker server process, as the tests make them
from tests.server import postgres
from tests.sync.support import ProcessServer

USERS = ("liuyang", "zhengxiaoyan", "wuqiong", "huangjianhua", "caiweidong", "xiefang")


def _client(base: str, login: str, n: int, stop: threading.Event, out: dict, rng: random.Random):
    http = requests.Session()
    r = http.post(f"{base}/api/v1/auth/login", json={
        "login": login, "password": DEMO_PASSWORD, "device_id": f"bench-{n}",
        "device_name": "bench"}, timeout=30)
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['access_token']}",
               PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    cursor = 0
    # start from the newest revision: what a client that already synced would do
    while True:
        page = http.get(f"{base}/api/v1/sync/pull", params={"cursor": cursor, "limit": 5000},
                        headers=headers, timeout=60).json()
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    seq = 0
    while not stop.is_set():
        t = time.perf_counter()
        if rng.random() < 0.5:
            resp = http.get(f"{base}/api/v1/sync/pull", params={"cursor": cursor, "limit": 500},
                            headers=headers, timeout=60)
            resp.raise_for_status()
            cursor = resp.json()["next_cursor"]
            out["pull"].append(time.perf_counter() - t)
        else:
            ops = []
            for _ in range(5):
                seq += 1
                ops.append({"op_id": f"b{n}-{seq}", "kind": "upsert", "entity": "documents",
                            "entity_id": f"bench-{n}-{seq}", "base_rev": 0,
                            "payload": {"direction": "outgoing", "title": f"压测公文{seq}",
                                        "body": "正文"}})
            resp = http.post(f"{base}/api/v1/sync/push", json={"device_id": f"bench-{n}",
                                                              "ops": ops},
                             headers=headers, timeout=60)
            resp.raise_for_status()
            out["push"].append(time.perf_counter() - t)
            out["push_ops"] += len(ops)


def _health(base: str, stop: threading.Event, out: list) -> None:
    http = requests.Session()
    while not stop.is_set():
        t = time.perf_counter()
        http.get(f"{base}/api/v1/health", timeout=30).raise_for_status()
        out.append(time.perf_counter() - t)


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else 0.0


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Run the server suite; return its metrics."""
    clients = int(os.environ.get("OA_BENCH_CLIENTS", 10 if quick else 50))
    seconds = float(os.environ.get("OA_BENCH_SECONDS", 5 if quick else 20))
    root = Path(tempfile.mkdtemp(prefix="oa-bench-server-"))
    try:
        with postgres.admin_url() as admin:
            name = postgres.unique_name("oa_bench")
            url = postgres.create_database(admin, name)
            try:
                prepare_server_db(url)
                seed_records(url, 2000 if quick else 20000, login=LOGIN)
                data_dir = root / "server"
                data_dir.mkdir()
                server = ProcessServer(data_dir, url, root / "serve.log", workers=2).start()
                try:
                    metrics = _load(server.url, clients, seconds, verbose)
                finally:
                    server.stop()
            finally:
                postgres.drop_database(admin, name)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if verbose:
        for k, v in metrics.items():
            print(f"  {k}: {v}")
    return metrics


def _load(base: str, clients: int, seconds: float, verbose: bool) -> dict:
    # the floor: the same number of clients hitting /health
    stop = threading.Event()
    floor: list[float] = []
    threads = [threading.Thread(target=_health, args=(base, stop, floor)) for _ in range(clients)]
    for t in threads:
        t.start()
    time.sleep(min(5.0, seconds / 2))
    stop.set()
    for t in threads:
        t.join()

    if verbose:
        print(f"server bench: {clients} clients for {seconds:.0f} s, 2 workers on PostgreSQL")
    stop = threading.Event()
    out: dict = {"pull": [], "push": [], "push_ops": 0}
    threads = [
        threading.Thread(target=_client, args=(base, USERS[i % len(USERS)], i, stop, out,
                                                random.Random(i)))
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    time.sleep(2.0)  # let every client sign in and catch up
    out["pull"].clear()
    out["push"].clear()
    out["push_ops"] = 0
    started = time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    stop.set()
    for t in threads:
        t.join()
    everything = out["pull"] + out["push"]
    return {
        "clients": clients,
        "workers": 2,
        "pulls_per_s": round(len(out["pull"]) / elapsed, 1),
        "push_ops_per_s": round(out["push_ops"] / elapsed, 1),
        "p50_ms": round(statistics.median(everything) * 1000, 1) if everything else None,
        "p99_ms": round(_p(everything, 0.99) * 1000, 1),
        "pull_p99_ms": round(_p(out["pull"], 0.99) * 1000, 1),
        "push_p99_ms": round(_p(out["push"], 0.99) * 1000, 1),
        "health_p99_ms": round(_p(floor, 0.99) * 1000, 1),
        "p99_vs_health_p99": round(_p(everything, 0.99) / max(_p(floor, 0.99), 1e-9), 2),
    }
