"""The FastAPI application: `create_app()` (also the uvicorn factory for `oa-server serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from oa_client.errors import ConflictError
from oa_server import __version__, live
from oa_server.api import docs, errors
from oa_server.api.codings import Compression, NamesReads
from oa_server.api.middleware import LanguageAndLimit
from oa_server.api.quick_wait import QuickWait
from oa_server.api.routes import api_router
from oa_server.api.routes import sync as sync_routes
from oa_server.config import Settings
from oa_server.db import make_engine, make_sessionmaker, utcnow
from oa_server.keys import ServerKeys, load_server_keys, move_secrets_out, record_audit_boundary
from oa_server.security import password_hasher

API_PREFIX = "/api/v1"
CHECKPOINT_POLL_S = 60.0
log = logging.getLogger("oa_server.main")


def prepare_keys(engine: object, settings: Settings) -> ServerKeys:
    """Load the keys (key file made on first start); move an older database's secrets out of it;
    record where an older release's unkeyed audit rows end. Skipped for a schema not made yet."""
    from oa_server import audit

    keys = load_server_keys(settings)
    if not inspect(engine).has_table("audit_log"):  # type: ignore[arg-type]
        return keys
    with Session(engine, info={"server_keys": keys}) as session:  # type: ignore[call-overload]
        if move_secrets_out(session, settings):
            keys = load_server_keys(settings)
            session.info["server_keys"] = keys
        boundary = audit.seal_legacy_rows(session)
    if boundary is not None and keys.audit_boundary is None and record_audit_boundary(
        settings, seq=boundary[0], digest=boundary[1]
    ):
        keys = load_server_keys(settings)
    return keys


def checkpoint_if_due(app: FastAPI) -> bool:
    """Make a signed audit checkpoint when the last is older than the interval (one worker wins)."""
    from oa_server import audit_checkpoints

    every = timedelta(minutes=app.state.settings.audit_checkpoint_minutes)
    with app.state.sessionmaker() as session:
        now = app.state.clock()
        if not audit_checkpoints.checkpoint_due(session, now=now, every=every):
            return False
        from oa_server import audit

        audit.lock(session)  # the check again, under the append lock, so only one worker signs
        if not audit_checkpoints.checkpoint_due(session, now=now, every=every):
            session.rollback()
            return False
        audit_checkpoints.make_checkpoint(session, app.state.server_keys, now=now)
    return True


async def _checkpoint_loop(app: FastAPI) -> None:
    while True:
        try:
            await asyncio.to_thread(checkpoint_if_due, app)
        except ConflictError as exc:  # a broken chain: the auditor's verify says where; keep trying
            log.warning("audit checkpoint refused: %s", exc.message)
        except Exception:
            log.exception("audit checkpoint failed")
        await asyncio.sleep(CHECKPOINT_POLL_S)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Background work while the app serves: the hourly signed audit checkpoint, the
    scheduled jobs (oa_server.jobs) unless `serve` runs them in their own process, and the
    live-update hub (oa_server.live), which hears every commit's audience from the start."""
    task = None
    if app.state.settings.audit_checkpoint_minutes > 0:
        task = asyncio.create_task(_checkpoint_loop(app))
    start_jobs(app)
    hub = asyncio.create_task(live.hub_for(app.state.engine).start())  # live updates
    try:
        yield
    finally:
        stop_jobs(app)
        hub.cancel()
        live.close(app.state.engine)  # the PostgreSQL listening connection, if any
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


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
    keys = prepare_keys(engine, settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.server_keys = keys
    app.state.sessionmaker = make_sessionmaker(engine, keys=keys)
    app.state.hasher = password_hasher(settings)
    app.state.clock = clock
    app.state.scheduler = None
    app.include_router(api_router, prefix=API_PREFIX)
    errors.install(app)
    docs.install(app)
    sync_routes.install(app)
    app.add_middleware(Compression, minimum_size=2048, compresslevel=4)  # zstd or gzip
    app.add_middleware(LanguageAndLimit, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(QuickWait)  # a desk at rest's long-poll, beside the framework
    app.add_middleware(NamesReads)  # outermost: every answer names the codings read here
    return app
