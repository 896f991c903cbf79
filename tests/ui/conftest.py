"""UI test fixtures: a demo server whose database already holds the demo records,
a fresh QSettings per test, the QApplication in Chinese."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.support import build_template, copy_sqlite
from tests.sync.support import LiveServer


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated demo org with the demo records pushed by their authors, built once."""
    from ui.demo import seed_demo_records

    path = tmp_path_factory.mktemp("ui-template") / "oa-server.sqlite3"
    build_template(f"sqlite:///{path}")
    live = LiveServer(path.parent / "data", f"sqlite:///{path}").start()
    try:
        assert seed_demo_records(live.url, workdir=path.parent / "seed") > 10
    finally:
        live.stop()
    return path


@pytest.fixture
def demo_server(demo_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server on a private copy of the demo database and of its data directory (the
    CA, the unit seals and the blobs the demo made: its 正式文件 verify and download)."""
    data_dir = tmp_path / "server"
    shutil.copytree(demo_template.parent / "data", data_dir, dirs_exist_ok=True)
    live = LiveServer(data_dir, f"sqlite:///{copy_sqlite(demo_template, data_dir)}").start()
    yield live
    live.stop()


@pytest.fixture(autouse=True)
def qt_app():
    """The application in Chinese with clean settings for every test."""
    from ui.app import install_language, make_app
    from ui.qt import QSettings

    app = make_app([], language="zh_CN")
    QSettings().clear()
    yield app
    install_language(app, "zh_CN")
    QSettings().clear()
