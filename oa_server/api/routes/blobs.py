"""Blob endpoints: HEAD before upload, resumable chunked upload, ranged download."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from oa_client.errors import NotFoundError, ValidationError
from oa_server import authz
from oa_server.api.deps import CurrentUser, NowDep, SessionDep
from oa_server.api.errors import error_body
from oa_server.api.routes.sync import check_protocol
from oa_server.blob_access import can_read_blob
from oa_server.blob_store import BlobStore, store_for
from oa_server.i18n import _
from oa_server.schemas import MAX_SEQ, ErrorOut
from sync.protocol import UploadStart, UploadState

router = APIRouter(prefix="/blobs", tags=["blobs"], dependencies=[Depends(check_protocol)])
SHA = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
ERRORS = {
    401: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    413: {"model": ErrorOut},
    422: {"model": ErrorOut},
    503: {"model": ErrorOut},
}


def blob_store(request: Request) -> BlobStore:
    """The app's blob store (the data directory's, or S3 when configured)."""
    return store_for(request.app.state)


Store = Annotated[BlobStore, Depends(blob_store)]


@router.head("/{sha256}", responses=ERRORS)
def head_blob(sha256: SHA, user: CurrentUser, session: SessionDep, store: Store) -> Response:
    """200 with the size if the server has this blob and you may read it, else 404."""
    authz.require_business_user(user)
    blob = store.exists(session, sha256)
    if blob is None or not can_read_blob(session, user=user, sha256=sha256):
        return Response(status_code=404)
    return Response(
        status_code=200, headers={"Content-Length": str(blob.size), "Accept-Ranges": "bytes"}
    )


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, stop) of a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range; None for the
    whole blob (no header, or one we do not serve in part: several ranges, other units)."""
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if m is None or not (m[1] or m[2]):
        return None
    if not m[1]:  # the last n bytes
        return max(0, size - int(m[2])), size
    start = int(m[1])
    if m[2] and int(m[2]) < start:
        return None  # not a range (RFC 9110: ignore it)
    return start, size if not m[2] else min(size, int(m[2]) + 1)


@router.get("/{sha256}", responses={**ERRORS, 416: {"model": ErrorOut}})
def get_blob(sha256: SHA, request: Request, user: CurrentUser, session: SessionDep,
             store: Store) -> Response:
    """The blob's bytes; `Range: bytes=a-b` gets a part (206). From S3 they stream through,
    never whole in memory."""
    authz.require_business_user(user)
    blob = store.exists(session, sha256)
    if blob is None or not can_read_blob(session, user=user, sha256=sha256):
        raise NotFoundError(_("服务器上没有该附件"), sha256=sha256)
    path = store.backend.local_path(sha256)
    if path is not None:
        return FileResponse(path, media_type="application/octet-stream")
    size = blob.size
    span = byte_range(request.headers.get("range"), size)
    if span is not None and (span[0] >= size or span[0] >= span[1]):
        return JSONResponse(error_body("range_not_satisfiable", _("请求的范围超出附件大小")),
                            status_code=416, headers={"Content-Range": f"bytes */{size}"})
    start, stop = span or (0, size)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(stop - start)}
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    return StreamingResponse(store.open_range(sha256, start=start, stop=stop),
                             status_code=206 if span is not None else 200,
                             media_type="application/octet-stream", headers=headers)


@router.post("/uploads", responses=ERRORS)
def start_upload(
    body: UploadStart, user: CurrentUser, session: SessionDep, store: Store, now: NowDep
) -> UploadState:
    """Open an upload; `complete` is already true when you may read a blob the server has
    (a stored blob you may not read answers as an absent one: upload it)."""
    return store.start(session, user=user, sha256=body.sha256, size=body.size, now=now)


@router.get("/uploads/{upload_id}", responses=ERRORS)
def upload_status(
    upload_id: str, user: CurrentUser, session: SessionDep, store: Store
) -> UploadState:
    """Where an upload stands: resume from `received`."""
    return store.status(session, user=user, upload_id=upload_id)


@router.put("/uploads/{upload_id}", responses=ERRORS)
async def put_chunk(
    upload_id: str,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    store: Store,
    offset: Annotated[int, Query(ge=0, le=MAX_SEQ)],
) -> UploadState:
    """Append the body as the chunk starting at `offset` (must equal what was received)."""
    data = await request.body()
    if not data:
        raise ValidationError(_("分块内容为空"), field="body")
    # writing, fsync and commit wait on the disk: on a worker thread, not the event loop
    return await run_in_threadpool(store.put_chunk, session, user=user, upload_id=upload_id,
                                   offset=offset, data=data)


@router.post("/uploads/{upload_id}/finish", responses=ERRORS)
def finish_upload(
    upload_id: str, user: CurrentUser, session: SessionDep, store: Store, now: NowDep
) -> UploadState:
    """Check the SHA-256 and store the blob."""
    return store.finish(session, user=user, upload_id=upload_id, now=now)
