"""Applying a pushed batch: every op once, in order, with a few queries for the whole batch.

The tenant's revision counter row is locked first (SELECT … FOR UPDATE on
PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), so the records
read for the batch cannot change underneath it, and revisions are taken in one
step at the end: revision N+1 never commits before N. Records, their audience and
earlier results of the ops are loaded in bulk (plain rows, no ORM objects: loading
and flushing a thousand of those cost more than applying the ops), the ops applied
in memory in order, and everything is written at the end in a few executemany
statements.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from oa_client.errors import ValidationError
from oa_server.authority import Ruling, authority_for
from oa_server.authority.context import Ctx
from oa_server.i18n import _
from oa_server.models import User
from oa_server.sync_models import SyncCounter, SyncOp
from oa_server.sync_rows import (
    AUDIENCE,
    COLUMNS,
    RECORDS,
    StoredRecord,
    datetime_param,
    insert_sql,
    read_records,
    run_many,
    select_records,
)
from sync.protocol import (
    ATTACHMENT_OWNERS,
    CHILD_COLLECTIONS,
    MAX_PAYLOAD_BYTES,
    ORG_COLLECTIONS,
    SERVER_COLLECTIONS,
    SYNC_COLLECTIONS,
    Op,
    OpResult,
    Record,
)

COUNTER = "rev"
#: child collections whose records inherit who-sees-them from a parent record
PARENTS = CHILD_COLLECTIONS
AUDIENCE_KEYS = ("audience_units", "audience_users", "audience_roles")


def parent_of(entity: str, payload: dict) -> tuple[str, str] | None:
    """The record a child record (flow event, revision, attachment) belongs to."""
    if entity in PARENTS:
        collection, key = PARENTS[entity]
        return collection, str(payload.get(key) or "")
    if entity == "attachments":
        owner = ATTACHMENT_OWNERS.get(str(payload.get("owner_kind") or ""), "")
        return owner, str(payload.get("owner_id") or "")
    return None
LOCAL_FIELDS = ("id", "rev", "deleted", "updated_at")
#: envelope fields `Ctx.get` adds to a record's data (never stored inside it)
ENVELOPE = ("created_by",)
CHUNK = 400


_CHANGED = ("rev", "deleted", "data", "unit_id", "updated_by", "updated_at")
_UPDATE_SQL = (f"UPDATE {RECORDS.name} SET {', '.join(f'{c} = :{c}' for c in _CHANGED)}"
               " WHERE collection = :collection AND id = :id")
_INSERT_SQL = insert_sql(RECORDS, COLUMNS)
_OPS_SQL = insert_sql(SyncOp.__table__, ("device_id", "op_id", "user_id", "result", "created_at"))
_AUDIENCE_UPDATE = (update(AUDIENCE)
                    .where(AUDIENCE.c.collection == bindparam("k_collection"),
                           AUDIENCE.c.record_id == bindparam("k_record_id"),
                           AUDIENCE.c.principal == bindparam("k_principal"))
                    .values(active=bindparam("active")))


def _envelope(rec: StoredRecord) -> dict:
    data = json.loads(rec.data)
    data.update(id=rec.id, rev=rec.rev, unit_id=rec.unit_id, created_by=rec.created_by)
    return data


_canonical = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def dumps(obj: Any) -> str:
    """Canonical JSON for stored record data."""
    return _canonical(obj)


def principals_of(user: User) -> list[str]:
    """Every principal a user sees records through: self, unit, roles."""
    out = ["all", f"user:{user.id}", f"unit:{user.unit_id}"]
    out.extend(f"role:{r}" for r in user.roles)
    return out


def audience_of(payload: dict, *, unit_id: str, author: str) -> set[str]:
    """Who sees a record: its unit, its author, and the audience lists in its data."""
    principals = {f"unit:{unit_id}", f"user:{author}"}
    for key, prefix in zip(AUDIENCE_KEYS, ("unit", "user", "role"), strict=True):
        values = payload.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError(_("{key} 必须是字符串列表").format(key=key), field=key)
        principals.update(f"{prefix}:{v}" for v in values)
    return principals


def _record_out(rec: StoredRecord) -> Record:
    return Record(
        collection=rec.collection,
        id=rec.id,
        rev=rec.rev,
        deleted=rec.deleted,
        data={} if rec.deleted else json.loads(rec.data),
    )


def _forbidden(op: Op) -> OpResult:
    # the same answer whether or not the record exists: nothing leaks
    return OpResult(
        op_id=op.op_id,
        status="rejected",
        code="forbidden",
        message=_("您无权修改该记录，或该记录不存在"),
    )


def _rejected(op: Op, code: str, message: str) -> OpResult:
    return OpResult(op_id=op.op_id, status="rejected", code=code, message=message)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class _Batch:
    """What one push reads once and writes once."""

    session: Session
    user: User
    now: datetime
    principals: set[str]
    #: the pushing device (None for a server-initiated change)
    device_id: str | None = None
    records: dict[tuple[str, str], StoredRecord] = field(default_factory=dict)
    audience: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)
    stored_audience: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)
    audience_dirty: set[tuple[str, str]] = field(default_factory=set)
    new_audience: set[tuple[str, str]] = field(default_factory=set)
    needs_rev: list[tuple[StoredRecord, OpResult]] = field(default_factory=list)
    #: the records in hand by parent ("collection:id"): children without a query each time
    by_parent: dict[str, list[StoredRecord]] = field(default_factory=dict)
    _ctx: Ctx | None = None

    @property
    def ctx(self) -> Ctx:
        """The authorities' view of this batch."""
        if self._ctx is None:
            self._ctx = Ctx(self)
        return self._ctx

    def load(self, keys: set[tuple[str, str]]) -> None:
        """Read the records and their audience for every key the batch touches (those in
        hand already are kept as they are: the batch may have changed them)."""
        by_collection: dict[str, list[str]] = {}
        for collection, rid in sorted(keys - self.records.keys()):
            by_collection.setdefault(collection, []).append(rid)
        # one collection at a time: `collection = ? AND id IN (…)` uses the primary key
        for collection, ids in by_collection.items():
            for part in _chunks(ids):
                for rec in read_records(self.session, select_records(
                        RECORDS.c.collection == collection, RECORDS.c.id.in_(part))):
                    self.keep(rec)
                for row in self._audience_rows(collection, part):
                    key = (collection, row[0])
                    self.audience.setdefault(key, {})[row[1]] = bool(row[2])
                    self.stored_audience.setdefault(key, {})[row[1]] = bool(row[2])

    def keep(self, rec: StoredRecord) -> None:
        """Hold a record in the batch (read from the database or made by it)."""
        self.records[(rec.collection, rec.id)] = rec
        if rec.parent is not None:
            self.by_parent.setdefault(rec.parent, []).append(rec)

    def _audience_rows(self, collection: str, ids: list[str]) -> Any:
        return self.session.connection().execute(
            select(AUDIENCE.c.record_id, AUDIENCE.c.principal, AUDIENCE.c.active)
            .where(AUDIENCE.c.collection == collection, AUDIENCE.c.record_id.in_(ids))).all()

    def visible(self, key: tuple[str, str]) -> bool:
        """Whether the pushing user sees the record now."""
        return any(
            active and p in self.principals for p, active in self.audience.get(key, {}).items()
        )

    def set_audience(self, key: tuple[str, str], principals: set[str]) -> None:
        """Make `principals` the record's audience; those dropped lose sight (tombstones)."""
        current = self.audience.setdefault(key, {})
        for p in list(current):
            current[p] = p in principals
        for p in principals:
            current[p] = True
        self.audience_dirty.add(key)

    def take_rev(self, rec: StoredRecord, result: OpResult) -> None:
        """Queue a record for the next revision (assigned in order at the end)."""
        if not result.op_id and any(r is rec for r, _res in self.needs_rev):
            return  # already moving in this batch: one revision is enough for a derived write
        self.needs_rev.append((rec, result))

    # -- what authorities use (through Ctx) ---------------------------------------------

    def get(self, collection: str, record_id: str) -> dict | None:
        """A live record's data with its envelope, loading it on first use."""
        key = (collection, record_id)
        if key not in self.records:
            self.load({key})
        rec = self.records.get(key)
        if rec is None or rec.deleted:
            return None
        return _envelope(rec)

    def children(self, collection: str, parent_collection: str, parent_id: str) -> list[dict]:
        """Live children of a parent in revision order; those new in this batch last, in order."""
        parent = f"{parent_collection}:{parent_id}"
        self.adopt(read_records(self.session, select_records(
            RECORDS.c.parent == parent, RECORDS.c.collection == collection)))
        pending = {id(r): i for i, (r, _res) in enumerate(self.needs_rev)}
        found = [r for r in self.by_parent.get(parent, ())
                 if r.collection == collection and not r.deleted]
        found.sort(key=lambda r: (1, pending[id(r)]) if id(r) in pending else (0, r.rev))
        return [_envelope(r) for r in found]

    def adopt(self, recs: Iterable[StoredRecord]) -> None:
        """Take records a query read into the batch together with their stored audience, so
        a later audience change updates those rows instead of inserting them again."""
        fresh = [r for r in recs if (r.collection, r.id) not in self.records]
        by_collection: dict[str, list[str]] = {}
        for rec in fresh:
            self.keep(rec)
            by_collection.setdefault(rec.collection, []).append(rec.id)
        for collection, ids in by_collection.items():
            for part in _chunks(ids):
                for row in self._audience_rows(collection, part):
                    key = (collection, row[0])
                    self.audience.setdefault(key, {}).setdefault(row[1], bool(row[2]))
                    self.stored_audience.setdefault(key, {})[row[1]] = bool(row[2])

    def put(self, collection: str, record_id: str, data: dict, *, unit_id: str | None,
            audience: set[str] | None) -> None:
        """Write a record as the server (create or replace) and queue its revision."""
        key = (collection, record_id)
        if key not in self.records:
            self.load({key})
        rec = self.records.get(key)
        payload = {k: v for k, v in data.items() if k not in LOCAL_FIELDS + ENVELOPE}
        parent_key = parent_of(collection, payload)
        if rec is None:
            unit = unit_id or (self.records[parent_key].unit_id if parent_key
                               and parent_key in self.records else str(self.user.unit_id))
            rec = StoredRecord(
                collection, record_id, 0, False, "{}", unit,
                f"{parent_key[0]}:{parent_key[1]}" if parent_key else None,
                str(self.user.id), str(self.user.id), self.now, stored=False)
            self.keep(rec)
            self.new_audience.add(key)
            if audience is None:
                if parent_key is not None:
                    self.get(*parent_key)
                    audience = {p for p, a in self.audience.get(parent_key, {}).items() if a}
                else:
                    audience = {f"unit:{unit}", f"user:{self.user.id}"}
        elif unit_id is not None:
            rec.unit_id = unit_id
        payload["unit_id"] = rec.unit_id
        rec.deleted = False
        rec.data = dumps(payload)
        rec.updated_by, rec.updated_at = str(self.user.id), self.now
        self.take_rev(rec, OpResult(op_id="", status="applied"))
        if audience is not None:
            before = {p for p, a in self.audience.get(key, {}).items() if a}
            self.set_audience(key, set(audience))
            if set(audience) != before and key not in self.new_audience:
                _follow_parent(self, key, set(audience))


