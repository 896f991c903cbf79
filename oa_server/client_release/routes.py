"""Endpoints: the current client release of a platform, and its package (ranged, resumable)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel

from oa_server.api.deps import CurrentUser, SettingsDep
from oa_server.client_release import store
from oa_server.schemas import ErrorOut

router = APIRouter(tags=["client"], responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut},
                                               422: {"model": ErrorOut}})
PACKAGE_PATH = "/client/packages/{platform}/{version}/{filename}"


class ReleaseOut(BaseModel):
    """The current client release: what to download, its SHA-256 and the signed manifest."""

    version: str
    platform: str
    filename: str
    size: int
    sha256: str
    signature: str
    certificate_pem: str
    published: str
    url: str


@router.get("/client/release")
def client_release(user: CurrentUser, settings: SettingsDep,
                   platform: str = Query(..., max_length=40)) -> ReleaseOut:
    """The current release for `platform` (linux-amd64, linux-arm64, windows-amd64)."""
    release = store.current(settings, platform)
    url = "/api/v1" + PACKAGE_PATH.format(platform=release.platform, version=release.version,
                                          filename=release.filename)
    return ReleaseOut(**release.__dict__, url=url)


@router.get(PACKAGE_PATH, response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}},
                       206: {"description": "a range of the package"}})
def client_package(platform: str, version: str, filename: str, user: CurrentUser,
                   settings: SettingsDep) -> FileResponse:
    """A published package; `Range: bytes=N-` resumes a download."""
    path = store.package_path(settings, platform=platform, version=version, filename=filename)
    return FileResponse(path, media_type="application/octet-stream", filename=filename)
