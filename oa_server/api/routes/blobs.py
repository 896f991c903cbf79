"""Blob endpoints: HEAD before upload, resumable chunked upload, ranged download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from oa_client.errors import NotFoundError, ValidationError
from oa_server import authz
from oa_server.api.deps import CurrentUser, NowDep, SessionDep
from oa_server.api.routes.sync import check_protocol
from oa_server.blob_access import can_read_blob
from oa_server.blob_store import BlobStore
from oa_server.i18n import _
from oa_server.schemas import ErrorOut
from sync.protocol import UploadStart, UploadState

router = APIRouter(prefix="/blobs", tags=["blobs"], dependencies=[Depends(check_protocol)])
SHA = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
ERRORS = {
    401: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    413: {"model": ErrorOut},
    422: {"model": ErrorOut},
}


def blob_store(request: Request) -> BlobStore:
    """The app's blob store (under the data directory)."""
    store = getattr(request.app.state, "blob_store", None)
    if store is None:
        settings = request.app.state.settings
        store = BlobStore(settings.data_dir / "blobs", quota=settings.upload_quota_bytes)
        request.app.state.blob_store = store
    return store


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


@router.get("/{sha256}", responses=ERRORS)
def get_blob(sha256: SHA, user: CurrentUser, session: SessionDep, store: Store) -> FileResponse:
    """The blob's bytes; `Range: bytes=a-b` gets a part (206)."""
    authz.require_business_user(user)
    if store.exists(session, sha256) is None or not can_read_blob(
        session, user=user, sha256=sha256
    ):
        raise NotFoundError(_("服务器上没有该附件"), sha256=sha256)
    return FileResponse(store.path(sha256), media_type="application/octet-stream")


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
    offset: Annotated[int, Query(ge=0)],
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
