"""The first window: opens the encrypted profile off the GUI thread, shows what it holds,
asks for a passphrase where no keyring exists, and searches offline."""

from __future__ import annotations

import os
from pathlib import Path

import keyring.backends.fail
import pytest

from oa_client.store.local import open_store
from tests.support.store_helpers import sample_document
from ui.app import cjk_family, make_app
from ui.passphrase_dialog import PassphraseDialog
from ui.profile_window import ProfileWindow

SHOTS = Path(os.environ.get("OA_SCREENSHOT_DIR", "/tmp/oa-screenshots"))


@pytest.fixture(scope="module", autouse=True)
def app():
    return make_app([], language="zh_CN")


def _shot(widget, name: str) -> Path:
    from ui.qt import QApplication

    for _ in range(3):  # let pending layout requests settle, as a person would see it
        QApplication.processEvents()
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


def _seed(path: Path, kr) -> None:
    store = open_store(path, keyring_backend=kr, username="wangwu", server_url="https://oa.example")
    store.records.write(
        "documents",
        [sample_document("关于召开全市防汛工作会议的通知", "各乡镇人民政府：定于6月10日召开防汛会议。"),
         sample_document("关于印发数字政府建设规划的通知", "推进一网通办和政务云建设。")],
    )
    store.close()


def test_a_cjk_font_is_available():
    assert cjk_family() is not None, "install fonts-wqy-zenhei (make test does)"


def test_window_opens_profile_and_shows_counts(qtbot, tmp_path, file_keyring):
    _seed(tmp_path / "p", file_keyring)
    window = ProfileWindow(tmp_path / "p", keyring_backend=file_keyring)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.opened, timeout=10_000):
        window.open_profile()
    count = window.counts_box.findChild(type(window.state_label), "count_documents")
    assert count.text() == "2"
    assert "已打开" in window.state_label.text()
    _shot(window, "profile-window-opened")

    window.search_box.setText("会议")
    window.run_search()
    qtbot.waitUntil(lambda: bool(getattr(window, "last_hits", None)), timeout=5_000)
    assert [h.title for h in window.last_hits] == ["关于召开全市防汛工作会议的通知"]
    assert "<b>会议</b>" in window.last_hits[0].title_html()
    assert "公文" in window.results.toPlainText()
    _shot(window, "profile-window-search")
    window.close()


def test_no_keyring_asks_to_set_a_passphrase(qtbot, tmp_path, monkeypatch):
    none = keyring.backends.fail.Keyring()
    seen = {}

    def fake_exec(dialog):
        seen["mode"] = dialog.mode
        _shot(dialog, f"passphrase-{dialog.mode}")
        dialog.first.setText("县政府办公室2026")
        dialog.second.setText("县政府办公室2026")
        assert dialog.check() is None
        return PassphraseDialog.DialogCode.Accepted

    monkeypatch.setattr(PassphraseDialog, "exec", fake_exec)
    window = ProfileWindow(tmp_path / "p", keyring_backend=none)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.opened, timeout=15_000):
        window.open_profile()
    assert seen["mode"] == "create"
    assert window.store.profile.key_source == "passphrase"
    window.close()

    # next start: the passphrase is asked for, a wrong one is said so, the right one opens
    answers = iter(["wrong-pass", "县政府办公室2026"])
    modes = []

    def enter_exec(dialog):
        modes.append((dialog.mode, "不正确" in dialog.findChildren(type(window.state_label))[0].text()))
        dialog.first.setText(next(answers))
        return PassphraseDialog.DialogCode.Accepted

    monkeypatch.setattr(PassphraseDialog, "exec", enter_exec)
    window = ProfileWindow(tmp_path / "p", keyring_backend=none)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.opened, timeout=15_000):
        window.open_profile()
    assert modes == [("enter", False), ("enter", True)]
    window.close()


def test_passphrase_dialog_checks_input(qtbot):
    d = PassphraseDialog(None, mode="create", reason="本机没有可用的系统密钥环。")
    qtbot.addWidget(d)
    assert d.check() == "请输入口令。"
    d.first.setText("short")
    assert "至少" in d.check()
    d.first.setText("long-enough-1")
    d.second.setText("different-22")
    assert d.check() == "两次输入的口令不一致。"


def test_locked_keyring_on_existing_profile_shows_why_and_offers_retry(qtbot, tmp_path, file_keyring):
    _seed(tmp_path / "p", file_keyring)
    file_keyring.mode = "locked"
    window = ProfileWindow(tmp_path / "p", keyring_backend=file_keyring)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.failed, timeout=10_000) as blocker:
        window.open_profile()
    assert "解锁" in blocker.args[0]
    assert window.retry_button.isVisible()
    _shot(window, "profile-window-locked")
    file_keyring.mode = "ok"
    with qtbot.waitSignal(window.opened, timeout=10_000):
        window.retry_button.click()
    window.close()


def test_english_ui(qtbot, tmp_path, file_keyring):
    from ui.app import install_language

    install_language(make_app(), "en")
    try:
        window = ProfileWindow(tmp_path / "p", keyring_backend=file_keyring)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.opened, timeout=10_000):
            window.open_profile()
        assert window.search_button.text() == "Search"
        _shot(window, "profile-window-en")
        window.close()
    finally:
        install_language(make_app(), "zh_CN")
