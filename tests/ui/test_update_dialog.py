"""The update dialog: downloads the server's release with a progress bar, verifies it, offers
to install; a tampered package is refused with a message a clerk understands."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from oa_server.cli import main as oa_server_cli
from sync import updates
from sync.transport import MemoryTokenStore, Transport
from tests.server.support import build_template, copy_sqlite
from tests.sync.support import PASSWORD, LiveServer
from ui.update_dialog import UpdateDialog, install_command


@pytest.fixture
def live(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[LiveServer]:
    """A demo server on loopback with a 0.5.0 release published by the CLI."""
    template = tmp_path_factory.mktemp("upd-template") / "oa-server.sqlite3"
    build_template(f"sqlite:///{template}")
    data_dir = tmp_path / "server"
    server = LiveServer(data_dir, f"sqlite:///{copy_sqlite(template, data_dir)}").start()
    package = tmp_path / "zhengwu-oa_0.5.0_amd64.deb"
    package.write_bytes(b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(40_000)))
    assert oa_server_cli(["--data-dir", str(data_dir), "--database-url",
                          server.settings.effective_database_url, "client", "publish",
                          str(package), "--version", "0.5.0"]) == 0
    yield server
    server.stop()


def _dialog(live: LiveServer, tmp_path: Path) -> UpdateDialog:
    transport = Transport(live.url, device_id="dev-ui-upd", tokens=MemoryTokenStore(),
                          sleep=lambda s: None)
    transport.login("zhengxiaoyan", PASSWORD)
    release = updates.check_release(transport, platform="linux-amd64", current="0.1.0")
    assert release is not None
    root = transport.ca_root()
    return UpdateDialog(None, release=release, transport=transport, trust_roots=lambda: [root],
                        folder=tmp_path / "dl")


def test_dialog_downloads_verifies_and_offers_install(qtbot, live: LiveServer, tmp_path: Path) -> None:
    dialog = _dialog(live, tmp_path)
    qtbot.addWidget(dialog)
    assert "0.5.0" in dialog.text.text()
    dialog.go.click()
    qtbot.waitUntil(lambda: dialog.path is not None, timeout=20_000)
    assert dialog.bar.value() == 1000
    assert dialog.go.text() == "安装" and dialog.go.isEnabled()
    assert "未被改动" in dialog.message.text()
    assert install_command(dialog.path)[-1] == str(dialog.path)


def test_dialog_refuses_a_tampered_package(qtbot, live: LiveServer, tmp_path: Path) -> None:
    stored = next((Path(live.settings.data_dir) / "client-releases").rglob("*.deb"))
    stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    dialog = _dialog(live, tmp_path)
    qtbot.addWidget(dialog)
    dialog.go.click()
    qtbot.waitUntil(lambda: "已拒绝安装" in dialog.message.text(), timeout=20_000)
    assert dialog.path is None
    assert dialog.go.text() == "重试"
    assert not list((tmp_path / "dl").glob("*.deb"))
