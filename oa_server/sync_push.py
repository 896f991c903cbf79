"""Applying a pushed batch: every op once, in order, with a few queries for the whole batch.

The tenant's revision counter row is locked (SELECT … FOR UPDATE on PostgreSQL;
SQLite's BEGIN IMMEDIATE already serialises writers) before anything is written and
held until commit, and revisions are taken in one step at the end: revision N+1
never commits before N. On PostgreSQL the ops are applied once in memory before the
lock (records read by key), and that pass stands if, under the lock, none of the
records it read has moved; pushes then wait for each other only while they write
and commit. A pass that moved records, or needed a range of records, a number or
the audit chain, is done again under the lock. Records, their audience and
earlier results of the ops are loaded in bulk (plain rows, no ORM objects: loading
and flushing a thousand of those cost more than applying the ops), the ops applied
in memory in order, and everything is written at the end in a few executemany
statements.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from oa_client.domain.indexed import INDEXED_FIELDS, is_text_list
from oa_client.errors import ValidationError
from oa_server import live
from oa_server.authority import Ruling, authority_for
from oa_server.authority.context import Ctx
from oa_server.blob_access import names_new_blob, refused_reference
from oa_server.errors import NeedsLock
from oa_server.i18n import _
from oa_server.meeting_spans import write_spans
from oa_server.models import User
from oa_server.schemas import MAX_SEQ
from oa_server.sync_batch import (
    LOCAL_FIELDS,
    NOT_STORED,
    Batch,
    chunks,
    dumps_exact,
    envelope,
    parent_of,
    wide_int,
)
from oa_server.sync_models import SyncCounter, SyncOp
from oa_server.sync_rows import (
    AUDIENCE,
    COLUMNS,
    RECORDS,
    StoredRecord,
    datetime_param,
    insert_sql,
    op_results,
    revs_by_ids,
    run_many,
)
from oa_server.visibility import principals_of
from sync.protocol import (
    MAX_PAYLOAD_BYTES,
    ORG_COLLECTIONS,
    SERVER_COLLECTIONS,
    SYNC_COLLECTIONS,
    Op,
    OpResult,
    Record,
)

COUNTER = "rev"
AUDIENCE_KEYS = ("audience_units", "audience_users", "audience_roles")


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


def check_lists(payload: dict) -> None:
    """A record's audience lists, when a client sends them, are lists of strings (they
    widen nothing: `oa_server.visibility` decides who sees a record)."""
    for key in AUDIENCE_KEYS:
        values = payload.get(key)
        if values is None:
            continue
        if not is_text_list(values):
            raise ValidationError(_("{key} 必须是字符串列表").format(key=key), field=key)


def check_single_values(collection: str, payload: dict) -> None:
    """The fields every desk keeps in an indexed column hold one value each: a list or an
    object there could not be stored on any desk that sees the record."""
    for key in INDEXED_FIELDS.get(collection, ()):
        value = payload.get(key)
        if value is None or type(value) is str:
            continue  # (most are: checked first)
        if isinstance(value, (list, dict)):
            raise ValidationError(_("“{key}”只能填写单个值，不能是列表或对象").format(key=key),
                                  field=key)
        if type(value) is int and not -(2**63) <= value <= MAX_SEQ:  # a desk's column: 64 bits
            raise ValidationError(_("“{key}”的数值超出范围").format(key=key), field=key)


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


def _too_large(op: Op, text: str) -> OpResult | None:
    """A refusal when a record's stored JSON is over the limit (UTF-8 bytes; encoded only
    when the characters alone could be over it)."""
    if len(text) * 3 > MAX_PAYLOAD_BYTES and len(text.encode()) > MAX_PAYLOAD_BYTES:
        return _rejected(op, "too_large", _("单条记录过大（超过 1 MB），请把大内容作为附件上传"))
    return None


def _stored_text(op: Op, payload: dict) -> str | OpResult:
    """The record's stored JSON, or the op's refusal: an integer the desks would read back
    with digits lost (past 64 bits), or more than the size limit."""
    text = dumps_exact(payload)
    if text is None:
        number = str(wide_int(payload))
        shown = number if len(number) <= 40 else number[:36] + "…"
        return _rejected(op, "validation", _("数值超出范围：{number} 超过 64 位整数，读回时会丢失位数；"
                                             "请核对数值，或作为文字填写").format(number=shown))
    return _too_large(op, text) or text


def _apply(batch: Batch, ctx: Ctx, op: Op) -> OpResult:
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
    payload = dict(op.payload)
    for local in LOCAL_FIELDS:  # (a copy, then the few keys dropped: cheaper than a filter)
        payload.pop(local, None)
    check_lists(payload)
    check_single_values(collection, payload)
    if op.kind == "action":
        if rec is not None:  # taken: said only to whoever sees it (else: as for any refusal)
            if not batch.visible(key):
                return _forbidden(op)
            return _rejected(op, "duplicate", _("该操作记录已存在"))
        return _create(batch, ctx, op, payload)
    if rec is None:
        if op.kind == "delete" or op.base_rev != 0:
            return _forbidden(op)
        return _create(batch, ctx, op, payload)
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
        ruled = _rule(ctx, op, {}, envelope(rec))
        if isinstance(ruled, OpResult):
            return ruled
        rec.deleted = True
        rec.updated_by, rec.updated_at = batch.user_id, batch.now
        result = OpResult(op_id=op.op_id, status="applied")
        batch.take_rev(rec, result)
        return result
    current = envelope(rec)
    if rec.deleted or (rec.rev != op.base_rev and not _rebases(ctx, op, payload, current)):
        return OpResult(
            op_id=op.op_id,
            status="conflict",
            server_record=_record_out(rec),
            message=_("该记录已被删除") if rec.deleted else _("该记录已被他人修改"),
        )
    ruled = _rule(ctx, op, payload, current)
    if isinstance(ruled, OpResult):
        return ruled
    payload, status, message = ruled
    payload["unit_id"] = rec.unit_id  # ownership does not move by editing
    parent_key = parent_of(collection, payload)
    if rec.parent != (f"{parent_key[0]}:{parent_key[1]}" if parent_key else None):
        return _rejected(op, "validation", _("附属记录不能改挂到其他记录下"))
    if refused := _reference(batch, op, payload, current):
        return refused
    text = _stored_text(op, payload)
    if isinstance(text, OpResult):
        return text
    rec.data = text
    rec.updated_by, rec.updated_at = batch.user_id, batch.now
    result = OpResult(op_id=op.op_id, status=status, message=message,
                      code="superseded" if status == "superseded" else None)
    batch.take_rev(rec, result)
    batch.settle_audience(rec, payload)
    _effects(ctx, op, payload, current)
    return result


def _rule(ctx: Ctx, op: Op, payload: dict, current: dict | None
          ) -> OpResult | tuple[dict, str, str | None]:
    """Ask the collection's authority (if any): a rejection, or (payload, status, message)."""
    authority = authority_for(op.entity)
    if authority is None:
        return payload, "applied", None
    ruling: Ruling = authority.check(ctx, op, dict(payload), current)
    if ruling.status == "reject":
        return _rejected(op, ruling.code or "refused", ruling.message or _("服务器拒绝了该操作"))
    out = dict(ruling.payload or {})
    for field in NOT_STORED:
        out.pop(field, None)
    status = "superseded" if ruling.status == "supersede" else "applied"
    return out, status, ruling.message if status == "superseded" else None


