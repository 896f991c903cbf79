"""The append-only, keyed hash chain of the audit log: append under a lock, verify the whole chain.

Each row's hash is HMAC-SHA256, with a key the database does not hold (oa_server.keys),
over the canonical JSON of (seq, at, actor, action, target, details, prev_hash): who
can write the database but not read the key file can neither change a row nor write a
consistent new chain. Rows written by a release before the keyed chain keep their
plain SHA-256 hashes; the first keyed append records where they end (sequence and hash,
tagged with the key), so a whole chain rewritten as "old" rows is caught too. There is
no update or delete path in code; a row changed or removed afterwards breaks the chain
and `verify` names it. Rows cut off the end leave a valid shorter chain: signed
checkpoints (oa_server.audit_checkpoints) catch that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from oa_client.errors import KeyUnavailable
from oa_server.db import session_keys, utcnow
from oa_server.i18n import _
from oa_server.models import AuditCheckpoint, AuditEntry, ServerSecret

GENESIS = "0" * 64
LEGACY_BOUNDARY = "audit_legacy_head"  # a server_secrets row: where unkeyed rows end (not a secret)
SECRET_KEYS = ("password", "token", "secret", "hash", "authorization", "cookie")
_PG_AUDIT_LOCK = 0x6F61_6175  # "oaau": serialises appends across workers


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def scrub(details: Any) -> Any:
    """Details with anything secret-looking removed (passwords, tokens, hashes)."""
    if isinstance(details, dict):
        return {
            str(k): scrub(v)
            for k, v in details.items()
            if not any(word in str(k).lower() for word in SECRET_KEYS)
        }
    if isinstance(details, (list, tuple)):
        return [scrub(v) for v in details]
    if isinstance(details, (str, int, float, bool)) or details is None:
        return details
    return str(details)


def row_hash(
    *,
    seq: int,
    at: str,
    actor: str,
    action: str,
    target: str,
    details: str,
    prev_hash: str,
    key: bytes | None = None,
) -> str:
    """HMAC-SHA256 with `key` (plain SHA-256 without: rows of older releases) of one row's canonical
    JSON, the previous row's hash included."""
    payload = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "target": target,
        "details": details,
        "prev_hash": prev_hash,
    }
    if key is None:
        return hashlib.sha256(canonical(payload)).hexdigest()
    return hmac.new(key, canonical(payload), hashlib.sha256).hexdigest()


def _hash_of(row: AuditEntry, key: bytes | None) -> str:
    return row_hash(seq=row.seq, at=row.at, actor=row.actor, action=row.action, target=row.target,
                    details=row.details, prev_hash=row.prev_hash, key=key)


def chain_keys(session: Session) -> Any:
    """The server keys of this session's database (KeyUnavailable without them)."""
    keys = session_keys(session)
    if keys is None:
        raise KeyUnavailable(
            _("审计日志密钥不可用：服务器密钥未加载，无法写入或核验审计日志"), reason="not_loaded"
        )
    return keys


def chain_key(session: Session) -> bytes:
    """The audit chain's HMAC key for this session's database (KeyUnavailable without keys)."""
    return chain_keys(session).audit_key


def _boundary_tag(key: bytes, seq: int, digest: str) -> str:
    return hmac.new(key, f"audit legacy head:{seq}:{digest}".encode(), hashlib.sha256).hexdigest()


def legacy_boundary(session: Session, key: bytes) -> tuple[int, str] | bool | None:
    """Where rows of older releases end: (seq, hash); None when there are none; False if forged.

    The key file's record (when the server keeps one) wins: a marker added, removed or
    moved in the database is then caught even without a checkpoint.
    """
    marker = _db_boundary(session, key)
    recorded = getattr(session_keys(session), "audit_boundary", None)
    if recorded is None:
        return marker
    if marker is False:
        return False
    if recorded[0] == 0:
        return False if marker is not None else None
    return recorded if marker == recorded else False


def _db_boundary(session: Session, key: bytes) -> tuple[int, str] | bool | None:
    row = session.get(ServerSecret, LEGACY_BOUNDARY)
    if row is None:
        return None
    try:
        data = json.loads(row.value)
        seq, digest, tag = int(data["seq"]), str(data["hash"]), str(data["tag"])
    except (ValueError, KeyError, TypeError):
        return False
    if not hmac.compare_digest(tag, _boundary_tag(key, seq, digest)):
        return False
    return seq, digest


