"""The whole sync suite again on PostgreSQL, served by two uvicorn worker processes.

One database cloned from a migrated, demo-seeded template on a private PostgreSQL
cluster (tests/server/postgres.py) is served by `oa-server serve --workers 2` for
the session; each test starts with the sync tables emptied. Pushes and pulls land
on both workers at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.server import postgres
from tests.sync.support import ProcessServer
from tests.sync.test_authz_matrix import *  # noqa: F403
from tests.sync.test_blob_sync import *  # noqa: F403
from tests.sync.test_convergence import *  # noqa: F403
from tests.sync.test_convergence import run_convergence
from tests.sync.test_crash_points import *  # noqa: F403
from tests.sync.test_insider_attacks import *  # noqa: F403
from tests.sync.test_no_skipped_revisions import *  # noqa: F403
from tests.sync.test_sync_bad_input import *  # noqa: F403
from tests.sync.test_sync_basic import *  # noqa: F403

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="session")
def pg_server(pg_admin: str, pg_template: str,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessServer]:
    """Two worker processes on one PostgreSQL database, for the whole session."""
    name = postgres.unique_name("oa_sync")
    url = postgres.create_database(pg_admin, name, template=pg_template)
    data_dir = tmp_path_factory.mktemp("pg-server") / "server"
    data_dir.mkdir()
    live = ProcessServer(data_dir, url, data_dir.parent / "serve.log").start()
    yield live
    live.stop()
    postgres.drop_database(pg_admin, name)


@pytest.fixture
def server(pg_server: ProcessServer) -> ProcessServer:
    """The shared server with its sync data emptied: each test starts from revision 0."""
    with pg_server.session() as s:
        s.execute(text("TRUNCATE sync_records, sync_audience, sync_ops, blob_uploads, blobs,"
                       " blob_owners"))
        s.execute(text("UPDATE sync_counter SET value = 0"))
        s.commit()
    return pg_server


PG_STEPS = int(os.environ.get("OA_SOAK_N_SYNC_PG", os.environ.get("OA_SOAK_N", "500")))


def test_three_clients_converge_through_a_faulty_network(server, tmp_path):
    """The convergence run on PostgreSQL with two workers (fewer steps: each is slower)."""
    run_convergence(server, tmp_path, steps=PG_STEPS)


def test_it_really_is_postgresql_with_two_workers(server):
    with server.session() as s:
        assert s.execute(text("SELECT version()")).scalar().startswith("PostgreSQL")
    import subprocess

    children = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True,
                              text=True).stdout.split()
    assert len(children) >= 2  # uvicorn's supervisor and its two workers
