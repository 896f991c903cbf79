"""Server benchmark: simulated clients against `oa-server serve --workers 2` on PostgreSQL.

Each client signs in, then for the run's duration alternates incremental pulls with
pushes of small batches of new drafts, timing every request. The clients run as
threads spread over several processes (`OA_BENCH_PROCS`, default 5): fifty threads
in one Python process queue each other's responses behind one GIL and time that
queue as server latency. Only requests that start inside the measured window count
(sign-in and catch-up come before it). A /health load from the same processes in the
same run gives the floor the sync latencies are compared to; everything shares the
machine's cores with the server and PostgreSQL.

Two phases: at saturation (each client sends its next request as soon as it has the
answer: `pulls_per_s`, `push_ops_per_s`, `p99_ms` — with closed-loop clients the
latency there is mostly clients / throughput), then paced (`paced_*`: each client one
request every `OA_BENCH_INTERVAL` seconds, default 1, on a fixed schedule).
"""

from __future__ import annotations

import multiprocessing
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


def _signed_in(base: str, login: str, n: int) -> tuple[requests.Session, dict, int]:
    http = requests.Session()
    r = http.post(f"{base}/api/v1/auth/login", json={
        "login": login, "password": DEMO_PASSWORD, "device_id": f"bench-{n}",
        "device_name": "bench"}, timeout=60)
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
    return http, headers, cursor


def _client(base: str, login: str, n: int, window: tuple[float, float], out: dict,
            interval: float = 0.0) -> None:
    """One simulated desk: alternate incremental pulls and pushes of 5 new drafts until the
    window closes; only requests that start inside the window are counted.

    `interval` 0: the next request as soon as the answer is in (saturation). Otherwise one
    request every `interval` seconds on a fixed schedule with a random phase, so a slow
    answer does not lower the load offered (the wait is counted, not skipped).
    """
    http, headers, cursor = _signed_in(base, login, n)
    rng = random.Random(n)
    seq = 0
    due = window[0] - 1.0 + rng.random() * max(interval, 1e-3)
    while time.time() < window[1]:
        if interval:
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            due += interval
        started = time.time()
        t = time.perf_counter()
        if rng.random() < 0.5:
            resp = http.get(f"{base}/api/v1/sync/pull", params={"cursor": cursor, "limit": 500},
                            headers=headers, timeout=60)
            resp.raise_for_status()
            cursor = resp.json()["next_cursor"]
            kind, ops = "pull", 0
        else:
            batch = []
            for _ in range(5):
                seq += 1
                batch.append({"op_id": f"b{n}-{seq}", "kind": "upsert", "entity": "documents",
                              "entity_id": f"bench-{n}-{seq}", "base_rev": 0,
                              "payload": {"direction": "outgoing", "doc_kind": "通知",
                                          "title": f"关于压测公文第{seq}号的通知",
                                          "body": "正文"}})
            resp = http.post(f"{base}/api/v1/sync/push",
                             json={"device_id": f"bench-{n}", "ops": batch},
                             headers=headers, timeout=60)
            resp.raise_for_status()
            kind, ops = "push", len(batch)
            applied = sum(r["status"] == "applied" for r in resp.json()["results"])
        if window[0] <= started < window[1]:
            out[kind].append(time.perf_counter() - t)
            if ops:
                out["push_ops"] += ops
                out["applied"] += applied


def _health(base: str, n: int, window: tuple[float, float], out: dict) -> None:
    http = requests.Session()
    while time.time() < window[1]:
        started = time.time()
        t = time.perf_counter()
        http.get(f"{base}/api/v1/health", timeout=30).raise_for_status()
        if window[0] <= started < window[1]:
            out["health"].append(time.perf_counter() - t)


def _load_process(target: str, base: str, clients: list[int], window: tuple[float, float],
                  interval: float, results) -> None:
    """One load-generating process: a thread per simulated client, timings sent back."""
    out: dict = {"pull": [], "push": [], "health": [], "push_ops": 0, "applied": 0}
    fn = _client if target == "client" else _health
    threads = [threading.Thread(target=fn, args=(base, USERS[i % len(USERS)], i, window, out,
                                                 interval)
                                if target == "client" else (base, i, window, out))
               for i in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(out)


def _run_load(target: str, base: str, clients: int, procs: int, warmup: float,
              seconds: float, interval: float = 0.0) -> dict:
    """Spread `clients` over `procs` processes, so the clients' own Python (one GIL per
    process) does not queue the responses it times; merge their timings."""
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    start = time.time() + warmup
    window = (start, start + seconds)
    workers = [ctx.Process(target=_load_process,
                           args=(target, base, list(range(k, clients, procs)), window,
                                 interval, results))
               for k in range(min(procs, clients))]
    for w in workers:
        w.start()
    merged: dict = {"pull": [], "push": [], "health": [], "push_ops": 0, "applied": 0}
    for _w in workers:
        part = results.get(timeout=warmup + seconds + 120)
        for key, value in part.items():
            merged[key] += value
    for w in workers:
        w.join(timeout=30)
    return merged


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
    procs = int(os.environ.get("OA_BENCH_PROCS", 5))
    interval = float(os.environ.get("OA_BENCH_INTERVAL", 1.0))
    # the floor: the same number of clients, from the same processes, hitting /health
    floor = _run_load("health", base, clients, procs, 1.0, min(5.0, seconds / 2))["health"]
    if verbose:
        print(f"server bench: {clients} clients in {procs} processes for {seconds:.0f} s,"
              " 2 workers on PostgreSQL")
    # saturation: every client sends its next request as soon as it has the answer;
    # sign-in and catch-up happen in the warm-up, outside the window
    out = _run_load("client", base, clients, procs, 4.0, seconds)
    # paced: every client one request per `interval` seconds (still far busier than a desk)
    paced = _run_load("client", base, clients, procs, 4.0, seconds, interval)
    everything = out["pull"] + out["push"]
    paced_all = paced["pull"] + paced["push"]
    return {
        "clients": clients,
        "workers": 2,
        "load_processes": procs,
        "pulls_per_s": round(len(out["pull"]) / seconds, 1),
        "push_ops_per_s": round(out["push_ops"] / seconds, 1),
        "push_applied_share": round(out["applied"] / max(1, out["push_ops"]), 3),
        "p50_ms": round(statistics.median(everything) * 1000, 1) if everything else None,
        "p99_ms": round(_p(everything, 0.99) * 1000, 1),
        "pull_p99_ms": round(_p(out["pull"], 0.99) * 1000, 1),
        "push_p99_ms": round(_p(out["push"], 0.99) * 1000, 1),
        "health_p99_ms": round(_p(floor, 0.99) * 1000, 1),
        "p99_vs_health_p99": round(_p(everything, 0.99) / max(_p(floor, 0.99), 1e-9), 2),
        "paced_interval_s": interval,
        "paced_requests_per_s": round(len(paced_all) / seconds, 1),
        "paced_p50_ms": round(statistics.median(paced_all) * 1000, 1) if paced_all else None,
        "paced_p99_ms": round(_p(paced_all, 0.99) * 1000, 1),
    }
