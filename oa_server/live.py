"""Live updates without polling: a long-poll (`/sync/wait`) sleeps until a revision the desk
may see is committed, and costs the database nothing meanwhile.

One `RevisionHub` per engine (per worker process). A transaction that takes revisions leaves
the newest in its session (`revision_taken`); just before it commits, the principals of the
audiences of the records it wrote are read in it (one query, on the `rev` index) and, on
PostgreSQL, sent with the revisions in `NOTIFY oa_revisions` (delivered only if it commits);
each worker process keeps one listening connection (`oa_server.live_pg`) that feeds its own
hub, and the committing process tells its own hub directly. The hub wakes only the waits of
desks holding one of those principals (`visibility.principals_of`): a push in one office
wakes that office's desks, not the city's.

A notice covers the revisions after the newest the pushing process had *heard* of up to its
own, so a revision written without a notice (a reconciliation, another process on SQLite)
falls inside the next notice's range, or is found by the check at a wait's timeout: then the
newest revision is read (one read every `UNHEARD_CHECK_S` per process, shared by every wait
timing out meanwhile) and, if this process heard of no notice for it within `GRACE_S`, the
audiences of the revisions it missed are read (one read per span) and counted as their
notice would have been: their readers' desks pull, the others sleep on — so a worker whose
listener is away, or too busy to hear in time, does not send every desk it holds to pull.
A listener that reconnects reads what it missed the same way. Whatever the hub cannot vouch
for (after start-up, a span or audience too large to name, a failed read) counts as anyone's
news: the desks pull once and are quiet again.

What a woken desk is told is what `/sync/wait` always said: changed, and the newest
revision; what changed, and whether the desk may see it, only a pull tells — through the
who-sees-what rule. A notice's principals are the audience of records, never their content.
A desk that sleeps to its timeout may be told how far it has nothing new (`quiet_until`: every
revision up to it accounted for, none naming the desk's principals) and move its cursor
there: a pull reads every revision after its cursor to find the desk's few, so a desk woken
after hours of others' writes would otherwise read all of them.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from oa_server.db import read_only

#: the PostgreSQL notification channel a committing push notifies
CHANNEL = "oa_revisions"
#: a timed-out wait reuses a revision read at most this old (one read serves many desks)
RECHECK_AGE_S = 1.0
#: a timed-out wait looks for revisions no notice told of in a read at most this old (of
#: any generation: one read per worker every few seconds, however many desks time out)
UNHEARD_CHECK_S = 5.0
#: how long a timed-out wait gives the notice of a revision it read but had not heard of
GRACE_S = 0.5
#: a notice names at most this many revisions' principals (more: anyone's news)
MAX_SPAN = 5000
#: PostgreSQL's NOTIFY payload is at most 8000 bytes; a longer audience is anyone's news
MAX_PAYLOAD = 7500
_PENDING = "oa_live_rev"
_FROM = "oa_live_from"
_WHO = "oa_live_who"
#: (first, last, principals) of the revisions the writers named their audiences of
_KNOWN = "oa_live_known"
_UNKNOWN = (0, -1, frozenset())  # a write that named none: the commit reads them all


class Answer(NamedTuple):
    """What a wait answers: whether the desk has news, and the newest revision known; with
    no news, the revision up to which the hub vouches for that (None: it cannot)."""

    changed: bool
    high_water: int
    quiet_until: int | None = None


def encode(rev: int, since: int | None, principals: Iterable[str] | None) -> str:
    """A notice's payload: `rev since principal…`, or `rev` alone (anyone's news)."""
    if since is None or principals is None:
        return str(rev)
    text = " ".join([str(rev), str(since), *sorted(principals)])
    return text if len(text.encode()) <= MAX_PAYLOAD else str(rev)


def decode(payload: str) -> tuple[int | None, int | None, frozenset[str] | None]:
    """(rev, since, principals) of a payload; (None, None, None) when it cannot be read."""
    parts = payload.split()
    try:
        rev = int(parts[0])
        since = int(parts[1]) if len(parts) > 1 else None
    except (IndexError, ValueError):
        return None, None, None
    return rev, since, (frozenset(parts[2:]) if since is not None else None)


class _Waiter:
    """One sleeping wait: its principals (None: any news wakes it) and its event."""

    __slots__ = ("event", "principals")

    def __init__(self, principals: frozenset[str] | None) -> None:
        self.principals = principals
        self.event = asyncio.Event()


class RevisionHub:
    """What this process knows of the tenant's revisions and their audiences, and the
    long-polls waiting for news."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = read_only(engine)
        self._lock = threading.Lock()  # the accounting below, from any thread
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event = asyncio.Event()  # set by every notice
        #: newest committed revision heard of or read (None: not known yet)
        self.latest: int | None = None
        #: every revision up to this one is accounted for: its audience is in `_touched`,
        #: or it is at or below `anyones` (None: nothing is vouched for; read first)
        self.heard: int | None = None
        #: revisions up to this one count as news for every desk (audience unknown)
        self.anyones = 0
        self._touched: dict[str, int] = {}  # principal → newest revision of its audience
        #: bumped by every notice: a read started at or after a notice's generation sees it
        self.generation = 0
        self._read: asyncio.Future[int] | None = None
        #: (after, up to, read of their audiences) of revisions found at a timeout, unheard
        self._unheard: tuple[int, int, asyncio.Future[frozenset[str] | None]] | None = None
        self._read_gen = -1
        self._read_at = float("-inf")
        self._sleepers: dict[str, set[_Waiter]] = {}
        self._all: set[_Waiter] = set()
        #: waits asleep right now (and a condition tests and tools can wait on)
        self.waiting = 0
        self.changed = threading.Condition()
        self.stats = {"at_once": 0, "woken": 0, "timed_out": 0, "reads": 0, "unheard": 0}
        self.listener: Any = None  # oa_server.live_pg.Listener on PostgreSQL

    # -- notices (any thread) --------------------------------------------------------------

    def notify(self, rev: int | None, since: int | None = None,
               principals: frozenset[str] | None = None) -> None:
        """Revisions after `since` up to `rev` were committed, with these principals in their
        audiences (None: unknown; rev None: something may have been, read it); thread-safe:
        accounted for at once, the waits they concern woken on the loop."""
        with self._lock:
            self.generation += 1
            if rev is None:  # unknown: everyone re-reads
                self.latest = self.heard = None
                wake = None
            else:
                if self.latest is None or rev > self.latest:
                    self.latest = rev
                if (principals is None or since is None or self.heard is None
                        or since > self.heard):
                    self.anyones = max(self.anyones, rev)  # the audience, or what came
                    wake = None  # before it, unknown: anyone's news
                else:
                    touched = self._touched
                    for p in principals:
                        if touched.get(p, 0) < rev:
                            touched[p] = rev
                    wake = principals
                if self.heard is not None:
                    self.heard = max(self.heard, rev)
        loop = self._loop
        if loop is None or loop.is_closed():  # nobody waits here (yet)
            return
        try:
            loop.call_soon_threadsafe(self._woken, wake)
        except RuntimeError:  # the loop closed meanwhile: no waiter is left to wake
            pass

    def notice(self, payload: str | None) -> None:
        """A NOTIFY payload (None: notices may have been missed); thread-safe."""
        if payload is None:
            self.catch_up()
            return
        rev, since, principals = decode(payload)
        self.notify(rev, since, principals)

    def catch_up(self) -> None:
        """Notices may have been missed (the listener is back): what was written meanwhile
        is read here — the newest revision and the audiences since the last one heard of —
        and counted as its notices would have been, so only its readers' desks pull. When
        nothing is vouched for yet, or the revision cannot be read, everyone re-reads
        (`notify(None)`); audiences that cannot be read are anyone's news. Blocking: on the
        listener's thread."""
        with self._lock:
            heard = self.heard
        if heard is None:
            self.notify(None)
            return
        try:
            rev = self._query()
        except SQLAlchemyError:
            self.notify(None)
            return
        if rev > heard:
            self.notify(rev, heard, self._audience(heard, rev))

    def _vouch(self, value: int) -> None:
        """Vouch from `value`, a fresh read of the newest revision, on (if not yet)."""
        with self._lock:
            if self.heard is None:
                self.anyones = max(self.anyones, value)
                self.heard = max(value, self.anyones)
            if self.latest is None or value > self.latest:
                self.latest = value

    def prime(self) -> bool:
        """Vouch from a first read on (any thread; on PostgreSQL once LISTEN is in place), so
        the pushes this process serves name their audiences before anyone waits here. A
        failed read is not fatal (False): the first wait reads again."""
        if self.listener is not None:
            self.listener.wait_ready(5.0)
        try:
            value = self._query()
        except SQLAlchemyError:  # the database is away, or not made yet
            return False
        self._vouch(value)
        return True

    def _woken(self, principals: frozenset[str] | None) -> None:
        """On the loop: tell the timed-out checks of a notice; wake the waits it concerns."""
        hub_event, self._event = self._event, asyncio.Event()
        hub_event.set()
        self._wake(principals)

    def _wake(self, principals: frozenset[str] | None) -> None:
        if principals is None:
            for waiter in self._all:
                waiter.event.set()
            return
        for p in principals:
            for waiter in self._sleepers.get(p, ()):
                waiter.event.set()
        for waiter in self._sleepers.get("", ()):  # waits without principals: any news
            waiter.event.set()

    # -- waiting (on the event loop) -------------------------------------------------------

    async def start(self) -> None:
        """At the app's start: bind to its loop, and vouch from a first read on."""
        self._bind()
        await run_in_threadpool(self.prime)

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first wait, or the app is served by a new loop
            self._loop, self._event, self._read, self._unheard = loop, asyncio.Event(), None, None
        return loop

    def _count(self, delta: int) -> None:
        with self.changed:
            self.waiting += delta
            self.changed.notify_all()

    def _news(self, cursor: int, principals: frozenset[str] | None) -> bool:
        if self.anyones > cursor:
            return True
        if principals is None:
            return self.latest is not None and self.latest > cursor
        touched = self._touched
        return any(touched.get(p, 0) > cursor for p in principals)

    def _quiet(self, since: int, who: frozenset[str] | None) -> int | None:
        """The revision up to which no revision after `since` names any of `who` in its
        audience (former readers too): every revision up to it is accounted for. None when
        the hub cannot vouch (nothing vouched yet, news for them, a desk without
        principals). The caller holds the lock."""
        if who is None or self.heard is None or self._news(since, who):
            return None
        return self.heard

    def vouches_quiet(self, principals: Iterable[str], since: int, upto: int) -> bool:
        """Whether no revision after `since` up to `upto` names any of `principals` in its
        audience, as far as this hub has accounted for (False when it cannot vouch)."""
        with self._lock:
            quiet = self._quiet(since, frozenset(principals))
        return quiet is not None and quiet >= upto

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
        with self._lock:  # (None after a notice that asked for a read started after it)
            if (self.latest is None and started_gen == self.generation) or (
                    self.latest is not None and value > self.latest):
                self.latest = value
        return value

    async def _learn(self) -> None:
        """Vouch from a fresh read on: everything up to it counts as anyone's news."""
        self._vouch(await self.high_water(since_gen=self.generation))

    def _query(self) -> int:
        from oa_server.sync_models import SyncCounter

        with Session(self._reader) as session:
            value = session.scalar(select(SyncCounter.value).where(SyncCounter.name == "rev"))
            return int(value or 0)

    async def wait_beyond(self, cursor: int, *, timeout: float,
                          principals: Iterable[str] | None = None,
                          gone: Callable[[], Any] | None = None) -> Answer:
        """Sleep until a revision newer than `cursor` whose audience names one of `principals`
        (None: any revision) is committed, or `timeout` passes (no read while asleep).
        `gone` (async) says the client hung up: then nothing more is read."""
        loop = self._bind()
        deadline = loop.time() + timeout
        who = frozenset(principals) if principals is not None else None
        if self.listener is not None:
            await self.listener.ready()  # notices are heard from here on
        woken = False
        waiter = _Waiter(who)
        while True:
            if self.heard is None:
                await self._learn()
            if self._news(cursor, who):
                if woken and gone is not None and await gone():
                    return Answer(True, self.latest or 0)
                if self.latest is None:
                    await self._learn()
                self.stats["woken" if woken else "at_once"] += 1
                return Answer(True, self.latest or 0)
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._sleep(waiter, +1)  # asleep: no thread, no connection, no query
            try:
                async with asyncio.timeout(remaining):
                    await waiter.event.wait()
            except TimeoutError:
                break
            finally:
                self._sleep(waiter, -1)
                waiter.event.clear()
            woken = True
        self.stats["timed_out"] += 1
        return await self._timed_out(cursor, who)

    async def _timed_out(self, cursor: int, who: frozenset[str] | None) -> Answer:
        """The safety re-check: a revision this process never heard of (a write without a
        notice, a listener that reconnected) is found here, at the latest."""
        loop = asyncio.get_running_loop()
        hw = await self.high_water(since_gen=0, max_age=UNHEARD_CHECK_S)
        until = loop.time() + GRACE_S
        while self.heard is not None and hw > self.heard and loop.time() < until:
            try:  # a notice may be on its way: give it a moment
                async with asyncio.timeout(until - loop.time()):
                    await self._event.wait()
            except TimeoutError:
                break
        await self._account(hw)
        with self._lock:  # read with the notices' accounting, not halfway through one
            quiet = self._quiet(cursor, who)
            news = quiet is None and self._news(cursor, who)
        return Answer(news, max(hw, self.latest or 0),
                      quiet if quiet is not None and quiet > cursor else None)

    async def _account(self, hw: int) -> None:
        """Revisions up to `hw` that no notice told of are counted as a notice of them would
        be: their audiences read from the database (one read per span, shared by the waits
        timing out meanwhile), so their readers' desks pull and the rest sleep on — a worker
        whose listener lost its connection keeps its desks quiet. Nothing vouched for yet, a
        span too long to name or a failed read: anyone's news."""
        with self._lock:
            heard = self.heard
            if heard is None:
                self.stats["unheard"] += 1
                self.anyones = max(self.anyones, hw)
                self.heard = hw
                return
        if hw <= heard:
            return
        found = self._unheard
        if found is None or not found[0] <= heard < hw <= found[1] or (
                found[2].done() and (found[2].cancelled() or found[2].exception() is not None)):
            self.stats["unheard"] += 1
            found = self._unheard = (heard, hw, asyncio.ensure_future(
                run_in_threadpool(self._audience, heard, hw)))
        since, upto, read = found
        self.notify(upto, since, await asyncio.shield(read))

    def _audience(self, since: int, rev: int) -> frozenset[str] | None:
        """The principals of the revisions after `since` up to `rev` (`audience_since`);
        None, anyone's news, when too many to name or when the read fails."""
        try:
            with Session(self._reader) as session:
                return audience_since(session, since, rev)
        except SQLAlchemyError:
            return None

    def _sleep(self, waiter: _Waiter, delta: int) -> None:
        keys = waiter.principals if waiter.principals is not None else ("",)
        if delta > 0:
            self._all.add(waiter)
            for p in keys:
                self._sleepers.setdefault(p, set()).add(waiter)
        else:
            self._all.discard(waiter)
            for p in keys:
                sleepers = self._sleepers.get(p)
                if sleepers is not None:
                    sleepers.discard(waiter)
                    if not sleepers:
                        del self._sleepers[p]
        self._count(delta)


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

                hub.listener = Listener(hub.notice, engine.url, channel=CHANNEL)
                hub.listener.start()
        return hub


