"""A throw-away PostgreSQL cluster for tests, or the server named by OA_TEST_DATABASE_URL.

We run as root in CI and PostgreSQL refuses to run as root, so initdb and pg_ctl run
as the `postgres` system user (via runuser) in a temporary directory it owns, on a
free loopback TCP port with the socket in that directory. The cluster is stopped
and removed at teardown. Each test gets its own database cloned from a migrated,
demo-seeded template (CREATE DATABASE … TEMPLATE), so tests stay independent.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.server.support import free_port

PG_BIN_DIRS = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)
ENV_URL = "OA_TEST_DATABASE_URL"


def pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, if PostgreSQL is installed."""
    for folder in PG_BIN_DIRS:
        if (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _as_postgres() -> list[str]:
    if os.geteuid() != 0:
        return []
    pwd.getpwnam("postgres")  # KeyError if there is no such user
    return ["runuser", "-u", "postgres", "--"]


def _run(argv: list[str], log: Path) -> None:
    """Run one PostgreSQL tool; on failure, say what it and the server log printed."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(
            f"{' '.join(Path(a).name for a in argv[:4])} … failed "
            f"({result.returncode}):\n{result.stdout}{result.stderr}\n{server_log}"
        )


@contextmanager
def cluster(extra: str = "") -> Iterator[str]:
    """Start a private cluster; yield its admin URL (database `postgres`); stop it afterwards.
    `extra`: more server options (`-c name=value …`), e.g. a benchmark's."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries not found")
    prefix = _as_postgres()
    base = Path(tempfile.mkdtemp(prefix="oa-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    if prefix:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    port = free_port()
    try:
        _run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            log,
        )
        options = (
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        if extra:
            options += f" {extra}"  # a later -c wins
        _run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            log,
        )
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
                timeout=60,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def admin_url(extra: str = "") -> Iterator[str]:
    """OA_TEST_DATABASE_URL if set, else a private cluster for the duration (`extra`: more
    server options for it; a server named by the variable keeps its own)."""
    url = os.environ.get(ENV_URL)
    if url:
        yield url
        return
    with cluster(extra) as started:
        yield started


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name`."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def create_database(admin: str, name: str, *, template: str | None = None) -> str:
    """Create database `name` (optionally cloned from `template`); return its URL."""
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            clause = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    finally:
        engine.dispose()
    return with_database(admin, name)


def drop_database(admin: str, name: str) -> None:
    """Drop database `name`, disconnecting anyone still on it."""
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def unique_name(prefix: str) -> str:
    """A database name nobody else uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"
