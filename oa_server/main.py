"""The FastAPI application: `create_app()` (also the uvicorn factory for `oa-server serve`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
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


def start_jobs(app: FastAPI) -> None:
    """Start this process's job scheduler (oa_server.jobs) when the settings say so."""
    from oa_server.jobs.scheduler import Scheduler

    settings: Settings = app.state.settings
    if settings.jobs and getattr(app.state, "scheduler", None) is None:
        app.state.scheduler = Scheduler(app.state.sessionmaker, clock=app.state.clock,
                                        interval=settings.jobs_interval,
                                        settings=settings).start()


def stop_jobs(app: FastAPI) -> None:
    """Stop the job scheduler (a job running now finishes first)."""
    scheduler = getattr(app.state, "scheduler", None)
    if scheduler is not None:
        scheduler.stop()
        app.state.scheduler = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Jobs run while the app serves."""
    start_jobs(app)
    try:
        yield
    finally:
        stop_jobs(app)


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
        lifespan=lifespan,
    )
    engine = make_engine(settings.effective_database_url, echo=settings.sql_echo)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.hasher = password_hasher(settings)
    app.state.clock = clock
    app.state.scheduler = None
    app.include_router(api_router, prefix=API_PREFIX)
    errors.install(app)
    docs.install(app)
    sync_routes.install(app)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=4)
    app.add_middleware(LanguageAndLimit, max_body_bytes=settings.max_body_bytes)
    return app
