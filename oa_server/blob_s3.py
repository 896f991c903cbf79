"""Blobs on S3-compatible object storage (boto3): every node of a city's server sees the same
bytes, and an upload begun on one node can take its next chunk on, or be finished by, another.

Keys under `s3://bucket/prefix`:

    prefix/blobs/ab/abcdef…           a finished blob, named by its SHA-256
    prefix/uploads/<id>/<offset>      one chunk of an unfinished upload (offset zero-padded)
    prefix/staging/<id>               the chunks joined, while their hash is checked

Chunks are separate objects rather than parts of an S3 multipart upload because clients send
1 MB chunks and S3 refuses parts under 5 MB. The database says where an upload stands (its
row is locked while a chunk is kept), so the chunk at each committed offset is the last one
written there; finishing walks the chain 0 → size, streams it through SHA-256 into a staging
object (boto3's managed multipart upload, a few MB in memory) and, when the hash matches,
copies that to the blob's key inside the store. A blob key is never written with unchecked
bytes. Unreachable or refusing storage raises `StorageUnavailable` (503): nothing in the
database moved, so the client resumes from where the server stood.

Credentials come from the settings or, unset, boto3's own chain (AWS_* variables, instance
role); they are never logged: errors carry the exception's class and S3's error code only.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from oa_server.errors import StorageUnavailable
from oa_server.i18n import _

if TYPE_CHECKING:
    from oa_server.config import Settings

log = logging.getLogger(__name__)
STREAM_BLOCK = 1 << 16
PART_BYTES = 8 * 1024 * 1024


def _unavailable(exc: Exception, *, action: str) -> StorageUnavailable:
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    log.warning("object storage failed to %s: %s %s", action, type(exc).__name__, code)
    return StorageUnavailable(_("附件存储暂时无法访问，请稍后重试（已上传的部分会保留）"),
                              backend="s3", error=type(exc).__name__, s3_code=code or None)


class _Guard:
    """Turns botocore's failures inside the block into StorageUnavailable."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        if exc is not None and isinstance(exc, (BotoCoreError, ClientError)):
            raise _unavailable(exc, action=self.action) from exc
        return False


def _not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
    return code in ("404", "NoSuchKey", "NotFound")


class _Chain:
    """A read-only file over the chunk objects in order, hashing what passes through."""

    def __init__(self, client: Any, bucket: str, keys: list[str]) -> None:
        self.client, self.bucket, self.keys = client, bucket, iter(keys)
        self.body: Any = None
        self.digest = hashlib.sha256()
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        """Up to n bytes (all when n < 0), crossing from one chunk object into the next."""
        out = bytearray()
        while n < 0 or len(out) < n:
            if self.body is None:
                key = next(self.keys, None)
                if key is None:
                    break
                self.body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            block = self.body.read(-1 if n < 0 else n - len(out))
            if not block:
                self.body.close()
                self.body = None
                continue
            out += block
        data = bytes(out)
        self.digest.update(data)
        self.read_bytes += len(data)
        return data


