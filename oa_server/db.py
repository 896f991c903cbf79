"""Engine and session factory: SQLite (embedded default) or PostgreSQL (production)."""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from oa_server.wal_checkpoint import Checkpointer


class Base(DeclarativeBase):
    """Declarative base of every server table."""


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """Whether this engine or URL talks to SQLite."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, Checkpointer] = weakref.WeakKeyDictionary()
#: execution option of connections that only read (see `read_only`)
READ_ONLY = "oa_read_only"
#: page cache of each server SQLite connection (KiB); a pool keeps at most five
SQLITE_CACHE_KIB = 32 * 1024


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; SQL parameters never appear in error messages or logs."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": 30},
            # the connection used last goes out next: its page cache still holds what the
            # last requests touched (another connection's write empties a cache anyway)
            pool_use_lifo=True,
        )
        _serialise_sqlite_writers(engine)
        if database and database != ":memory:":
            _checkpoint_aside(engine, Path(database))
        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True)


def _serialise_sqlite_writers(engine: Engine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE so read-then-write transactions never race."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # room for a push's working set (a page per changed record, and their indexes);
        # SQLite's default of 2 MB is about 500 pages
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # a reader in WAL: no lock, nobody waits
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _checkpoint_aside(engine: Engine, path: Path) -> None:
    """WAL checkpoints on a background thread, never inside a request's commit
    (`oa_server.wal_checkpoint`)."""
    checkpointer = Checkpointer(path)
    event.listen(engine, "connect", checkpointer.connected)
    event.listen(engine, "checkin", checkpointer.checked_in)
    _CHECKPOINTERS[engine] = checkpointer


def checkpointer_of(engine: Engine) -> Checkpointer | None:
    """The background checkpointer of a SQLite file engine (None for others)."""
    return _CHECKPOINTERS.get(engine)


def read_only(engine: Engine) -> Engine:
    """The engine for transactions that only read (on SQLite a plain BEGIN, not the write
    lock every other transaction takes): a reader that never writes cannot race a writer,
    and a thousand of them at once do not queue for the lock."""
    return engine.execution_options(**{READ_ONLY: True})


#: engine → the server keys its sessions use (audit chain key), for sessionmakers made without them
_ENGINE_KEYS: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()


def make_sessionmaker(engine: Engine, *, keys: Any = None) -> sessionmaker[Session]:
    """The session factory every request and CLI command uses.

    `keys` (oa_server.keys.ServerKeys) travel in each session's `info` — the audit log
    chains its rows with them; a factory made later for the same engine finds them too.
    """
    if keys is not None:
        _ENGINE_KEYS[engine] = keys
    else:
        keys = _ENGINE_KEYS.get(engine)
    return sessionmaker(bind=engine, expire_on_commit=False, info={"server_keys": keys})


def session_keys(session: Session) -> Any:
    """The server keys of a session (its factory's, else its engine's), or None."""
    keys = session.info.get("server_keys")
    if keys is None:
        bind = session.get_bind()
        keys = _ENGINE_KEYS.get(getattr(bind, "engine", bind))
    return keys


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Normalise to UTC before storing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Attach UTC to what SQLite returns naive."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
