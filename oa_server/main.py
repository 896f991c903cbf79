"""The FastAPI application: `create_app()` (also the uvicorn factory for `oa-server serve`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from oa_server import __version__
from oa_server.api import docs, errors
from oa_server.api.middleware import LanguageAndLimit
from oa_server.api.routes import api_router
from oa_server.api.routes import sync as sync_routes
from oa_server.config import Settings
from oa_server.db import make_engine, make_sessionmaker, utcnow
from oa_server.security import password_hasher

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    """Build the app for `settings` (default: from the environment); the schema must be migrated."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="政务协同办公 OA 服务器",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    engine = make_engine(settings.effective_database_url, echo=settings.sql_echo)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.hasher = password_hasher(settings)
    app.state.clock = clock
    app.include_router(api_router, prefix=API_PREFIX)
    errors.install(app)
    docs.install(app)
    sync_routes.install(app)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=4)
    app.add_middleware(LanguageAndLimit, max_body_bytes=settings.max_body_bytes)
    return app