def _too_large(op: Op, text: str) -> OpResult | None:
    """A refusal when a record's stored JSON is over the limit (UTF-8 bytes; encoded only
    when the characters alone could be over it)."""
    if len(text) * 3 > MAX_PAYLOAD_BYTES and len(text.encode()) > MAX_PAYLOAD_BYTES:
        return _rejected(op, "too_large", _("单条记录过大（超过 1 MB），请把大内容作为附件上传"))
    return None


def _apply(batch: _Batch, op: Op) -> OpResult:
    collection = op.entity
    if collection not in SYNC_COLLECTIONS:
        return _rejected(
            op, "unknown_collection", _("未知的数据类别：{name}").format(name=collection)
        )
    if collection in ORG_COLLECTIONS:
        return _rejected(op, "read_only", _("组织机构数据只能由系统管理员在服务器上修改"))
    if collection in SERVER_COLLECTIONS:
        return _rejected(op, "read_only", _("该类数据只能由管理员在服务器上维护"))
    key = (collection, op.entity_id)
    rec = batch.records.get(key)
    payload = {k: v for k, v in op.payload.items() if k not in LOCAL_FIELDS}
    if op.kind == "action":
        if rec is not None:
            return _rejected(op, "duplicate", _("该操作记录已存在"))
        return _create(batch, op, payload)
    if rec is None:
        if op.kind == "delete" or op.base_rev != 0:
            return _forbidden(op)
        return _create(batch, op, payload)
    if not batch.visible(key):
        return _forbidden(op)
    if op.kind == "delete":
        if rec.deleted:
            return OpResult(op_id=op.op_id, status="applied", rev=rec.rev)
        if rec.rev != op.base_rev:
            return OpResult(
                op_id=op.op_id,
                status="conflict",
                server_record=_record_out(rec),
                message=_("该记录在您删除之前已被他人修改，删除未执行"),
            )
        ruled = _rule(batch, op, {}, _envelope(rec))
        if isinstance(ruled, OpResult):
            return ruled
        rec.deleted = True
        rec.updated_by, rec.updated_at = str(batch.user.id), batch.now
        result = OpResult(op_id=op.op_id, status="applied")
        batch.take_rev(rec, result)
        return result
    current = _envelope(rec)
    if rec.deleted or (rec.rev != op.base_rev and not _rebases(batch, op, payload, current)):
        return OpResult(
            op_id=op.op_id,
            status="conflict",
            server_record=_record_out(rec),
            message=_("该记录已被删除") if rec.deleted else _("该记录已被他人修改"),
        )
    ruled = _rule(batch, op, payload, current)
    if isinstance(ruled, OpResult):
        return ruled
    payload, status, message = ruled
    payload["unit_id"] = rec.unit_id  # ownership does not move by editing
    text = dumps(payload)
    if refused := _too_large(op, text):
        return refused
    audience = audience_of(payload, unit_id=rec.unit_id or "", author=rec.created_by)
    before = {p for p, active in batch.audience.get(key, {}).items() if active}
    batch.set_audience(key, audience)
    rec.data = text
    rec.updated_by, rec.updated_at = str(batch.user.id), batch.now
    result = OpResult(op_id=op.op_id, status=status, message=message,
                      code="superseded" if status == "superseded" else None)
    batch.take_rev(rec, result)
    if audience != before:  # after the parent's revision: readers get the parent first
        _follow_parent(batch, key, audience)
    _effects(batch, op, payload, current)
    return result


