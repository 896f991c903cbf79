"""The auth, accounts, org-chart, audit and two-worker real-server tests again, on a real PostgreSQL (see tests/server/postgres.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from oa_server import audit
from oa_server.db import make_engine, make_sessionmaker
from tests.server import postgres
from tests.server.support import fixed_keys
from tests.server.test_accounts_api import *  # noqa: F403  (re-run every accounts test here)
from tests.server.test_audit import *  # noqa: F403  (re-run every audit test here)
from tests.server.test_auth import *  # noqa: F403  (re-run every auth test here)
from tests.server.test_org import *  # noqa: F403  (re-run every org test here)
from tests.server.test_serve import server, test_real_server_round_trip  # noqa: F401

pytestmark = pytest.mark.postgres


@pytest.fixture
def db_url(pg_admin: str, pg_template: str) -> Iterator[str]:
    """This test's own PostgreSQL database (overrides the SQLite one from conftest)."""
    name = postgres.unique_name("oa_test")
    yield postgres.create_database(pg_admin, name, template=pg_template)
    postgres.drop_database(pg_admin, name)


def test_it_really_is_postgresql(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW server_version")).scalar()
        assert engine.dialect.name == "postgresql"
    finally:
        engine.dispose()


def test_concurrent_audit_appends_keep_one_chain(db_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine, keys=fixed_keys())

    def write(i: int) -> None:
        with sessions() as session:
            audit.append(session, actor="test", action="test.concurrent", target=str(i))
            session.commit()

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(write, range(40)))
        with sessions() as session:
            result = audit.verify(session)
        assert result.ok, result
    finally:
        engine.dispose()
