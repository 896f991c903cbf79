"""The blob phase of a sync: upload local attachments (resumable), download remote ones.

Uploads run before the outbox is pushed, so a colleague never pulls an attachment
record whose bytes the server lacks. An upload session's id is remembered in the
local database, so a sync cut off halfway resumes where the server stands.
Downloads fetch ranged pieces and store the bytes encrypted, checked against the
SHA-256; nothing is written to disk in the clear.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator

from oa_client.domain.ids import new_id
from oa_client.errors import StoreError, SyncError
from oa_client.i18n import _
from oa_client.store.local import LocalStore
from sync.transport import Transport

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


def _rechunk(pieces: Iterator[bytes], size: int) -> Iterator[bytes]:
    buf = b""
    for piece in pieces:
        buf += piece
        while len(buf) >= size:
            yield buf[:size]
            buf = buf[size:]
    if buf:
        yield buf


class BlobSync:
    """Moves attachment bytes between the encrypted store and the server."""

    def __init__(self, store: LocalStore, transport: Transport, *,
                 progress: Callable[[int, int, int], None] | None = None) -> None:
        self.store = store
        self.db = store.db
        self.transport = transport
        self.progress = progress or (lambda done, total, nbytes: None)

    # -- up ------------------------------------------------------------------------------

    def pending_uploads(self) -> list[tuple[str, str, int]]:
        """(id, sha256, size) of local attachments the server may not have yet."""
        return [tuple(r) for r in self.db.query(
            "SELECT id, sha256, size FROM attachments WHERE uploaded = 0 AND deleted = 0"
            " AND storage != 'remote' ORDER BY rowid")]

    def upload_all(self, cancel: threading.Event | None = None) -> int:
        """Upload every pending attachment; return how many are now on the server."""
        done = 0
        pending = self.pending_uploads()
        for n, (attachment_id, sha, size) in enumerate(pending, start=1):
            if cancel is not None and cancel.is_set():
                raise SyncError(_("同步已取消，未完成的内容下次继续"), kind="cancelled")
            try:
                self.upload(attachment_id, sha, size)
            except SyncError as exc:
                if exc.kind not in ("too_large", "invalid", "forbidden"):
                    raise  # network trouble: the next sync resumes
                self._refused(attachment_id, exc)
                continue
            done += 1
            self.progress(n, len(pending), self.transport.bytes_sent)
        return done

    def _refused(self, attachment_id: str, exc: SyncError) -> None:
        """The server will not take these bytes: say so in the conflicts list, stop retrying."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE attachments SET uploaded = -1 WHERE id = ?", (attachment_id,))
            conn.execute(
                "INSERT INTO conflicts(id, entity, entity_id, kind, resolution)"
                " VALUES (?, 'attachments', ?, 'rejected', ?)",
                (new_id(), attachment_id,
                 json.dumps({"code": exc.code or exc.kind, "message": exc.message},
                            ensure_ascii=False)),
            )

    def upload(self, attachment_id: str, sha: str, size: int) -> None:
        """Upload one attachment, resuming a remembered session where the server stands."""
        state = None
        rows = self.db.query("SELECT upload_id FROM blob_uploads WHERE sha256 = ?", (sha,))
        if rows:
            try:
                state = self.transport.upload_status(rows[0][0])
            except SyncError as exc:
                if exc.kind != "not_found":
                    raise
                state = None  # expired on the server: start again
        if state is None:
            state = self.transport.upload_start(sha, size)
            if not state.complete:
                self.db.query(
                    "INSERT OR REPLACE INTO blob_uploads(sha256, upload_id, size) VALUES (?, ?, ?)",
                    (sha, state.upload_id, size))
        if not state.complete:
            offset = state.received
            pos = 0
            for chunk in _rechunk(self.store.blobs.open(attachment_id), CHUNK):
                end = pos + len(chunk)
                if end > offset:
                    piece = chunk[offset - pos:] if offset > pos else chunk
                    state = self.transport.upload_chunk(state.upload_id, max(offset, pos), piece)
                    offset = state.received
                pos = end
            state = self.transport.upload_finish(state.upload_id)
        with self.db.transaction() as conn:
            conn.execute("UPDATE attachments SET uploaded = 1 WHERE sha256 = ?", (sha,))
            conn.execute("DELETE FROM blob_uploads WHERE sha256 = ?", (sha,))

    # -- down ---------------------------------------------------------------------------

    def download_all(self, cancel: threading.Event | None = None) -> int:
        """Fetch the bytes of attachments known only by their records; return how many."""
        rows = self.db.query(
            "SELECT id, sha256, size FROM attachments WHERE storage = 'remote' AND deleted = 0")
        done = 0
        for n, (attachment_id, sha, size) in enumerate(rows, start=1):
            if cancel is not None and cancel.is_set():
                raise SyncError(_("同步已取消，未完成的内容下次继续"), kind="cancelled")
            try:
                data = b"".join(self.transport.iter_download(sha, size=size, chunk=4 * CHUNK))
                self.store.blobs.fill_remote(attachment_id, data)
                done += 1
            except SyncError as exc:
                if exc.kind != "not_found":
                    raise
                log.info("attachment bytes not on the server yet; will retry")
            except StoreError:
                log.warning("downloaded attachment did not match its hash; will retry")
            self.progress(n, len(rows), self.transport.bytes_received)
        return done
