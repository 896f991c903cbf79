"""The signed-in person kept in the profile: who I am, and a password hash for offline unlock."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from oa_client.i18n import _
from oa_client.store.local import LocalStore

#: Argon2id for the offline unlock check (RFC 9106 low-memory profile: fast enough to unlock)
HASHER = PasswordHasher(time_cost=3, memory_cost=32 * 1024, parallelism=1)


def _set_meta(store: LocalStore, key: str, value: str) -> None:
    with store.db.transaction() as conn:
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET"
                     " value = excluded.value", (key, value))


def _meta(store: LocalStore, key: str) -> str | None:
    rows = store.db.query("SELECT value FROM meta WHERE key = ?", (key,))
    return rows[0][0] if rows else None


def remember_password(store: LocalStore, password: str) -> None:
    """Keep an Argon2id hash of the password in the encrypted profile (never the password)."""
    _set_meta(store, "password_hash", HASHER.hash(password))


def check_password(store: LocalStore, password: str) -> bool | None:
    """Whether `password` matches the stored hash; None when no hash was ever stored."""
    stored = _meta(store, "password_hash")
    if stored is None:
        return None
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def save_me(store: LocalStore, user: dict) -> None:
    """Remember who signed in (id, name, unit, roles) for offline starts."""
    _set_meta(store, "me", json.dumps(user, ensure_ascii=False, default=str))


def load_me(store: LocalStore) -> dict | None:
    """The signed-in person as last seen by the server, or None."""
    value = _meta(store, "me")
    return json.loads(value) if value else None


def last_sync(store: LocalStore) -> str | None:
    """When the last sync finished (ISO time), or None."""
    return _meta(store, "last_sync")


def set_last_sync(store: LocalStore, when: str) -> None:
    """Record when a sync finished."""
    _set_meta(store, "last_sync", when)


#: the three separated administrators (三员): they get the console, never business pages
ADMIN_ROLES = frozenset({"sysadmin", "secadmin", "auditor"})
ADMIN_ROLE_NAMES = {"sysadmin": "系统管理员", "secadmin": "安全保密管理员", "auditor": "安全审计员"}
_ADMIN_ROLE_IDS = (_("系统管理员"), _("安全保密管理员"), _("安全审计员"))


def admin_role(me: dict | None) -> str | None:
    """Which of the three administrators `me` is, or None for a business user."""
    held = set((me or {}).get("roles") or [])
    return next((r for r in ("sysadmin", "secadmin", "auditor") if r in held), None)


def takes_business(person: Mapping[str, Any] | None) -> bool:
    """Whether a person of the 通讯录 may be given a step, a 委托 or a 加签: active, holding a
    business role and none of the 三员's (the server refuses anyone else)."""
    roles = set((person or {}).get("roles") or [])
    return (person or {}).get("active") is not False and bool(roles - ADMIN_ROLES) \
        and not roles & ADMIN_ROLES


def role_names(codes: list[str]) -> list[str]:
    """Role codes in the current language (business and administrator roles)."""
    from oa_client.domain.workflow.labels import role_label  # the workflow package is big

    return [_(ADMIN_ROLE_NAMES[c]) if c in ADMIN_ROLE_NAMES else role_label(c) for c in codes]