def _rule(batch: _Batch, op: Op, payload: dict, current: dict | None
          ) -> OpResult | tuple[dict, str, str | None]:
    """Ask the collection's authority (if any): a rejection, or (payload, status, message)."""
    authority = authority_for(op.entity)
    if authority is None:
        return payload, "applied", None
    ruling: Ruling = authority.check(batch.ctx, op, dict(payload), current)
    if ruling.status == "reject":
        return _rejected(op, ruling.code or "refused", ruling.message or _("服务器拒绝了该操作"))
    out = {k: v for k, v in (ruling.payload or {}).items() if k not in LOCAL_FIELDS + ENVELOPE}
    status = "superseded" if ruling.status == "supersede" else "applied"
    return out, status, ruling.message if status == "superseded" else None


def _rebases(batch: _Batch, op: Op, payload: dict, current: dict) -> bool:
    """Whether the collection's authority lets a stale op apply to the current record."""
    authority = authority_for(op.entity)
    return authority is not None and authority.rebase(batch.ctx, op, dict(payload), current)


def _effects(batch: _Batch, op: Op, payload: dict, current: dict | None) -> None:
    authority = authority_for(op.entity)
    if authority is not None:
        authority.effects(batch.ctx, op, payload, current)


def _create(batch: _Batch, op: Op, payload: dict) -> OpResult:
    user = batch.user
    unit_id = str(payload.get("unit_id") or user.unit_id)
    parent_key = parent_of(op.entity, payload)
    if parent_key is not None:
        parent_rec = batch.records.get(parent_key)
        if parent_rec is None or not batch.visible(parent_key):
            return _forbidden(op)
        audience = {p for p, active in batch.audience[parent_key].items() if active}
        unit_id = parent_rec.unit_id or unit_id
    else:
        if unit_id != str(user.unit_id):
            return _forbidden(op)
        audience = None
    ruled = _rule(batch, op, payload, None)
    if isinstance(ruled, OpResult):
        return ruled
    payload, status, message = ruled
    if audience is None:
        audience = audience_of(payload, unit_id=unit_id, author=str(user.id))
    payload["unit_id"] = unit_id
    text = dumps(payload)
    if refused := _too_large(op, text):
        return refused
    key = (op.entity, op.entity_id)
    rec = StoredRecord(
        op.entity, op.entity_id, 0, False, text, unit_id,
        f"{parent_key[0]}:{parent_key[1]}" if parent_key is not None else None,
        str(user.id), str(user.id), batch.now, stored=False)
    batch.keep(rec)
    batch.new_audience.add(key)
    batch.set_audience(key, audience)
    result = OpResult(op_id=op.op_id, status=status, message=message,
                      code="superseded" if status == "superseded" else None)
    batch.take_rev(rec, result)
    _effects(batch, op, payload, None)
    return result


