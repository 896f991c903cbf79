"""Server benchmark: simulated clients against `oa-server serve --workers 2` on PostgreSQL.

Each client signs in, then for the run's duration alternates incremental pulls with
pushes of small batches of new drafts, timing every request. The clients run as
threads spread over several processes (`OA_BENCH_PROCS`, default 5): fifty threads
in one Python process queue each other's responses behind one GIL and time that
queue as server latency. Only requests that start inside the measured window count
(sign-in and catch-up come before it). A /health load from the same processes in the
same run gives the floor the sync latencies are compared to; everything shares the
machine's cores with the server and PostgreSQL.

Every client signs in and catches up (the 20,000 seeded records) before a window opens,
so the windows measure steady-state sync, not fifty first downloads.

`OA_BENCH_SERVER_PARTS` (default `load,chase,city`) picks the parts to run. Three phases:
- paced (`p50_ms`, `p99_ms`, `requests_per_s`): each client sends one sync request every
  `OA_BENCH_INTERVAL` seconds (default 1) on a fixed schedule with a random phase; a slow
  answer does not lower the load offered. Once a second is already far busier than a
  desk, which long-polls `/sync/wait` and syncs when something changed.
- saturation (`pulls_per_s`, `push_ops_per_s`, `saturation_*`): each client sends its
  next request as soon as it has the answer. That measures throughput; the latency there
  is, by Little's law, about clients / throughput (50 clients at 100 requests/s wait
  ~500 ms on average), so it says how far the server is from its limit, not how a desk
  feels. Pushes wait longest there: they take the tenant's revision lock one at a time
  (so a reader never skips a revision), and a push's own transaction is a small part of
  its saturation latency; the rest is the queue in front of that lock.
- city (`city_*`, bench._server_city): 2,000 desks (`--quick` 300) holding `/sync/wait`
  beside the writing desks on four workers, against a window without them.
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
    for attempt in range(4):  # fifty sign-ins at once on a busy machine: a dropped one retries
        try:
            r = http.post(f"{base}/api/v1/auth/login", json={
                "login": login, "password": DEMO_PASSWORD, "device_id": f"bench-{n}",
                "device_name": "bench"}, timeout=60)
            break
        except requests.ConnectionError:
            if attempt == 3:
                raise
            time.sleep(1 + attempt)
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['access_token']}",
               PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    cursor = 0
    # start from the newest revision: what a client that already synced would do
    while True:
        resp = http.get(f"{base}/api/v1/sync/pull", params={"cursor": cursor, "limit": 5000},
                        headers=headers, timeout=120)
        if resp.status_code != 200:
            raise RuntimeError(f"catch-up pull failed: {resp.status_code} {resp.text[:300]}")
        page = resp.json()
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    return http, headers, cursor


def _client(base: str, login: str, n: int, window: tuple[float, float], out: dict,
            interval: float = 0.0, session: tuple | None = None) -> None:
    """One simulated desk: alternate incremental pulls and pushes of 5 new drafts until the
    window closes; only requests that start inside the window are counted.

    `interval` 0: the next request as soon as the answer is in (saturation). Otherwise one
    request every `interval` seconds on a fixed schedule with a random phase, so a slow
    answer does not lower the load offered (the wait is counted, not skipped).
    """
    http, headers, cursor = session or _signed_in(base, login, n)
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
            out[f"{kind}_at"].append(started)
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


def _load_process(target: str, base: str, clients: list[int], seconds: float,
                  interval: float, ready, go, start_at, results) -> None:
    """One load-generating process: every simulated client signs in and catches up first;
    once all processes are ready the parent opens the window; timings are sent back."""
    out: dict = {"pull": [], "push": [], "health": [], "pull_at": [], "push_at": [],
                 "push_ops": 0, "applied": 0}
    sessions: dict[int, tuple] = {}
    if target == "client":
        def sign_in(i: int) -> None:
            sessions[i] = _signed_in(base, USERS[i % len(USERS)], i)

        preparing = [threading.Thread(target=sign_in, args=(i,)) for i in clients]
        for t in preparing:
            t.start()
        for t in preparing:
            t.join()
    ready.wait()
    go.wait()
    window = (start_at.value, start_at.value + seconds)
    threads = [threading.Thread(target=_client, args=(base, USERS[i % len(USERS)], i, window,
                                                      out, interval, sessions[i]))
               if target == "client" else
               threading.Thread(target=_health, args=(base, i, window, out))
               for i in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(out)


def _run_load(target: str, base: str, clients: int, procs: int, seconds: float,
              interval: float = 0.0, during=None) -> dict:
    """Spread `clients` over `procs` processes, so the clients' own Python (one GIL per
    process) does not queue the responses it times; merge their timings.

    Sign-in and the catch-up pull of every client finish before the window opens, so the
    window measures steady-state sync, not 50 first downloads. `during(start, end)` runs in a
    thread once the window is set (the scheduler's chase in the middle of it)."""
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    n = min(procs, clients)
    ready, go = ctx.Barrier(n + 1), ctx.Barrier(n + 1)
    start_at = ctx.Value("d", 0.0)
    workers = [ctx.Process(target=_load_process,
                           args=(target, base, list(range(k, clients, procs)), seconds,
                                 interval, ready, go, start_at, results))
               for k in range(n)]
    for w in workers:
        w.start()
    ready.wait(timeout=600)
    start_at.value = time.time() + 0.5
    go.wait(timeout=60)
    side = None
    if during is not None:
        side = threading.Thread(target=during, args=(start_at.value, start_at.value + seconds))
        side.start()
    merged: dict = {"pull": [], "push": [], "health": [], "pull_at": [], "push_at": [],
                    "push_ops": 0, "applied": 0}
    for _w in workers:
        part = results.get(timeout=seconds + 180)
        for key, value in part.items():
            merged[key] += value
    for w in workers:
        w.join(timeout=30)
    if side is not None:
        side.join()
    return merged


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else 0.0


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Run the server suite; return its metrics."""
    from bench._server_city import PG_OPTIONS, run_city

    clients = int(os.environ.get("OA_BENCH_CLIENTS", 10 if quick else 50))
    seconds = float(os.environ.get("OA_BENCH_SECONDS", 5 if quick else 20))
    parts = set(os.environ.get("OA_BENCH_SERVER_PARTS", "load,chase,city").split(","))
    root = Path(tempfile.mkdtemp(prefix="oa-bench-server-"))
    metrics: dict = {}
    try:
        with postgres.admin_url(PG_OPTIONS) as admin:
            name = postgres.unique_name("oa_bench")
            url = postgres.create_database(admin, name)
            try:
                prepare_server_db(url)
                seed_records(url, 2000 if quick else 20000, login=LOGIN)
                data_dir = root / "server"
                data_dir.mkdir()
                if parts & {"load", "chase"}:
                    # its jobs off: the bench runs the chase itself, amid the desks, and
                    # times it
                    server = ProcessServer(data_dir, url, root / "serve.log", workers=2).start()
                    try:
                        if "load" in parts:
                            metrics.update(_load(server.url, clients, seconds, verbose))
                        if "chase" in parts:
                            metrics.update(_scheduler(server.url, url, str(data_dir), clients,
                                                      seconds, verbose))
                    finally:
                        server.stop()
                if "city" in parts:  # thousands of desks at rest beside the working ones
                    metrics.update(run_city(url, data_dir, root / "city.log", _run_load,
                                            quick=quick, verbose=verbose))
            finally:
                postgres.drop_database(admin, name)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if verbose:
        for k, v in metrics.items():
            print(f"  {k}: {v}")
    return metrics


def _scheduler(base: str, url: str, data_dir: str, clients: int, seconds: float,
               verbose: bool) -> dict:
    """The scheduler's cost: one full 督办 chase over 10,000 tasks amid the paced desks."""
    from bench import _server_jobs as sj

    procs = int(os.environ.get("OA_BENCH_PROCS", 5))
    interval = float(os.environ.get("OA_BENCH_INTERVAL", 1.0))
    sj.seed_tasks(url)
    first = sj.warm_up(url, data_dir)  # yesterday morning's pass: lights set, reports chased
    if verbose:
        print(f"scheduler bench: {sj.TASKS} tasks; yesterday's first pass {first:.1f} s")
    found: dict = {}

    def chase(start: float, end: float) -> None:
        time.sleep(max(0.0, start + (end - start) / 4 - time.time()))
        found["t0"] = time.time()
        found["elapsed"], found["run"] = sj.run_chase_process(url, data_dir)
        found["t1"] = time.time()

    paced = _run_load("client", base, clients, procs, max(seconds, 15.0), interval, chase)
    t0, t1 = found["t0"], found["t1"]
    pulls = [d for at, d in zip(paced["pull_at"], paced["pull"], strict=True) if t0 <= at <= t1]
    pushes = [d for at, d in zip(paced["push_at"], paced["push"], strict=True) if t0 <= at <= t1]
    calm = [d for at, d in zip(paced["pull_at"], paced["pull"], strict=True)
            if not t0 - 1 <= at <= t1 + 1]
    details = found["run"]["details"]
    return {
        "chase_tasks": sj.TASKS,
        "chase_s": round(details["ms"] / 1000, 2),  # the run itself
        "chase_process_s": round(found["elapsed"], 2),  # with the process starting up
        "chase_first_pass_s": round(first, 2),
        "chase_changed": {k: details.get(k) for k in ("lights", "chased", "reminded")},
        "chase_pull_p99_ms": round(_p(pulls, 0.99) * 1000, 1),
        "chase_pulls": len(pulls),
        "chase_push_p99_ms": round(_p(pushes, 0.99) * 1000, 1),
        "chase_window_pull_p99_ms": round(_p(paced["pull"], 0.99) * 1000, 1),
        "no_chase_pull_p99_ms": round(_p(calm, 0.99) * 1000, 1),
    }


def _load(base: str, clients: int, seconds: float, verbose: bool) -> dict:
    procs = int(os.environ.get("OA_BENCH_PROCS", 5))
    interval = float(os.environ.get("OA_BENCH_INTERVAL", 1.0))
    # the floor: the same number of clients, from the same processes, hitting /health
    floor = _run_load("health", base, clients, procs, min(5.0, seconds / 2))["health"]
    if verbose:
        print(f"server bench: {clients} clients in {procs} processes for {seconds:.0f} s,"
              " 2 workers on PostgreSQL")
    # saturation: every client sends its next request as soon as it has the answer;
    # sign-in and catch-up happen in the warm-up, outside the window
    out = _run_load("client", base, clients, procs, seconds)
    # paced: every client one request per `interval` seconds (still far busier than a desk)
    paced = _run_load("client", base, clients, procs, seconds, interval)
    everything = out["pull"] + out["push"]
    paced_all = paced["pull"] + paced["push"]
    return {
        "clients": clients,
        "workers": 2,
        "load_processes": procs,
        # the desks as they sync (each one request every `interval` s, on a fixed schedule)
        "paced_interval_s": interval,
        "requests_per_s": round(len(paced_all) / seconds, 1),
        "p50_ms": round(statistics.median(paced_all) * 1000, 1) if paced_all else None,
        "p99_ms": round(_p(paced_all, 0.99) * 1000, 1),
        "pull_p99_ms": round(_p(paced["pull"], 0.99) * 1000, 1),
        "push_p99_ms": round(_p(paced["push"], 0.99) * 1000, 1),
        # saturation: what the server can take (closed loop, no pause between requests)
        "pulls_per_s": round(len(out["pull"]) / seconds, 1),
        "push_ops_per_s": round(out["push_ops"] / seconds, 1),
        "push_applied_share": round(out["applied"] / max(1, out["push_ops"]), 3),
        "saturation_p50_ms": round(statistics.median(everything) * 1000, 1) if everything else None,
        "saturation_p99_ms": round(_p(everything, 0.99) * 1000, 1),
        "saturation_pull_p99_ms": round(_p(out["pull"], 0.99) * 1000, 1),
        "saturation_push_p99_ms": round(_p(out["push"], 0.99) * 1000, 1),
        # the in-run baseline: the same clients and processes hitting /health in a closed
        # loop, so it is compared with the closed-loop (saturation) sync latency
        "health_p99_ms": round(_p(floor, 0.99) * 1000, 1),
        "saturation_p99_vs_health_p99": round(_p(everything, 0.99) / max(_p(floor, 0.99), 1e-9),
                                              2),
    }
