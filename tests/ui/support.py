"""Driving the shell as a user would: type, click, wait for what appears."""

from __future__ import annotations

from pathlib import Path

from tests.sync.support import PASSWORD
from ui.main_window import MainWindow
from ui.shell import Shell

WAIT = 20_000


def make_shell(tmp_path: Path, keyring, server_url: str = "", **kwargs) -> Shell:
    """A shell on a profiles directory under tmp_path, no long-poll unless asked."""
    kwargs.setdefault("live_updates", False)
    return Shell(root=tmp_path / "profiles", keyring_backend=keyring, server_url=server_url, **kwargs)


def close_main(qtbot, window: MainWindow | None) -> None:
    """Close the window and its profile (on the database worker) and wait."""
    from ui.ops import db_pool

    if window is None:
        return
    window.stop()
    window.close()
    if window.session is not None:
        db_pool().start(window.session.store.close)
    db_pool().waitForDone(10_000)
    from ui.qt import QThreadPool

    QThreadPool.globalInstance().waitForDone(30_000)


def sign_in(qtbot, shell: Shell, login: str, password: str = PASSWORD, *,
            remember: bool = True) -> MainWindow:
    """Fill the sign-in form, click 登录, wait for the main window with its first data."""
    shell.show_sign_in()
    w = shell.sign_in_window
    qtbot.addWidget(w)
    w.user.setText(login)
    w.password.setText(password)
    w.remember.setChecked(remember)
    with qtbot.waitSignal(shell.main_shown, timeout=WAIT) as blocker:
        w.sign_in_button.click()
    window = blocker.args[0]
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session is not None, timeout=WAIT)
    return window


def wait_synced(qtbot, window: MainWindow) -> None:
    """Wait until the background sync has finished once."""
    qtbot.waitUntil(lambda: window.sync is not None and not window.sync.running
                    and window.sync.state in ("synced", "attention"), timeout=WAIT)
