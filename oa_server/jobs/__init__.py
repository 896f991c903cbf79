"""The server keeps time: jobs it runs by itself, each once per period across all workers.

Each clock-driven duty (督办 chasing and lights, 零跑动 time-limit reminders, re-routing
of steps whose holder left, meeting and report reminders, clean-up of unfinished
uploads, the monthly 通报 …) is one module in this package defining a `Job` subclass
and calling `register(...)` at import time; `load()` imports every module here, so no
list needs editing (like the authorities, `oa_server/authority/__init__.py`).

A job says three things:

- `schedule`: when its periods begin — `Daily(at=08:00)`, `Every(minutes=5)`,
  `Monthly(day=1, at=09:00)`, on Beijing wall-clock time. `schedule.slot(now)` names
  the latest period that has begun (`2026-09-30`, `2026-09-30T10:05`, `2026-09`);
- `run(run)`: the work of one period, given a `JobRun` (database session, the
  server's clock, the acting user) — it writes through `run.batch()`, the same `Ctx`
  the authorities get (`server_batch`, under the revision lock) and must not commit;
- what it did: an `Outcome` (records touched and a JSON-ready summary).

A `Scheduler` (oa_server.jobs.scheduler) wakes every half minute, asks each job for its
current slot and runs the ones whose slot has no run yet. `oa-server serve` runs it in one
process per node beside its HTTP workers (oa_server.jobs.process, at a lower CPU priority
so desks are answered first); the embedded server runs it as a thread. However many run,
on however many nodes, each period is run once (oa_server.jobs.runs):

1. claim: insert the row (job, slot) into `job_runs` — unique, so of several workers
   exactly one succeeds, on SQLite and PostgreSQL alike — with a lease (a time until
   which it is "running"). A lease that ran out (the worker died) or a failed run (up to
   three attempts, five minutes apart) may be taken over by a conditional update;
2. run: the job's writes and the run row's outcome are committed in ONE transaction,
   and only while the lease is still this worker's: a worker that lost its lease rolls
   its work back, so a period's effects are committed once;
3. record: outcome (ok / failed with the error), end time, records touched, summary.

Jobs are also idempotent by construction (records they write have ids derived from
the job, the subject and the period), so a manual run (`oa-server jobs run NAME`,
`POST /jobs/{name}/run`, the old `POST /supervision/chase`) never doubles a reminder.
Tests inject the clock (`create_app(clock=…)`) and call `Scheduler.tick()`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from oa_server.authority.context import Ctx
    from oa_server.config import Settings
    from oa_server.models import User

#: offices keep Beijing time; the server's clock is UTC
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def local(now: datetime) -> datetime:
    """`now` on Beijing wall-clock time (a naive clock reading is taken as UTC)."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return aware.astimezone(CHINA)


class Schedule:
    """When a job's periods begin."""

    def slot(self, now: datetime) -> str:
        """The name of the latest period that has begun at `now`."""
        raise NotImplementedError

    def describe(self) -> str:
        """In words, for `oa-server jobs list` and the admin."""
        raise NotImplementedError


@dataclass(frozen=True)
class Daily(Schedule):
    """Once a day, at `at` Beijing time (a server down at that hour catches up on start)."""

    at: time = time(8, 0)

    def slot(self, now: datetime) -> str:
        """The day whose `at` is the latest one passed."""
        t = local(now)
        day = t.date() if t.time() >= self.at else t.date() - timedelta(days=1)
        return day.isoformat()

    def describe(self) -> str:
        """每天 08:00."""
        from oa_server.i18n import _

        return _("每天 {at}").format(at=self.at.strftime("%H:%M"))


