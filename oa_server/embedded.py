"""The server in a background thread on loopback: for benchmarks, tests and a one-office demo."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime

import uvicorn
from fastapi import FastAPI

from oa_server import live
from oa_server.config import Settings
from oa_server.db import utcnow
from oa_server.main import create_app, start_jobs, stop_jobs


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedServer:
    """Serve `create_app(settings)` with uvicorn on 127.0.0.1 in a daemon thread."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utcnow,
                 port: int | None = None) -> None:
        self.settings = settings
        self.app: FastAPI = create_app(settings, clock=clock)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, *, timeout: float = 20.0) -> EmbeddedServer:
        """Start and wait until it listens."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        start_jobs(self.app)  # uvicorn runs here without the lifespan
        live.hub_for(self.app.state.engine).prime()  # (its loop is bound by the first wait)
        return self

    def stop(self) -> None:
        """Stop serving and release the database."""
        stop_jobs(self.app)
        self.server.should_exit = True
        self.thread.join(timeout=10)
        live.close(self.app.state.engine)
        self.app.state.engine.dispose()

    def session(self):
        """A session on the server's database."""
        return self.app.state.sessionmaker()
