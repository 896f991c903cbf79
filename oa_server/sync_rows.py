"""`sync_records` rows as a push handles them: plain objects read and written with Core.

The ORM's per-object bookkeeping (identity map, change history, unit of work) cost more
than applying a thousand ops; a push keeps its records in these instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from oa_server.sync_models import SyncAudience, SyncRecord

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
                 updated_at: datetime, *, stored: bool = True) -> None:
        self.collection, self.id, self.rev, self.deleted = collection, id, rev, bool(deleted)
        self.data, self.unit_id, self.parent = data, unit_id, parent
        self.created_by, self.updated_by, self.updated_at = created_by, updated_by, updated_at
        self.stored = stored  # False until the batch inserts it

    def row(self, when: Callable[[datetime], Any]) -> dict[str, Any]:
        """Column values for `run_many` (`when` turns a datetime into the driver's value)."""
        return {"collection": self.collection, "id": self.id, "rev": self.rev,
                "deleted": self.deleted, "data": self.data, "unit_id": self.unit_id,
                "parent": self.parent, "created_by": self.created_by,
                "updated_by": self.updated_by, "updated_at": when(self.updated_at)}


def select_records(*where: Any) -> Any:
    """A Core SELECT of whole `sync_records` rows (read back with `read_records`)."""
    return _SELECT.where(*where)


def read_records(session: Session, query: Any) -> list[StoredRecord]:
    """Run a `select_records` query in the batch's transaction."""
    return [StoredRecord(*row) for row in session.connection().execute(query).all()]


_PARAM = re.compile(r":(\w+)")


def insert_sql(table: Table, columns: tuple[str, ...]) -> str:
    """`INSERT … VALUES (:a, :b, …)` for `run_many`."""
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)})")


def datetime_param(session: Session) -> Callable[[datetime], Any]:
    """What the driver takes for a timestamp column (UTC, as `UTCDateTime` stores it)."""
    process = RECORDS.c.updated_at.type.bind_processor(session.connection().dialect)
    return process if process is not None else (lambda value: value)


def run_many(session: Session, sql: str, rows: list[dict[str, Any]]) -> None:
    """One statement (`:name` parameters) over many rows, handed straight to the driver.

    SQLAlchemy's per-row parameter processing cost as much as the writes themselves; the
    values here are already what the driver takes (text, numbers, `datetime_param`).
    """
    conn = session.connection()
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = _PARAM.sub(r"%(\1)s", sql)
    conn.exec_driver_sql(sql, rows)
