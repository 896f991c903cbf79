"""The server's keys, kept outside the database: a key file beside the data directory, or the environment.

One master secret yields every key the server needs, each derived for its own
purpose (HKDF-SHA256): the access-token key, the password the CA, seal and TSA
key files are encrypted with, the audit chain's HMAC key, the Ed25519 key that
signs audit checkpoints, the meeting sign-in code key. The master secret is

- `OA_SERVER_SECRET_KEY` when set (every worker and node shares it), else
- the key file: `OA_SERVER_KEY_FILE`, by default `<data dir>-keys/server-keys.json`
  beside (never inside) the data directory, mode 0600 in a 0700 directory, made
  on first start (the first worker to finish wins; the others read it).

A database dump therefore yields no key. Secrets an older release kept in the
`server_secrets` table are moved into the key file on upgrade (their values kept,
so tokens and encrypted key files stay readable) and deleted from the table.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from oa_client.errors import KeyUnavailable
from oa_server.config import Settings
from oa_server.i18n import _

try:  # POSIX: serialise writers of the key file across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

KEY_FILE_NAME = "server-keys.json"
KEY_FILE_FORMAT = "oa-server-keys/1"
#: rows an older release kept in `server_secrets`: moved into the key file on upgrade
LEGACY_SECRETS = ("access_token_key", "signing_storage_key", "meetings-checkin")
_STORAGE_INFO = b"oa-server signing key storage v1"  # the derivation key files were always made with
_CACHE: dict[tuple[str, str], ServerKeys] = {}
_LOCK = threading.Lock()


def default_key_file(data_dir: Path) -> Path:
    """`<data dir>-keys/server-keys.json`: beside the data directory, never inside it."""
    data_dir = Path(data_dir).resolve()
    return data_dir.parent / f"{data_dir.name}-keys" / KEY_FILE_NAME


def key_file_path(settings: Settings) -> Path:
    """The key file these settings use (configured, else the default beside the data directory)."""
    return Path(settings.key_file) if settings.key_file else default_key_file(settings.data_dir)


def _derive(base: bytes, purpose: str, length: int = 32) -> bytes:
    info = f"oa-server {purpose} v1".encode()
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(base)


@dataclass(frozen=True)
class ServerKeys:
    """Every key the server uses, from one master secret (and secrets moved out of an old database)."""

    master: bytes = field(repr=False)
    from_environment: bool = False
    legacy: Mapping[str, str] = field(default_factory=dict, repr=False)
    path: Path | None = None
    #: where an older release's unkeyed audit rows end, as the key file recorded it on upgrade
    #: ((0, "") when the chain was keyed from its first row; None when not recorded)
    audit_boundary: tuple[int, str] | None = None

    def _legacy_bytes(self, name: str) -> bytes | None:
        value = None if self.from_environment else self.legacy.get(name)
        return bytes.fromhex(value) if value else None

    @cached_property
    def token_key(self) -> bytes:
        """The HMAC key of access tokens."""
        legacy = self._legacy_bytes("access_token_key")
        if legacy is not None:
            return legacy
        return self.master if self.from_environment else _derive(self.master, "access tokens")

    @cached_property
    def storage_password(self) -> bytes:
        """The password CA, seal and TSA key files are encrypted with."""
        base = self._legacy_bytes("signing_storage_key") or self.master
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_STORAGE_INFO).derive(base)
        return derived.hex().encode()

    @cached_property
    def audit_key(self) -> bytes:
        """The HMAC key of the audit chain."""
        return _derive(self.master, "audit chain")

    @cached_property
    def audit_key_id(self) -> str:
        """A short public name of the audit chain key (reveals nothing about it)."""
        return hmac.new(self.audit_key, b"key id", hashlib.sha256).hexdigest()[:16]

    @cached_property
    def checkpoint_key(self) -> Ed25519PrivateKey:
        """The Ed25519 key audit checkpoints are signed with."""
        return Ed25519PrivateKey.from_private_bytes(_derive(self.master, "audit checkpoints"))

    @cached_property
    def checkpoint_public_pem(self) -> str:
        """The checkpoint key's public half (PEM), for auditors."""
        return self.checkpoint_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    @cached_property
    def checkpoint_key_id(self) -> str:
        """SHA-256 of the raw public key, first 16 hex digits."""
        raw = self.checkpoint_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return hashlib.sha256(raw).hexdigest()[:16]

    @cached_property
    def checkin_secret(self) -> str:
        """The key meeting sign-in codes are computed with (hex)."""
        legacy = None if self.from_environment else self.legacy.get("meetings-checkin")
        return legacy or _derive(self.master, "meeting check-in").hex()


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode & 0o077
    if mode:
        raise KeyUnavailable(
            _("服务器密钥文件的权限过宽，请改为仅服务器账号可读写（chmod 600）：{path}").format(path=path),
            reason="permissions",
        )


