"""Profile keys: a random 256-bit raw key in the OS keyring, or a passphrase (Argon2id).

The keyring is asked once per open. "No entry" is told apart from "keyring locked
or unavailable": a key is minted only for a brand-new profile, never because a
read failed, and never over an existing database.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

import keyring
import keyring.errors
from argon2.low_level import Type, hash_secret_raw
from jaraco.classes import properties
from keyring.backend import KeyringBackend

from oa_client.errors import KeyUnavailable
from oa_client.i18n import _

SERVICE = "zhengwu-oa-client"
KEY_BYTES = 32
# Argon2id parameters for the passphrase path (RFC 9106 second recommendation).
KDF_DEFAULTS = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 2}


@dataclass(frozen=True)
class KeyringStatus:
    """What the keyring said: `entry` (hex key or None) or why it could not answer."""

    entry: str | None
    failure: str | None = None  # "no_keyring", "locked", "unavailable"
    detail: str = ""


def _backend(backend: KeyringBackend | None) -> KeyringBackend:
    return backend if backend is not None else keyring.get_keyring()


def _classify(exc: Exception) -> str:
    if isinstance(exc, keyring.errors.NoKeyringError):
        return "no_keyring"
    if isinstance(exc, keyring.errors.KeyringLocked):
        return "locked"
    return "unavailable"


def read_entry(profile_id: str, *, backend: KeyringBackend | None = None) -> KeyringStatus:
    """Ask the keyring for the profile's key without ever creating one."""
    try:
        kr = _backend(backend)
        value = kr.get_password(SERVICE, profile_id)
    except Exception as exc:  # keyring back-ends raise many kinds; classify, never mint
        return KeyringStatus(entry=None, failure=_classify(exc), detail=type(exc).__name__)
    return KeyringStatus(entry=value)


def keyring_failure_error(status: KeyringStatus, *, new_profile: bool) -> KeyUnavailable:
    """The KeyUnavailable to raise for a keyring that could not answer."""
    if status.failure == "no_keyring":
        message = _("本机没有可用的系统密钥环。可以改为设置一个口令来保护本机数据。")
    elif status.failure == "locked":
        message = _("系统密钥环已锁定。请先解锁密钥环（登录桌面会话）后重试。")
    else:
        message = _("系统密钥环暂时无法访问（{detail}）。请稍后重试。").format(detail=status.detail)
    if new_profile and status.failure in ("locked", "unavailable"):
        message += _("也可以改用口令保护本机数据。")
    return KeyUnavailable(
        message, reason=status.failure or "unavailable", can_use_passphrase=new_profile
    )


def mint_key(profile_id: str, *, backend: KeyringBackend | None = None) -> bytes:
    """Make a new random key for a new profile and store it in the keyring."""
    key = secrets.token_bytes(KEY_BYTES)
    try:
        kr = _backend(backend)
        kr.set_password(SERVICE, profile_id, key.hex())
        stored = kr.get_password(SERVICE, profile_id)
    except Exception as exc:
        status = KeyringStatus(entry=None, failure=_classify(exc), detail=type(exc).__name__)
        raise keyring_failure_error(status, new_profile=True) from exc
    if stored != key.hex():
        raise KeyUnavailable(
            _("系统密钥环未能保存密钥，请检查密钥环设置。"), reason="unavailable", can_use_passphrase=True
        )
    return key


def decode_entry(entry: str) -> bytes:
    """The raw key from a keyring entry, or KeyUnavailable if the entry is damaged."""
    try:
        key = bytes.fromhex(entry)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyUnavailable(
            _("系统密钥环中的密钥已损坏，无法打开本机数据。"), reason="corrupt_entry"
        )
    return key


def forget_key(profile_id: str, *, backend: KeyringBackend | None = None) -> None:
    """Remove a profile's key from the keyring (when the profile is removed)."""
    try:
        _backend(backend).delete_password(SERVICE, profile_id)
    except keyring.errors.PasswordDeleteError:
        pass


def new_kdf_params() -> dict:
    """Fresh salt and Argon2id parameters for a passphrase profile."""
    return {"algorithm": "argon2id", "salt": os.urandom(16).hex(), **KDF_DEFAULTS}


def derive_key(passphrase: str, kdf: dict) -> bytes:
    """The raw database key from a passphrase (Argon2id), so the DB needs no KDF of its own."""
    if not passphrase:
        raise KeyUnavailable(_("请输入口令。"), reason="passphrase_required")
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        bytes.fromhex(kdf["salt"]),
        time_cost=int(kdf["time_cost"]),
        memory_cost=int(kdf["memory_cost"]),
        parallelism=int(kdf["parallelism"]),
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


class MemoryKeyring(KeyringBackend):
    """Keys held in memory only (throw-away profiles: demo seeding, benchmarks).

    Never chosen by keyring's automatic selection (it is not "viable"): a profile's
    real key must never land in memory by accident. Pass it explicitly.
    """

    @properties.classproperty
    def priority(cls) -> float:  # type: ignore[override]
        """Not viable for automatic selection."""
        raise RuntimeError("MemoryKeyring is only used when passed explicitly")

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored secret, or None."""
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret."""
        self.entries.pop((service, username), None)
