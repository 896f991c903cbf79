"""The append-only, hash-chained audit log: append under a lock, verify the whole chain.

Each row's hash is SHA-256 over the canonical JSON of (seq, at, actor, action,
target, details, prev_hash). There is no update or delete path in code; a row
changed or removed afterwards breaks the chain and `verify` names it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from oa_server.db import utcnow
from oa_server.models import AuditEntry

GENESIS = "0" * 64
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
    *, seq: int, at: str, actor: str, action: str, target: str, details: str, prev_hash: str
) -> str:
    """The SHA-256 of one row's canonical JSON including the previous row's hash."""
    payload = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "target": target,
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(payload)).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one row in the caller's transaction (committed with the change it records)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
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
        ),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check: ok, rows checked, and the first bad seq with why."""

    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS


def _rows(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify(session: Session, *, expect_head: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain from seq 1; stop at the first missing, altered or mislinked row.

    Rows cut off the end leave a valid shorter chain; `expect_head` (a seq and hash
    recorded earlier, e.g. printed by a previous verify) catches that too.
    """
    expected_seq, prev, checked = 1, GENESIS, 0
    for row in _rows(session):
        if row.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, "missing")
        if row.prev_hash != prev:
            return VerifyResult(False, checked, row.seq, "prev_hash")
        recomputed = row_hash(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            target=row.target,
            details=row.details,
            prev_hash=row.prev_hash,
        )
        if recomputed != row.hash:
            return VerifyResult(False, checked, row.seq, "hash")
        if expect_head and row.seq == expect_head[0] and row.hash != expect_head[1]:
            return VerifyResult(False, checked, row.seq, "head")
        prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
    if expect_head and expect_head[0] >= expected_seq:
        return VerifyResult(False, checked, expected_seq, "missing", checked, prev)
    return VerifyResult(True, checked, head_seq=checked, head_hash=prev)


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
