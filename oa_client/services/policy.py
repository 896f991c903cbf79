"""The security policy as this profile last received it from the server: idle-lock minutes,
watermark, password rules. Kept in the encrypted profile so an offline start follows it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oa_client.store.local import LocalStore

META_KEY = "security_policy"


@dataclass(frozen=True)
class Policy:
    """What the client applies: lock after `idle_lock_minutes`, the watermark, the rules text."""

    idle_lock_minutes: int = 15
    watermark: bool = True
    rules: tuple[str, ...] = field(default_factory=tuple)
    received: bool = False  # False: the defaults, no policy received yet

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Policy:
        """The policy from the server's answer (None: the defaults)."""
        if not data:
            return cls()
        return cls(idle_lock_minutes=max(1, int(data.get("idle_lock_minutes") or 15)),
                   watermark=bool(data.get("watermark", True)),
                   rules=tuple(str(r) for r in data.get("rules") or ()), received=True)


def save(store: LocalStore, data: dict[str, Any]) -> Policy:
    """Keep the server's answer in the profile; returns the policy."""
    with store.db.transaction() as conn:
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET"
                     " value = excluded.value", (META_KEY, json.dumps(data, ensure_ascii=False)))
    return Policy.of(data)


def load(store: LocalStore) -> Policy:
    """The policy kept in the profile (the defaults before the first one arrived)."""
    rows = store.db.query("SELECT value FROM meta WHERE key = ?", (META_KEY,))
    return Policy.of(json.loads(rows[0][0]) if rows else None)
