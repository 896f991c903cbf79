"""A SQLite server database's WAL copied back into its file on a thread of its own.

Left to itself, SQLite checkpoints inside the commit that leaves 1,000 pages in the WAL:
the request that happens to cross the mark copies every page written since into the
database file and syncs it (for a push of 500 ops, a few megabytes and an fsync: as long
again as its own commit). Server connections turn that off (`PRAGMA wal_autocheckpoint=0`,
set by `oa_server.db`). Instead the pool counts the rows each connection changed when it
comes back (`total_changes`), and once `ROWS` rows changed, one background thread runs a
PASSIVE checkpoint on a connection of its own: the same copy, beside the requests rather
than inside one. A commit is durable when its WAL frames are synced, before and after this
(a checkpoint only moves pages already committed); the WAL is kept to a few thousand pages
(`RESTART_FRAMES`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

#: rows changed between checkpoints (SQLite's own mark is 1,000 pages; a changed row is a
#: page or two of the table and its indexes)
ROWS = 1000
#: WAL frames (pages) past which a checkpoint also has the WAL start over: a writer that
#: began while a checkpoint ran appends to the WAL instead of restarting it, so under steady
#: pushes it would only grow. RESTART waits (up to `RESTART_WAIT_MS`, then it is PASSIVE
#: again and the next one tries) for a moment between two writers, takes the writer's lock
#: and copies the few frames the PASSIVE one left: the one request that comes meanwhile
#: waits that long (a few milliseconds, every few thousand pages).
RESTART_FRAMES = 4000
RESTART_WAIT_MS = 2000
#: how long the checkpoint's own connection waits for a lock (it failed at once before, five
#: times a `bench sync` run, and a checkpoint that keeps failing lets the WAL grow)
OPEN_WAIT_S = 0.2
#: `connection_record.info` key: the connection's `total_changes` when last counted
_SEEN = "oa_wal_changes"

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _background() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oa-wal")
        return _executor


class Checkpointer:
    """Counts the rows written to one database file and checkpoints it every `ROWS`."""

    def __init__(self, path: Path, *, rows: int | None = None) -> None:
        self.path = path
        self.rows = rows or ROWS
        self._lock = threading.Lock()
        self._changed = 0
        self._queued = False
        #: checkpoints run, and what the last one said: (busy, frames in the WAL, frames copied)
        self.runs = 0
        self.last: tuple[int, int, int] | None = None

    def connected(self, dbapi_connection: Any, record: Any) -> None:
        """Pool `connect`: no checkpoints inside this connection's commits; count from here."""
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
        record.info[_SEEN] = dbapi_connection.total_changes

    def checked_in(self, dbapi_connection: Any, record: Any) -> None:
        """Pool `checkin`: count what the connection changed since it went out."""
        if dbapi_connection is None or _SEEN not in record.info:
            return
        total = dbapi_connection.total_changes
        changed, record.info[_SEEN] = total - record.info[_SEEN], total
        if changed > 0:
            self.changed(changed)

    def changed(self, rows: int) -> None:
        """Count `rows` more changed rows; start a checkpoint once there are enough."""
        with self._lock:
            self._changed += rows
            if self._changed < self.rows or self._queued:
                return
            self._changed, self._queued = 0, True
        _background().submit(self.run)

    def run(self) -> None:
        """One PASSIVE checkpoint (it waits for nobody) on a connection of its own."""
        try:
            if self.path.exists():  # (a database removed meanwhile is not made again)
                uri = f"file:{quote(str(self.path))}?mode=rw"
                # PASSIVE waits for nobody, and nobody waits for it; only opening the file may
                # meet a moment's lock (a writer starting the WAL over): waited out, not failed
                with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=OPEN_WAIT_S)) as conn:
                    self.last = tuple(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
                    if self.last[1] >= RESTART_FRAMES:
                        conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
                        self.last = tuple(conn.execute(
                            "PRAGMA wal_checkpoint(RESTART)").fetchone())
                self.runs += 1
        except sqlite3.Error as exc:  # the next one copies what this one could not
            log.warning("WAL checkpoint of %s failed: %s", self.path, exc)
        finally:
            with self._lock:
                self._queued = False
