"""The sync service: apply pushed ops once, hand out revisions in commit order, pull by cursor.

Revisions: one counter row per tenant, locked at the start of the pushing
transaction (oa_server.sync_push) and held until commit, so revision N+1 cannot
commit before N and a reader paging by `rev > cursor AND rev <= high_water` never
skips one (on PostgreSQL with several workers as well as on SQLite).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oa_client.errors import ConflictError, ValidationError
from oa_server import audit, authz, live
from oa_server.i18n import _
from oa_server.models import User
from oa_server.server_secrets import shared_secret
from oa_server.sync_models import SyncAudience, SyncCounter, SyncRecord
from oa_server.sync_push import apply_batch
from oa_server.visibility import principals_of, sees, sees_by_record
from sync.protocol import (
    SYNC_COLLECTIONS,
    CollectionDigest,
    DigestResponse,
    Op,
    OpResult,
    PullResponse,
    digest_of,
)

COUNTER = "rev"
#: a str as a JSON string literal (the json module's C encoder, without dumps' overhead)
_quote = json.encoder.encode_basestring


_SERVER_IDS: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


def server_id(session: Session) -> str:
    """This database's identity; a restore from backup or another server shows a new one.

    Read once per engine (it never changes once made): every pull and push answers it."""
    engine = session.get_bind()
    cache = _SERVER_IDS if isinstance(engine, Engine) else {}
    known = cache.get(engine)
    if known is None:
        known = shared_secret(session, "server_id", make=lambda: str(uuid.uuid4()))
        session.commit()
        cache[engine] = known  # once it is stored for good
    return known


def _sees(user: User):
    """SQL: an audience row of the record in hand names one of the user's principals."""
    return sees(principals_of(user))


#: built once: every pull reads it
_HIGH_WATER = select(SyncCounter.value).where(SyncCounter.name == COUNTER)


def high_water(session: Session) -> int:
    """The newest committed revision."""
    return int(session.scalar(_HIGH_WATER) or 0)


def push(
    session: Session, *, user: User, device_id: str, ops: list[Op], now: datetime,
    nonfinite: frozenset[int] = frozenset(),
) -> list[OpResult]:
    """Apply a batch once each: a resent op gets its stored result, never a second application.
    `nonfinite`: the indexes of ops whose payload holds NaN or an infinity, each refused on
    its own (the desk keeps it for its user) while the others apply."""
    authz.require_business_user(user)
    for attempt in (1, 2):
        try:
            kept = [op for i, op in enumerate(ops) if i not in nonfinite] if nonfinite else ops
            results = apply_batch(session, user=user, device_id=device_id, ops=kept, now=now)
            if nonfinite:
                applied = iter(results)
                results = [_nonfinite(op) if i in nonfinite else next(applied)
                           for i, op in enumerate(ops)]
            if ops:
                audit.append(
                    session,
                    actor=f"user:{user.id}",
                    action="sync.push",
                    target=f"device:{device_id}",
                    details={
                        "ops": len(ops),
                        "applied": sum(r.status == "applied" for r in results),
                        "rejected": sum(r.status == "rejected" for r in results),
                        "conflicts": sum(r.status == "conflict" for r in results),
                    },
                )
            session.commit()
            return results
        except IntegrityError:
            # the same ops arrived twice at once: the other transaction's results stand
            session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _nonfinite(op: Op) -> OpResult:
    return OpResult(op_id=op.op_id, status="rejected", code="validation",
                    message=_("数值无效：不能是 NaN 或无穷大"))


def pull(
    session: Session,
    *,
    user: User,
    cursor: int,
    limit: int,
    collection: str | None,
    client_server_id: str | None,
    now: datetime,
) -> PullPage:
    """Changes the user may see after `cursor`, in revision order; lost sight → tombstones."""
    authz.require_business_user(user)
    sid = server_id(session)
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
    # SQLite seeks an index entry per principal otherwise (PostgreSQL plans it its own way)
    match = sees_by_record(principals_of(user)) if session.get_bind().dialect.name == "sqlite" \
        else _sees(user)
    visible_now = exists().where(match, SyncAudience.active.is_(True))
    query = (
        select(
            SyncRecord.collection,
            SyncRecord.id,
            SyncRecord.rev,
            SyncRecord.deleted,
            SyncRecord.data,
            visible_now.label("visible"),
        )
        .where(SyncRecord.rev > cursor, SyncRecord.rev <= hw, exists().where(match))
        .order_by(SyncRecord.rev)
        .limit(limit)
    )
    if collection is not None:
        query = query.where(SyncRecord.collection == collection)
    # Core, not the ORM: plain rows, no per-row ORM bookkeeping (a page can be 5,000 rows)
    rows = session.connection().execute(query).all()
    has_more = len(rows) == limit
    return PullPage(
        server_id=sid,
        rows=rows,
        next_cursor=rows[-1].rev if has_more else hw,
        has_more=has_more,
        high_water=hw,
        server_time=now.isoformat(),
    )


