"""Waiting costs nothing: N idle desks hold `/sync/wait` while one working desk pulls.

One default server (`python -m bench._wait_server`: the ordinary app, one uvicorn process,
SQLite, with a statement counter and a stats route) is started as a process. A working
desk (requests, in this process) pulls every 0.5 s on a fixed schedule. Two windows:

- baseline: no idle desks;
- idle: N desks (raw asyncio HTTP/1.1 connections in a child process, the way a desk's
  long-poll sits on the server: one open request each, re-sent when answered) hold
  `/sync/wait` with the client's timeout (25 s; `--quick` uses 5 s so re-sends show), at
  random phases (each desk's first wait is a random part of the timeout).

Reported: the working desk's pull p50/p99 in both windows and their ratio, the server's
CPU (seconds per second) in both, the idle desks' database statements per desk per minute
(the idle window's statements less the working desk's, at the baseline's count per pull),
and how many waits were answered and failed. Goal: 2,000 waiting desks leave the pull p99
under 50 ms; `--quick` uses 300.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench._desk_http import desk_headers, get_request, read_answer, sign_in
from bench.sync import prepare_server_db, seed_records

USERS = ("liuyang", "zhengxiaoyan", "wuqiong", "huangjianhua", "caiweidong", "xiefang")
PULL_EVERY_S = 0.5


async def _desk(port: int, token: str, cursor: int, timeout: float, stop: asyncio.Event,
                sent: list[int], out: dict) -> None:
    """One idle desk: a keep-alive connection holding /sync/wait, re-sent when answered.
    Its first wait is shorter, by a random part of the timeout: a day's desks wait at
    random phases, not in step (the server spreads a restart's herd by itself)."""

    def request(seconds: float) -> bytes:
        return get_request(port, token, f"/api/v1/sync/wait?cursor={cursor}&timeout={seconds:.2f}")

    reader = writer = None
    first = True
    while not stop.is_set():
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request(random.uniform(1.0, timeout) if first else timeout))
            await writer.drain()
            if first:
                sent[0] += 1
                first = False
            assert reader is not None
            status, _body = await read_answer(reader)
            out["ok" if status == 200 else "failed"] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            out["failed"] += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(1.0)
    if writer is not None:
        writer.close()


def _idle_process(port: int, tokens: list[str], cursor: int, n: int, timeout: float,
                  conn) -> None:
    """The idle desks' process: open them in batches, say when all are sent, stop on word."""

    async def main() -> None:
        stop = asyncio.Event()
        sent, out = [0], {"ok": 0, "failed": 0}
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(
                _desk(port, tokens[i % len(tokens)], cursor, timeout, stop, sent, out)))
            if i % 100 == 99:
                await asyncio.sleep(0.05)
        while sent[0] < n:
            await asyncio.sleep(0.05)
        conn.send("sent")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        conn.send(out)

    asyncio.run(main())


def _stats(base: str) -> dict:
    return requests.get(f"{base}/bench/stats", timeout=60).json()


def _window(base: str, token: str, cursor: int, seconds: float) -> dict:
    """The working desk pulls every 0.5 s for `seconds`; the server's counters around it."""
    http = requests.Session()
    headers = desk_headers(token)
    before = _stats(base)
    times: list[float] = []
    failed = 0
    due = opened = time.perf_counter()
    end = due + seconds
    while due < end:
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        due += PULL_EVERY_S
        t = time.perf_counter()
        try:
            r = http.get(f"{base}/api/v1/sync/pull", params={"cursor": cursor, "limit": 500},
                         headers=headers, timeout=30)
            ok = r.status_code == 200
        except requests.RequestException:
            ok = False
        times.append(time.perf_counter() - t)
        failed += not ok
    after = _stats(base)
    elapsed = time.perf_counter() - opened  # longer than `seconds` when pulls hang
    times.sort()
    return {
        "pulls": len(times), "failed": failed,
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
        "slowest_ms": [round(t * 1000, 1) for t in times[-3:]],
        "queries": after["queries"] - before["queries"],
        "cpu_per_s": (after["cpu_s"] - before["cpu_s"]) / elapsed,
        "elapsed_s": elapsed,
        "gc_max_ms": round(after["gc_max_ms"], 1),  # the longest collection pause so far
        "gc_full": after["gc_full"] - before["gc_full"],
        "gc_ms": round(after["gc_ms"] - before["gc_ms"], 1),
    }


