"""Wiring for the demo: the embedded OA server on loopback with the demo org, and its users
for the sign-in list. Used by `main.py --demo` and `python -m ui.screenshots`; like main.py it
may import the server (the UI itself reaches the server only through sync)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from oa_server.config import Settings
from oa_server.db import make_engine, make_sessionmaker
from oa_server.demo import DEMO_PASSWORD, demo_users, seed
from oa_server.embedded import EmbeddedServer
from oa_server.main import prepare_keys
from oa_server.migrate import upgrade
from oa_server.models import User
from oa_server.roles import ROLE_NAMES
from oa_server.security import password_hasher

DEMO_PORT = 18765


def demo_dir(profiles: Path) -> Path:
    """Where the demo server keeps its SQLite database: next to the profiles."""
    return profiles.parent / "demo-server"


def start_demo_server(data_dir: Path) -> EmbeddedServer:
    """Migrate, seed the demo org if empty, serve on loopback; return the running server."""
    data_dir.mkdir(parents=True, exist_ok=True)
    # cheap but real Argon2id: a demo box signs in often
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'oa-server.sqlite3'}",
                        argon2_time_cost=2, argon2_memory_cost=19 * 1024, argon2_parallelism=1)
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine, keys=prepare_keys(engine, settings))() as session:
            if not session.scalar(select(func.count()).select_from(User)):
                seed(session, hasher=password_hasher(settings))
                session.commit()
    finally:
        engine.dispose()
    # a stable port keeps the demo profile (named after the server address) across runs
    return EmbeddedServer(settings, port=preferred_port(DEMO_PORT)).start()


def preferred_port(port: int) -> int | None:
    """`port` when it can be listened on (also right after a previous run, while its old
    connections linger in TIME_WAIT, as uvicorn binds with SO_REUSEADDR); None when another
    program holds it, so the caller takes any free port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen(1)
        except OSError:
            return None
    return port


def demo_user_list() -> list[dict[str, Any]]:
    """The demo users for the sign-in list: name, unit, position, role names, password."""
    return [{**u, "role_names": [ROLE_NAMES.get(r, r) for r in u.get("roles", [])],
             "password": DEMO_PASSWORD} for u in demo_users()]
