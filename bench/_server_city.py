"""City scale in `bench server`: thousands of desks holding `/sync/wait` beside the desks at work,
against `oa-server serve --workers 4` on PostgreSQL.

Two windows on the same server, one after the other, inside one run of the writers (signed in
and caught up before it; their first `SETTLE_S` and the idle desks' opening are in neither):

- baseline: the 50 writing desks of the server suite (paced, one pull or push of 5 drafts a
  second each), a messenger (one draft every `MESSENGER_EVERY_S` as 陈美玲 of 预算股) and
  the watchers — `WATCHERS` desks of people who see her drafts (她本人 on other computers,
  and 罗杰, her 科长), each holding `/sync/wait`, pulling when told of a change, then
  asking for the digests (a sync ends with that check: SyncEngine.sync) and waiting again a
  second later, as the desk client does (ui/sync_controller.py);
- city: the same, plus N quiet desks (2,000; `--quick` 300) of people in other units who
  see none of it, holding `/sync/wait` with the client's timeout (25 s; `--quick` 10 s),
  at random phases, and behaving like a desk: told of a change, they pull, check the
  digests and wait again.

The idle desks are raw asyncio HTTP/1.1 connections in child processes (one open request
each), the writers requests-based threads in several processes, as in the rest of the
suite; all of it shares this machine's two cores with the four workers and PostgreSQL.

Reported: the writers' push and pull p50/p99 in both windows and their ratio; the wake
latency — from the start of a messenger's push (so it includes the push itself) to a
watcher's `/sync/wait` answer, and to the end of the pull that brought the draft, counted
for watchers that were asleep in a wait when the push began; the city window's push p99 of
the writers' pushes that started within `AFTER_WAKE_S` of a messenger push (amid the
watchers' wake-up: their answers and pulls) and of the others; the CPU of the server's
processes and of PostgreSQL's, as seconds per second, in both windows. Then a rest window:
the writers gone, the idle desks (quiet ones and watchers) alone for as long again — every
statement the database executes then is theirs (`Statements`), per desk per minute, and so is
the server's CPU, per wait answered (CPU milliseconds: what a real server pays per desk at
rest, about 80 a second for 2,000 desks with a 25 s timeout, however busy this box is).
"""

from __future__ import annotations

import asyncio
import bisect
import json
import multiprocessing
import os
import random
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from bench._desk_http import desk_headers, get, sign_in

#: server options of the bench's own PostgreSQL cluster: statement counts, and room for four
#: workers' pools (up to 15 connections each) plus the listeners and the bench
PG_OPTIONS = ("-c shared_preload_libraries=pg_stat_statements -c max_connections=150 "
              "-c pg_stat_statements.track=all -c pg_stat_statements.max=20000")
WORKERS = 4
MESSENGER = "chenmeiling"  # 财政局预算股 拟稿人: her drafts are seen by her and 罗杰 (科长)
WATCHER_LOGINS = ("chenmeiling", "luojie")
WATCHERS = 12
MESSENGER_EVERY_S = 2.0
#: people of other units, who see none of the writers' or the messenger's drafts
QUIET_LOGINS = ("fangzhiyuan", "zhouli", "chenjing", "weiguoqiang", "zhaojun", "xuwenbin",
                "lianghaitao", "zhuyanping", "lizhiming", "zhangjianguo", "guoyan", "yangfan")
#: what the idle desks count (each process, and the sums over them)
COUNTS = ("waits", "woken", "pulls", "digests", "failed")
PAUSE_AFTER_WAKE_S = 1.0  # the desk client waits a second before its next long-poll
#: the writers' first seconds (just caught up) and the idle desks' opening are in no window
SETTLE_S = 3.0
#: a writer's push that starts this soon after a messenger push meets its watchers' wake-up
#: (their answers and pulls): `city_push_p99_after_wake_ms` against the rest
AFTER_WAKE_S = 0.25
#: the time the writers' load allows the idle desks to open in (a slow opening shortens the
#: city window; its length is reported)
OPENING_S = 40.0


# -- the database's own counts --------------------------------------------------------------


