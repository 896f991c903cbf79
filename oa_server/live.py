"""Live updates without polling: a long-poll (`/sync/wait`) sleeps until a new revision is
committed, and costs the database nothing meanwhile.

One `RevisionHub` per engine (per worker process): a push that takes revisions leaves the
newest in its session (`revision_taken`); when that session commits, the hub hears it from
the committing thread and wakes its waiters on their event loop
(`loop.call_soon_threadsafe`). On PostgreSQL the same transaction also sends
`NOTIFY oa_revisions` (delivered only if it commits), and each worker process keeps one
listening connection (`oa_server.live_pg`) that feeds its own hub — so a push served by
any worker or node wakes the desks waiting on every other.

A wake-up is coarse (any new revision of the tenant), and what a woken desk is told is what
`/sync/wait` always said: the tenant's newest revision, read from the database (one read
shared by every desk woken at once), which a pull answers to anyone anyway. What changed, and
whether the desk may see it, only a pull tells — through the who-sees-what rule.

Nothing is lost to a missed notice (another process writing SQLite, a listener reconnecting):
a wait that times out reads the revision once before answering, as it always did.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from oa_server.db import read_only

#: the PostgreSQL notification channel a committing push notifies
CHANNEL = "oa_revisions"
#: a timed-out wait reuses a revision read at most this old (one read serves many desks)
RECHECK_AGE_S = 1.0
_PENDING = "oa_live_rev"


class RevisionHub:
    """The newest revision this process knows of, and the long-polls waiting for a newer one."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = read_only(engine)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event = asyncio.Event()
        #: newest committed revision heard of or read (None: not known yet)
        self.latest: int | None = None
        #: bumped by every notice: a read started at or after a notice's generation sees it
        self.generation = 0
        self._read: asyncio.Future[int] | None = None
        self._read_gen = -1
        self._read_at = float("-inf")
        #: waits asleep right now (and a condition tests and tools can wait on)
        self.waiting = 0
        self.changed = threading.Condition()
        self.stats = {"at_once": 0, "woken": 0, "timed_out": 0, "reads": 0}
        self.listener: Any = None  # oa_server.live_pg.Listener on PostgreSQL

    # -- notices (any thread) --------------------------------------------------------------

    def notify(self, rev: int | None) -> None:
        """A revision was committed (None: something may have been, read it); thread-safe."""
        loop = self._loop
        if loop is None or loop.is_closed():
            if rev is not None and (self.latest is None or rev > self.latest):
                self.latest = rev
            return
        try:
            loop.call_soon_threadsafe(self._advance, rev)
        except RuntimeError:  # the loop closed meanwhile: no waiter is left to wake
            pass

    def _advance(self, rev: int | None) -> None:
        """On the loop: remember the revision and wake every waiter (they re-check it)."""
        if rev is not None and self.latest is not None and rev <= self.latest:
            return
        if rev is not None:
            self.latest = rev
        else:
            self.latest = None  # unknown: the next waiter reads it
        self.generation += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    # -- waiting (on the event loop) -------------------------------------------------------

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first wait, or the app is served by a new loop
            self._loop, self._event, self._read = loop, asyncio.Event(), None
        return loop

    def _count(self, delta: int) -> None:
        with self.changed:
            self.waiting += delta
            self.changed.notify_all()

    async def high_water(self, *, since_gen: int, max_age: float = RECHECK_AGE_S) -> int:
        """The newest committed revision, read from the database by a read started at or after
        generation `since_gen` and at most `max_age` seconds ago — one read serves every
        waiter that asks meanwhile."""
        loop = self._bind()
        now = loop.time()
        read = self._read
        if (read is None or self._read_gen < since_gen or self._read_at < now - max_age
                or (read.done() and (read.cancelled() or read.exception() is not None))):
            self._read_gen, self._read_at = self.generation, now
            self.stats["reads"] += 1
            read = self._read = asyncio.ensure_future(run_in_threadpool(self._query))
        started_gen = self._read_gen
        value = await asyncio.shield(read)
        if started_gen == self.generation:  # no notice since it started: it is the truth
            self.latest = value
        elif self.latest is not None and value > self.latest:
            self.latest = value  # (None: a notice asked for a read started after it)
        return value

    def _query(self) -> int:
        from oa_server.sync_models import SyncCounter

        with Session(self._reader) as session:
            value = session.scalar(select(SyncCounter.value).where(SyncCounter.name == "rev"))
            return int(value or 0)

    async def wait_beyond(self, cursor: int, *, timeout: float,
                          gone: Callable[[], Any] | None = None) -> int:
        """Sleep until a revision newer than `cursor` is committed or `timeout` passes; return
        the newest committed revision (read from the database; no read while asleep).
        `gone` (async) says the client hung up: then the answer is not read."""
        loop = self._bind()
        deadline = loop.time() + timeout
        if self.listener is not None:
            await self.listener.ready()  # notices are heard from here on
        woken = False
        while True:
            if self.latest is None or self.latest > cursor:  # unknown, or news: read it
                if woken and gone is not None and await gone():
                    return self.latest or 0
                hw = await self.high_water(since_gen=self.generation)
                if hw > cursor:
                    self.stats["woken" if woken else "at_once"] += 1
                    return hw
            event = self._event
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._count(+1)  # asleep: no thread, no connection, no query
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                break
            finally:
                self._count(-1)
            woken = True
        # the safety re-check: a notice this process never heard (another process on
        # SQLite, a listener that reconnected) is found here, at the latest
        self.stats["timed_out"] += 1
        return await self.high_water(since_gen=self.generation)


_HUBS: weakref.WeakKeyDictionary[Engine, RevisionHub] = weakref.WeakKeyDictionary()
_HUBS_LOCK = threading.Lock()


def hub_for(engine: Engine, *, listen: bool = True) -> RevisionHub:
    """The hub of an engine (made on first use; on PostgreSQL with its listening connection)."""
    with _HUBS_LOCK:
        hub = _HUBS.get(engine)
        if hub is None:
            hub = _HUBS[engine] = RevisionHub(engine)
            if listen and engine.dialect.name == "postgresql":
                from oa_server.live_pg import Listener

                hub.listener = Listener(hub.notify, engine.url, channel=CHANNEL)
                hub.listener.start()
        return hub


def close(engine: Engine) -> None:
    """Stop an engine's listener (at shutdown)."""
    with _HUBS_LOCK:
        hub = _HUBS.pop(engine, None)
    if hub is not None and hub.listener is not None:
        hub.listener.stop()


def revision_taken(session: Session, rev: int) -> None:
    """A write in `session` took revisions up to `rev`: on commit, waiters hear of it (on
    PostgreSQL by a NOTIFY sent in this transaction, to every process)."""
    pending = session.info.get(_PENDING)
    session.info[_PENDING] = rev if pending is None else max(pending, rev)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(CHANNEL, str(rev))))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    rev = session.info.pop(_PENDING, None)
    if rev is None:
        return
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    with _HUBS_LOCK:
        hub = _HUBS.get(engine)
    if hub is not None:  # no hub: nobody in this process has waited yet
        hub.notify(rev)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
