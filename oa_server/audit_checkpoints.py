"""Signed checkpoints of the audit chain: what the auditor keeps so a truncated or rewritten log shows.

A checkpoint says "the chain had `seq` rows ending in `head_hash` at `at`", signed
with the server's Ed25519 checkpoint key (outside the database, oa_server.keys).
The server makes one at least hourly and on the auditor's demand; it refuses to
sign a head that does not follow from its previous checkpoint. The auditor's
client keeps every checkpoint it has seen; `verify_against` recomputes the chain
and compares it with each one, naming the first sequence that differs.
"""

from __future__ import annotations

import binascii
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_client.errors import ConflictError, ValidationError
from oa_server import audit
from oa_server.db import utcnow
from oa_server.i18n import _
from oa_server.keys import ServerKeys
from oa_server.models import AuditCheckpoint

FORMAT = "oa-audit-checkpoint/1"
MAX_CHECKPOINTS = 10_000


@dataclass(frozen=True)
class Checkpoint:
    """One signed statement of the chain's head."""

    seq: int
    head_hash: str
    at: str
    signature: str
    key_id: str

    def message(self) -> bytes:
        """The bytes the signature covers."""
        return f"{FORMAT}\n{self.seq}\n{self.head_hash}\n{self.at}\n{self.key_id}".encode()

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the API."""
        return asdict(self)

    @classmethod
    def of(cls, row: AuditCheckpoint) -> Checkpoint:
        """From a stored row."""
        return cls(seq=row.seq, head_hash=row.head_hash, at=row.at, signature=row.signature,
                   key_id=row.key_id)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Checkpoint:
        """From what an auditor sends back (ValidationError when malformed)."""
        try:
            seq = data["seq"]
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                raise ValueError(seq)
            cp = cls(seq=seq, head_hash=str(data["head_hash"]).lower(), at=str(data["at"]),
                     signature=str(data["signature"]).lower(), key_id=str(data["key_id"]))
            int(cp.head_hash, 16)
            if len(cp.head_hash) != 64 or len(cp.at) > 40 or len(cp.key_id) > 32:
                raise ValueError(cp)
        except (KeyError, ValueError, TypeError) as exc:
            raise ValidationError(_("检查点格式不正确"), field="checkpoints") from exc
        return cp


def sign(keys: ServerKeys, *, seq: int, head_hash: str, at: str) -> Checkpoint:
    """A checkpoint of (seq, head_hash, at) signed with the server's checkpoint key."""
    unsigned = Checkpoint(seq=seq, head_hash=head_hash, at=at, signature="", key_id=keys.checkpoint_key_id)
    signature = keys.checkpoint_key.sign(unsigned.message()).hex()
    return Checkpoint(seq=seq, head_hash=head_hash, at=at, signature=signature, key_id=unsigned.key_id)