def _reference(batch: Batch, op: Op, payload: dict, current: dict | None) -> OpResult | None:
    """A refusal when the record names a blob its author may not attach (blob_access)."""
    if not names_new_blob(op.entity, payload, current):
        return None
    batch.needs_lock()  # whether others' records name it: a read of a range
    found = refused_reference(batch.session, user=batch.user, principals=batch.principals,
                              collection=op.entity, payload=payload, current=current)
    return _rejected(op, *found) if found else None


def _rebases(ctx: Ctx, op: Op, payload: dict, current: dict) -> bool:
    """Whether the collection's authority lets a stale op apply to the current record."""
    authority = authority_for(op.entity)
    return authority is not None and authority.rebase(ctx, op, dict(payload), current)


def _effects(ctx: Ctx, op: Op, payload: dict, current: dict | None) -> None:
    authority = authority_for(op.entity)
    if authority is not None:
        authority.effects(ctx, op, payload, current)


def _create(batch: Batch, ctx: Ctx, op: Op, payload: dict) -> OpResult:
    user = batch.user
    unit_id = str(payload.get("unit_id") or user.unit_id)
    parent_key = parent_of(op.entity, payload)
    if parent_key is not None:
        parent_rec = batch.records.get(parent_key)
        if parent_rec is None or not batch.visible(parent_key):
            return _forbidden(op)
        unit_id = parent_rec.unit_id or unit_id
    elif unit_id != str(user.unit_id):
        return _forbidden(op)
    ruled = _rule(ctx, op, payload, None)
    if isinstance(ruled, OpResult):
        return ruled
    payload, status, message = ruled
    if refused := _reference(batch, op, payload, None):
        return refused
    payload["unit_id"] = unit_id
    text = _stored_text(op, payload)
    if isinstance(text, OpResult):
        return text
    key = (op.entity, op.entity_id)
    rec = StoredRecord(
        op.entity, op.entity_id, 0, False, text, unit_id,
        f"{parent_key[0]}:{parent_key[1]}" if parent_key is not None else None,
        batch.user_id, batch.user_id, batch.now, stored=False)
    batch.keep(rec)
    batch.new_audience.add(key)
    batch.settle_audience(rec, payload)
    result = OpResult(op_id=op.op_id, status=status, message=message,
                      code="superseded" if status == "superseded" else None)
    batch.take_rev(rec, result)
    _effects(ctx, op, payload, None)
    return result


def lock_counter(session: Session) -> int:
    """Lock the revision counter for this transaction; return its value."""
    query = select(SyncCounter.value).where(SyncCounter.name == COUNTER)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return int(session.scalar(query) or 0)


