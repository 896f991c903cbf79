"""Helpers shared by the server tests: a settable clock, cheap settings, sign-in shortcuts."""

from __future__ import annotations

import shutil
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from oa_server.config import Settings
from oa_server.db import make_engine, make_sessionmaker
from oa_server.demo import DEMO_PASSWORD, seed
from oa_server.migrate import upgrade
from oa_server.security import password_hasher

#: Argon2id at the smallest cost: tests sign in hundreds of times.
CHEAP = {"argon2_time_cost": 1, "argon2_memory_cost": 8, "argon2_parallelism": 1}
CHEAP_ENV = {
    "OA_SERVER_ARGON2_TIME_COST": "1",
    "OA_SERVER_ARGON2_MEMORY_COST": "8",
    "OA_SERVER_ARGON2_PARALLELISM": "1",
}
PASSWORD = DEMO_PASSWORD


class Clock:
    """A clock tests can move forward."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by a timedelta's keyword arguments."""
        self.now += timedelta(**delta)


def make_settings(data_dir: Path, database_url: str | None = None, **extra: Any) -> Settings:
    """Test settings: cheap hashing; no job scheduler thread (tests tick it with their clock)
    unless told otherwise."""
    return Settings(data_dir=data_dir, database_url=database_url,
                    **{**CHEAP, "jobs": False, **extra})


def build_template(url: str) -> None:
    """Migrate and seed the demo org into the database at `url` (done once per session)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            seed(session, hasher=password_hasher(make_settings(Path("."))))
            session.commit()
    finally:
        engine.dispose()


def copy_sqlite(template: Path, dest_dir: Path) -> Path:
    """A private copy of the template database file (closing the engine checkpointed the WAL)."""
    assert not template.with_name(template.name + "-wal").exists()
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / "oa-server.sqlite3"
    shutil.copyfile(template, dest)
    return dest


def allow_tampering(conn: Any) -> None:
    """Drop the database's append-only guard on audit_log, as an attacker with DB rights could."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def login(
    client: TestClient, who: str, password: str = PASSWORD, device: str = "dev-1", **headers: str
) -> Any:
    """POST /auth/login and return the response."""
    return client.post(
        "/api/v1/auth/login",
        json={"login": who, "password": password, "device_id": device, "device_name": "办公电脑"},
        headers=headers,
    )


def sign_in(client: TestClient, who: str, device: str = "dev-1") -> dict[str, Any]:
    """Sign in (must succeed) and return the token response."""
    response = login(client, who, device=device)
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens: dict[str, Any] | str) -> dict[str, str]:
    """Authorization header for a token response or a raw access token."""
    token = tokens if isinstance(tokens, str) else tokens["access_token"]
    return {"Authorization": f"Bearer {token}"}
