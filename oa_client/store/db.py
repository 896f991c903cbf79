"""The SQLCipher connection: raw key, pragmas, migrations, transactions, clear errors."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlcipher3
from sqlcipher3 import dbapi2

from oa_client.errors import KeyUnavailable, StoreError, ValidationError
from oa_client.i18n import _
from oa_client.store import schema
from oa_client.store.grams import grams, record_grams

log = logging.getLogger(__name__)

CACHE_KIB = 128 * 1024  # decrypted page cache: keeps encrypted reads close to plain ones
#: WAL pages a commit may leave before it copies them into the database itself (SQLite's
#: default is 1,000: a pull of 1,000 changes spread over 100k records dirties ~3,000 pages,
#: so every such commit also wrote them all a second time). The sync checkpoints when it
#: is done (`Database.checkpoint`), and closing the profile empties the WAL.
WAL_CHECKPOINT_PAGES = 16_384


# sqlcipher3 binds a parameter that is not exactly int, float, str or bytes through its adapter
# table; a type with no entry costs two failed attribute lookups (exceptions raised and
# cleared) per value — about 1 µs, more than binding a string. A pulled record binds
# several None columns (and a few flags): entries that give the same value back as SQLite
# would bind it make them a dictionary hit instead. Process-wide: NULL stays NULL, a flag 0/1.
sqlcipher3.register_adapter(type(None), lambda value: value)
sqlcipher3.register_adapter(bool, int)


def integrity_error(exc: Exception) -> ValidationError:
    """A broken constraint as a ValidationError naming the field."""
    text = str(exc)
    found = re.search(r"failed: (?:\w+\.)?(\w+)", text)
    field = found.group(1) if found else ""
    if "NOT NULL" in text:
        return ValidationError(_("缺少必填内容：{field}").format(field=field), field=field)
    if "CHECK" in text:
        return ValidationError(_("内容不符合要求：{field}").format(field=field), field=field)
    return ValidationError(_("与已有记录冲突：{field}").format(field=field), field=field)


def sqlite_error(exc: Exception, path: Path | str) -> StoreError | ValidationError:
    """Map an SQLite error to an error a civil servant can act on."""
    if isinstance(exc, dbapi2.IntegrityError):
        return integrity_error(exc)
    text = str(exc).lower()
    if "disk is full" in text or ("disk i/o error" in text and "full" in text):
        return StoreError(
            _("磁盘空间已满，无法保存。请清理磁盘后重试，已保存的数据不受影响。"),
            kind="disk_full",
            path=str(path),
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StoreError(
            _("数据目录只读或无权写入：{path}。请检查目录权限，或用 --profile 指定其他目录。").format(
                path=path
            ),
            kind="read_only",
            path=str(path),
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            _("本机数据正被另一个客户端窗口使用，请关闭其他窗口后重试。"), kind="busy", path=str(path)
        )
    return StoreError(
        _("本机数据库出错：{reason}").format(reason=type(exc).__name__), kind="io", path=str(path)
    )


class Database:
    """One SQLCipher connection with the house pragmas; not shared across threads at once."""

    def __init__(self, path: Path, key: bytes, *, plain: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self.closed = False
        self.plain = plain  # only the benchmark's baseline opens an unencrypted file
        try:
            self.conn = sqlcipher3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=10
            )
        except dbapi2.Error as exc:
            raise sqlite_error(exc, self.path) from exc
        try:
            if not plain:
                self.conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            self._check_key()
            self._pragmas()
        except BaseException:
            self.conn.close()
            raise
        self.conn.create_function("oa_grams", 1, grams, deterministic=True)  # the v2 back-fill
        self.conn.create_function("oa_record_grams", 2, record_grams, deterministic=True)

    def _check_key(self) -> None:
        try:
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except dbapi2.DatabaseError as exc:
            if "not a database" in str(exc):
                raise KeyUnavailable(
                    _("密钥与本机数据不匹配，无法解密。请确认使用的是本机原来的密钥环或口令。"),
                    reason="wrong_key",
                ) from exc
            raise sqlite_error(exc, self.path) from exc

    def _pragmas(self) -> None:
        try:
            self.conn.execute("PRAGMA journal_mode = WAL").fetchone()
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA temp_store = MEMORY")  # no plaintext temp files
            self.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self.conn.execute("PRAGMA busy_timeout = 10000")
        except dbapi2.Error as exc:
            raise sqlite_error(exc, self.path) from exc

    # -- versions -----------------------------------------------------------------

    @property
    def user_version(self) -> int:
        """The schema version stored in the file."""
        with self._open():
            return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def _open(self) -> Iterator[None]:
        """Hold the connection for one use; a closed store is a StoreError, never a use of a
        closed connection (a sync still running when the window closed the profile)."""
        with self._lock:
            if self.closed:
                raise StoreError(_("本机数据已关闭"), kind="closed", path=str(self.path))
            yield

    @contextlib.contextmanager
    def held(self) -> Iterator[sqlcipher3.Connection]:
        """Keep other threads off the connection across several uses (a transaction and what
        is read right after its COMMIT); reentrant."""
        with self._open():
            yield self.conn

    def migrate(self, *, target: int = schema.LATEST_VERSION) -> int:
        """Bring the schema up to `target`; refuse a file written by a newer version."""
        current = self.user_version
        if current > schema.LATEST_VERSION:
            raise StoreError(
                _(
                    "此数据由更新版本的客户端创建（数据版本 {found}，本程序只支持到 {supported}）。"
                    "请升级客户端后再打开；数据未做任何改动。"
                ).format(found=current, supported=schema.LATEST_VERSION),
                kind="schema_too_new",
                found=current,
                supported=schema.LATEST_VERSION,
            )
        for version in range(current + 1, target + 1):
            script = schema.MIGRATIONS[version - 1]
            try:
                self.conn.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
                )
            except dbapi2.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise sqlite_error(exc, self.path) from exc
            log.info("store migrated to schema %d", version)
        return self.user_version

    # -- statements -------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, *, refetchable: bool = False) -> Iterator[sqlcipher3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; rolled back on any error (nothing half-written).

        A commit is on disk before it returns (`synchronous = FULL`: an outbox op survives a
        power cut). `refetchable`: the transaction holds only what the server or the profile
        can give again — a pulled page with its cursor, a push's answers (a resent op gets its
        stored answer), search or index rebuilds — so it is committed to the WAL without
        waiting for the disk (`NORMAL`). A power cut can lose it, never corrupt anything nor
        lose a FULL commit: WAL frames are kept in order, so the next FULL commit (any edit
        on this desk) makes everything before it durable too. A crash of the process alone
        loses nothing.
        """
        with self._open(), (self._not_waiting_for_disk() if refetchable
                             else contextlib.nullcontext()):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except dbapi2.Error as exc:
                raise sqlite_error(exc, self.path) from exc
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except dbapi2.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise sqlite_error(exc, self.path) from exc
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _not_waiting_for_disk(self) -> Iterator[None]:
        """`synchronous = NORMAL` for one transaction, FULL again afterwards (see above)."""
        self._synchronous("NORMAL")
        try:
            yield
        finally:
            self._synchronous("FULL")

    def _synchronous(self, level: str) -> None:
        try:
            self.conn.execute(f"PRAGMA synchronous = {level}")
        except dbapi2.Error as exc:
            raise sqlite_error(exc, self.path) from exc

    @contextlib.contextmanager
    def deferred_search(self, *, refetchable: bool = False) -> Iterator[sqlcipher3.Connection]:
        """A transaction whose record writes skip the search index and leave a backlog mark
        (`refetchable` as for `transaction`).

        The `search_deferred` row that the v6 triggers look for never outlives the
        transaction: it is removed before COMMIT, and a failure rolls it back.
        """
        with self.transaction(refetchable=refetchable) as conn:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('search_backlog', '1')")
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('search_deferred', '1')")
            yield conn
            conn.execute("DELETE FROM meta WHERE key = 'search_deferred'")

    @staticmethod
    def defer_indexes(conn: sqlcipher3.Connection, table: str) -> int:
        """Drop a table's own non-unique indexes inside the caller's transaction.

        Their definitions go to the `index_backlog` meta row in the same transaction, so
        `restore_indexes` rebuilds them after the bulk write, or on the next open if the
        process died first. Unique indexes stay: they guard the data.
        """
        names = [row[1] for row in conn.execute(f"PRAGMA index_list({table})")
                 if row[3] == "c" and not row[2]]
        if not names:
            return 0
        marks = ",".join("?" * len(names))
        sqls = [row[0] for row in conn.execute(
            f"SELECT sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})", names)]
        row = conn.execute("SELECT value FROM meta WHERE key = 'index_backlog'").fetchone()
        backlog = json.loads(row[0]) if row else []
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('index_backlog', ?)",
                     (json.dumps(backlog + sqls, ensure_ascii=False),))
        for name in names:
            conn.execute(f'DROP INDEX "{name}"')
        return len(names)

    def restore_indexes(self) -> int:
        """Rebuild the indexes `defer_indexes` dropped, in one transaction; how many."""
        if self.user_version == 0:  # a new file: no meta table yet
            return 0
        rows = self.query("SELECT value FROM meta WHERE key = 'index_backlog'")
        if not rows:
            return 0
        sqls = json.loads(rows[0][0])
        with self.transaction(refetchable=True) as conn:  # the backlog row stays until done
            for sql in sqls:
                conn.execute(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
            conn.execute("DELETE FROM meta WHERE key = 'index_backlog'")
        log.info("rebuilt %d deferred indexes", len(sqls))
        return len(sqls)

    def checkpoint(self) -> bool:
        """Copy what the WAL holds into the database file, without waiting for readers or
        writers (a quiet moment's job: the end of a sync); whether all of it went."""
        with self._open():
            try:
                busy, frames, copied = self.conn.execute(
                    "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except dbapi2.OperationalError as exc:
                raise sqlite_error(exc, self.path) from exc
        return not busy and frames == copied

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """Run a read and return all rows."""
        with self._open():
            try:
                return self.conn.execute(sql, params).fetchall()
            except dbapi2.OperationalError as exc:
                raise sqlite_error(exc, self.path) from exc

    def close(self) -> None:
        """Close the connection (checkpointing the WAL); waits for a use in progress on another
        thread, and every later use is a StoreError. Closing twice is harmless."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(dbapi2.Error):
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()