@dataclass(frozen=True)
class Every(Schedule):
    """Every `minutes` minutes, on the clock (…:00, …:05 for five)."""

    minutes: int = 5

    def slot(self, now: datetime) -> str:
        """The latest multiple of `minutes` since midnight."""
        t = local(now)
        since = t.hour * 60 + t.minute
        start = since - since % self.minutes
        return f"{t.date().isoformat()}T{start // 60:02d}:{start % 60:02d}"

    def describe(self) -> str:
        """每 5 分钟."""
        from oa_server.i18n import _

        return _("每 {n} 分钟").format(n=self.minutes)


@dataclass(frozen=True)
class Monthly(Schedule):
    """Once a month, on `day` at `at` Beijing time."""

    day: int = 1
    at: time = time(9, 0)

    def slot(self, now: datetime) -> str:
        """The month whose `day`/`at` is the latest one passed."""
        t = local(now)
        begun = (t.day, t.time()) >= (self.day, self.at)
        year, month = (t.year, t.month) if begun else (
            (t.year, t.month - 1) if t.month > 1 else (t.year - 1, 12))
        return f"{year:04d}-{month:02d}"

    def describe(self) -> str:
        """每月 1 日 09:00."""
        from oa_server.i18n import _

        return _("每月 {day} 日 {at}").format(day=self.day, at=self.at.strftime("%H:%M"))


@dataclass
class Outcome:
    """What one run did: records touched and a short summary for the administrator (counts,
    no business content: 三员分立); `result` goes back to a manual caller, never stored."""

    touched: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    result: Any = None


@dataclass
class JobRun:
    """What a job sees while it runs one period."""

    session: Session
    now: datetime
    slot: str
    actor: User | None = None  # who pressed the button (manual runs); None: the job decides
    options: dict[str, Any] = field(default_factory=dict)  # a manual caller's choices
    settings: Settings | None = None  # the server's settings (data directory …)

    @property
    def today(self) -> date:
        """The date in Beijing."""
        return local(self.now).date()

    @contextmanager
    def batch(self, user: User | None = None) -> Iterator[Ctx]:
        """A server-initiated change as `user` (default: the person who pressed the button,
        else the server itself), under the revision lock; the runner commits."""
        from oa_server.jobs.system import system_user
        from oa_server.sync_push import server_batch

        who = user or self.actor or system_user(self.session)
        with server_batch(self.session, user=who, now=self.now) as ctx:
            yield ctx


    @contextmanager
    def look(self) -> Iterator[Ctx]:
        """A read-only view of the records (no revision lock, nothing written): to plan a pass
        before taking the lock only for what changes. The transaction ends with it."""
        from oa_server.authority.context import Ctx
        from oa_server.jobs.system import system_user
        from oa_server.sync_batch import Batch

        who = self.actor or system_user(self.session)
        try:
            yield Ctx(Batch(session=self.session, user=who, now=self.now, principals=set()))
        finally:
            self.session.rollback()


class Job:
    """One clock-driven duty of the server; subclass, set the names, write `run`."""

    name: str = ""  # e.g. "supervision.chase"
    title: str = ""  # what an administrator reads (gettext id)
    schedule: Schedule = Daily()
    lease: timedelta = timedelta(minutes=30)

    def run(self, run: JobRun) -> Outcome:
        """Do one period's work through `run.batch()`; never commit."""
        raise NotImplementedError


REGISTRY: dict[str, Job] = {}
_loaded = False
#: modules of this package that are machinery, not jobs
MACHINERY = ("process", "runs", "scheduler", "system")


def register(job: Job) -> Job:
    """Make `job` known under its name (one job per name)."""
    if not job.name:
        raise ValueError("a job needs a name")
    existing = REGISTRY.get(job.name)
    if existing is not None and type(existing) is not type(job):
        raise ValueError(f"two jobs named {job.name}")
    REGISTRY[job.name] = job
    return job


def load() -> dict[str, Job]:
    """Import every job module of this package (each registers its jobs) once."""
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            if info.name not in MACHINERY:
                importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return REGISTRY


def job_named(name: str) -> Job | None:
    """The job registered under `name`, if any."""
    return load().get(name)
