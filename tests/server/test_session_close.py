"""A request's session gives its connection back even when every request thread is taken:
the city bench saw 40 request threads wait for 15 pooled connections while the closes that
would free them queued behind them for the thread pool (a deadlock until the pool timeout)."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from types import SimpleNamespace

import anyio
import anyio.to_thread
import httpx
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from oa_server.api.deps import KeyDep, get_session


def test_a_session_closes_while_every_request_thread_waits(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", pool_size=1, max_overflow=0)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        sessionmaker=sessionmaker(engine))))
    release = threading.Event()
    seen: dict[str, int] = {}

    async def scenario() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        async with anyio.create_task_group() as tg:
            # the only request thread is busy (as if waiting for a pooled connection)
            tg.start_soon(lambda: anyio.to_thread.run_sync(release.wait))
            await anyio.sleep(0.05)
            try:
                with anyio.fail_after(5):  # the old close waited for that thread: a deadlock
                    async with asynccontextmanager(get_session)(request) as session:
                        session.execute(text("SELECT 1"))
                        seen["during"] = engine.pool.checkedout()
                seen["after"] = engine.pool.checkedout()
            finally:
                release.set()

    anyio.run(scenario)
    assert seen == {"during": 1, "after": 0}
    engine.dispose()


def test_a_committed_session_closes_without_a_thread(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", pool_size=1, max_overflow=0)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        sessionmaker=sessionmaker(engine), close_limiter=None)))
    release = threading.Event()
    seen: dict[str, int] = {}

    async def scenario() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        request.app.state.close_limiter = anyio.CapacityLimiter(1)
        async with anyio.create_task_group() as tg:
            # every thread a close could take is busy: the request threads and the closers
            tg.start_soon(lambda: anyio.to_thread.run_sync(release.wait))
            tg.start_soon(lambda: anyio.to_thread.run_sync(
                release.wait, limiter=request.app.state.close_limiter))
            await anyio.sleep(0.05)
            try:
                with anyio.fail_after(5):
                    async with asynccontextmanager(get_session)(request) as session:
                        session.execute(text("SELECT 1"))
                        session.commit()  # as a route that wrote, or ended its read, does
                        seen["during"] = engine.pool.checkedout()
                seen["closed"] = int(not session.in_transaction() and not session.identity_map)
            finally:
                release.set()

    anyio.run(scenario)
    assert seen == {"during": 0, "closed": 1}
    engine.dispose()


def test_a_known_signing_key_costs_no_thread(tmp_path):
    """Once read, the signing key is a dependency answered on the event loop: a request
    needing it (and a session it never used) is answered with every request thread taken."""
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    app = FastAPI()
    app.state.sessionmaker = sessionmaker(engine)
    app.state.settings = None  # not read: the key is known
    app.state.signing_key = b"k" * 32

    @app.get("/key")
    async def key_length(key: KeyDep) -> dict:
        return {"length": len(key)}

    release = threading.Event()
    seen: dict[str, object] = {}

    async def scenario() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: anyio.to_thread.run_sync(release.wait))
            await anyio.sleep(0.05)
            try:
                with anyio.fail_after(5):  # a sync dependency waited for that thread
                    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                 base_url="http://test") as client:
                        answer = await client.get("/key")
                seen["status"], seen["body"] = answer.status_code, answer.json()
            finally:
                release.set()

    anyio.run(scenario)
    assert seen == {"status": 200, "body": {"length": 32}}
    engine.dispose()