class Statements:
    """Statements the database executed for the bench database: pg_stat_statements' calls
    when the cluster loads it (every statement, BEGIN and COMMIT included, counted by the
    database as each ends — nothing in the server is instrumented), else pg_stat_database's
    transactions (commits + rollbacks: a rougher figure, with autovacuum's, and flushed by
    each backend up to seconds late)."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with self._engine.connect() as conn:
            loaded = conn.execute(text("SHOW shared_preload_libraries")).scalar() or ""
            self.kind = "statements" if "pg_stat_statements" in loaded else "transactions"
            if self.kind == "statements":
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))

    def count(self) -> int:
        """The running total for this database (the bench's own reads left out)."""
        with self._engine.connect() as conn:
            if self.kind == "statements":
                return int(conn.execute(text(
                    "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s "
                    "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
                    "AND s.query NOT LIKE '%pg_stat%' AND s.query NOT LIKE '%pg_backend_pid%'"
                )).scalar())
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            return int(conn.execute(text(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                "WHERE datname = current_database()")).scalar())

    def evicted(self) -> int:
        """Statements pg_stat_statements forgot to make room so far (then `count` is short)."""
        if self.kind != "statements":
            return 0
        with self._engine.connect() as conn:
            return int(conn.execute(text("SELECT dealloc FROM pg_stat_statements_info")).scalar())

    def top(self, n: int = 8) -> list[tuple[int, str]]:
        """The most executed statements so far (calls, first 90 characters)."""
        if self.kind != "statements":
            return []
        with self._engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
                "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                "WHERE d.datname = current_database() ORDER BY calls DESC LIMIT :n"), {"n": n})
            return [(int(c), str(q)) for c, q in rows]

    def postmaster(self) -> int:
        """The PostgreSQL postmaster's pid (the parent of this connection's backend)."""
        with self._engine.connect() as conn:
            backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar())
        return _ppid(backend)

    def close(self) -> None:
        """Release the connection pool."""
        self._engine.dispose()


def _ppid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _cpu_of_tree(root: int) -> float:
    """CPU seconds (user + system) of `root`, its children alive now, and its children gone
    (reaped: a PostgreSQL backend whose connection closed)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root:
            total += sum(int(f) for f in fields[11:15]) / tick  # own, and reaped children's
        elif ppid == root:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


# -- the idle desks ---------------------------------------------------------------------------


async def _desk(port: int, token: str, cursor: int, timeout: float, stop: asyncio.Event,
                out: dict, watcher: bool) -> None:
    """A desk at rest: hold /sync/wait; told of a change, pull to the end, ask for the
    digests (the check a sync ends with), pause a second, wait again. A watcher notes when
    each messenger draft reached it (the pull that brought it)."""
    reader = writer = None
    first = True
    while not stop.is_set():
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**22)
            seconds = random.uniform(1.0, timeout) if first else timeout
            first = False
            sent = time.time()
            status, body = await get(reader, writer, port, token,
                                      f"/api/v1/sync/wait?cursor={cursor}&timeout={seconds:.2f}")
            answered = time.time()
            if status != 200:
                out["failed"] += 1
                await asyncio.sleep(1.0)
                continue
            out["waits"] += 1
            if not json.loads(body)["changed"]:
                continue
            out["woken"] += 1
            more = True
            while more:
                status, body = await get(reader, writer, port, token,
                                          f"/api/v1/sync/pull?cursor={cursor}&limit=500")
                if status != 200:
                    out["failed"] += 1
                    break
                page = json.loads(body)
                out["pulls"] += 1
                cursor, more = int(page["next_cursor"]), bool(page["has_more"])
                if watcher:
                    done = time.time()
                    for change in page["changes"]:
                        if change["id"].startswith("city-"):
                            out["seen"].append((change["id"], sent, answered, done))
            status, _body = await get(reader, writer, port, token, "/api/v1/sync/digest")
            out["digests" if status == 200 else "failed"] += 1
            await asyncio.sleep(PAUSE_AFTER_WAKE_S)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            out["failed"] += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(1.0)
    if writer is not None:
        writer.close()


def _idle_process(port: int, tokens: list[str], cursor: int, n: int, timeout: float,
                  watcher: bool, conn) -> None:
    """One process of idle desks: open them in batches, say when all are open, stop on word,
    send back what they did."""

    async def main() -> None:
        stop = asyncio.Event()
        out: dict = {**dict.fromkeys(COUNTS, 0), "seen": []}
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(
                _desk(port, tokens[i % len(tokens)], cursor, timeout, stop, out, watcher)))
            if i % 100 == 99:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        conn.send("open")
        loop = asyncio.get_running_loop()
        while True:
            word = await loop.run_in_executor(None, conn.recv)
            if word == "stop":
                break
            conn.send(dict(out, seen=[]))  # a snapshot of the counts
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        conn.send(out)

    asyncio.run(main())


class Desks:
    """Idle desks in child processes (spawned: no inherited threads or pools)."""

    def __init__(self, port: int, tokens: list[str], cursor: int, n: int, timeout: float,
                 *, watcher: bool, procs: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._pipes, self._procs = [], []
        for k in range(procs):
            share = n // procs + (k < n % procs)
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_idle_process, daemon=True,
                               args=(port, tokens, cursor, share, timeout, watcher, theirs))
            proc.start()
            self._pipes.append(ours)
            self._procs.append(proc)
        for pipe in self._pipes:
            if not pipe.poll(300):
                raise RuntimeError("the idle desks did not open")
            pipe.recv()

    def counts(self) -> dict:
        """What the desks did so far (summed over the processes)."""
        total = dict.fromkeys(COUNTS, 0)
        for pipe in self._pipes:
            pipe.send("counts")
            part = pipe.recv()
            for key in total:
                total[key] += part[key]
        return total

    def stop(self) -> dict:
        """Stop every desk; what they did, watchers' sightings included."""
        total: dict = {**dict.fromkeys(COUNTS, 0), "seen": []}
        for pipe in self._pipes:
            pipe.send("stop")
        for pipe in self._pipes:
            part = pipe.recv() if pipe.poll(60) else {}
            for key, value in part.items():
                total[key] += value
        for proc in self._procs:
            proc.join(timeout=30)
        return total