def close(engine: Engine) -> None:
    """Stop an engine's listener (at shutdown)."""
    with _HUBS_LOCK:
        hub = _HUBS.pop(engine, None)
    if hub is not None and hub.listener is not None:
        hub.listener.stop()


def hub_of(session: Session) -> RevisionHub | None:
    """The hub of the session's engine, if this process made one (it serves waits)."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    with _HUBS_LOCK:
        return _HUBS.get(engine)


def revision_taken(session: Session, rev: int, *, first: int | None = None,
                   who: Iterable[str] | None = None) -> None:
    """A write in `session` took revisions up to `rev` (under the revision lock): on commit,
    the waits of the desks that may see them hear of it (on PostgreSQL by a NOTIFY sent in
    this transaction, to every process). A writer that holds the audiences of what it wrote
    names them (`who`, every principal of the records at revisions `first` … `rev`, former
    readers too): that span is not read again at commit."""
    pending = session.info.get(_PENDING)
    session.info[_PENDING] = rev if pending is None else max(pending, rev)
    if _FROM not in session.info:  # what this process had heard of before this write
        hub = hub_of(session)
        session.info[_FROM] = hub.heard if hub is not None else None
    known = session.info.get(_KNOWN)
    if first is None or who is None or (known is not None and known[1] + 1 != first):
        session.info[_KNOWN] = _UNKNOWN  # a span not named, or not next to the one before
    elif known is None:
        session.info[_KNOWN] = (first, rev, frozenset(who))
    elif known is not _UNKNOWN:
        session.info[_KNOWN] = (known[0], rev, known[2] | frozenset(who))


def _audience_of(session: Session, since: int, rev: int) -> frozenset[str] | None:
    """`audience_since`, with the span the writers named (`revision_taken`) taken as named
    and only the revisions before it read (those written without a notice)."""
    known = session.info.pop(_KNOWN, None)
    if rev - since > MAX_SPAN or known is None or known is _UNKNOWN or known[1] != rev:
        return audience_since(session, since, rev)
    first, _rev, who = known
    if since >= first - 1:
        return who
    before = audience_since(session, since, first - 1)
    return None if before is None else before | who


def audience_since(session: Session, since: int, rev: int) -> frozenset[str] | None:
    """The principals of the audiences of the records at revisions after `since` up to `rev`
    (rows of former readers too: they get tombstones); None when too many to name."""
    from oa_server.sync_models import SyncAudience, SyncRecord

    if rev - since > MAX_SPAN:
        return None
    rows = session.scalars(
        select(SyncAudience.principal).distinct()
        .join(SyncRecord, (SyncRecord.collection == SyncAudience.collection)
              & (SyncRecord.id == SyncAudience.record_id))
        .where(SyncRecord.rev > since, SyncRecord.rev <= rev))
    return frozenset(rows)


@event.listens_for(Session, "before_commit")
def _committing(session: Session) -> None:
    rev = session.info.get(_PENDING)
    if rev is None:
        return
    since = session.info.pop(_FROM, None)
    who = _audience_of(session, since, rev) if since is not None and since < rev else None
    session.info.pop(_KNOWN, None)
    payload = encode(rev, since, who)
    if payload == str(rev):
        since, who = None, None  # (an audience too large for one notice: anyone's news)
    session.info[_WHO] = (since, who)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(CHANNEL, payload)))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    rev = session.info.pop(_PENDING, None)
    since, who = session.info.pop(_WHO, (None, None))
    if rev is None:
        return
    hub = hub_of(session)
    if hub is not None:  # no hub: nobody in this process has waited yet
        hub.notify(rev, since, who)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    for key in (_PENDING, _FROM, _WHO, _KNOWN):
        session.info.pop(key, None)
