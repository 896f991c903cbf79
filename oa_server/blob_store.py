"""Content-addressed blob storage on the server: resumable chunked uploads, ranged reads.

The database says which blobs exist and where each upload stands (`Blob`, `BlobUpload`);
the bytes live in a backend (`oa_server.blob_backends`: a local directory, or S3 shared by
several nodes). Who may learn of, attach or read a blob is `oa_server.blob_access`'s to say."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oa_client.errors import ConflictError, NotFoundError, ValidationError
from oa_server import authz
from oa_server.blob_access import add_owner, can_read_blob
from oa_server.blob_backends import BlobBackend, backend_from, read_all
from oa_server.errors import PayloadTooLarge, StorageUnavailable
from oa_server.i18n import _
from oa_server.ids import new_id
from oa_server.models import User
from oa_server.sync_models import Blob, BlobUpload
from sync.protocol import UploadState

if TYPE_CHECKING:
    from oa_server.config import Settings

log = logging.getLogger(__name__)

MAX_BLOB_BYTES = 512 * 1024 * 1024
MAX_CHUNK_BYTES = 8 * 1024 * 1024
UPLOAD_QUOTA_BYTES = 2 * 1024 * 1024 * 1024


class BadOffset(ConflictError):
    """Raised when a chunk does not start where the upload stands (out of order or overlapping)."""

    code = "bad_offset"


class HashMismatch(ValidationError):
    """Raised when the finished upload's bytes do not match the announced SHA-256."""

    code = "hash_mismatch"