def _read(path: Path) -> dict[str, object]:
    _check_private(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != KEY_FILE_FORMAT or len(bytes.fromhex(data["master"])) < 32:
            raise ValueError(path)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyUnavailable(
            _("服务器密钥文件已损坏，无法读取：{path}").format(path=path), reason="corrupt"
        ) from exc
    return data


def _write_new(path: Path, data: dict[str, object]) -> None:
    """Write `data` to a fresh 0600 file next to `path`, then link it into place (fails if taken)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _replace(path: Path, data: dict[str, object]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.parent / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _ensure_file(path: Path) -> dict[str, object]:
    """The key file's content, the file made first (random master secret) if there is none."""
    if not path.exists():
        fresh = {"format": KEY_FILE_FORMAT, "master": secrets.token_hex(32), "legacy": {}}
        with contextlib.suppress(FileExistsError):  # another worker was first: read theirs
            _write_new(path, fresh)
    return _read(path)


def load_server_keys(settings: Settings) -> ServerKeys:
    """The keys for `settings`: from OA_SERVER_SECRET_KEY, else the key file (made if absent)."""
    path = key_file_path(settings)
    cache_key = (hashlib.sha256((settings.secret_key or "").encode()).hexdigest(), str(path))
    with _LOCK:
        cached = _CACHE.get(cache_key)
        if cached is not None:
            return cached
        if settings.secret_key:
            legacy = _read(path).get("legacy", {}) if path.exists() else {}
            keys = ServerKeys(master=settings.secret_key.encode(), from_environment=True,
                              legacy=dict(legacy or {}), path=None)  # type: ignore[arg-type]
        else:
            data = _ensure_file(path)
            keys = ServerKeys(master=bytes.fromhex(str(data["master"])),
                              legacy=dict(data.get("legacy") or {}), path=path,  # type: ignore[arg-type]
                              audit_boundary=_boundary_of(data))
        _CACHE[cache_key] = keys
        return keys


def _boundary_of(data: Mapping[str, object]) -> tuple[int, str] | None:
    raw = data.get("audit_boundary")
    if not isinstance(raw, dict):
        return None
    return int(raw.get("seq", 0)), str(raw.get("hash", ""))


def record_audit_boundary(settings: Settings, *, seq: int, digest: str) -> bool:
    """Write into the key file where unkeyed audit rows end (seq 0: none); once. True if written now."""
    if settings.secret_key:
        return False  # no file: the tagged marker in the database and the checkpoints must do
    path = key_file_path(settings)
    with _file_lock(path):
        data = _ensure_file(path)
        if _boundary_of(data) is not None:
            return False
        _replace(path, {**data, "audit_boundary": {"seq": seq, "hash": digest}})
    forget_cached_keys()
    return True


def forget_cached_keys() -> None:
    """Drop the per-process cache (after the key file changed)."""
    with _LOCK:
        _CACHE.clear()


def move_secrets_out(session: Session, settings: Settings) -> list[str]:
    """Move an older database's secrets into the key file and delete them from the table.

    Returns the names moved (none when there was nothing to do). Values already in the
    key file win; the move is audited by name, never by value.
    """
    from oa_server import audit  # audit needs the keys this module makes
    from oa_server.models import ServerSecret

    if not inspect(session.get_bind()).has_table(ServerSecret.__tablename__):
        return []
    rows = session.scalars(select(ServerSecret).where(ServerSecret.name.in_(LEGACY_SECRETS))).all()
    if not rows:
        return []
    path = key_file_path(settings)
    with _file_lock(path):
        data = _ensure_file(path)
        legacy = dict(data.get("legacy") or {})  # type: ignore[call-overload]
        for row in rows:
            legacy.setdefault(row.name, row.value)
        _replace(path, {**data, "legacy": legacy})
    forget_cached_keys()
    names = sorted(row.name for row in rows)
    for row in rows:
        session.delete(row)
    session.flush()
    audit.append(session, actor="system", action="server.secrets_moved", target="secret:*",
                 details={"names": names, "key_file": str(path)})
    session.commit()
    return names
