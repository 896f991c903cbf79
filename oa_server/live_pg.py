"""PostgreSQL `LISTEN oa_revisions`: one connection per worker process, on its own thread,
feeding the process's revision hub (oa_server.live) each notice's payload (revisions and the
principals of their audiences). Pushes send the NOTIFY inside their transaction, so a notice
means committed revisions, on whichever worker or node they ran.

When the connection drops, it is opened again (after a pause growing to 30 s), and what was
written meanwhile is read, with its audiences (`RevisionHub.catch_up`): notices sent
meanwhile were not heard.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import URL

log = logging.getLogger("oa_server.live")


def conninfo(url: URL) -> str:
    """A libpq connection string for a SQLAlchemy PostgreSQL URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """The listening connection of one process, on a daemon thread."""

    def __init__(self, notify: Callable[[str | None], None], url: URL, *, channel: str) -> None:
        self._notify = notify  # a notice's payload (None: notices may have been missed)
        self._channel = channel
        self._dsn = conninfo(url)
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="oa-live-listen", daemon=True)

    def start(self) -> None:
        """Open the connection and listen (in the background)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop listening; the thread ends within a second."""
        self._stop.set()

    def wait_ready(self, timeout: float) -> bool:
        """Block (off the event loop) until LISTEN is in place, at most `timeout` s."""
        return self._listening.wait(timeout)

    async def ready(self) -> None:
        """Return once LISTEN is in place (a commit after this is heard); at most 5 s."""
        for _ in range(100):  # (no thread held: while the database is away, many desks wait)
            if self._listening.is_set():
                return
            await asyncio.sleep(0.05)

    def _run(self) -> None:
        pause, heard_before = 0.5, False
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {self._channel}")
                    self._listening.set()
                    if heard_before:  # notices may have gone by while we were away
                        self._notify(None)
                    heard_before, pause = True, 0.5
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            self._notify(notice.payload)
            except psycopg.Error as exc:
                self._listening.clear()
                log.warning("live updates: listening connection lost (%s); retrying", exc)
                self._stop.wait(pause)
                pause = min(pause * 2, 30.0)