def _follow_parent(batch: _Batch, key: tuple[str, str], audience: set[str]) -> None:
    """Children (flow events, revisions, attachments) are seen by whoever sees the parent:
    give them the new audience and a new revision, so gainers get them and losers get
    tombstones on their next pull."""
    parent = f"{key[0]}:{key[1]}"
    batch.adopt(read_records(batch.session, select_records(RECORDS.c.parent == parent)))
    # the stored children, and those this batch made (not written yet)
    for child in list(batch.by_parent.get(parent, ())):
        child_key = (child.collection, child.id)
        batch.set_audience(child_key, set(audience))
        batch.take_rev(child, OpResult(op_id="", status="applied"))


def lock_counter(session: Session) -> int:
    """Lock the revision counter for this transaction; return its value."""
    query = select(SyncCounter.value).where(SyncCounter.name == COUNTER)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return int(session.scalar(query) or 0)


def apply_batch(
    session: Session, *, user: User, device_id: str, ops: list[Op], now: datetime
) -> list[OpResult]:
    """Apply ops in order (each once); the caller commits."""
    top = lock_counter(session)
    ids = [op.op_id for op in ops]
    stored: dict[str, OpResult] = {}
    for part in _chunks(ids):
        for op_id, result in session.execute(
            select(SyncOp.op_id, SyncOp.result).where(
                SyncOp.device_id == device_id, SyncOp.op_id.in_(part)
            )
        ):
            stored[op_id] = OpResult.model_validate_json(result)
    keys: set[tuple[str, str]] = set()
    for op in ops:
        keys.add((op.entity, op.entity_id))
        parent_key = parent_of(op.entity, op.payload)
        if parent_key is not None:
            keys.add(parent_key)
    batch = _Batch(session=session, user=user, now=now, principals=set(principals_of(user)),
                   device_id=device_id)
    batch.load(keys)

    results: list[OpResult] = []
    fresh: list[tuple[Op, OpResult]] = []
    for op in ops:
        if op.op_id in stored:
            results.append(stored[op.op_id])
            continue
        try:
            result = _apply(batch, op)
        except ValidationError as exc:
            result = _rejected(op, "validation", exc.message)
        stored[op.op_id] = result  # a duplicate later in the same batch gets the same answer
        fresh.append((op, result))
        results.append(result)

    _finish(batch, top)
    if fresh:
        created_at, user_id = datetime_param(session)(now), str(user.id)
        run_many(session, _OPS_SQL, [
            {"device_id": device_id, "op_id": op.op_id, "user_id": user_id,
             "result": result.model_dump_json(), "created_at": created_at}
            for op, result in fresh
        ])
    return results


