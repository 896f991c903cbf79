"""Where blob bytes live: a local directory (one node, the default) or S3-compatible object
storage (several nodes: MinIO, Ceph RGW, a cloud's OSS), chosen by `Settings.blob_store`.

A backend holds two kinds of bytes and knows nothing of users or rows (`BlobStore` does):

- finished blobs, named by their SHA-256, written once and read in ranges;
- the spool of an unfinished upload, written chunk by chunk at the offsets the database
  allows, then checked against its SHA-256 and kept as a blob (`spool_commit`) or dropped.

On the local disk the spool is one file per upload; on S3 each chunk is its own object,
so any node can take the next chunk or finish an upload another node began.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from oa_client.errors import NotFoundError
from oa_server.i18n import _

if TYPE_CHECKING:
    from oa_server.config import Settings

READ_BLOCK = 1 << 20


class BlobBackend(Protocol):
    """The bytes of blobs and of unfinished uploads."""

    #: "local" or "s3", for logs and errors (never an address or a credential)
    kind: str

    def has(self, sha256: str) -> bool:
        """Whether the finished blob is stored."""

    def local_path(self, sha256: str) -> Path | None:
        """The blob's file when it is on this machine's disk (served with sendfile), else None."""

    def open_range(self, sha256: str, *, start: int, stop: int) -> Iterator[bytes]:
        """Bytes [start, stop) of a stored blob, streamed; the store is asked before it returns."""

    def put(self, sha256: str, data: bytes) -> None:
        """Keep bytes the server made (their SHA-256 computed by the caller), once."""

    def spool_start(self, upload_id: str) -> None:
        """Make room for a new upload."""

    def spool_write(self, upload_id: str, *, offset: int, data: bytes) -> None:
        """Keep a chunk at `offset`, durably, before returning."""

    def spool_commit(self, upload_id: str, *, sha256: str, size: int) -> bool:
        """Check the spooled bytes against `sha256`; keep them as that blob (unless already
        stored) and free the spool. False, spool freed, when they do not match."""

    def spool_drop(self, upload_id: str) -> None:
        """Free an upload's spool (missing is fine)."""


def read_all(backend: BlobBackend, sha256: str, size: int) -> bytes:
    """A whole stored blob in memory (for the server's own packaging of small files)."""
    return b"".join(backend.open_range(sha256, start=0, stop=size))


class LocalBackend:
    """Blobs under `root/ab/abcdef…`; each upload spools into `root/uploads/<id>`."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        """Where a finished blob lives."""
        return self.root / sha256[:2] / sha256

    def _spool(self, upload_id: str) -> Path:
        return self.root / "uploads" / upload_id

    def has(self, sha256: str) -> bool:
        """Whether the blob's file exists."""
        return self.path(sha256).exists()

    def local_path(self, sha256: str) -> Path | None:
        """The blob's file."""
        return self.path(sha256)

    def open_range(self, sha256: str, *, start: int, stop: int) -> Iterator[bytes]:
        """Read the file from `start` to `stop` in 1 MB blocks."""
        f = self.path(sha256).open("rb")
        return _file_blocks(f, start=start, stop=stop)

    def put(self, sha256: str, data: bytes) -> None:
        """Write through a temporary name so a reader never sees half a file."""
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{sha256}.{uuid.uuid4().hex}")
        tmp.write_bytes(data)
        tmp.replace(target)

    def spool_start(self, upload_id: str) -> None:
        """An empty spool file."""
        spool = self._spool(upload_id)
        spool.parent.mkdir(parents=True, exist_ok=True)
        spool.write_bytes(b"")

    def spool_write(self, upload_id: str, *, offset: int, data: bytes) -> None:
        """Write at `offset` and cut what lay beyond (a write whose commit failed), fsync."""
        try:
            f = self._spool(upload_id).open("r+b")
        except FileNotFoundError:  # begun on another node's disk: S3 lets nodes share uploads
            raise NotFoundError(_("上传任务不存在或已过期，请重新上传"), upload_id=upload_id) from None
        with f:
            f.seek(offset)
            f.write(data)
            f.truncate()
            f.flush()
            os.fsync(f.fileno())

    def spool_commit(self, upload_id: str, *, sha256: str, size: int) -> bool:
        """Hash the spool file; move it into place when it matches."""
        spool = self._spool(upload_id)
        digest = hashlib.sha256()
        with spool.open("rb") as f:
            for block in iter(lambda: f.read(READ_BLOCK), b""):
                digest.update(block)
        if digest.hexdigest() != sha256:
            spool.unlink(missing_ok=True)
            return False
        target = self.path(sha256)
        if target.exists():
            spool.unlink(missing_ok=True)  # the same bytes are stored once
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            spool.replace(target)
        return True

    def spool_drop(self, upload_id: str) -> None:
        """Remove the spool file."""
        self._spool(upload_id).unlink(missing_ok=True)


def _file_blocks(f, *, start: int, stop: int) -> Iterator[bytes]:
    with f:
        f.seek(start)
        left = stop - start
        while left > 0:
            block = f.read(min(READ_BLOCK, left))
            if not block:
                return
            left -= len(block)
            yield block


def backend_from(settings: Settings) -> BlobBackend:
    """The backend `settings.blob_store` names: `s3://bucket/prefix`, a directory, or (unset)
    `<data dir>/blobs`."""
    target = (settings.blob_store or "").strip()
    if target.startswith("s3://"):
        from oa_server.blob_s3 import S3Backend

        return S3Backend.from_settings(settings)
    return LocalBackend(Path(target) if target else settings.data_dir / "blobs")
