"""Fixtures: one migrated, demo-seeded SQLite template per session; a private copy per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from oa_server.config import Settings
from oa_server.main import create_app
from tests.server.support import Clock, build_template, copy_sqlite, make_settings


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built once per test session."""
    path = tmp_path_factory.mktemp("template") / "oa-server.sqlite3"
    build_template(f"sqlite:///{path}")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """This test's server data directory."""
    return tmp_path / "data"


@pytest.fixture
def db_url(sqlite_template: Path, data_dir: Path) -> str:
    """This test's database (a copy of the template); test_postgres overrides it."""
    return f"sqlite:///{copy_sqlite(sqlite_template, data_dir)}"


@pytest.fixture
def clock() -> Clock:
    """The app's clock."""
    return Clock()


@pytest.fixture
def settings(data_dir: Path, db_url: str) -> Settings:
    """Cheap-hashing settings on this test's database."""
    return make_settings(data_dir, db_url)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[FastAPI]:
    """The app under test."""
    application = create_app(settings, clock=clock)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client talking to the app in-process."""
    with TestClient(app) as test_client:
        yield test_client