def _finish(batch: _Batch, top: int) -> None:
    """Revisions in op order, taken in one step under the lock held since the start."""
    session = batch.session
    if batch.needs_rev:
        first = top + 1
        for offset, (rec, result) in enumerate(batch.needs_rev):
            rec.rev = first + offset
            result.rev = rec.rev
        session.execute(
            update(SyncCounter)
            .where(SyncCounter.name == COUNTER)
            .values(value=top + len(batch.needs_rev))
        )
    _write_records(batch)
    _write_audience(batch)


@contextmanager
def server_batch(session: Session, *, user: User, now: datetime) -> Iterator[Ctx]:
    """A server-initiated change (催办 by the clock, an admin endpoint): the same `Ctx` the
    authorities get in a push, under the revision lock; revisions are taken on exit.
    The caller commits."""
    top = lock_counter(session)
    batch = _Batch(session=session, user=user, now=now, principals=set(principals_of(user)))
    yield batch.ctx
    _finish(batch, top)


def _write_records(batch: _Batch) -> None:
    """Insert the batch's new records and update the changed ones (each once)."""
    inserts, updates, seen = [], [], set()
    when = datetime_param(batch.session)
    for rec, _result in batch.needs_rev:
        if id(rec) in seen:
            continue
        seen.add(id(rec))
        (updates if rec.stored else inserts).append(rec.row(when))
        rec.stored = True
    if inserts:
        run_many(batch.session, _INSERT_SQL, inserts)
    if updates:
        run_many(batch.session, _UPDATE_SQL, updates)


def _write_audience(batch: _Batch) -> None:
    """Insert new audience rows and flip `active` where it changed, in two statements."""
    inserts, updates = [], []
    for key in batch.audience_dirty:
        before = batch.stored_audience.get(key, {})
        for principal, active in batch.audience[key].items():
            row = {"collection": key[0], "record_id": key[1], "principal": principal,
                   "active": active}
            if principal not in before:
                inserts.append(row)
            elif before[principal] != active:
                updates.append(row)
    conn = batch.session.connection()
    if inserts:
        conn.execute(insert(AUDIENCE), inserts)
    if updates:
        conn.execute(_AUDIENCE_UPDATE, [
            {"k_collection": u["collection"], "k_record_id": u["record_id"],
             "k_principal": u["principal"], "active": u["active"]} for u in updates])
