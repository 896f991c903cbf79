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
from oa_server.keys import load_server_keys
from oa_server.migrate import upgrade
from oa_server.security import password_hasher

#: The master secret of every test server (OA_SERVER_SECRET_KEY): the template database's
#: audit chain is keyed with it, so each test's copy verifies. Key-file tests pass secret_key=None.
TEST_SECRET = "oa-test-secret-3f9c1d7e5a2b4c6d8e0f1a3b5c7d9e1f"
#: Argon2id at the smallest cost: tests sign in hundreds of times.
CHEAP = {"argon2_time_cost": 1, "argon2_memory_cost": 8, "argon2_parallelism": 1,
         "secret_key": TEST_SECRET}
CHEAP_ENV = {
    "OA_SERVER_ARGON2_TIME_COST": "1",
    "OA_SERVER_ARGON2_MEMORY_COST": "8",
    "OA_SERVER_ARGON2_PARALLELISM": "1",
    "OA_SERVER_SECRET_KEY": TEST_SECRET,
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
    """Test settings: cheap hashing, the fixed test secret, no job scheduler thread (tests tick
    it with their clock) unless told otherwise."""
    return Settings(data_dir=data_dir, database_url=database_url,
                    **{**CHEAP, "jobs": False, **extra})


def fixed_keys() -> Any:
    """The server keys every test server derives from TEST_SECRET."""
    return load_server_keys(make_settings(Path(".")))


def build_template(url: str, *, keys: Any = None) -> None:
    """Migrate and seed the demo org into the database at `url` (done once per session); its audit
    chain is keyed with `keys` (default: the fixed test keys)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine, keys=keys or fixed_keys())() as session:
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


def restore_guard(conn: Any) -> None:
    """Put the append-only guard back, as an attacker covering their tracks would."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")
        return
    for event in ("UPDATE", "DELETE"):
        conn.exec_driver_sql(
            f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


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
