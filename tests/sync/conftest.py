"""Fixtures: a demo-seeded server database per test, served over HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.support import build_template, copy_sqlite
from tests.sync.support import LiveServer


@pytest.fixture(scope="session")
def sync_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated, demo-seeded server database, built once."""
    path = tmp_path_factory.mktemp("sync-template") / "oa-server.sqlite3"
    build_template(f"sqlite:///{path}")
    return path


@pytest.fixture
def server(sync_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server on its own copy of the demo database."""
    data_dir = tmp_path / "server"
    url = f"sqlite:///{copy_sqlite(sync_template, data_dir)}"
    live = LiveServer(data_dir, url).start()
    yield live
    live.stop()