def apply_batch(
    session: Session, *, user: User, device_id: str, ops: list[Op], now: datetime
) -> list[OpResult]:
    """Apply ops in order (each once); the caller commits.

    On PostgreSQL the ops are first applied in memory without the revision lock, reading
    records by key only; under the lock, if none of those records moved meanwhile, that
    pass stands and only the writes and the commit wait for other pushes. Otherwise (or
    when the pass needed more than keyed reads: `NeedsLock`) it is done again under the
    lock, as on SQLite, whose BEGIN IMMEDIATE already holds every writer back."""
    done: _Pass | None = None
    if ops and session.get_bind().dialect.name == "postgresql":
        try:
            done = _pass(session, user=user, device_id=device_id, ops=ops, now=now,
                         unlocked=True)
        except NeedsLock:
            pass  # applied under the lock below
    top = lock_counter(session)
    if done is None or not unchanged(done.batch):
        done = _pass(session, user=user, device_id=device_id, ops=ops, now=now)
    _finish(done.batch, top)
    if done.fresh:
        created_at, user_id = datetime_param(session)(now), str(user.id)
        run_many(session, _OPS_SQL, [
            {"device_id": device_id, "op_id": op.op_id, "user_id": user_id,
             "result": result.model_dump_json(), "created_at": created_at}
            for op, result in done.fresh
        ])
    return done.results


@dataclass
class _Pass:
    """One application of a batch's ops in memory: nothing written yet."""

    batch: Batch
    results: list[OpResult]
    fresh: list[tuple[Op, OpResult]]


def _pass(session: Session, *, user: User, device_id: str, ops: list[Op], now: datetime,
          unlocked: bool = False) -> _Pass:
    """Apply the ops in memory, reading what they touch (`unlocked`: by key only)."""
    ids = [op.op_id for op in ops]
    stored: dict[str, OpResult] = {}
    for part in chunks(ids):
        for op_id, result in op_results(session, user_id=str(user.id), device_id=device_id,
                                        op_ids=part):
            stored[op_id] = OpResult.model_validate_json(result)
    keys: set[tuple[str, str]] = set()
    for op in ops:
        keys.add((op.entity, op.entity_id))
        parent_key = parent_of(op.entity, op.payload)
        if parent_key is not None:
            keys.add(parent_key)
    batch = Batch(session=session, user=user, now=now, principals=set(principals_of(user)),
                  device_id=device_id, unlocked=unlocked)
    batch.load(keys)
    ctx = Ctx(batch)  # the authorities' view of this batch

    results: list[OpResult] = []
    fresh: list[tuple[Op, OpResult]] = []
    for op in ops:
        if op.op_id in stored:
            results.append(stored[op.op_id])
            continue
        try:
            result = _apply(batch, ctx, op)
        except ValidationError as exc:
            result = _rejected(op, "validation", exc.message)
        stored[op.op_id] = result  # a duplicate later in the same batch gets the same answer
        fresh.append((op, result))
        results.append(result)
    return _Pass(batch, results, fresh)


def unchanged(batch: Batch) -> bool:
    """Under the lock: whether every record a pass without it read is still at the revision
    it read, and every key it found absent still absent (a pushed op's result stored
    meanwhile is caught by the ops table's unique key: `sync_service.push` retries)."""
    by_collection: dict[str, list[str]] = {}
    for collection, rid in (*batch.read_revs, *batch.absent):
        by_collection.setdefault(collection, []).append(rid)
    for collection, ids in by_collection.items():
        for part in chunks(ids):
            for rid, rev in revs_by_ids(batch.session, collection, part):
                if batch.read_revs.get((collection, rid)) != rev:
                    return False  # moved, or made since it was found absent
    return True


def _finish(batch: Batch, top: int) -> None:
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
        # waiters hear it on commit: the batch names who sees what it moved (every audience
        # row of those records, as `live.audience_since` would read them back)
        who: set[str] = set()
        for rec, _result in batch.needs_rev:
            who.update(batch.audience.get((rec.collection, rec.id), ()))
        live.revision_taken(session, top + len(batch.needs_rev), first=first, who=who)
    _write_records(batch)
    _write_audience(batch)
    meetings = {id(rec): rec for rec, _result in batch.needs_rev if rec.collection == "meetings"}
    if meetings:
        write_spans(session, meetings.values())


@contextmanager
def server_batch(session: Session, *, user: User, now: datetime,
                 device_id: str | None = None) -> Iterator[Ctx]:
    """A server-initiated change (催办 by the clock, an admin endpoint, a pull's 送达): the same
    `Ctx` the authorities get in a push, under the revision lock; revisions are taken on exit.
    The caller commits."""
    top = lock_counter(session)
    batch = Batch(session=session, user=user, now=now, principals=set(principals_of(user)),
                  device_id=device_id)
    yield Ctx(batch)
    _finish(batch, top)


def _write_records(batch: Batch) -> None:
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


def _write_audience(batch: Batch) -> None:
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
