"""Seal verdicts: what checking a 正式文件 (a 公文's sealed PDF) found on this device.

The client checks a sealed PDF when its bytes arrive, against the server CA's root the
profile synced, so the check needs no network and is kept with the profile (table
`seal_verdicts`, one row per file by SHA-256). The check itself belongs to docs_exchange,
which this layer does not import: the caller passes `check(pdf) -> verdict`. A verdict is
plain data::

    {"ok": bool, "signer": str, "unit": str, "signed_at": ISO time or "", "reason": str,
     "problems": [str, …], "checked_at": ISO time}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from oa_client.errors import OAError
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

log = logging.getLogger(__name__)
Check = Callable[[bytes], dict[str, Any]]


def trust_roots(store: LocalStore) -> list[bytes]:
    """The trust anchors the profile keeps (the server CA's root, once a sync fetched it)."""
    rows = store.db.query("SELECT value FROM meta WHERE key = 'ca_root_pem'")
    return [rows[0][0].encode("ascii")] if rows else []


def verdict_of(store: LocalStore, *, sha256: str) -> dict[str, Any] | None:
    """The verdict kept for a file, None when it was not checked here yet."""
    rows = store.db.query("SELECT verdict FROM seal_verdicts WHERE sha256 = ?", (sha256,))
    return json.loads(rows[0][0]) if rows else None


def record_verdict(store: LocalStore, *, sha256: str, verdict: dict[str, Any]) -> Changes:
    """Keep what checking a file found (replacing an older verdict of the same file)."""
    data = {**verdict, "checked_at": verdict.get("checked_at") or datetime.now(UTC).isoformat()}
    with store.db.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO seal_verdicts(sha256, ok, verdict, checked_at)"
                     " VALUES (?, ?, ?, ?)",
                     (sha256, 1 if data.get("ok") else 0, json.dumps(data, ensure_ascii=False),
                      data["checked_at"]))
    return Changes(collections={"seal_verdicts"}, ids={sha256})


def unchecked(store: LocalStore) -> list[tuple[str, str]]:
    """(attachment id, SHA-256) of every 正式文件 whose bytes are here but not yet checked."""
    return [(str(r[0]), str(r[1])) for r in store.db.query(
        "SELECT DISTINCT a.id, a.sha256 FROM documents d"
        " JOIN attachments a ON a.id = json_extract(d.data, '$.sealed_attachment_id')"
        " WHERE d.deleted = 0 AND a.deleted = 0 AND a.storage != 'remote'"
        " AND NOT EXISTS (SELECT 1 FROM seal_verdicts v WHERE v.sha256 = a.sha256)")]


def check_file(store: LocalStore, *, attachment_id: str, check: Check) -> dict[str, Any]:
    """Check one 正式文件 now and keep the verdict (also when it was checked before)."""
    rows = store.db.query("SELECT sha256 FROM attachments WHERE id = ?", (attachment_id,))
    data = store.blobs.read(attachment_id)
    verdict = check(data)
    record_verdict(store, sha256=str(rows[0][0]), verdict=verdict)
    return verdict


def check_arrivals(store: LocalStore, *, check: Check) -> int:
    """Check every 正式文件 that arrived since the last time (after a sync); return how many.
    A file that cannot be read now (damaged, not yet downloaded) is left for the next time."""
    done = 0
    for attachment_id, _sha in unchecked(store):
        try:
            check_file(store, attachment_id=attachment_id, check=check)
        except OAError as exc:
            log.warning("正式文件 %s not checked: %s", attachment_id, exc.message)
            continue
        done += 1
    return done