# -- the windows ------------------------------------------------------------------------------


def _messenger(base: str, token: str, window: tuple[float, float], pushed: dict) -> None:
    """One draft every MESSENGER_EVERY_S through the window; its push's start and end times."""
    http = requests.Session()
    headers = desk_headers(token)
    n = 0
    due = window[0]
    while due < window[1]:
        pause = due - time.time()
        if pause > 0:
            time.sleep(pause)
        due += MESSENGER_EVERY_S
        n += 1
        rid = f"city-{int(window[0])}-{n}"
        started = time.time()
        r = http.post(f"{base}/api/v1/sync/push", headers=headers, timeout=60, json={
            "device_id": "bench-messenger", "ops": [{
                "op_id": rid, "kind": "upsert", "entity": "documents", "entity_id": rid,
                "base_rev": 0, "payload": {"direction": "outgoing", "doc_kind": "通知",
                                           "title": f"关于城市压测第{n}号的通知", "body": "正文"}}]})
        r.raise_for_status()
        pushed[rid] = (started, time.time())


def _latencies(pushed: dict, seen: list) -> tuple[list[float], list[float]]:
    """(push start → wait answered, push start → pull done) for every sighting by a watcher
    that was asleep in its wait when the push started."""
    woke, saw = [], []
    for rid, sent, answered, done in seen:
        if rid in pushed and sent < pushed[rid][0]:
            woke.append(answered - pushed[rid][0])
            saw.append(done - pushed[rid][0])
    return woke, saw


def _jiffies_of_tree(roots: set[int]) -> int:
    """CPU ticks (user + system) of the processes under `roots` (any depth) alive now."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry.name)] = int(fields[1])
            ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    total = 0
    for pid, t in ticks.items():
        p, depth = pid, 0
        while p not in roots and p in parent and depth < 8:
            p, depth = parent[p], depth + 1
        total += t if p in roots else 0
    return total


class Machine:
    """The machine's CPU every half second while the writers run: everything busy, and the
    part of it that was neither the server, PostgreSQL, nor this bench — the other work on
    a shared box — to say what a slow second had against it."""

    def __init__(self, server_pid: int, pg_pid: int) -> None:
        self._ours = {server_pid, pg_pid, os.getpid()}
        self.samples: list[tuple[float, float, float]] = []  # (time, busy, others) in cores
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        last = None
        while not self._stop.wait(0.5):
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
            busy = sum(int(f) for i, f in enumerate(fields[:8]) if i not in (3, 4))
            ours = _jiffies_of_tree(self._ours)
            now = time.time()
            if last is not None:
                span = (now - last[0]) * tick
                self.samples.append((now, (busy - last[1]) / span,
                                     max(0.0, (busy - last[1]) - (ours - last[2])) / span))
            last = (now, busy, ours)

    def start(self) -> Machine:
        """Sample from now on."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(timeout=5)

    def around(self, t: float, before: float = 1.5) -> str:
        """The samples from `before` s before `t` to t (busy/others, in cores)."""
        near = [f"{busy:.1f}/{others:.1f}" for at, busy, others in self.samples
                if t - before <= at <= t + 0.5]
        return " ".join(near)

    def mean_others(self, t0: float, t1: float) -> float:
        """Other work's mean CPU (cores) from t0 to t1."""
        inside = [o for at, _b, o in self.samples if t0 <= at <= t1]
        return sum(inside) / len(inside) if inside else 0.0