def _start_server(data_dir: Path, port: int) -> subprocess.Popen:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    log = (data_dir.parent / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "bench._wait_server", str(data_dir), str(port)],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError("the bench server did not start")
        try:
            if requests.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the bench server did not start")
        time.sleep(0.1)


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Run the wait suite; return its metrics."""
    from oa_server.embedded import free_port

    n = int(os.environ.get("OA_BENCH_IDLE_DESKS", "300" if quick else "2000"))
    seconds = 10.0 if quick else 30.0
    wait_timeout = 5.0 if quick else 25.0
    root = Path(tempfile.mkdtemp(prefix="oa-bench-wait-"))
    data_dir = root / "server"
    url = f"sqlite:///{data_dir / 'oa-server.sqlite3'}"
    data_dir.mkdir()
    prepare_server_db(url)
    seed_records(url, 2000)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start_server(data_dir, port)
    try:
        worker = sign_in(base, USERS[0], "bench-working")
        tokens = [sign_in(base, USERS[i % len(USERS)], f"bench-idle-{i}") for i in range(12)]
        page = requests.get(f"{base}/api/v1/sync/pull", params={"cursor": 0, "limit": 1},
                            headers=desk_headers(worker), timeout=60).json()
        cursor = int(page["high_water"])
        if verbose:
            print(f"baseline: working desk alone for {seconds:.0f} s", flush=True)
        baseline = _window(base, worker, cursor, seconds)
        if verbose:
            print(f"  {baseline}\nopening {n} idle desks (wait timeout {wait_timeout:.0f} s)",
                  flush=True)
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = ctx.Pipe()
        idle = ctx.Process(target=_idle_process,
                           args=(port, tokens, cursor, n, wait_timeout, theirs), daemon=True)
        idle.start()
        if not ours.poll(300):
            raise RuntimeError("the idle desks did not open")
        ours.recv()
        time.sleep(1.0)  # the last requests are read and parked before the window opens
        loaded = _window(base, worker, cursor, seconds)
        ours.send("stop")
        waits = ours.recv() if ours.poll(60) else {"ok": -1, "failed": -1}
        idle.join(timeout=30)
        errors = (root / "server.log").read_text(errors="replace").count("Traceback")
        if verbose:
            print(f"  {loaded}\n  waits answered {waits}", flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # still draining hung requests
            proc.kill()
            proc.wait(timeout=15)
        shutil.rmtree(root, ignore_errors=True)
    per_pull = baseline["queries"] / max(1, baseline["pulls"])
    idle_queries = max(0.0, loaded["queries"] - per_pull * loaded["pulls"])
    return {
        "idle_desks": n,
        "wait_timeout_s": wait_timeout,
        "window_s": seconds,
        "baseline_pull_p50_ms": round(baseline["p50_ms"], 2),
        "baseline_pull_p99_ms": round(baseline["p99_ms"], 2),
        "pull_p50_ms": round(loaded["p50_ms"], 2),
        "pull_p99_ms": round(loaded["p99_ms"], 2),
        "pull_p99_ratio": round(loaded["p99_ms"] / max(baseline["p99_ms"], 1e-6), 2),
        "pulls_failed": loaded["failed"],
        "baseline_server_cpu_per_s": round(baseline["cpu_per_s"], 3),
        "server_cpu_per_s": round(loaded["cpu_per_s"], 3),
        "queries_per_idle_desk_per_min": round(idle_queries / n / (loaded["elapsed_s"] / 60), 3),
        "waits_answered": waits["ok"],
        "waits_failed": waits["failed"],
        "server_errors": errors,
        "pull_p99_under_50ms": loaded["p99_ms"] < 50,
    }
