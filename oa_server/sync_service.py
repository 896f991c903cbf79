"""The sync service: apply pushed ops once, hand out revisions in commit order, pull by cursor.

Revisions: one counter row per tenant, incremented inside the pushing transaction.
The row lock is held until commit, so revision N+1 cannot commit before N and a
reader paging by `rev > cursor AND rev <= high_water` never skips one (on
PostgreSQL with several workers as well as on SQLite).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oa_client.errors import ConflictError, ValidationError
from oa_server import audit, authz
from oa_server.i18n import _
from oa_server.models import ServerSecret, User
from oa_server.sync_models import SyncAudience, SyncCounter, SyncOp, SyncRecord
from sync.protocol import (
    MAX_PAYLOAD_BYTES,
    ORG_COLLECTIONS,
    SYNC_COLLECTIONS,
    CollectionDigest,
    DigestResponse,
    Op,
    OpResult,
    PullResponse,
    Record,
    digest_of,
)

COUNTER = "rev"
#: child collections whose records inherit who-sees-them from a parent record
PARENTS = {
    "document_events": ("documents", "document_id"),
    "document_revisions": ("documents", "document_id"),
}
AUDIENCE_KEYS = ("audience_units", "audience_users", "audience_roles")


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def server_id(session: Session) -> str:
    """This database's identity; a restore from backup or another server shows a new one."""
    row = session.get(ServerSecret, "server_id")
    if row is None:
        row = ServerSecret(name="server_id", value=str(uuid.uuid4()))
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # another worker made it first
            session.rollback()
            row = session.get(ServerSecret, "server_id")
            assert row is not None
    return row.value


def high_water(session: Session) -> int:
    """The newest committed revision."""
    value = session.scalar(select(SyncCounter.value).where(SyncCounter.name == COUNTER))
    return int(value or 0)


def _next_rev(session: Session) -> int:
    """Take the next revision under the counter's row lock (held until commit)."""
    result = session.execute(
        update(SyncCounter)
        .where(SyncCounter.name == COUNTER)
        .values(value=SyncCounter.value + 1)
        .returning(SyncCounter.value)
    ).scalar()
    if result is None:
        session.add(SyncCounter(name=COUNTER, value=1))
        session.flush()
        return 1
    return int(result)


def principals_of(user: User) -> list[str]:
    """Every principal a user sees records through: self, unit, roles."""
    out = [f"user:{user.id}", f"unit:{user.unit_id}"]
    out.extend(f"role:{r}" for r in user.roles)
    return out


def _audience(payload: dict, *, unit_id: str, author: str) -> set[str]:
    principals = {f"unit:{unit_id}", f"user:{author}"}
    for key, prefix in zip(AUDIENCE_KEYS, ("unit", "user", "role"), strict=True):
        values = payload.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError(_("{key} 必须是字符串列表").format(key=key), field=key)
        principals.update(f"{prefix}:{v}" for v in values)
    return principals


def _visible(session: Session, *, collection: str, record_id: str, principals: list[str]) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    SyncAudience.collection == collection,
                    SyncAudience.record_id == record_id,
                    SyncAudience.principal.in_(principals),
                    SyncAudience.active.is_(True),
                )
            )
        )
    )


def _set_audience(
    session: Session, *, collection: str, record_id: str, principals: set[str]
) -> None:
    rows = session.scalars(
        select(SyncAudience).where(
            SyncAudience.collection == collection, SyncAudience.record_id == record_id
        )
    ).all()
    have = {r.principal: r for r in rows}
    for p, row in have.items():
        row.active = p in principals  # lost sight → inactive: the user gets a tombstone
    for p in principals - set(have):
        session.add(SyncAudience(collection=collection, record_id=record_id, principal=p))


def _record_out(rec: SyncRecord) -> Record:
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