class _Marks:
    """The counts at the edges of a window, taken while the writers run."""

    def __init__(self, stmts: Statements, server_pid: int, pg_pid: int) -> None:
        self._stmts, self._pids = stmts, (server_pid, pg_pid)

    def take(self, idle: Desks | None) -> dict:
        """The counts now."""
        return {"t": time.time(), "stmts": self._stmts.count(),
                "cpu": tuple(_cpu_of_tree(pid) for pid in self._pids),
                "idle": idle.counts() if idle else None}

    @staticmethod
    def between(a: dict, b: dict) -> dict:
        """What happened from `a` to `b`."""
        elapsed = b["t"] - a["t"]
        return {"t0": a["t"], "t1": b["t"], "elapsed": elapsed,
                "statements": b["stmts"] - a["stmts"],
                "server_cpu": (b["cpu"][0] - a["cpu"][0]) / elapsed,
                "db_cpu": (b["cpu"][1] - a["cpu"][1]) / elapsed,
                "idle": ({k: b["idle"][k] - a["idle"][k] for k in a["idle"]}
                         if a["idle"] else None)}


def _windows(run_load, base: str, clients: int, seconds: float, messenger: str,
             marks: _Marks, open_idle, verbose: bool) -> tuple[dict, dict, dict]:
    """The writers run once, paced, through both windows (signed in and caught up before):
    `SETTLE_S`, the baseline window, the idle desks opening (`open_idle()`), `SETTLE_S`, the
    city window. Returns (baseline, city, the writers' timings); each window's requests are
    the ones that started inside it. `run_load` is bench.server's `_run_load`."""
    procs = int(os.environ.get("OA_BENCH_PROCS", 5))
    total = SETTLE_S + seconds + OPENING_S + SETTLE_S + seconds
    found: dict = {"pushed": {}}

    def during(start: float, end: float) -> None:
        t = start + SETTLE_S
        time.sleep(max(0.0, t - time.time()))
        a = marks.take(None)
        _messenger(base, messenger, (t, t + seconds), found["pushed"])
        time.sleep(max(0.0, t + seconds - time.time()))
        found["baseline"] = _Marks.between(a, marks.take(None))
        if verbose:
            print("  baseline window done; opening the idle desks", flush=True)
        found["idle"] = idle = open_idle()
        t = time.time() + SETTLE_S  # the last of them read and parked
        stop = min(end, t + seconds)
        time.sleep(max(0.0, t - time.time()))
        a = marks.take(idle)
        _messenger(base, messenger, (t, stop), found["pushed"])
        time.sleep(max(0.0, stop - time.time()))
        found["city"] = _Marks.between(a, marks.take(idle))

    out = run_load("client", base, clients, procs, total, 1.0, during)
    for name in ("baseline", "city"):
        w = found[name]
        inside = [(k, d) for k in ("pull", "push")
                  for d, at in zip(out[k], out[f"{k}_at"], strict=True)
                  if w["t0"] <= at < w["t1"]]
        w["pull"] = [d for k, d in inside if k == "pull"]
        w["push"] = [d for k, d in inside if k == "push"]
        w["push_at"] = [at for d, at in zip(out["push"], out["push_at"], strict=True)
                        if w["t0"] <= at < w["t1"]]
    return found["baseline"], found["city"], {"pushed": found["pushed"], "idle": found["idle"]}


def _rest(stmts: Statements, server_pid: int, pg_pid: int, idle: Desks,
          seconds: float) -> dict:
    """The idle desks alone (the writers gone): every statement now is theirs — their
    long-polls' sign-in checks and the checks at their timeouts."""
    time.sleep(1.0)  # the writers' last requests are done
    t0, count0, cpu0, did0 = time.time(), stmts.count(), _cpu_of_tree(server_pid), idle.counts()
    db0, gone0 = _cpu_of_tree(pg_pid), stmts.evicted()
    time.sleep(seconds)
    elapsed = time.time() - t0
    did = {k: v - did0[k] for k, v in idle.counts().items()}
    return {"elapsed": elapsed, "statements": stmts.count() - count0, "idle": did,
            "evicted": stmts.evicted() - gone0,
            "server_cpu": (_cpu_of_tree(server_pid) - cpu0) / elapsed,
            "db_cpu": (_cpu_of_tree(pg_pid) - db0) / elapsed}


