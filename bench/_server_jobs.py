"""The scheduler's cost in `bench server`: one full 督办 chase over 10,000 open tasks while the
desks keep pulling.

The tasks are spread over the demo's units with deadlines from last week to three months
ahead, weekly reports and a milestone each, so a pass has real work: lights to change,
reports and milestones to chase, reminders to send. Yesterday's pass runs first (the very
first pass over 10,000 never-chased tasks writes ~50,000 records; it is reported as
`chase_first_pass_s`); today's is measured: run as the server runs it (the job
`supervision.chase` in a jobs process beside the workers, at a lower CPU priority),
its time the run's own, while the paced desks sync. The pulls that started while it ran
give `chase_pull_p99_ms` (a pull never waits for the revision lock the chase holds; a push
does, and its p99 is reported too).
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select, update

from oa_server import visibility
from oa_server.db import make_engine, make_sessionmaker
from oa_server.models import Unit
from oa_server.sync_models import SyncAudience, SyncCounter, SyncRecord

TASKS = 10_000


def seed_tasks(url: str, n: int = TASKS, *, today: date | None = None) -> int:
    """Bulk-insert `n` open 督办 tasks after the current revision; return how many."""
    today = today or datetime.now(UTC).date()
    rng = random.Random(22)
    engine = make_engine(url)
    now = datetime.now(UTC)
    try:
        with make_sessionmaker(engine)() as s:
            units = [str(u) for u in s.scalars(select(Unit.id).where(Unit.parent_id.is_not(None)))]
            rev = int(s.scalar(select(SyncCounter.value).where(SyncCounter.name == "rev")) or 0)
            for lo in range(0, n, 2000):
                recs, aud = [], []
                for i in range(lo, min(n, lo + 2000)):
                    lead = rng.choice(units)
                    assist = [u for u in rng.sample(units, 2) if u != lead][:1]
                    started = today - timedelta(days=rng.randint(3, 40))
                    data = {
                        "title": f"督办压测事项{i:05d}", "content": "按期办结并报送进展",
                        "lead_unit_id": lead, "assist_unit_ids": assist, "state": "open",
                        "deadline": (today + timedelta(days=rng.randint(-7, 90))).isoformat(),
                        "report_every": "weekly", "started_on": started.isoformat(),
                        "last_reports": {}, "chased": {}, "importance": "一般",
                        "milestones": [{"id": "m1", "title": "阶段成果", "due": (
                            today + timedelta(days=rng.randint(-3, 20))).isoformat(),
                            "done_on": None}],
                        "audience_units": [lead, *assist], "audience_roles": ["supervisor"],
                        "audience_users": [], "unit_id": lead}
                    rid = f"bench-task-{i:05d}"
                    rev += 1
                    recs.append({"collection": "supervision_tasks", "id": rid, "rev": rev,
                                 "deleted": False, "data": json.dumps(data, ensure_ascii=False),
                                 "unit_id": lead, "created_by": "bench", "updated_by": "bench",
                                 "updated_at": now})
                    readers = visibility.audience("supervision_tasks", data, unit_id=lead,
                                                  author="bench", facts=_NoFacts())
                    aud.extend({"collection": "supervision_tasks", "record_id": rid,
                                "principal": p, "active": True} for p in sorted(readers))
                s.execute(insert(SyncRecord), recs)
                s.execute(insert(SyncAudience), aud)
            s.execute(update(SyncCounter).where(SyncCounter.name == "rev").values(value=rev))
            s.commit()
    finally:
        engine.dispose()
    return n


class _NoFacts:
    """`visibility.Facts` for tasks, whose readers follow from their own data alone."""

    def person(self, user_id: str | None) -> None:
        """Nobody is looked up."""
        return None

    def record(self, collection: str, record_id: str) -> None:
        """No other record is looked up."""
        return None


def run_chase_process(url: str, data_dir: str) -> tuple[float, dict]:
    """The chase as `oa-server serve` runs its jobs: in the jobs process beside the workers
    at a lower CPU priority (oa_server.jobs.process), here `oa-server jobs run
    supervision.chase` started the same way; (wall seconds, the run as recorded)."""
    import os
    import subprocess
    import sys

    from oa_server.jobs.process import NICE
    from oa_server.jobs.runs import recent_runs

    env = {**os.environ, "OA_SERVER_DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "oa_server", "--data-dir", data_dir, "jobs", "run",
                    "supervision.chase"], env=env, capture_output=True, text=True, check=True,
                   preexec_fn=lambda: os.nice(NICE))
    elapsed = time.perf_counter() - started
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            (last,) = recent_runs(s, job="supervision.chase", limit=1)
    finally:
        engine.dispose()
    return elapsed, last


def warm_up(url: str, data_dir: str) -> float:
    """Yesterday morning's pass, run the same way (the tasks then carry lights and chases as
    on any day); its seconds. Today's pass is the one measured."""
    import os
    import subprocess
    import sys

    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    env = {**os.environ, "OA_SERVER_DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "oa_server", "--data-dir", data_dir, "jobs", "run",
                    "supervision.chase", "--at", yesterday], env=env, capture_output=True,
                   text=True, check=True)
    return time.perf_counter() - started