def _ensure_boundary(session: Session, key: bytes, last: AuditEntry | None) -> None:
    """Before the first keyed row after unkeyed ones, record where the unkeyed rows end."""
    if last is None or _hash_of(last, key) == last.hash or _hash_of(last, None) != last.hash:
        return  # empty, already keyed, or broken (verify will say so)
    if session.get(ServerSecret, LEGACY_BOUNDARY) is not None:
        return
    if getattr(session_keys(session), "audit_boundary", None) is not None:
        return  # the key file knows where old rows end: a new marker would bless a rewrite
    if session.scalar(select(AuditCheckpoint.id).limit(1)) is not None:
        return  # checkpoints exist, so this release has kept the chain: never re-mark it
    value = json.dumps({"seq": last.seq, "hash": last.hash,
                        "tag": _boundary_tag(key, last.seq, last.hash)}, sort_keys=True)
    session.add(ServerSecret(name=LEGACY_BOUNDARY, value=value))
    session.flush()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one row in the caller's transaction (committed with the change it records)."""
    key = chain_key(session)
    lock(session)
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    _ensure_boundary(session, key, last)
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    at = utcnow().isoformat(timespec="microseconds")
    body = canonical(scrub(details or {})).decode()
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor[:128],
        action=action,
        target=target[:256],
        details=body,
        prev_hash=prev,
        hash=row_hash(
            seq=seq,
            at=at,
            actor=actor[:128],
            action=action,
            target=target[:256],
            details=body,
            prev_hash=prev,
            key=key,
        ),
    )
    session.add(entry)
    session.flush()
    return entry


def lock(session: Session) -> None:
    """Serialise with every other append (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check: ok, rows checked, and the first bad seq with why."""

    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS


def _rows(session: Session, batch: int = 1000, after: int = 0) -> Iterator[AuditEntry]:
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify(
    session: Session,
    *,
    expect_head: tuple[int, str] | None = None,
    want: set[int] | None = None,
    hashes: dict[int, str] | None = None,
) -> VerifyResult:
    """Walk the chain from seq 1; stop at the first missing, altered or mislinked row.

    Rows cut off the end leave a valid shorter chain; `expect_head` (a seq and hash
    recorded earlier) catches that too, as do signed checkpoints. The hashes of the
    rows numbered in `want` are put into `hashes` on the way.
    """
    key = chain_key(session)
    boundary = legacy_boundary(session, key)
    if boundary is False:
        return VerifyResult(False, 0, 1, "boundary")
    legacy_end = boundary[0] if isinstance(boundary, tuple) else 0
    expected_seq, prev, checked = 1, GENESIS, 0
    for row in _rows(session):
        if row.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, "missing")
        if row.prev_hash != prev:
            return VerifyResult(False, checked, row.seq, "prev_hash")
        if _hash_of(row, None if row.seq <= legacy_end else key) != row.hash:
            return VerifyResult(False, checked, row.seq, "hash")
        if isinstance(boundary, tuple) and row.seq == legacy_end and row.hash != boundary[1]:
            return VerifyResult(False, checked, row.seq, "hash")
        if expect_head and row.seq == expect_head[0] and row.hash != expect_head[1]:
            return VerifyResult(False, checked, row.seq, "head")
        if want is not None and hashes is not None and row.seq in want:
            hashes[row.seq] = row.hash
        prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
    if legacy_end >= expected_seq:
        return VerifyResult(False, checked, expected_seq, "missing", checked, prev)
    if expect_head and expect_head[0] >= expected_seq:
        return VerifyResult(False, checked, expected_seq, "missing", checked, prev)
    return VerifyResult(True, checked, head_seq=checked, head_hash=prev)


def head(session: Session) -> tuple[int, str]:
    """The last row's sequence and hash ((0, GENESIS) for an empty log)."""
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


def rows_after(session: Session, after_seq: int, *, batch: int = 1000) -> Iterator[AuditEntry]:
    """Rows after `after_seq`, in order."""
    yield from _rows(session, batch=batch, after=after_seq)


def row_ok(session: Session, row: AuditEntry, *, key: bytes, legacy_end: int = 0) -> bool:
    """Whether one row's hash is right for its content and place (keyed unless before `legacy_end`)."""
    return _hash_of(row, None if row.seq <= legacy_end else key) == row.hash


def count(session: Session) -> int:
    """Number of rows in the log."""
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def page(
    session: Session, *, after_seq: int = 0, limit: int = 100, action: str | None = None
) -> list[AuditEntry]:
    """Rows after `after_seq` in order, optionally of one action."""
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query.order_by(AuditEntry.seq).limit(limit)).all())


def seal_legacy_rows(session: Session) -> tuple[int, str] | None:
    """After an upgrade, record (keyed) where the unkeyed rows of an older release end.

    Returns where they end ((0, "") when there are none), for the key file to keep too;
    None when the chain is broken and nothing can be said.
    """
    key = chain_key(session)
    lock(session)
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    _ensure_boundary(session, key, last)
    marker = _db_boundary(session, key)
    session.commit()
    if isinstance(marker, tuple):
        return marker
    if last is None or _hash_of(last, key) == last.hash:
        return (0, "")
    return None
