"""What an authority sees and may do inside one push (or one server-initiated change)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_server import audit
from oa_server.meeting_spans import texts_in_window
from oa_server.models import User
from oa_server.org_view import OrgView
from oa_server.sync_models import SyncCounter
from oa_server.sync_rows import RECORDS, read_records, select_records

if TYPE_CHECKING:
    from oa_server.sync_batch import Batch


def _counter_key(name: str) -> str:
    """A counter row name that fits the column (long names by hash, never truncated)."""
    if len(name) <= 32 and name != "rev":
        return name
    return "h:" + hashlib.sha256(name.encode()).hexdigest()[:30]


class Ctx:
    """One transaction's view for an authority: records, org chart, numbering, audit."""

    def __init__(self, batch: Batch) -> None:
        self._batch = batch
        self.org: OrgView = batch.org
        #: what an authority's check worked out for an op (by op id), for its effects to
        #: write; it lives and dies with the batch, whatever becomes of the op
        self.plans: dict[str, Any] = {}

    @property
    def session(self) -> Session:
        """The SQLAlchemy session (the transaction holds the revision lock). A push's first
        pass without the lock may read records only by key (`get`, `put`, `preload`), never
        through this: every method below that queries it stops that pass (`NeedsLock`)."""
        self._batch.needs_lock()
        return self._batch.session

    @property
    def user(self) -> User:
        """Who is asking (for a server-initiated change: the acting service user)."""
        return self._batch.user

    @property
    def user_id(self) -> str:
        """Who is asking, as the id records use."""
        return self._batch.user_id

    @property
    def device_id(self) -> str | None:
        """The device that pushed this batch (None for a server-initiated change)."""
        return self._batch.device_id

    @property
    def now(self) -> datetime:
        """The server's clock for this change (injected in tests)."""
        return self._batch.now

    def get(self, collection: str, record_id: str) -> dict[str, Any] | None:
        """A live record's data (with `id`, `rev`, `unit_id`, `created_by`), None if absent."""
        return self._batch.get(collection, record_id)

    def children(self, collection: str, parent_collection: str, parent_id: str
                 ) -> list[dict[str, Any]]:
        """Live child records of a parent, in revision order (this batch's new ones last)."""
        return self._batch.children(collection, parent_collection, parent_id)

    def put(self, collection: str, record_id: str, data: dict[str, Any], *,
            unit_id: str | None = None, fresh: bool = False) -> str:
        """Create or replace a record as the server; it takes the next revision. Returns the
        id written: with `fresh` (a new record at a derived id), another one when someone
        else's record holds that id (`Batch.put`).

        Who sees it is not the caller's to say: `oa_server.visibility` derives it from what
        the record holds (route people, holders, recipients …); children follow parents.
        """
        return self._batch.put(collection, record_id, data, unit_id=unit_id, fresh=fresh)

    def preload(self, keys: set[tuple[str, str]]) -> None:
        """Read many (collection, id) records and their readers in a few queries (a sweep)."""
        self._batch.load(keys)

    def audience(self, collection: str, record_id: str) -> set[str]:
        """Who sees the record now (principals)."""
        self._batch.get(collection, record_id)
        return {p for p, a in self._batch.audience.get((collection, record_id), {}).items() if a}

    def records(self, collection: str, *, created_by: str | None = None,
                **where: str) -> list[dict[str, Any]]:
        """Live records of a collection, optionally only one person's (`created_by`) and
        where data fields equal values (for small sets: delegations, rooms, calendars,
        one applicant's requests); this batch's own writes included."""
        out = []
        where_sql = [RECORDS.c.collection == collection, RECORDS.c.deleted.is_(False)]
        if created_by is not None:
            where_sql.append(RECORDS.c.created_by == created_by)
        self._batch.adopt(read_records(self.session, select_records(*where_sql)))
        for (c, _i), rec in self._batch.records.items():
            if c != collection or rec.deleted:
                continue
            if created_by is not None and rec.created_by != created_by:
                continue
            data = json.loads(rec.data)
            if all(str(data.get(k)) == str(v) for k, v in where.items()):
                data.update(id=rec.id, rev=rec.rev, unit_id=rec.unit_id,
                            created_by=rec.created_by)
                out.append(data)
        return out

    def texts(self, collection: str) -> list[tuple[str, str]]:
        """(id, stored JSON text) of every live record of a collection, cheaply: the text is
        not decoded (callers skip most on a substring); this batch's own writes included."""
        rows = dict(self.session.connection().execute(
            select(RECORDS.c.id, RECORDS.c.data).where(RECORDS.c.collection == collection,
                                                       RECORDS.c.deleted.is_(False))).all())
        return self._with_own_writes(collection, rows)

    def meetings_near(self, lo: datetime, hi: datetime) -> list[tuple[str, str]]:
        """(id, stored JSON text) of the live meetings that may be busy between `lo` and `hi`
        (read through `meeting_spans`); this batch's own meeting writes included."""
        rows = {rid: text for rid, text, _by in texts_in_window(self.session, lo, hi)}
        return self._with_own_writes("meetings", rows)

    def _with_own_writes(self, collection: str, rows: dict[str, str]) -> list[tuple[str, str]]:
        """Stored texts overlaid with this batch's writes of the collection (deletions out)."""
        for (c, rid), rec in self._batch.records.items():
            if c != collection:
                continue
            if rec.deleted:
                rows.pop(rid, None)
            else:
                rows[rid] = rec.data
        return list(rows.items())

    def existing(self, collection: str, ids: set[str]) -> set[str]:
        """Which of `ids` are live records now (this batch's writes included), asking only for
        ids: cheap for a sweep that derives ids and writes the few that are new. Ids with no
        row at all are remembered as absent, so writing them needs no further query."""
        held = {rid: rec for (c, rid), rec in self._batch.records.items() if c == collection}
        found = {rid for rid in ids if rid in held and not held[rid].deleted}
        rest = sorted(ids - held.keys())
        rows: dict[str, bool] = {}
        for lo in range(0, len(rest), 500):
            rows.update(self.session.execute(select(RECORDS.c.id, RECORDS.c.deleted).where(
                RECORDS.c.collection == collection, RECORDS.c.id.in_(rest[lo:lo + 500]))).all())
        found |= {rid for rid, deleted in rows.items() if not deleted}
        self._batch.absent |= {(collection, rid) for rid in rest if rid not in rows}
        return found

    def visible(self, collection: str, record_id: str) -> bool:
        """Whether the asking user sees the record now (loaded first if this batch has not)."""
        self._batch.get(collection, record_id)
        return self._batch.visible((collection, record_id))

    def next_number(self, name: str) -> int:
        """The next value of a named sequence (e.g. 文号 per 代字 and year): never twice.

        Safe because the caller holds the revision lock for the whole transaction.
        """
        session = self.session
        key = _counter_key(name)
        row = session.get(SyncCounter, key)
        if row is None:
            row = SyncCounter(name=key, value=0)
            session.add(row)
        row.value = int(row.value or 0) + 1
        session.flush()
        return int(row.value)

    def peek_number(self, name: str) -> int:
        """The last value handed out for a sequence (0 when none yet)."""
        row = self.session.get(SyncCounter, _counter_key(name))
        return int(row.value) if row is not None else 0

    def audit(self, action: str, *, target: str = "", details: dict[str, Any] | None = None) -> None:
        """Add a row to the hash-chained audit log in this transaction."""
        audit.append(self.session, actor=f"user:{self.user_id}", action=action, target=target,
                     details=details)