def signature_ok(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    """Whether the checkpoint was signed by the holder of `public_key`."""
    try:
        public_key.verify(bytes.fromhex(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def latest(session: Session, keys: ServerKeys) -> Checkpoint | None:
    """The newest stored checkpoint whose signature holds (a forged row is skipped)."""
    rows = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.id.desc()).limit(50)
    ).all()
    public = keys.checkpoint_key.public_key()
    for row in rows:
        cp = Checkpoint.of(row)
        if cp.key_id == keys.checkpoint_key_id and signature_ok(cp, public):
            return cp
    return None


def _follows(session: Session, keys: ServerKeys, previous: Checkpoint | None) -> bool:
    """Whether the rows after the previous checkpoint chain on from it, each with the right hash."""
    if previous is None:
        return audit.verify(session).ok
    boundary = audit.legacy_boundary(session, keys.audit_key)
    if boundary is False:
        return False
    legacy_end = boundary[0] if isinstance(boundary, tuple) else 0
    anchor = session.get(audit.AuditEntry, previous.seq) if previous.seq else None
    if previous.seq and (anchor is None or anchor.hash != previous.head_hash):
        return False
    expected, prev = previous.seq + 1, previous.head_hash
    for row in audit.rows_after(session, previous.seq):
        if row.seq != expected or row.prev_hash != prev:
            return False
        if not audit.row_ok(session, row, key=keys.audit_key, legacy_end=legacy_end):
            return False
        expected, prev = expected + 1, row.hash
    return True


def make_checkpoint(session: Session, keys: ServerKeys, *, now: dt.datetime | None = None) -> Checkpoint:
    """Sign and store a checkpoint of the chain's current head; commits.

    Refused (ConflictError) when the chain does not follow from the previous checkpoint:
    the server never signs a rewritten or truncated log.
    """
    audit.lock(session)
    previous = latest(session, keys)
    if not _follows(session, keys, previous):
        session.rollback()
        raise ConflictError(
            _("审计日志与上一个检查点不一致（记录被改动或截断），服务器拒绝签发新的检查点，请审计员核查"),
            reason="audit_chain_broken",
        )
    seq, head_hash = audit.head(session)
    at = (now or utcnow()).astimezone(dt.UTC).isoformat(timespec="seconds")
    cp = sign(keys, seq=seq, head_hash=head_hash, at=at)
    session.add(AuditCheckpoint(seq=cp.seq, head_hash=cp.head_hash, at=cp.at, signature=cp.signature,
                                key_id=cp.key_id))
    session.commit()
    return cp


def checkpoint_due(session: Session, *, now: dt.datetime, every: dt.timedelta) -> bool:
    """Whether the newest stored checkpoint is older than `every` (or there is none)."""
    row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    if row is None:
        return True
    try:
        made = dt.datetime.fromisoformat(row.at)
    except ValueError:
        return True
    return now - made >= every


def list_checkpoints(session: Session, *, after_seq: int = 0, limit: int = 1000) -> list[Checkpoint]:
    """Stored checkpoints covering rows after `after_seq`, oldest first."""
    rows = session.scalars(
        select(AuditCheckpoint).where(AuditCheckpoint.seq > after_seq)
        .order_by(AuditCheckpoint.seq, AuditCheckpoint.id).limit(limit)
    ).all()
    return [Checkpoint.of(r) for r in rows]


@dataclass(frozen=True)
class Verdict:
    """The chain recomputed and compared with every checkpoint given."""

    ok: bool
    rows: int
    first_bad_seq: int | None
    message: str
    latest_seq: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the API."""
        return asdict(self)


def _chain_message(reason: str | None, seq: int | None) -> str:
    texts = {
        "missing": _("第 {seq} 条记录缺失"),
        "hash": _("第 {seq} 条记录的内容或哈希被改动"),
        "prev_hash": _("第 {seq} 条记录与上一条的链接不符"),
        "boundary": _("旧版本记录的终点标记被伪造"),
        "head": _("第 {seq} 条记录与记下的末条哈希不符"),
    }
    return texts.get(reason or "", _("第 {seq} 条记录有问题")).format(seq=seq)


def verify_against(session: Session, keys: ServerKeys, checkpoints: Iterable[Checkpoint]) -> Verdict:
    """Recompute the chain and compare it with each checkpoint (signatures checked first)."""
    given = sorted(checkpoints, key=lambda c: c.seq)
    if len(given) > MAX_CHECKPOINTS:
        raise ValidationError(_("一次最多核对 {n} 个检查点").format(n=MAX_CHECKPOINTS), field="checkpoints")
    public = keys.checkpoint_key.public_key()
    forged = [c for c in given if c.key_id != keys.checkpoint_key_id or not signature_ok(c, public)]
    hashes: dict[int, str] = {}
    result = audit.verify(session, want={c.seq for c in given}, hashes=hashes)
    latest_seq = audit.head(session)[0]
    findings: list[tuple[int, str]] = []
    if not result.ok and result.bad_seq is not None:
        findings.append((result.bad_seq, _chain_message(result.reason, result.bad_seq)))
    last_good = 0
    for cp in given:
        if cp in forged:
            continue
        if cp.seq == 0:
            continue
        if result.ok and cp.seq > result.checked:
            findings.append((result.checked + 1, _(
                "检查点（{at}）记录日志当时已有 {seq} 条，现在只有 {n} 条：第 {first} 条起的记录被删除"
            ).format(at=cp.at, seq=cp.seq, n=result.checked, first=result.checked + 1)))
        elif cp.seq in hashes and hashes[cp.seq] != cp.head_hash:
            findings.append((last_good + 1, _(
                "第 {seq} 条记录的哈希与检查点（{at}）不符：第 {first} 至 {seq} 条之间的记录被改写"
            ).format(seq=cp.seq, at=cp.at, first=last_good + 1)))
        elif cp.seq in hashes:
            last_good = cp.seq
    messages = [text for _seq, text in sorted(findings)]
    if forged:
        messages.append(_("有 {n} 个检查点的签名无效（不是本服务器签发的），未用于核对").format(n=len(forged)))
    ok = not findings and not forged
    if ok:
        message = _("审计日志完整：共 {n} 条，与 {k} 个检查点一致").format(n=result.checked, k=len(given))
    else:
        message = "；".join(messages)
    first_bad = min((seq for seq, _text in findings), default=None)
    return Verdict(ok=ok, rows=result.checked, first_bad_seq=first_bad, message=message,
                   latest_seq=latest_seq)