class BlobStore:
    """Blob rows in the database, bytes in `backend`; the declared sizes of one user's
    unfinished uploads stay within `quota` (expired ones are cleared)."""

    def __init__(self, backend: BlobBackend, *, quota: int = UPLOAD_QUOTA_BYTES) -> None:
        self.backend = backend
        self.quota = quota

    def exists(self, session: Session, sha256: str) -> Blob | None:
        """The blob row if the blob is stored."""
        blob = session.get(Blob, sha256)
        return blob if blob is not None and self.backend.has(sha256) else None

    def open_range(self, sha256: str, *, start: int, stop: int) -> Iterator[bytes]:
        """Bytes [start, stop) of a stored blob, streamed."""
        return self.backend.open_range(sha256, start=start, stop=stop)

    def read_bytes(self, session: Session, sha256: str) -> bytes:
        """A whole stored blob (the server's own packaging); NotFoundError when absent."""
        blob = self.exists(session, sha256)
        if blob is None:
            raise NotFoundError(_("服务器上没有该附件"), sha256=sha256)
        return read_all(self.backend, sha256, blob.size)

    def keep(self, session: Session, data: bytes, *, sha256: str, user: User,
             now: datetime) -> None:
        """Store bytes the server made (their SHA-256 given) and their row, once."""
        self.backend.put(sha256, data)
        if session.get(Blob, sha256) is None:
            session.add(Blob(sha256=sha256, size=len(data), created_by=str(user.id),
                             created_at=now))

    def start(
        self, session: Session, *, user: User, sha256: str, size: int, now: datetime
    ) -> UploadState:
        """Open an upload (or say it is already there); size over the limit is refused."""
        authz.require_business_user(user)
        if size > MAX_BLOB_BYTES:
            raise PayloadTooLarge(
                _("附件超过 {mb} MB 的上限").format(mb=MAX_BLOB_BYTES // (1024 * 1024)), size=size
            )
        if self.exists(session, sha256) and can_read_blob(session, user=user, sha256=sha256):
            return UploadState(upload_id="", sha256=sha256, size=size, received=size, complete=True)
        # stored or not, bytes one may not read are uploaded like new ones (no oracle)
        self._check_quota(session, user=user, size=size)
        upload = BlobUpload(
            id=str(new_id()),
            sha256=sha256,
            size=size,
            received=0,
            user_id=str(user.id),
            created_at=now,
        )
        self.backend.spool_start(upload.id)
        session.add(upload)
        session.commit()
        return self.state(upload)

    def _check_quota(self, session: Session, *, user: User, size: int) -> None:
        """PayloadTooLarge when this upload would take the user's unfinished ones over quota."""
        pending = session.scalar(select(func.coalesce(func.sum(BlobUpload.size), 0)).where(
            BlobUpload.user_id == str(user.id))) or 0
        if pending + size > self.quota:
            raise PayloadTooLarge(
                _("未完成的上传已达 {mb} MB 的上限：请先完成或等待过期的上传清理后再试").format(
                    mb=self.quota // (1024 * 1024)), size=size, pending=int(pending))

    @staticmethod
    def state(upload: BlobUpload) -> UploadState:
        """Where an upload stands."""
        return UploadState(
            upload_id=upload.id, sha256=upload.sha256, size=upload.size, received=upload.received
        )

    def _upload(self, session: Session, *, user: User, upload_id: str,
                lock: bool = False) -> BlobUpload:
        # locked while a chunk is kept or the upload finished: two nodes never both take the
        # same offset (PostgreSQL; SQLite's writers take turns anyway)
        upload = session.get(BlobUpload, upload_id, with_for_update=lock)
        if upload is None or upload.user_id != str(user.id):
            raise NotFoundError(_("上传任务不存在或已过期，请重新上传"), upload_id=upload_id)
        return upload

    def status(self, session: Session, *, user: User, upload_id: str) -> UploadState:
        """Resume point of an upload."""
        return self.state(self._upload(session, user=user, upload_id=upload_id))

    def put_chunk(
        self, session: Session, *, user: User, upload_id: str, offset: int, data: bytes
    ) -> UploadState:
        """Append a chunk that starts exactly where the upload stands."""
        upload = self._upload(session, user=user, upload_id=upload_id, lock=True)
        if len(data) > MAX_CHUNK_BYTES:
            raise PayloadTooLarge(_("分块过大"), size=len(data))
        if offset != upload.received:
            raise BadOffset(
                _("分块位置不对（应从第 {n} 字节开始），请从该位置继续上传").format(
                    n=upload.received
                ),
                expected=upload.received,
                got=offset,
            )
        if upload.received + len(data) > upload.size:
            raise ValidationError(_("上传的数据超过了声明的大小"), field="size")
        try:
            self.backend.spool_write(upload.id, offset=offset, data=data)
        except StorageUnavailable:
            session.rollback()  # the row stands where it stood: resume from there
            raise
        upload.received += len(data)
        upload.chunk_count += 1
        session.commit()
        return self.state(upload)

    def finish(self, session: Session, *, user: User, upload_id: str, now: datetime) -> UploadState:
        """Check the SHA-256 of what arrived and store the blob; a mismatch is refused."""
        upload = self._upload(session, user=user, upload_id=upload_id, lock=True)
        if upload.received != upload.size:
            raise ValidationError(
                _("上传尚未完成（已收到 {got} / {size} 字节）").format(
                    got=upload.received, size=upload.size
                ),
                field="size",
            )
        try:
            matched = self.backend.spool_commit(upload.id, sha256=upload.sha256, size=upload.size)
        except StorageUnavailable:
            session.rollback()  # the chunks stay: finish again later
            raise
        if not matched:
            session.delete(upload)
            session.commit()
            raise HashMismatch(_("上传内容与校验值不符，附件已丢弃，请重新上传"), field="sha256")
        if session.get(Blob, upload.sha256) is None:
            session.add(
                Blob(
                    sha256=upload.sha256, size=upload.size, created_by=str(user.id), created_at=now
                )
            )
        add_owner(session, user_id=str(user.id), sha256=upload.sha256, now=now)
        session.delete(upload)
        session.commit()
        return UploadState(
            upload_id=upload.id,
            sha256=upload.sha256,
            size=upload.size,
            received=upload.size,
            complete=True,
        )

    def expire_uploads(self, session: Session, *, now: datetime, older_than: timedelta) -> int:
        """Forget uploads started more than `older_than` before `now` and never finished:
        their rows and spooled bytes go (a client resuming one starts over). The caller
        commits; returns how many went."""
        stale = session.scalars(select(BlobUpload).where(BlobUpload.created_at < now - older_than)
                                ).all()
        gone = 0
        for upload in stale:
            try:
                self.backend.spool_drop(upload.id)
            except StorageUnavailable:
                continue  # its chunks would be left behind: the next run tries again
            session.delete(upload)
            gone += 1
        session.flush()
        return gone


def store_from(settings: Settings) -> BlobStore:
    """The blob store the settings name (`blob_store`, `upload_quota_bytes`)."""
    return BlobStore(backend_from(settings), quota=settings.upload_quota_bytes)


def store_for(state: Any) -> BlobStore:
    """An app's blob store (`app.state.blob_store`, made once from its settings)."""
    store = getattr(state, "blob_store", None)
    if store is None:
        store = state.blob_store = store_from(state.settings)
        log.info("attachments stored in a %s backend", store.backend.kind)
    return store