def _apply(session: Session, *, user: User, op: Op, now: datetime) -> OpResult:
    collection = op.entity
    if collection not in SYNC_COLLECTIONS:
        return _rejected(
            op, "unknown_collection", _("未知的数据类别：{name}").format(name=collection)
        )
    if collection in ORG_COLLECTIONS:
        return _rejected(op, "read_only", _("组织机构数据只能由系统管理员在服务器上修改"))
    if len(_json(op.payload).encode()) > MAX_PAYLOAD_BYTES:
        return _rejected(op, "too_large", _("单条记录过大（超过 1 MB），请把大内容作为附件上传"))
    principals = principals_of(user)
    rec = session.get(SyncRecord, (collection, op.entity_id))
    payload = {
        k: v for k, v in op.payload.items() if k not in ("id", "rev", "deleted", "updated_at")
    }

    if op.kind == "action":
        if rec is not None:
            return _rejected(op, "duplicate", _("该操作记录已存在"))
        return _create(session, user=user, op=op, payload=payload, now=now, principals=principals)

    if rec is None:
        if op.kind == "delete" or op.base_rev != 0:
            return _forbidden(op)
        return _create(session, user=user, op=op, payload=payload, now=now, principals=principals)
    if not _visible(session, collection=collection, record_id=rec.id, principals=principals):
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
        rec.deleted, rec.rev = True, _next_rev(session)
        rec.updated_by, rec.updated_at = str(user.id), now
        return OpResult(op_id=op.op_id, status="applied", rev=rec.rev)
    # upsert of an existing record
    if rec.deleted or rec.rev != op.base_rev:
        return OpResult(
            op_id=op.op_id,
            status="conflict",
            server_record=_record_out(rec),
            message=_("该记录已被删除") if rec.deleted else _("该记录已被他人修改"),
        )
    payload["unit_id"] = rec.unit_id  # ownership does not move by editing
    _set_audience(
        session,
        collection=collection,
        record_id=rec.id,
        principals=_audience(payload, unit_id=rec.unit_id or "", author=rec.created_by),
    )
    rec.data, rec.rev = _json(payload), _next_rev(session)
    rec.updated_by, rec.updated_at = str(user.id), now
    return OpResult(op_id=op.op_id, status="applied", rev=rec.rev)


def _create(
    session: Session, *, user: User, op: Op, payload: dict, now: datetime, principals: list[str]
) -> OpResult:
    parent = PARENTS.get(op.entity)
    audience: set[str]
    unit_id = str(payload.get("unit_id") or user.unit_id)
    if parent:
        parent_collection, key = parent
        parent_id = payload.get(key)
        parent_rec = session.get(SyncRecord, (parent_collection, str(parent_id or "")))
        if parent_rec is None or not _visible(
            session, collection=parent_collection, record_id=parent_rec.id, principals=principals
        ):
            return _forbidden(op)
        audience = set(
            session.scalars(
                select(SyncAudience.principal).where(
                    SyncAudience.collection == parent_collection,
                    SyncAudience.record_id == parent_rec.id,
                    SyncAudience.active.is_(True),
                )
            ).all()
        )
        unit_id = parent_rec.unit_id or unit_id
    else:
        if unit_id != str(user.unit_id):
            return _forbidden(op)
        audience = _audience(payload, unit_id=unit_id, author=str(user.id))
    payload["unit_id"] = unit_id
    rec = SyncRecord(
        collection=op.entity,
        id=op.entity_id,
        rev=_next_rev(session),
        deleted=False,
        data=_json(payload),
        unit_id=unit_id,
        created_by=str(user.id),
        updated_by=str(user.id),
        updated_at=now,
    )
    session.add(rec)
    session.flush()
    _set_audience(session, collection=op.entity, record_id=rec.id, principals=audience)
    return OpResult(op_id=op.op_id, status="applied", rev=rec.rev)


