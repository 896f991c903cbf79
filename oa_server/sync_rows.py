"""`sync_records` rows as a push handles them: plain objects read and written with Core.

The ORM's per-object bookkeeping (identity map, change history, unit of work) cost more
than applying a thousand ops; a push keeps its records in these instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from oa_server.sync_models import SyncAudience, SyncOp, SyncRecord

RECORDS = SyncRecord.__table__
AUDIENCE = SyncAudience.__table__
COLUMNS = ("collection", "id", "rev", "deleted", "data", "unit_id", "parent", "created_by",
           "updated_by", "updated_at")
_SELECT = select(*(RECORDS.c[name] for name in COLUMNS))


class StoredRecord:
    """A `sync_records` row as a push reads and changes it (no ORM bookkeeping)."""

    __slots__ = (*COLUMNS, "stored")

    def __init__(self, collection: str, id: str, rev: int, deleted: bool, data: str,
                 unit_id: str | None, parent: str | None, created_by: str, updated_by: str,
                 updated_at: Any, *, stored: bool = True) -> None:
        self.collection, self.id, self.rev, self.deleted = collection, id, rev, bool(deleted)
        self.data, self.unit_id, self.parent = data, unit_id, parent
        self.created_by, self.updated_by, self.updated_at = created_by, updated_by, updated_at
        self.stored = stored  # False until the batch inserts it

    def row(self, when: Callable[[datetime], Any]) -> dict[str, Any]:
        """Column values for `run_many` (`when` turns a datetime into the driver's value; an
        `updated_at` read by `read_by_ids` is the driver's value already, written back as is)."""
        at = self.updated_at
        return {"collection": self.collection, "id": self.id, "rev": self.rev,
                "deleted": self.deleted, "data": self.data, "unit_id": self.unit_id,
                "parent": self.parent, "created_by": self.created_by,
                "updated_by": self.updated_by,
                "updated_at": when(at) if isinstance(at, datetime) else at}


def select_records(*where: Any) -> Any:
    """A Core SELECT of whole `sync_records` rows (read back with `read_records`)."""
    return _SELECT.where(*where)


def read_records(session: Session, query: Any) -> list[StoredRecord]:
    """Run a `select_records` query in the batch's transaction."""
    return [StoredRecord(*row) for row in session.connection().execute(query).all()]


_PARAM = re.compile(r":(\w+)")
_BY_IDS = (f"SELECT {', '.join(COLUMNS)} FROM {RECORDS.name}"
           " WHERE collection = ? AND id IN ({ids})")
_REVS_BY_IDS = f"SELECT id, rev FROM {RECORDS.name} WHERE collection = ? AND id IN ({{ids}})"
_OPS_BY_IDS = (f"SELECT op_id, result FROM {SyncOp.__tablename__} WHERE user_id = ?"
               " AND device_id = ? AND op_id IN ({ids})")
_AUDIENCE_BY_IDS = (f"SELECT record_id, principal, active FROM {AUDIENCE.name}"
                    " WHERE collection = ? AND record_id IN ({ids})")


def _by_ids(session: Session, sql: str, ids: list[str], *params: Any) -> list[Any]:
    """Rows of `sql` for these ids (after `params`, its `?` in order), asked of the driver
    directly: no statement to build, no per-row type processing, parameters bound by position
    (a push reads a thousand rows this way; by name the driver looks each one up)."""
    sql = sql.format(ids=", ".join("?" * len(ids)))
    conn = session.connection()
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    return conn.exec_driver_sql(sql, (*params, *ids)).all()


def read_by_ids(session: Session, collection: str, ids: list[str]) -> list[StoredRecord]:
    """The stored records of one collection with these ids (by primary key); `updated_at`
    stays as the driver read it (`StoredRecord.row` writes it back unchanged)."""
    return [StoredRecord(*row) for row in _by_ids(session, _BY_IDS, ids, collection)]


def revs_by_ids(session: Session, collection: str, ids: list[str]) -> list[Any]:
    """(id, rev) of the stored records of one collection with these ids."""
    return _by_ids(session, _REVS_BY_IDS, ids, collection)


def audience_by_ids(session: Session, collection: str, ids: list[str]) -> list[Any]:
    """(record_id, principal, active) of the audience rows of these records."""
    return _by_ids(session, _AUDIENCE_BY_IDS, ids, collection)


def op_results(session: Session, *, user_id: str, device_id: str, op_ids: list[str]
               ) -> list[Any]:
    """(op_id, stored result JSON) of the ops among these that the device already sent."""
    return _by_ids(session, _OPS_BY_IDS, op_ids, user_id, device_id)


def insert_sql(table: Table, columns: tuple[str, ...]) -> str:
    """`INSERT … VALUES (:a, :b, …)` for `run_many`."""
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)})")


def datetime_param(session: Session) -> Callable[[datetime], Any]:
    """What the driver takes for a timestamp column (UTC, as `UTCDateTime` stores it); where
    the driver would adapt a datetime itself (sqlite3's registered adapter), its text."""
    dialect = session.connection().dialect
    process = RECORDS.c.updated_at.type.bind_processor(dialect) or (lambda value: value)
    adapt = _driver_adapter(dialect)
    last: list[Any] = [None, None]  # a batch stamps most rows with its one `now`: once

    def when(value: datetime) -> Any:
        if value is not last[0]:
            out = process(value)
            if adapt is not None and isinstance(out, datetime):
                out = adapt(out)  # once, not once per row inside executemany
            last[0], last[1] = value, out
        return last[1]

    return when


def _driver_adapter(dialect: Any) -> Callable[[datetime], Any] | None:
    """The adapter the DB-API module applies to a datetime parameter (sqlite3 keeps one in
    `adapters`), or None when the driver takes datetimes as they are."""
    dbapi = getattr(dialect, "dbapi", None)
    adapters = getattr(dbapi, "adapters", None)
    protocol = getattr(dbapi, "PrepareProtocol", None)
    if not isinstance(adapters, dict) or protocol is None:
        return None
    return adapters.get((datetime, protocol))


def run_many(session: Session, sql: str, rows: list[dict[str, Any]]) -> None:
    """One statement (`:name` parameters) over many rows, handed straight to the driver.

    SQLAlchemy's per-row parameter processing cost as much as the writes themselves; the
    values here are already what the driver takes (text, numbers, `datetime_param`). They
    are bound by position: by name, the driver looks up every parameter of every row.
    """
    names = _PARAM.findall(sql)
    conn = session.connection()
    mark = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
    values = itemgetter(*names)
    params = [values(row) for row in rows] if len(names) > 1 else [
        (values(row),) for row in rows]  # (one name: itemgetter gives the value alone)
    conn.exec_driver_sql(_PARAM.sub(mark, sql), params)
