"""A request's session gives its connection back even when every request thread is taken:
the city bench saw 40 request threads wait for 15 pooled connections while the closes that
would free them queued behind them for the thread pool (a deadlock until the pool timeout)."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from types import SimpleNamespace

import anyio
import anyio.to_thread
import httpx
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from oa_server.api.deps import KeyDep, get_session


def _with_every_thread_taken(body: Callable[[], Awaitable[None]], *,
                            state: SimpleNamespace | None = None) -> None:
    """Run `body` on an event loop, within 5 s, while its only request thread is busy (as if
    waiting for a pooled connection) — and, given the app's `state`, its only closing thread
    too. Work that needs one of them deadlocks: the deadline fails the test."""
    release = threading.Event()

    async def scenario() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        limiters = [None]
        if state is not None:
            state.close_limiter = anyio.CapacityLimiter(1)
            limiters.append(state.close_limiter)
        async with anyio.create_task_group() as tg:
            for limiter in limiters:
                tg.start_soon(partial(anyio.to_thread.run_sync, release.wait, limiter=limiter))
            await anyio.sleep(0.05)
            try:
                with anyio.fail_after(5):
                    await body()
            finally:
                release.set()

    anyio.run(scenario)


def _request(engine) -> SimpleNamespace:
    """What `get_session` reads of a request: the app's sessionmaker."""
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        sessionmaker=sessionmaker(engine))))


def test_a_session_closes_while_every_request_thread_waits(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", pool_size=1, max_overflow=0)
    request = _request(engine)
    seen: dict[str, int] = {}

    async def body() -> None:  # the old close waited for the request thread: a deadlock
        async with asynccontextmanager(get_session)(request) as session:
            session.execute(text("SELECT 1"))
            seen["during"] = engine.pool.checkedout()
        seen["after"] = engine.pool.checkedout()

    _with_every_thread_taken(body)
    assert seen == {"during": 1, "after": 0}
    engine.dispose()


def test_a_committed_session_closes_without_a_thread(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", pool_size=1, max_overflow=0)
    request = _request(engine)
    seen: dict[str, int] = {}

    async def body() -> None:  # every thread a close could take is busy
        async with asynccontextmanager(get_session)(request) as session:
            session.execute(text("SELECT 1"))
            session.commit()  # as a route that wrote does
            seen["during"] = engine.pool.checkedout()
        seen["closed"] = int(not session.in_transaction() and not session.identity_map)

    _with_every_thread_taken(body, state=request.app.state)
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

    seen: dict[str, object] = {}

    async def body() -> None:  # a sync dependency waited for the request thread
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            answer = await client.get("/key")
        seen["status"], seen["body"] = answer.status_code, answer.json()

    _with_every_thread_taken(body)
    assert seen == {"status": 200, "body": {"length": 32}}
    engine.dispose()
