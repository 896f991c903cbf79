"""Open a profile's encrypted store: keys, database, migrations, repositories, search."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from keyring.backend import KeyringBackend

from oa_client.domain.ids import new_id
from oa_client.errors import KeyUnavailable, StoreError
from oa_client.i18n import _
from oa_client.store import keys
from oa_client.store.blobs import BlobStore
from oa_client.store.db import Database
from oa_client.store.profile import Profile, ensure_profile_dir, load_profile, profile_slug
from oa_client.store.records import RecordStore
from oa_client.store.search import SearchHit, search

log = logging.getLogger(__name__)


@dataclass
class LocalStore:
    """An opened profile: the database, its records, attachments and search."""

    profile: Profile
    db: Database
    records: RecordStore
    blobs: BlobStore
    open_ms: float = 0.0

    def search(self, query: str, **kwargs) -> list[SearchHit]:
        """Search everything this profile holds (works offline)."""
        return search(self.db, query, **kwargs)

    def summary(self) -> dict[str, int]:
        """Live record counts per collection: what the profile holds."""
        return self.records.counts()

    def device_id(self) -> str:
        """This installation's device id, made once and kept (ops are deduplicated by it)."""
        rows = self.db.query("SELECT value FROM meta WHERE key = 'device_id'")
        if rows:
            return rows[0][0]
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('device_id', ?)", (new_id(),)
            )
        return self.db.query("SELECT value FROM meta WHERE key = 'device_id'")[0][0]

    def close(self) -> None:
        """Close the database."""
        self.db.close()


def open_store(
    path: Path,
    *,
    passphrase: str | None = None,
    server_url: str = "",
    username: str = "",
    keyring_backend: KeyringBackend | None = None,
    create: bool = True,
) -> LocalStore:
    """Open (or create) the encrypted profile in `path`.

    Raises KeyUnavailable (with `reason` and `can_use_passphrase`) when the key
    cannot be had, StoreError for a newer schema, a full disk or a read-only
    directory. Never mints a key for an existing database.
    """
    started = time.perf_counter()
    path = Path(path)
    profile = load_profile(path)
    db_exists = (path / "oa.db").exists()
    if profile is None:
        if db_exists:
            raise StoreError(
                _("数据目录中有数据库但缺少配置文件（profile.json），为防止覆盖已停止。"),
                kind="corrupt",
                path=str(path),
            )
        if not create:
            raise StoreError(_("该目录中没有配置文件：{path}").format(path=path), kind="no_profile")
        ensure_profile_dir(path)
        profile = Profile(
            path=path, profile_id=profile_slug(server_url, username) if username else path.name,
            server_url=server_url, username=username,
        )
        key = _new_key(profile, passphrase=passphrase, backend=keyring_backend)
        profile.save()
    else:
        key = _existing_key(profile, db_exists=db_exists, passphrase=passphrase,
                            backend=keyring_backend)
    try:
        db = Database(profile.db_path, key)
    except KeyUnavailable as exc:
        if profile.key_source == "passphrase" and exc.reason == "wrong_key":
            raise KeyUnavailable(_("口令不正确，请重新输入。"), reason="wrong_passphrase") from exc
        raise
    try:
        db.restore_indexes()  # a bulk pull cut short: its schema, as it was, before migrating
        db.migrate()
    except BaseException:
        db.close()
        raise
    store = LocalStore(
        profile=profile, db=db, records=RecordStore(db), blobs=BlobStore(db, profile.blob_dir)
    )
    store.open_ms = (time.perf_counter() - started) * 1000
    log.info("profile opened in %.1f ms (schema %d)", store.open_ms, db.user_version)
    return store


def _new_key(profile: Profile, *, passphrase: str | None, backend) -> bytes:
    if passphrase:
        profile.key_source = "passphrase"
        profile.kdf = keys.new_kdf_params()
        return keys.derive_key(passphrase, profile.kdf)
    status = keys.read_entry(profile.profile_id, backend=backend)
    if status.failure:
        raise keys.keyring_failure_error(status, new_profile=True)
    if status.entry:  # a key minted earlier whose database was never written: reuse it
        return keys.decode_entry(status.entry)
    return keys.mint_key(profile.profile_id, backend=backend)


def _existing_key(profile: Profile, *, db_exists: bool, passphrase: str | None, backend) -> bytes:
    if profile.key_source == "passphrase":
        if not passphrase:
            raise KeyUnavailable(
                _("本机数据由口令保护，请输入口令。"), reason="passphrase_required"
            )
        return keys.derive_key(passphrase, profile.kdf)
    status = keys.read_entry(profile.profile_id, backend=backend)
    if status.failure:
        raise keys.keyring_failure_error(status, new_profile=not db_exists)
    if status.entry is None:
        if db_exists:
            raise KeyUnavailable(
                _(
                    "系统密钥环中没有本机数据的密钥（可能已被删除或换了用户）。"
                    "为保护已有数据，不会新建密钥覆盖。请恢复密钥环，或删除此配置后重新登录同步。"
                ),
                reason="no_entry",
                can_use_passphrase=False,
            )
        return keys.mint_key(profile.profile_id, backend=backend)
    return keys.decode_entry(status.entry)
