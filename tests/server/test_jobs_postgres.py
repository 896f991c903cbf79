"""The job scheduler on a real PostgreSQL: each job runs exactly once per period when several
workers tick together — two schedulers with their own connection pools on an injected clock
across many periods, and `oa-server serve --workers 2` as real processes on the real clock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from oa_server.db import make_engine, make_sessionmaker
from oa_server.jobs import load
from oa_server.jobs.scheduler import Scheduler
from oa_server.models import JobRun, Unit
from oa_server.sync_models import SyncRecord
from oa_server.sync_push import server_batch
from tests.server.support import CHEAP_ENV, Clock, fixed_keys, free_port, make_settings
from tests.server.test_postgres import db_url  # noqa: F401

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def _runs(sessions) -> list[tuple[str, str, str]]:
    with sessions() as s:
        return [(r.job, r.slot, r.outcome) for r in s.scalars(select(JobRun))]


def _seed_task(sessions, *, now: datetime) -> str:
    """A 督办 task due in two working days, so the morning pass warns its lead unit."""
    from oa_server.jobs.system import system_user

    with sessions() as s:
        unit = s.scalar(select(Unit.id).where(Unit.name == "洪阳镇人民政府"))
        with server_batch(s, user=system_user(s), now=now) as ctx:
            ctx.put("supervision_tasks", "task-pg", {
                "title": "河道清淤", "content": "汛前完成", "lead_unit_id": str(unit),
                "assist_unit_ids": [], "deadline": "2026-11-13", "state": "open",
                "started_on": "2026-11-02", "last_reports": {}, "chased": {}})
        s.commit()
    return str(unit)


def test_two_workers_run_each_job_once_per_period(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    clock = Clock()
    clock.now = datetime(2026, 11, 10, 23, 58, tzinfo=UTC)  # 07:58 on Wednesday in Beijing
    engines = [make_engine(db_url) for _i in range(2)]
    try:
        sessions = [make_sessionmaker(e, keys=fixed_keys()) for e in engines]
        _seed_task(sessions[0], now=clock.now)
        settings = make_settings(tmp_path, db_url)
        workers = [Scheduler(s, clock=clock, node=f"worker-{i}", settings=settings)
                   for i, s in enumerate(sessions)]
        expected: set[tuple[str, str]] = set()
        for _step in range(8):  # 07:58 … 09:43 Beijing: daily jobs begin at 08:00 and 09:00
            expected |= {(j.name, j.schedule.slot(clock.now)) for j in load().values()}
            for _round in range(2):  # both at once, twice in each moment
                threads = [threading.Thread(target=w.tick) for w in workers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            clock.advance(minutes=15)
        runs = _runs(sessions[0])
        counts = Counter((job, slot) for job, slot, _o in runs)
        assert set(counts) == expected
        assert all(n == 1 for n in counts.values()), [k for k, n in counts.items() if n > 1]
        assert {o for _j, _s, o in runs} == {"ok"}
        daily = sorted(slot for job, slot, _o in runs if job == "supervision.chase")
        assert daily == ["2026-11-10", "2026-11-11"]  # yesterday's (caught up) and today's
        with sessions[0]() as s:  # the warning went out once, though two workers chased
            notes = s.scalars(select(SyncRecord.data).where(
                SyncRecord.collection == "notifications")).all()
        assert sum('"kind":"supervision.warning"' in n for n in notes) == 1
    finally:
        for e in engines:
            e.dispose()


def _serve(data_dir: Path, db_url: str, tmp_path: Path, name: str):  # noqa: F811
    """`oa-server serve --workers 2` on PostgreSQL with its jobs looking every half second."""
    import httpx

    port = free_port()
    env = {**os.environ, **CHEAP_ENV, "PYTHONPATH": str(ROOT), "OA_SERVER_JOBS_INTERVAL": "0.5"}
    env.pop("OA_SERVER_DATABASE_URL", None)
    env.pop("OA_SERVER_JOBS", None)
    log = (tmp_path / f"{name}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "oa_server", "--data-dir", str(data_dir / name), "--database-url",
         db_url, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
         "--log-level", "warning"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail((tmp_path / f"{name}.log").read_text(errors="replace"))
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc, log
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("server did not come up")
        time.sleep(0.2)


@pytest.fixture
def two_nodes(data_dir: Path, db_url: str, tmp_path: Path):  # noqa: F811
    """Two nodes (two `serve` processes, two workers each) on one PostgreSQL database."""
    started = [_serve(data_dir, db_url, tmp_path, name) for name in ("node-a", "node-b")]
    try:
        yield [p for p, _log in started]
    finally:
        for proc, log in started:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def test_two_nodes_serving_run_every_job_once_by_themselves(two_nodes, db_url: str  # noqa: F811
                                                            ) -> None:
    engine = make_engine(db_url)
    try:
        sessions = make_sessionmaker(engine)
        names = set(load())
        deadline = time.monotonic() + 40
        while {job for job, _s, _o in _runs(sessions)} != names:
            assert time.monotonic() < deadline, _runs(sessions)
            time.sleep(0.5)
        time.sleep(3)  # both nodes keep looking, four times a second between them
        runs = _runs(sessions)
        counts = Counter((job, slot) for job, slot, _o in runs)
        assert all(n == 1 for n in counts.values()), counts
        assert {o for _j, _s, o in runs} <= {"ok", "running"}
        with sessions() as s:
            nodes = {r.node for r in s.scalars(select(JobRun))}
        # host:pid of each node's jobs process (never a worker: they leave the jobs to it)
        assert 1 <= len(nodes) <= 2 and all(":" in n for n in nodes)
        now = datetime.now(UTC)
        for name, job in load().items():  # the current period of every job, or the one before
            assert {slot for j, slot, _o in runs if j == name} & {
                job.schedule.slot(now), job.schedule.slot(now - timedelta(seconds=40))}, name
        for proc in two_nodes:
            assert proc.poll() is None
    finally:
        engine.dispose()
