"""Shared fixtures: headless Qt, a file keyring in a temporary directory, fixtures path, and
one private PostgreSQL cluster with a migrated, demo-seeded template for the tests that need it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
if "OA_TEST_KEEP_HOME" not in os.environ:  # QSettings and platformdirs write under here
    import tempfile

    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="oa-test-config-")
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="oa-test-data-")

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.file_keyring import FileKeyring

# property tests draw the same examples on every run, so the suite is green or red on any day
# alike; OA_HYPOTHESIS_RANDOM=1 draws new ones (a longer search before a release)
RANDOM_EXAMPLES = os.environ.get("OA_HYPOTHESIS_RANDOM") == "1"
settings.register_profile("fixed", derandomize=True)
if not RANDOM_EXAMPLES:
    settings.load_profile("fixed")

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


@pytest.fixture
def file_keyring(tmp_path: Path) -> FileKeyring:
    """A keyring back-end that keeps its entries in a temporary directory."""
    d = tmp_path / "keyring"
    d.mkdir()
    return FileKeyring(d)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """../shared/fixtures (CI has it); fails plainly when it is missing."""
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES}: clone the repo beside shared/")
    return FIXTURES


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[str]:
    """Admin URL of the test PostgreSQL server (one private cluster for the session, started on
    first use, unless OA_TEST_DATABASE_URL names one)."""
    from tests.server import postgres

    if not os.environ.get(postgres.ENV_URL) and postgres.pg_bin() is None:
        pytest.fail("PostgreSQL binaries not found: `make test` installs them (apt postgresql)")
    with postgres.admin_url() as url:
        yield url


@pytest.fixture(scope="session")
def pg_template(pg_admin: str) -> Iterator[str]:
    """A migrated, demo-seeded database to clone per test."""
    from tests.server import postgres
    from tests.server.support import build_template

    name = postgres.unique_name("oa_template")
    build_template(postgres.create_database(pg_admin, name))
    yield name
    postgres.drop_database(pg_admin, name)
