"""The audit checkpoints the auditor's client has seen, kept in the encrypted profile.

The server signs a checkpoint (sequence number, head hash of the audit chain) with a key
its database does not hold. Every checkpoint this client ever received stays here; the
audit screen sends them all back for verification, so a chain cut short or rewritten
since is caught against what the auditor already saw — whatever the server now claims.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from oa_client.errors import ValidationError
from oa_client.i18n import _
from oa_client.store.local import LocalStore

FIELDS = ("seq", "head_hash", "at", "signature", "key_id")


def remember(store: LocalStore, checkpoints: list[dict[str, Any]]) -> int:
    """Keep new checkpoints; one already held under the same seq must be identical (a
    different one is a ValidationError: the server changed its story). Returns how many new."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    added = 0
    with store.db.transaction() as conn:
        for cp in checkpoints:
            row = tuple(str(cp.get(k, "")) if k != "seq" else int(cp["seq"]) for k in FIELDS)
            held = conn.execute("SELECT seq, head_hash, at, signature, key_id FROM audit_checkpoints"
                                " WHERE seq = ?", (row[0],)).fetchone()
            if held is None:
                conn.execute("INSERT INTO audit_checkpoints(seq, head_hash, at, signature, key_id,"
                             " received_at) VALUES (?, ?, ?, ?, ?, ?)", (*row, now))
                added += 1
            elif tuple(held) != row:
                raise ValidationError(
                    _("服务器给出的第 {seq} 号检查点与本机保存的不一致，审计日志可能被改写").format(
                        seq=row[0]), field="checkpoint", seq=row[0])
    return added


def held(store: LocalStore) -> list[dict[str, Any]]:
    """Every checkpoint held, oldest first, in the server's shape."""
    rows = store.db.query("SELECT seq, head_hash, at, signature, key_id FROM audit_checkpoints"
                          " ORDER BY seq")
    return [dict(zip(FIELDS, r, strict=True)) for r in rows]


def latest_seq(store: LocalStore) -> int:
    """The sequence number of the newest checkpoint held (0: none yet)."""
    rows = store.db.query("SELECT max(seq) FROM audit_checkpoints")
    return int(rows[0][0] or 0)
