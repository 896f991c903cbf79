"""The loop each worker runs: wake, find the jobs whose current period has no run, run them.

One `Scheduler` per worker process (started with the app, `oa-server serve` and the
embedded server alike); however many there are, `runs.run_job` lets one of them have
each period. Tests make one with an injected clock and call `tick()`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from oa_server.config import Settings
from oa_server.jobs import Job, load
from oa_server.jobs.runs import RunResult, run_job, settled

log = logging.getLogger("oa_server.jobs")


def node_name() -> str:
    """This worker, as job runs name it: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    """Runs due jobs on `tick()`; `start()` ticks every `interval` seconds in a thread."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime],
                 node: str | None = None, interval: float = 30.0,
                 jobs: dict[str, Job] | None = None, settings: Settings | None = None) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.node = node or node_name()
        self.interval = interval
        self._jobs = jobs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def jobs(self) -> dict[str, Job]:
        """The jobs this scheduler runs (every registered job unless given)."""
        return self._jobs if self._jobs is not None else load()

    def due(self, now: datetime) -> list[tuple[Job, str]]:
        """Jobs whose current period nobody has settled, with that period."""
        wanted = [(job, job.schedule.slot(now)) for job in self.jobs.values()]
        with self.sessions() as session:
            done = settled(session, [(j.name, s) for j, s in wanted], now=now)
            session.rollback()
        return [(j, s) for j, s in wanted if (j.name, s) not in done]

    def tick(self) -> list[RunResult]:
        """Run every due job once, in name order; what ran (others had it: left out)."""
        now = self.clock()
        out = []
        for job, slot in sorted(self.due(now), key=lambda js: js[0].name):
            if self._stop.is_set():
                break
            result = run_job(self.sessions, job, now=now, node=self.node, slot=slot,
                             settings=self.settings)
            if result is not None:
                out.append(result)
        return out

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # e.g. the database away for a moment: try again
                log.exception("job scheduler tick failed")

    def start(self) -> Scheduler:
        """Tick every `interval` seconds in a daemon thread (the first tick after one interval,
        so start-up and migrations are done)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="oa-jobs", daemon=True)
            self._thread.start()
        return self

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stop ticking; a job running now finishes first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None