class S3Backend:
    """Blobs and upload chunks as objects in one bucket under one prefix."""

    kind = "s3"

    def __init__(self, client: Any, *, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Backend:
        """A client for `settings.blob_store` (s3://bucket/prefix) and the s3_* settings."""
        import boto3
        from botocore.config import Config

        rest = (settings.blob_store or "")[len("s3://"):]
        bucket, _slash, prefix = rest.partition("/")
        config = Config(connect_timeout=settings.s3_connect_timeout, read_timeout=30,
                        retries={"max_attempts": 3, "mode": "standard"},
                        s3={"addressing_style": settings.s3_addressing_style},
                        # checksums only where S3 requires them: MinIO, Ceph and OSS releases
                        # that predate the newer default trailers refuse them
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required")
        client = boto3.session.Session().client(
            "s3", endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region or None,
            aws_access_key_id=settings.s3_access_key_id or None,
            aws_secret_access_key=settings.s3_secret_access_key or None, config=config)
        return cls(client, bucket=bucket, prefix=prefix)

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def blob_key(self, sha256: str) -> str:
        """The object key of a finished blob."""
        return self._key("blobs", sha256[:2], sha256)

    def _chunk_dir(self, upload_id: str) -> str:
        return self._key("uploads", upload_id) + "/"

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        with _Guard("look up an object"):
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _not_found(exc):
                    return False
                raise
        return True

    def has(self, sha256: str) -> bool:
        """HEAD the blob's object."""
        return self._exists(self.blob_key(sha256))

    def local_path(self, sha256: str) -> None:
        """Never on this machine's disk."""
        return None

    def open_range(self, sha256: str, *, start: int, stop: int) -> Iterator[bytes]:
        """GET with a Range; the body streams in 64 KB blocks (never whole in memory)."""
        if stop <= start:
            return iter(())
        with _Guard("read a blob"):
            body = self.client.get_object(Bucket=self.bucket, Key=self.blob_key(sha256),
                                          Range=f"bytes={start}-{stop - 1}")["Body"]
        return _stream(body)

    def put(self, sha256: str, data: bytes) -> None:
        """PUT the bytes unless the blob is there."""
        if self.has(sha256):
            return
        with _Guard("store a blob"):
            self.client.put_object(Bucket=self.bucket, Key=self.blob_key(sha256), Body=data)

    def spool_start(self, upload_id: str) -> None:
        """Nothing to make: chunks are objects of their own."""

    def spool_write(self, upload_id: str, *, offset: int, data: bytes) -> None:
        """PUT the chunk as `uploads/<id>/<offset>`."""
        with _Guard("store a chunk"):
            self.client.put_object(Bucket=self.bucket, Key=f"{self._chunk_dir(upload_id)}{offset:015d}",
                                   Body=data)

    def _chunks(self, upload_id: str) -> dict[int, tuple[str, int]]:
        """offset → (key, size) of every chunk object of the upload."""
        found: dict[int, tuple[str, int]] = {}
        with _Guard("list an upload's chunks"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._chunk_dir(upload_id))
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"].rsplit("/", 1)[-1]
                    if name.isdigit():
                        found[int(name)] = (item["Key"], int(item["Size"]))
        return found

    def _chain(self, upload_id: str, size: int) -> list[str] | None:
        """The chunk keys that tile [0, size) from offset 0, or None when there is a gap."""
        chunks, keys, pos = self._chunks(upload_id), [], 0
        while pos < size:
            found = chunks.get(pos)
            if found is None or found[1] == 0:
                return None
            keys.append(found[0])
            pos += found[1]
        return keys if pos == size else None

    def spool_commit(self, upload_id: str, *, sha256: str, size: int) -> bool:
        """Stream the chain through SHA-256 into staging; copy to the blob key if it matches."""
        from boto3.s3.transfer import TransferConfig

        keys = self._chain(upload_id, size)
        if keys is None:
            self.spool_drop(upload_id)
            return False
        staging = self._key("staging", upload_id)
        chain = _Chain(self.client, self.bucket, keys)
        with _Guard("join an upload's chunks"):
            self.client.upload_fileobj(chain, self.bucket, staging, Config=TransferConfig(
                multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES,
                max_concurrency=2))
        if chain.read_bytes != size or chain.digest.hexdigest() != sha256:
            self.spool_drop(upload_id)
            return False
        if not self.has(sha256):
            with _Guard("store a blob"):
                self.client.copy(CopySource={"Bucket": self.bucket, "Key": staging},
                                 Bucket=self.bucket, Key=self.blob_key(sha256))
        self.spool_drop(upload_id)
        return True

    def spool_drop(self, upload_id: str) -> None:
        """Delete the upload's chunks and staging object."""
        keys = [key for key, _size in self._chunks(upload_id).values()]
        keys.append(self._key("staging", upload_id))
        with _Guard("delete an upload's chunks"):
            for i in range(0, len(keys), 1000):
                self.client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})


def _stream(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(STREAM_BLOCK)
    finally:
        body.close()
