"""Where `oa-server serve` runs its jobs: one process per node beside the HTTP workers.

The workers answer desks; a pass over 10,000 督办 tasks is a second or two of CPU, which
inside a worker would hold that worker's interpreter while its requests wait. So `serve`
starts `oa-server jobs loop` as a child process at a lower CPU priority (nice 10), keeps it
running (restarted if it dies), stops it on shutdown, and tells its workers not to start
schedulers of their own. Several nodes each run one such process; `runs.run_job` gives
each period to one of them. The embedded server (demo, tests) runs the scheduler as a
thread instead (oa_server.main.start_jobs).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from oa_server.config import Settings
from oa_server.jobs.scheduler import Scheduler

log = logging.getLogger("oa_server.jobs")

NICE = 10
RESTART_AFTER = 10.0  # seconds before a jobs process that died is started again


def _lower_priority() -> None:  # pragma: no cover - runs in the child before exec
    os.nice(NICE)


def jobs_command() -> list[str]:
    """`oa-server jobs loop` as this installation runs it: the installed bundle's own program
    (its `sys.executable` is oa-server itself, which takes no `-m`), else this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "jobs", "loop"]
    return [sys.executable, "-m", "oa_server", "jobs", "loop"]


class JobsProcess:
    """`oa-server jobs loop` as a child of `serve`, kept alive until `stop()`."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(
            jobs_command(), env=self.env,
            preexec_fn=_lower_priority if os.name == "posix" else None)

    def start(self) -> JobsProcess:
        """Start the process and a watcher that restarts it when it dies."""
        self.proc = self._spawn()
        self._watch = threading.Thread(target=self._keep, name="oa-jobs-watch", daemon=True)
        self._watch.start()
        return self

    def _keep(self) -> None:
        while not self._stop.is_set():
            if self.proc is not None and self.proc.poll() is not None:
                log.warning("jobs process ended (%s); starting it again", self.proc.returncode)
                if self._stop.wait(RESTART_AFTER):
                    return
                self.proc = self._spawn()
            self._stop.wait(1.0)

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stop watching and end the process (a job running now finishes first)."""
        self._stop.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def loop(sessions: sessionmaker[Session], *, settings: Settings,
         clock: Callable[[], datetime]) -> None:
    """`oa-server jobs loop`: tick every `jobs_interval` seconds until SIGTERM or SIGINT."""
    scheduler = Scheduler(sessions, clock=clock, interval=settings.jobs_interval,
                          settings=settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_a: stop.set())
    parent = os.getppid()
    while not stop.is_set() and os.getppid() == parent:  # `serve` gone: so are its jobs
        try:
            scheduler.tick()
        except Exception:  # e.g. the database away for a moment: try again next time
            log.exception("job scheduler tick failed")
        stop.wait(settings.jobs_interval)