@dataclass
class PullPage:
    """A page of changes as read from the database, written as PullResponse JSON directly.

    The stored `data` is already JSON: it is spliced into the answer as it is, so a
    page of thousands of records costs no parse and re-serialise on the server.
    """

    server_id: str
    rows: list
    next_cursor: int
    has_more: bool
    high_water: int
    server_time: str

    def to_json(self) -> bytes:
        """The page as PullResponse JSON."""
        dumps = json.dumps
        quote = _quote
        heads: dict[str, str] = {}  # '{"collection":"documents","id":' once per collection
        parts = []
        for collection, rid, rev, deleted, data, visible in self.rows:
            head = heads.get(collection)
            if head is None:
                head = heads[collection] = f'{{"collection":{quote(collection)},"id":'
            if deleted or not visible:
                parts.append(f'{head}{quote(rid)},"rev":{int(rev)},"deleted":true,"data":{{}}}}')
            else:
                parts.append(f'{head}{quote(rid)},"rev":{int(rev)},"deleted":false,"data":{data}}}')
        head = (
            f'{{"server_id":{dumps(self.server_id)},"next_cursor":{self.next_cursor},'
            f'"has_more":{"true" if self.has_more else "false"},"high_water":{self.high_water},'
            f'"server_time":{dumps(self.server_time)},"changes":['
        )
        return (head + ",".join(parts) + "]}").encode()

    def to_model(self) -> PullResponse:
        """The page as a PullResponse (for callers inside the server)."""
        return PullResponse.model_validate_json(self.to_json())


#: digests this process worked out lately, per (user, principals): (high water, collections)
_DIGESTS: WeakKeyDictionary[Engine, OrderedDict[tuple, tuple[int, dict]]] = WeakKeyDictionary()
_DIGESTS_LOCK = threading.Lock()
DIGESTS_KEPT = 4096


def digest(session: Session, *, user: User) -> DigestResponse:
    """Per-collection count and digest of the live records the user sees.

    Read from the user's audience rows (by principal, on their index) to the records, not
    from every record of the tenant to its audience: a desk ends each sync with this, and
    its cost follows what the user sees, not what the whole city wrote (a record seen
    through several of the user's principals is counted once). A digest this process
    worked out before stands while the live hub vouches that no revision since named any
    of the user's principals (`live.RevisionHub.vouches_quiet`): a desk's periodic sync
    with nothing new for its user reads no records at all."""
    authz.require_business_user(user)
    hw = high_water(session)
    principals = principals_of(user)
    key = (str(user.id), tuple(principals))
    cache = _cache_of(session)
    known = _known_digest(cache, live.hub_of(session), key, principals, hw)
    if known is None:
        known = _digests(session, principals, hw)
        _keep_digest(cache, key, hw, known)
    return DigestResponse(server_id=server_id(session), high_water=hw, collections=known)


def _cache_of(session: Session) -> OrderedDict[tuple, tuple[int, dict]] | None:
    engine = session.get_bind()
    if not isinstance(engine, Engine):
        return None
    with _DIGESTS_LOCK:
        cache = _DIGESTS.get(engine)
        if cache is None:
            cache = _DIGESTS[engine] = OrderedDict()
        return cache


def _known_digest(cache: OrderedDict | None, hub: live.RevisionHub | None, key: tuple,
                  principals: list[str], hw: int) -> dict[str, CollectionDigest] | None:
    """The digest worked out before for `key`, if nothing of the user's moved since."""
    if cache is None or hub is None:
        return None
    with _DIGESTS_LOCK:
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
    if found is None or found[0] > hw or not hub.vouches_quiet(principals, found[0], hw):
        return None
    return found[1]


def _keep_digest(cache: OrderedDict | None, key: tuple, hw: int,
                 collections: dict[str, CollectionDigest]) -> None:
    if cache is None:
        return
    with _DIGESTS_LOCK:
        cache[key] = (hw, collections)
        cache.move_to_end(key)
        while len(cache) > DIGESTS_KEPT:
            cache.popitem(last=False)


def _digests(session: Session, principals: list[str], hw: int
             ) -> dict[str, CollectionDigest]:
    """Count and digest per collection of the live records up to `hw` the principals see."""
    rows = session.execute(
        select(SyncRecord.collection, SyncRecord.id, SyncRecord.rev)
        .join(SyncAudience, and_(SyncAudience.collection == SyncRecord.collection,
                                 SyncAudience.record_id == SyncRecord.id))
        .where(SyncAudience.principal.in_(principals),
               SyncAudience.active.is_(True), SyncRecord.deleted.is_(False),
               SyncRecord.rev <= hw)
    ).all()
    per: dict[str, dict[str, int]] = {}
    for collection, rid, rev in rows:
        per.setdefault(collection, {})[rid] = int(rev)
    return {c: CollectionDigest(count=len(v), digest=digest_of(list(v.items())))
            for c, v in per.items()}