def _after_wake(window: dict, pushed: dict) -> tuple[list[float], list[float]]:
    """The window's writer pushes split: (those that started within `AFTER_WAKE_S` after a
    messenger push started, the others)."""
    starts = sorted(start for start, _end in pushed.values())
    near, far = [], []
    for d, at in zip(window["push"], window["push_at"], strict=True):
        i = bisect.bisect_right(starts, at) - 1
        (near if i >= 0 and at - starts[i] < AFTER_WAKE_S else far).append(d)
    return near, far


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else 0.0


def _ms(values: list[float], q: float) -> float:
    return round(_p(values, q) * 1000, 1)


def run_city(url: str, data_dir: Path, log: Path, run_load, *, quick: bool,
             verbose: bool) -> dict:
    """The city windows on a 4-worker server over the database at `url`, the writers run by
    `run_load` (bench.server's, the suite's desks); their metrics."""
    from tests.sync.support import ProcessServer

    clients = int(os.environ.get("OA_BENCH_CLIENTS", 10 if quick else 50))
    n = int(os.environ.get("OA_BENCH_IDLE_DESKS", 300 if quick else 2000))
    seconds = float(os.environ.get("OA_BENCH_CITY_SECONDS", 10 if quick else 30))
    timeout = 10.0 if quick else 25.0
    stmts = Statements(url)
    server = ProcessServer(data_dir, url, log, workers=WORKERS).start()
    try:
        base, port = server.url, server.port
        pg_pid = stmts.postmaster()
        messenger = sign_in(base, MESSENGER, "bench-messenger")
        cursor = int(requests.get(f"{base}/api/v1/sync/pull", params={"cursor": 0, "limit": 1},
                                  headers=desk_headers(messenger), timeout=60).json()["high_water"])
        watch_tokens = [sign_in(base, WATCHER_LOGINS[i % 2], f"bench-watch-{i}")
                        for i in range(4)]
        quiet_tokens = [sign_in(base, login, f"bench-quiet-{i}")
                        for i, login in enumerate(QUIET_LOGINS)]
        watchers = Desks(port, watch_tokens, cursor, WATCHERS, timeout, watcher=True, procs=1)
        if verbose:
            print(f"city bench: {clients} writers + messenger + {WATCHERS} watchers, "
                  f"{WORKERS} workers on PostgreSQL ({stmts.kind} counted); windows of "
                  f"{seconds:.0f} s, then {n} idle desks (wait timeout {timeout:.0f} s)",
                  flush=True)
        marks = _Marks(stmts, server.proc.pid, pg_pid)

        def open_idle() -> Desks:
            return Desks(port, quiet_tokens, cursor, n, timeout, watcher=False,
                         procs=1 if n <= 500 else 2)

        machine = Machine(server.proc.pid, pg_pid).start()
        try:
            baseline, city, extra = _windows(run_load, base, clients, seconds, messenger,
                                             marks, open_idle, verbose)
        finally:
            machine.stop()
        quiet = extra["idle"]
        rest = _rest(stmts, server.proc.pid, pg_pid, quiet, seconds)
        quiet_did = quiet.stop()
        watched = watchers.stop()
        top = stmts.top()
    finally:
        server.stop()
        stmts.close()
    logged = log.read_text(errors="replace")
    errors = logged.count("Traceback")
    if errors and verbose:  # the first one, to say what went wrong
        lines = logged[logged.index("Traceback"):].splitlines()
        end = next(i for i, line in enumerate(lines[1:], 1) if not line.startswith(" "))
        print("\n".join(["  first server error:", *lines[max(1, end - 6):end + 1]]))
    woke, saw = _latencies(extra["pushed"], watched["seen"])
    near, far = _after_wake(city, extra["pushed"])
    minutes = rest["elapsed"] / 60
    b, c = baseline, city
    metrics = {
        "city_idle_desks": n, "city_watchers": WATCHERS, "city_writers": clients,
        "city_workers": WORKERS, "city_wait_timeout_s": timeout, "city_window_s": seconds,
        "city_baseline_push_p50_ms": _ms(b["push"], 0.5),
        "city_baseline_push_p99_ms": _ms(b["push"], 0.99),
        "city_baseline_pull_p50_ms": _ms(b["pull"], 0.5),
        "city_baseline_pull_p99_ms": _ms(b["pull"], 0.99),
        "city_push_p50_ms": _ms(c["push"], 0.5), "city_push_p99_ms": _ms(c["push"], 0.99),
        "city_pull_p50_ms": _ms(c["pull"], 0.5), "city_pull_p99_ms": _ms(c["pull"], 0.99),
        "city_push_p99_ratio": round(_p(c["push"], .99) / max(_p(b["push"], .99), 1e-6), 2),
        "city_pull_p99_ratio": round(_p(c["pull"], .99) / max(_p(b["pull"], .99), 1e-6), 2),
        "city_wake_p50_ms": _ms(woke, 0.5), "city_wake_p99_ms": _ms(woke, 0.99),
        "city_seen_p50_ms": _ms(saw, 0.5), "city_seen_p99_ms": _ms(saw, 0.99),
        "city_wake_samples": len(saw),
        "city_push_p99_after_wake_ms": _ms(near, 0.99), "city_push_p99_other_ms": _ms(far, 0.99),
        "city_count": stmts.kind,
        "city_baseline_statements_per_s": round(baseline["statements"] / baseline["elapsed"], 1),
        "city_statements_per_s": round(city["statements"] / city["elapsed"], 1),
        "city_rest_statements": rest["statements"],
        "city_statements_per_idle_desk_per_min": round(
            rest["statements"] / (n + WATCHERS) / minutes, 3),
        "city_statements_evicted": rest["evicted"],  # >0: the statement count is short
        "city_statements_per_wait": round(
            rest["statements"] / max(1, rest["idle"]["waits"]), 2),
        "city_rest_server_cpu_per_s": round(rest["server_cpu"], 3),
        # what one wait of a desk at rest costs the server's processes, in CPU milliseconds
        # (the rest window: every request then is an idle desk's — the quiet desks' counted,
        # the dozen watchers' few left out); less sensitive than the latencies to other work
        "city_rest_server_cpu_ms_per_wait": round(
            rest["server_cpu"] * rest["elapsed"] * 1000 / max(1, rest["idle"]["waits"]), 3),
        "city_idle_waits_answered_per_desk_per_min": round(
            city["idle"]["waits"] / n / (city["elapsed"] / 60), 2),
        "city_idle_woken_per_desk_per_min": round(
            city["idle"]["woken"] / n / (city["elapsed"] / 60), 2),
        "city_idle_pulls": city["idle"]["pulls"],
        # the watchers' wake-ups over the whole run, each a pull (or more) and a digest
        "city_watcher_pulls": watched["pulls"],
        "city_watcher_digests": watched["digests"],
        "city_idle_failed": quiet_did["failed"] + watched["failed"],
        "city_baseline_other_work_cpu": round(machine.mean_others(baseline["t0"],
                                                                  baseline["t1"]), 2),
        "city_other_work_cpu": round(machine.mean_others(city["t0"], city["t1"]), 2),
        "city_baseline_server_cpu_per_s": round(baseline["server_cpu"], 2),
        "city_server_cpu_per_s": round(city["server_cpu"], 2),
        "city_baseline_db_cpu_per_s": round(baseline["db_cpu"], 2),
        "city_db_cpu_per_s": round(city["db_cpu"], 2),
        "city_server_errors": errors,
    }
    metrics["city_goal_met"] = bool(
        metrics["city_push_p99_ms"] < 200 and metrics["city_pull_p99_ms"] < 200
        and saw and metrics["city_seen_p99_ms"] < 1000
        and metrics["city_statements_per_idle_desk_per_min"] < 1.0)
    if verbose:
        for name, w in (("baseline", baseline), ("city", city)):
            slow = sorted(zip(w["push"], w["push_at"], strict=True), reverse=True)[:5]
            print(f"  slowest pushes of the {name} window (ms @ s into it; machine CPU busy/"
                  "other work, cores, each half second before):")
            for d, at in slow:
                print(f"    {d * 1000:.0f} @ {at - w['t0']:.1f}: {machine.around(at + d)}")
        print("  most executed statements:")
        for calls, query in top:
            print(f"    {calls:>8}  {query}")
    return metrics

