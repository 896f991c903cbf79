"""A request's session gives its connection back even when every request thread is taken:
the city bench saw 40 request threads wait for 15 pooled connections while the closes that
would free them queued behind them for the thread pool (a deadlock until the pool timeout)."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from types import SimpleNamespace

import anyio
import anyio.to_thread
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from oa_server.api.deps import get_session


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
