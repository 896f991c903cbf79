"""One route module per area, gathered into the /api/v1 router."""

from fastapi import APIRouter

from oa_server.api.routes import (
    access,
    admin,
    audit,
    auth,
    blobs,
    catalogue,
    jobs,
    me,
    org,
    org_import,
    policy,
    sync,
    utils,
)
from oa_server.api.routes import supervision as supervision_routes
from oa_server.api.routes.documents import router as documents_router
from oa_server.api.routes.meetings import router as meetings_router
from oa_server.api.routes.reports import router as reports_router
from oa_server.api.routes.signing import router as signing_router
from oa_server.client_release.routes import router as client_release_router

api_router = APIRouter()
# the sync routes first: a request is matched against the routes in order, and the sync
# requests are most of what a server answers (a desk's every pull, push and long-poll)
api_router.include_router(sync.router)
api_router.include_router(utils.router)
api_router.include_router(auth.router)
api_router.include_router(me.router)
api_router.include_router(org.router)
api_router.include_router(admin.router)
api_router.include_router(access.router)
api_router.include_router(org_import.router)
api_router.include_router(policy.router)
api_router.include_router(audit.router)
api_router.include_router(blobs.router)
api_router.include_router(signing_router)
api_router.include_router(catalogue.router)
api_router.include_router(supervision_routes.router)
api_router.include_router(jobs.router)
api_router.include_router(meetings_router)
api_router.include_router(documents_router)
api_router.include_router(reports_router)
api_router.include_router(client_release_router)