def push(
    session: Session, *, user: User, device_id: str, ops: list[Op], now: datetime
) -> list[OpResult]:
    """Apply a batch once each: a resent op gets its stored result, never a second application."""
    authz.require_business_user(user)
    results: list[OpResult] = []
    applied = 0
    for op in ops:
        stored = session.get(SyncOp, (device_id, op.op_id))
        if stored is not None:
            results.append(OpResult.model_validate_json(stored.result))
            continue
        try:
            with session.begin_nested():
                try:
                    result = _apply(session, user=user, op=op, now=now)
                except ValidationError as exc:
                    result = _rejected(op, "validation", exc.message)
                session.add(
                    SyncOp(
                        device_id=device_id,
                        op_id=op.op_id,
                        user_id=str(user.id),
                        result=result.model_dump_json(),
                        created_at=now,
                    )
                )
                session.flush()
        except IntegrityError:
            # the same op arrived twice at once: the other transaction's result stands
            stored = session.get(SyncOp, (device_id, op.op_id))
            if stored is None:
                raise
            result = OpResult.model_validate_json(stored.result)
        applied += result.status == "applied"
        results.append(result)
    if ops:
        audit.append(
            session,
            actor=f"user:{user.id}",
            action="sync.push",
            target=f"device:{device_id}",
            details={
                "ops": len(ops),
                "applied": applied,
                "rejected": sum(r.status == "rejected" for r in results),
                "conflicts": sum(r.status == "conflict" for r in results),
            },
        )
    session.commit()
    return results


def pull(
    session: Session,
    *,
    user: User,
    cursor: int,
    limit: int,
    collection: str | None,
    client_server_id: str | None,
    now: datetime,
) -> PullResponse:
    """Changes the user may see after `cursor`, in revision order; lost sight → tombstones."""
    authz.require_business_user(user)
    sid = server_id(session)
    session.commit()
    if client_server_id and client_server_id != sid:
        raise ConflictError(
            _("服务器数据已变更（可能从备份恢复），客户端将重新下载全部数据，本机数据不会被删除"),
            reason="server_changed",
            server_id=sid,
        )
    hw = high_water(session)
    if cursor > hw:
        raise ConflictError(
            _("同步位置超出服务器范围，客户端将重新下载全部数据"),
            reason="cursor_ahead",
            high_water=hw,
        )
    if collection is not None and collection not in SYNC_COLLECTIONS:
        raise ValidationError(
            _("未知的数据类别：{name}").format(name=collection), field="collection"
        )
    principals = principals_of(user)
    match = and_(
        SyncAudience.collection == SyncRecord.collection,
        SyncAudience.record_id == SyncRecord.id,
        SyncAudience.principal.in_(principals),
    )
    visible_now = exists().where(match, SyncAudience.active.is_(True))
    query = (
        select(SyncRecord, visible_now.label("visible"))
        .where(SyncRecord.rev > cursor, SyncRecord.rev <= hw, exists().where(match))
        .order_by(SyncRecord.rev)
        .limit(limit)
    )
    if collection is not None:
        query = query.where(SyncRecord.collection == collection)
    changes = []
    for rec, visible in session.execute(query).all():
        out = _record_out(rec)
        if not visible:
            out = Record(collection=rec.collection, id=rec.id, rev=rec.rev, deleted=True)
        changes.append(out)
    has_more = len(changes) == limit
    next_cursor = changes[-1].rev if has_more else hw
    return PullResponse(
        server_id=sid,
        changes=changes,
        next_cursor=next_cursor,
        has_more=has_more,
        high_water=hw,
        server_time=now.isoformat(),
    )


def digest(session: Session, *, user: User) -> DigestResponse:
    """Per-collection count and digest of the live records the user sees."""
    authz.require_business_user(user)
    principals = principals_of(user)
    visible = exists().where(
        SyncAudience.collection == SyncRecord.collection,
        SyncAudience.record_id == SyncRecord.id,
        SyncAudience.principal.in_(principals),
        SyncAudience.active.is_(True),
    )
    hw = high_water(session)
    rows = session.execute(
        select(SyncRecord.collection, SyncRecord.id, SyncRecord.rev).where(
            SyncRecord.deleted.is_(False), SyncRecord.rev <= hw, visible
        )
    ).all()
    per: dict[str, list[tuple[str, int]]] = {}
    for collection, rid, rev in rows:
        per.setdefault(collection, []).append((rid, int(rev)))
    return DigestResponse(
        server_id=server_id(session),
        high_water=hw,
        collections={
            c: CollectionDigest(count=len(v), digest=digest_of(v)) for c, v in per.items()
        },
    )
