"""Attachments: small ones inside the encrypted database, large ones as encrypted files.

A large attachment is sealed in 1 MiB chunks with AES-256-GCM (a STREAM
construction: nonce = random prefix ‖ chunk counter, the last chunk flagged in the
associated data, so chunks cannot be reordered, dropped or truncated unnoticed),
under a random per-file key kept in the database. The file is named by a keyed
hash of its content (HMAC with a secret in the database), so equal files share
one file without revealing to a reader of the disk which public file it is.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from oa_client.domain.ids import new_id
from oa_client.errors import NotFoundError, StoreError, ValidationError
from oa_client.i18n import _
from oa_client.store.db import Database
from oa_client.store.profile import os_store_error
from oa_client.store.records import Changes, Op, RecordStore


def metadata(*, owner_kind: str, owner_id: str, name: str, size: int, sha256: str,
             mime: str | None, purpose: str | None = None) -> dict:
    """What the server keeps of an attachment: who owns it, its name, size and hash (and
    `purpose` "signature" for a handwritten signature on an opinion)."""
    out = {"owner_kind": owner_kind, "owner_id": owner_id, "name": name, "size": size,
           "sha256": sha256, "mime": mime}
    if purpose:
        out["purpose"] = purpose
    return out

MAGIC = b"OAB1"
CHUNK = 1024 * 1024
INLINE_LIMIT = 4 * 1024 * 1024  # "a few MB": above this, the file lives outside the DB
MAX_ATTACHMENT = 2 * 1024 * 1024 * 1024
_HEADER = struct.Struct(">4sI8s")  # magic, chunk size, nonce prefix


def _nonce(prefix: bytes, counter: int) -> bytes:
    return prefix + struct.pack(">I", counter)


def _aad(counter: int, last: bool) -> bytes:
    return struct.pack(">I?", counter, last)


def encrypt_stream(src: BinaryIO, dst: BinaryIO, key: bytes) -> tuple[int, str]:
    """Encrypt `src` into `dst`; return (plaintext size, plaintext SHA-256 hex)."""
    aead = AESGCM(key)
    prefix = secrets.token_bytes(8)
    dst.write(_HEADER.pack(MAGIC, CHUNK, prefix))
    digest = hashlib.sha256()
    size, counter = 0, 0
    chunk = src.read(CHUNK)
    while True:
        nxt = src.read(CHUNK) if len(chunk) == CHUNK else b""
        last = not nxt
        digest.update(chunk)
        size += len(chunk)
        dst.write(aead.encrypt(_nonce(prefix, counter), chunk, _aad(counter, last)))
        if last:
            return size, digest.hexdigest()
        counter += 1
        chunk = nxt


def decrypt_stream(src: BinaryIO, key: bytes) -> Iterator[bytes]:
    """Yield the plaintext chunks of an encrypted file; raise StoreError if it was altered."""
    header = src.read(_HEADER.size)
    if len(header) != _HEADER.size:
        raise _damaged()
    magic, chunk_size, prefix = _HEADER.unpack(header)
    if magic != MAGIC or chunk_size <= 0:
        raise _damaged()
    aead = AESGCM(key)
    counter = 0
    sealed = src.read(chunk_size + 16)
    while True:
        nxt = src.read(chunk_size + 16)
        last = not nxt
        try:
            yield aead.decrypt(_nonce(prefix, counter), sealed, _aad(counter, last))
        except InvalidTag:
            raise _damaged() from None
        if last:
            return
        counter += 1
        sealed = nxt


def _damaged() -> StoreError:
    return StoreError(
        _("附件文件已损坏或被改动，无法打开。请重新同步该附件。"), kind="corrupt_blob"
    )


class BlobStore:
    """Attachments of any record: put, read, delete."""

    def __init__(self, db: Database, directory: Path, *, inline_limit: int = INLINE_LIMIT):
        self.db = db
        self.directory = directory
        self.inline_limit = inline_limit

    def _secret(self) -> bytes:
        return bytes.fromhex(
            self.db.query("SELECT value FROM meta WHERE key = 'blob_name_secret'")[0][0]
        )

    def put(
        self, *, owner_kind: str, owner_id: str, name: str, data: bytes | BinaryIO,
        mime: str | None = None, sync: bool = False, attachment_id: str | None = None,
        purpose: str | None = None,
    ) -> tuple[str, Changes]:
        """Store an attachment; with `sync`, queue its metadata for the server too."""
        if not name or len(name) > 255 or "/" in name or "\\" in name:
            raise ValidationError(_("附件名称不合法。"), field="name")
        src = io.BytesIO(data) if isinstance(data, bytes) else data
        head = src.read(self.inline_limit + 1)
        attachment_id = attachment_id or new_id()
        if len(head) <= self.inline_limit:
            row = (head, len(head), hashlib.sha256(head).hexdigest(), "inline", None, None)
        else:
            row = self._write_file(head, src)
        content, size, sha, storage, blob_name, file_key = row
        queued = 0
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO attachments(id, owner_kind, owner_id, name, size, sha256, mime,"
                " content, storage, blob_name, file_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (attachment_id, owner_kind, owner_id, name, size, sha, mime, content, storage,
                 blob_name, file_key),
            )
            if sync:
                op = Op(kind="upsert", entity="attachments", entity_id=attachment_id,
                        payload=metadata(owner_kind=owner_kind, owner_id=owner_id, name=name,
                                         size=size, sha256=sha, mime=mime, purpose=purpose))
                queued = RecordStore.enqueue_in(conn, [op])
        return attachment_id, Changes(collections={"attachments"}, ids={attachment_id},
                                      queued_ops=queued)

    def add_remote(self, conn, *, attachment_id: str, rev: int, data: dict) -> None:
        """Record an attachment known from the server whose bytes are not here yet."""
        row = conn.execute("SELECT storage FROM attachments WHERE id = ?", (attachment_id,)).fetchone()
        if row is not None and row[0] != "remote":
            conn.execute("UPDATE attachments SET rev = ?, name = ?, deleted = 0 WHERE id = ?",
                         (rev, data.get("name") or "", attachment_id))
            return
        conn.execute(
            "INSERT INTO attachments(id, rev, owner_kind, owner_id, name, size, sha256, mime,"
            " storage, uploaded) VALUES (?,?,?,?,?,?,?,?,'remote',1)"
            " ON CONFLICT(id) DO UPDATE SET rev = excluded.rev, name = excluded.name,"
            " size = excluded.size, sha256 = excluded.sha256, deleted = 0",
            (attachment_id, rev, data.get("owner_kind") or "", data.get("owner_id") or "",
             data.get("name") or "", int(data.get("size") or 0), data.get("sha256") or "",
             data.get("mime")),
        )

    def fill_remote(self, attachment_id: str, data: bytes) -> None:
        """Store the bytes of a remote attachment once downloaded (checked against its hash)."""
        rows = self.db.query("SELECT sha256 FROM attachments WHERE id = ? AND storage = 'remote'",
                             (attachment_id,))
        if not rows:
            return
        if hashlib.sha256(data).hexdigest() != rows[0][0]:
            raise _damaged()
        if len(data) <= self.inline_limit:
            row = (data, "inline", None, None)
        else:
            content, _size, _sha, storage, blob_name, file_key = self._write_file(
                data[: self.inline_limit + 1], io.BytesIO(data[self.inline_limit + 1 :]))
            row = (content, storage, blob_name, file_key)
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE attachments SET content = ?, storage = ?, blob_name = ?, file_key = ?"
                " WHERE id = ? AND storage = 'remote'",
                (*row, attachment_id),
            )

    def _write_file(self, head: bytes, rest: BinaryIO) -> tuple:
        key = secrets.token_bytes(32)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.directory / f".incoming-{new_id()}"
            try:
                with tmp.open("wb") as dst:
                    size, sha = encrypt_stream(_Chain(head, rest), dst, key)
                    if size > MAX_ATTACHMENT:
                        raise ValidationError(_("附件过大（超过 2 GB）。"), field="data")
                    dst.flush()
                    os.fsync(dst.fileno())
                name = hmac.new(self._secret(), bytes.fromhex(sha), "sha256").hexdigest()
                existing = self.db.query(
                    "SELECT file_key FROM attachments WHERE blob_name = ? LIMIT 1", (name,)
                )
                if existing and (self.directory / name).exists():
                    key = existing[0][0]  # same content already stored: share that file
                else:
                    os.replace(tmp, self.directory / name)
            finally:
                if tmp.exists():
                    tmp.unlink()
        except OSError as exc:
            raise os_store_error(exc, self.directory) from exc
        return None, size, sha, "file", name, key

    def _row(self, attachment_id: str) -> tuple:
        rows = self.db.query(
            "SELECT storage, content, blob_name, file_key, size, sha256 FROM attachments"
            " WHERE id = ? AND deleted = 0",
            (attachment_id,),
        )
        if not rows:
            raise NotFoundError(_("找不到该附件。"), id=attachment_id)
        return rows[0]

    def open(self, attachment_id: str) -> Iterator[bytes]:
        """The attachment's bytes, chunk by chunk (decrypted in memory, never to disk)."""
        storage, content, blob_name, file_key, _size, _sha = self._row(attachment_id)
        if storage == "remote":
            raise StoreError(
                _("附件尚未下载到本机，联网同步后即可打开。"), kind="not_downloaded",
                id=attachment_id,
            )
        if storage == "inline":
            yield content
            return
        try:
            with (self.directory / blob_name).open("rb") as src:
                yield from decrypt_stream(src, file_key)
        except FileNotFoundError:
            raise StoreError(
                _("附件文件缺失，请重新同步该附件。"), kind="missing_blob", id=attachment_id
            ) from None

    def read(self, attachment_id: str) -> bytes:
        """The whole attachment, checked against its SHA-256."""
        data = b"".join(self.open(attachment_id))
        sha = self._row(attachment_id)[5]
        if hashlib.sha256(data).hexdigest() != sha:
            raise _damaged()
        return data

    def delete(self, attachment_id: str) -> Changes:
        """Remove an attachment; its file goes when no other attachment shares it."""
        storage, _content, blob_name, *_rest = self._row(attachment_id)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM attachments WHERE id = ?", (attachment_id,))
            shared = conn.execute(
                "SELECT count(*) FROM attachments WHERE blob_name = ?", (blob_name,)
            ).fetchone()[0]
        if storage == "file" and not shared:
            (self.directory / blob_name).unlink(missing_ok=True)
        return Changes(collections={"attachments"}, ids={attachment_id})


class _Chain(io.RawIOBase):
    """Read `head` then the rest of a stream, as one stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = io.BytesIO(head)
        self._rest = rest

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        data = self._head.read(n)
        if n < 0:
            return data + self._rest.read()
        if len(data) < n:
            data += self._rest.read(n - len(data))
        return data
