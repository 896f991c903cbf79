"""Repositories for the core records: one generic shape, a few indexed columns per table.

A record is a dict. Its `id` and the table's indexed columns are stored as
columns; everything else goes into the JSON `data` column, so later issues can add
fields without a migration. Writes go through `RecordStore.write`, which puts the
record and (optionally) an outbox operation in one transaction and returns what
changed: the one change signal the UI refreshes from.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlcipher3 import dbapi2

from oa_client.domain.ids import new_id
from oa_client.domain.indexed import INDEXED_FIELDS
from oa_client.errors import NotFoundError, ValidationError
from oa_client.i18n import _
from oa_client.store.db import Database
from oa_client.store.schema import PEOPLE, people_backfill

#: collection → indexed columns (besides id, rev, deleted, updated_at, data)
COLLECTIONS = INDEXED_FIELDS

#: values for NOT NULL columns a record may leave out
DEFAULTS: dict[str, dict[str, object]] = {
    "document_revisions": {"conflicted": 0},
    "documents": {"title": "", "body": ""},
    "phrases": {"text": ""},
}

#: what a civil servant calls each collection (for summaries and messages)
COLLECTION_LABELS: dict[str, str] = {
    "units": "单位",
    "users": "人员",
    "documents": "公文",
    "document_events": "流转记录",
    "document_revisions": "正文修订",
    "rooms": "会议室",
    "meetings": "会议",
    "service_items": "事项",
    "requests": "申请",
    "data_items": "数据项",
    "report_templates": "报表",
    "submissions": "填报",
    "supervision_tasks": "督办事项",
    "attachments": "附件",
    "meeting_replies": "会议回执",
    "checkins": "会议签到",
    "request_events": "审批记录",
    "task_events": "督办记录",
    "task_progress": "进展反馈",
    "phrases": "常用意见",
    "delegations": "委托",
    "calendars": "节假日安排",
    "notifications": "提醒",
    "settings": "服务器设置",
}


@dataclass
class Changes:
    """What a write changed: collections and ids touched, ops queued for sync."""

    collections: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    queued_ops: int = 0

    def merge(self, other: Changes) -> Changes:
        """Fold another change into this one."""
        self.collections |= other.collections
        self.ids |= other.ids
        self.queued_ops += other.queued_ops
        return self


@dataclass(frozen=True)
class Op:
    """A sync operation for the outbox, written in the same transaction as the change."""

    kind: str  # e.g. "upsert", "delete", "action"
    entity: str
    entity_id: str
    payload: dict
    base_rev: int = 0
    op_id: str = field(default_factory=new_id)


#: compact JSON for the `data` column (one encoder: json.dumps with options builds one a call)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
try:  # the pull stores 100,000s of records: orjson writes the same compact JSON ~4x faster
    import orjson

    def _dumps_synced(obj: dict) -> str:
        try:
            return orjson.dumps(obj).decode()
        except orjson.JSONEncodeError:  # an integer past 64 bits an older server kept
            return _dumps(obj)
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    _dumps_synced = _dumps
#: keys of a record that are columns of every table, never part of `data`
_LOCAL = ("id", "rev", "deleted", "updated_at")
#: ids per `IN (…)` read, well under SQLite's limit on bound parameters
_IDS_PER_READ = 10_000


#: an outbox row as the push and the screens read it
_OUTBOX_KEYS = ("seq", "op_id", "kind", "entity", "entity_id", "base_rev", "payload", "attempts")


@functools.cache
def _upsert_sql(collection: str, *, keep_rev: bool = False) -> str:
    """INSERT … ON CONFLICT DO UPDATE; `keep_rev`: an existing row keeps its revision."""
    columns = COLLECTIONS[collection]
    names = ("id", "rev", "deleted", *columns, "data")
    changed = names[2:] if keep_rev else names[1:]
    return (
        f"INSERT INTO {collection} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        f" ON CONFLICT(id) DO UPDATE SET "
        + ", ".join(f"{n} = excluded.{n}" for n in changed)
        + ", updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
    )


@functools.cache
def _insert_sql(collection: str) -> str:
    """A plain INSERT of what `_upsert_sql` writes (for a table the pull found empty)."""
    names = ("id", "rev", "deleted", *COLLECTIONS[collection], "data")
    return (f"INSERT INTO {collection} ({', '.join(names)})"
            f" VALUES ({', '.join('?' * len(names))})")


@contextlib.contextmanager
def _insert_triggers_set_based(conn, table: str) -> Iterator[None]:
    """Inside the caller's transaction: the table's per-row insert triggers are dropped while
    the body inserts new rows, and their work is done once, set-based, for every row added.

    A trigger costs each inserted row as much again as the insert (a first sync writes
    100,000s): the search trigger is dropped only while the search index is deferred (it does
    nothing then), the people trigger's rows are back-filled in one statement per source.
    The triggers are created again from their stored SQL when the body is done; if it fails,
    a savepoint of its own takes back the rows and brings the triggers back before the error
    goes on.
    """
    names = [f"{table}_people_ai"] if table in PEOPLE else []
    if conn.execute("SELECT 1 FROM meta WHERE key = 'search_deferred'").fetchone():
        names.append(f"{table}_search_ai")
    found = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
        f" AND name IN ({','.join('?' * len(names))})", (table, *names)).fetchall() if names else []
    if not found:
        yield
        return
    before = conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()[0]
    conn.execute("SAVEPOINT triggers_set_based")
    try:
        for name, _sql in found:
            conn.execute(f'DROP TRIGGER "{name}"')
        yield
        if any(name == f"{table}_people_ai" for name, _sql in found):
            for sql in people_backfill(table, past_rowid=True):
                conn.execute(sql, (before,))
        for _name, sql in found:
            conn.execute(sql)
    except BaseException:
        conn.execute("ROLLBACK TO triggers_set_based")  # the triggers are back, the rows gone
        conn.execute("RELEASE triggers_set_based")
        raise
    conn.execute("RELEASE triggers_set_based")


def _check(collection: str) -> tuple[str, ...]:
    try:
        return COLLECTIONS[collection]
    except KeyError:
        raise ValidationError(
            _("未知的数据类别：{name}").format(name=collection), field="collection"
        ) from None


class RecordStore:
    """Read and write records of every collection on one Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes -------------------------------------------------------------------

    def write(
        self, collection: str, records: Iterable[dict], *, ops: Iterable[Op] = ()
    ) -> Changes:
        """Insert or replace records and queue ops, all in one transaction.

        A record already stored keeps the revision it has: only the sync moves revisions,
        and a copy read before a push stored its answer must not set the row back.
        """
        changes = Changes(collections={collection})
        with self.db.transaction() as conn:
            changes.ids |= self.upsert_in(conn, collection, records, keep_rev=True)
            changes.queued_ops = self._enqueue(conn, ops)
        return changes

    def save_edit(self, collection: str, record: dict, payload: dict) -> Changes:
        """Insert or replace one record with its upsert op, based on the revision the desk
        holds when the transaction runs: a push storing its answers on another thread cannot
        slip in between and leave the op on a revision the desk has already moved past."""
        _check(collection)
        with self.db.transaction() as conn:
            base_rev = self._rev_in(conn, collection, record["id"])
            ids = self.upsert_in(conn, collection, [{**record, "rev": base_rev}])
            queued = self._enqueue(conn, [Op(kind="upsert", entity=collection,
                                             entity_id=record["id"], payload=payload,
                                             base_rev=max(base_rev, 0))])
        return Changes(collections={collection}, ids=ids, queued_ops=queued)

    @staticmethod
    def _rev_in(conn, collection: str, record_id: str) -> int:
        row = conn.execute(f"SELECT rev FROM {collection} WHERE id = ?", (record_id,)).fetchone()
        return int(row[0]) if row else 0

    def upsert_in(self, conn, collection: str, records: Iterable[dict], *,
                  keep_rev: bool = False) -> set[str]:
        """Insert or replace records inside the caller's transaction; return their ids
        (`keep_rev`: a record already stored keeps its revision)."""
        columns = _check(collection)
        rows = [self._row(collection, columns, record) for record in records]
        conn.executemany(_upsert_sql(collection, keep_rev=keep_rev), rows)
        return {r[0] for r in rows}

    @staticmethod
    def upsert_synced_in(conn, collection: str, records: Iterable[tuple[str, int, dict]], *,
                         fresh: bool = False) -> None:
        """Store records as the server sent them, `(id, rev, data)`, in bulk (the pull's path).

        `data` is left as it is; the indexed columns are taken out of a copy. `fresh`: the
        table was empty when the pull began, so the rows are inserted as new ones (cheaper
        than an upsert each, and with the insert triggers' work done set-based: see
        `_insert_triggers_set_based`); if one is there already, the page is upserted after all.
        """
        columns = _check(collection)
        skip = frozenset((*columns, *_LOCAL))
        defaults = [(i, DEFAULTS[collection][c]) for i, c in enumerate(columns)
                    if c in DEFAULTS.get(collection, {})]
        dumps = _dumps_synced  # data came from the server's JSON (orjson writes nearly all)
        rows = []
        for rid, rev, data in records:
            values = [data.get(c) for c in columns]
            for i, default in defaults:
                if values[i] is None:
                    values[i] = default
            rest = {k: v for k, v in data.items() if k not in skip}
            rows.append((rid, int(rev), 0, *values, dumps(rest)))
        if fresh:
            conn.execute("SAVEPOINT insert_fresh")
            try:
                with _insert_triggers_set_based(conn, collection):
                    conn.executemany(_insert_sql(collection), rows)
                conn.execute("RELEASE insert_fresh")
                return
            except dbapi2.IntegrityError:  # a record changed during the pull: upsert the page
                conn.execute("ROLLBACK TO insert_fresh")
                conn.execute("RELEASE insert_fresh")
        conn.executemany(_upsert_sql(collection), rows)

    @staticmethod
    def enqueue_in(conn, ops: Iterable[Op]) -> int:
        """Queue ops inside the caller's transaction."""
        return RecordStore._enqueue(conn, ops)

    @staticmethod
    def _row(collection: str, columns: tuple[str, ...], record: dict) -> tuple:
        rec = dict(record)
        rid = rec.pop("id", None) or new_id()
        rev = int(rec.pop("rev", 0) or 0)
        deleted = 1 if rec.pop("deleted", False) else 0
        rec.pop("updated_at", None)
        defaults = DEFAULTS.get(collection, {})
        values = [rec.pop(c, None) for c in columns]
        values = [defaults.get(c) if v is None else v for c, v in zip(columns, values, strict=True)]
        try:
            data = _dumps(rec)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                _("记录含有无法保存的内容：{reason}").format(reason=exc), field=collection
            ) from exc
        return (rid, rev, deleted, *values, data)

    @staticmethod
    def _enqueue(conn, ops: Iterable[Op]) -> int:
        rows = [
            (op.op_id, op.kind, op.entity, op.entity_id, op.base_rev,
             _dumps(op.payload))
            for op in ops
        ]
        if rows:
            conn.executemany(
                "INSERT INTO outbox(op_id, kind, entity, entity_id, base_rev, payload)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def delete(self, collection: str, record_id: str, *, ops: Iterable[Op] = (),
               sync: bool = False) -> Changes:
        """Mark a record deleted (a tombstone, so sync can carry the delete); `sync` queues
        the delete op itself, based on the revision held when the transaction runs."""
        _check(collection)
        with self.db.transaction() as conn:
            if sync:
                base_rev = self._rev_in(conn, collection, record_id)
                ops = [*ops, Op(kind="delete", entity=collection, entity_id=record_id,
                                payload={}, base_rev=max(base_rev, 0))]
            cur = conn.execute(
                f"UPDATE {collection} SET deleted = 1,"
                " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
                (record_id,),
            )
            if cur.rowcount == 0:
                raise NotFoundError(_("找不到要删除的记录。"), collection=collection, id=record_id)
            queued = self._enqueue(conn, ops)
        return Changes(collections={collection}, ids={record_id}, queued_ops=queued)

    # -- reads --------------------------------------------------------------------

    def _decode(self, collection: str, row: tuple) -> dict:
        columns = _check(collection)
        rid, rev, deleted, updated_at, *values, data = row
        record = json.loads(data)
        record.update(zip(columns, values, strict=True))
        record.update(id=rid, rev=rev, deleted=bool(deleted), updated_at=updated_at)
        return record

    def _select(self, collection: str) -> str:
        columns = _check(collection)
        return f"SELECT id, rev, deleted, updated_at, {', '.join(columns)}, data FROM {collection}"

    def get(self, collection: str, record_id: str) -> dict:
        """One record by id (tombstones included, flagged `deleted`)."""
        rows = self.db.query(self._select(collection) + " WHERE id = ?", (record_id,))
        if not rows:
            raise NotFoundError(_("找不到该记录，可能已被删除。"), collection=collection, id=record_id)
        return self._decode(collection, rows[0])

    def list(
        self, collection: str, *, where: dict | None = None, order_by: str = "updated_at DESC",
        limit: int = 100, offset: int = 0,
    ) -> list[dict]:
        """A page of live records, filtered by equality on indexed columns."""
        columns = _check(collection)
        sql, params = self._select(collection) + " WHERE deleted = 0", []
        for name, value in (where or {}).items():
            if name not in columns and name != "id":
                raise ValidationError(_("不能按该字段筛选：{name}").format(name=name), field=name)
            sql += f" AND {name} = ?"
            params.append(value)
        order_col = order_by.split()[0]
        if order_col not in (*columns, "id", "updated_at", "rev"):
            raise ValidationError(_("不能按该字段排序：{name}").format(name=order_col), field=order_by)
        sql += f" ORDER BY {order_by} LIMIT ? OFFSET ?"
        rows = self.db.query(sql, (*params, limit, offset))
        return [self._decode(collection, r) for r in rows]

    def ids(self, collection: str, *, order_by: str = "updated_at DESC") -> list[str]:
        """Every live id in order: large lists keep only ids and fetch rows lazily."""
        _check(collection)
        rows = self.db.query(f"SELECT id FROM {collection} WHERE deleted = 0 ORDER BY {order_by}")
        return [r[0] for r in rows]

    def waiting_for(self, collection: str, person_id: str, *, newest: str = "updated_at",
                    limit: int = -1) -> list[dict]:
        """Live records that wait for `person_id` — a 公文's holder or 传阅 reader, a request's
        approver or applicant (`record_people`, kept by triggers) — newest first.

        The ids come from the index alone and the rows are read once, then ordered here: a join
        ordering in SQL would read every row twice on a cold start (once to sort, once to decode)."""
        _check(collection)
        ids = [r[0] for r in self.db.query(
            "SELECT record_id FROM record_people WHERE person_id = ? AND collection = ?",
            (person_id, collection))]
        found: dict[str, dict] = {}
        for at in range(0, len(ids), _IDS_PER_READ):
            found.update(self.get_many(collection, ids[at:at + _IDS_PER_READ]))
        live = sorted((r for r in found.values() if not r["deleted"]),
                      key=lambda r: (str(r.get(newest) or ""), r["id"]), reverse=True)
        return live if limit < 0 else live[:limit]

    def get_many(self, collection: str, ids: list[str]) -> dict[str, dict]:
        """Records for a batch of ids (what a lazy list fetches for the visible rows)."""
        if not ids:
            return {}
        rows = self.db.query(
            self._select(collection) + f" WHERE id IN ({','.join('?' * len(ids))})", tuple(ids)
        )
        return {r[0]: self._decode(collection, r) for r in rows}

    def count(self, collection: str) -> int:
        """How many live records a collection holds."""
        _check(collection)
        return int(self.db.query(f"SELECT count(*) FROM {collection} WHERE deleted = 0")[0][0])

    def counts(self) -> dict[str, int]:
        """Live record counts for every collection, attachments and pending ops included."""
        result = {name: self.count(name) for name in COLLECTIONS}
        result["attachments"] = int(
            self.db.query("SELECT count(*) FROM attachments WHERE deleted = 0")[0][0]
        )
        result["outbox"] = self.pending_ops()
        return result

    def pending_ops(self) -> int:
        """Operations waiting in the outbox."""
        return int(self.db.query("SELECT count(*) FROM outbox WHERE state = 'pending'")[0][0])

    def outbox_heads(self, *, limit: int) -> list[tuple[int, str, str, int]]:
        """(seq, entity, entity_id, payload bytes) of pending ops, oldest first: what a push
        needs to choose a batch, without reading the payloads."""
        return [tuple(row) for row in self.db.query(
            "SELECT seq, entity, entity_id, length(CAST(payload AS BLOB)) FROM outbox"
            " WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,))]

    def outbox_first(self, *, limit: int) -> list[tuple[dict, int]]:
        """The oldest pending ops whole (payloads as the stored JSON text), each with its
        payload bytes: a batch chosen from the head of the outbox in one read."""
        rows = self.db.query(
            f"SELECT {', '.join(_OUTBOX_KEYS)}, length(CAST(payload AS BLOB)) FROM outbox"
            " WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,))
        n = len(_OUTBOX_KEYS)
        return [(dict(zip(_OUTBOX_KEYS, row[:n], strict=True)), row[n]) for row in rows]

    def outbox_ops(self, seqs: list[int]) -> list[dict]:
        """The chosen pending ops, payloads as the stored JSON text, in `seqs` order."""
        found: dict[int, dict] = {}
        for i in range(0, len(seqs), 500):
            part = seqs[i:i + 500]
            for row in self.db.query(
                    f"SELECT {', '.join(_OUTBOX_KEYS)} FROM outbox WHERE state = 'pending'"
                    f" AND seq IN ({','.join('?' * len(part))})", tuple(part)):
                found[row[0]] = dict(zip(_OUTBOX_KEYS, row, strict=True))
        return [found[seq] for seq in seqs if seq in found]

    def outbox(self, *, limit: int = 100) -> list[dict]:
        """Pending outbox operations, oldest first."""
        rows = self.db.query(
            f"SELECT {', '.join(_OUTBOX_KEYS)} FROM outbox"
            " WHERE state = 'pending' ORDER BY seq LIMIT ?",
            (limit,),
        )
        out = [dict(zip(_OUTBOX_KEYS, row, strict=True)) for row in rows]
        for item in out:
            item["payload"] = json.loads(item["payload"])
        return out
