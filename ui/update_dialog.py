"""Offer a newer client from the server: download with progress (resumes), verify, install."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs

from oa_client.i18n import _
from oa_client.version import is_installed_bundle, platform_tag, version
from sync import updates
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QObject,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)

log = logging.getLogger(__name__)


def download_dir() -> Path:
    """Where update packages are kept until installed (partial downloads resume from here)."""
    return Path(platformdirs.user_cache_dir("zhengwu-oa", appauthor=False)) / "updates"


def install_command(path: Path) -> list[str]:
    """How this platform installs the package: the setup program on Windows; on Linux apt
    through pkexec (asks for an administrator password), else the desktop's package installer."""
    if sys.platform == "win32":
        return [str(path), "/SILENT", "/NORESTART"]
    if shutil.which("pkexec") and shutil.which("apt-get"):
        return ["pkexec", "apt-get", "install", "-y", str(path)]
    return ["xdg-open", str(path)]


class _Progress(QObject):
    moved = Signal(int, int)


class UpdateDialog(QDialog):
    """A newer client is on the server: download and verify it, then offer to install it."""

    def __init__(self, parent: QWidget | None, *, release: updates.Release, transport,
                 trust_roots: Callable[[], list[bytes]], folder: Path | None = None) -> None:
        super().__init__(parent)
        self.release, self.transport, self.trust_roots = release, transport, trust_roots
        self.folder = folder or download_dir()
        self.path: Path | None = None
        self.cancel = None
        self.setWindowTitle(_("客户端更新"))
        layout = QVBoxLayout(self)
        self.text = QLabel(_("服务器上有新版本 {new}（本机 {old}），安装包 {mb:.1f} MB。").format(
            new=release.version, old=version(), mb=release.size / 1e6))
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.hide()
        layout.addWidget(self.bar)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        self.later = QPushButton(_("以后再说"))
        self.later.clicked.connect(self._later)
        self.go = QPushButton(_("下载并验证"))
        self.go.setDefault(True)
        self.go.clicked.connect(self._go)
        row.addWidget(self.later)
        row.addWidget(self.go)
        layout.addLayout(row)
        self._progress = _Progress(self)
        self._progress.moved.connect(self._moved)

    def _moved(self, done: int, total: int) -> None:
        self.bar.setValue(int(1000 * done / max(1, total)))

    def _go(self) -> None:
        if self.path is not None:
            self.install()
            return
        self.go.setEnabled(False)
        self.bar.show()
        self.message.setStyleSheet("color:#555")
        self.message.setText(_("正在下载…"))
        release, transport, folder = self.release, self.transport, self.folder
        emit = self._progress.moved.emit

        def op(cancel):
            path = updates.download(transport, release, folder=folder, progress=emit, cancel=cancel)
            updates.verify(release, path, trust_roots=self.trust_roots())
            return path

        self.cancel = run_op(self, op, success=self._verified, failure=self._failed, pool="net")

    def _verified(self, path: Path) -> None:
        self.path = path
        self.message.setStyleSheet("color:#006400")
        self.message.setText(_("已下载并验证：安装包由本单位服务器签发，未被改动。"))
        self.go.setText(_("安装"))
        self.go.setEnabled(True)

    def _failed(self, exc: BaseException) -> None:
        self.message.setStyleSheet("color:#b00000")
        self.message.setText(error_text(exc))
        self.go.setText(_("重试"))
        self.go.setEnabled(True)

    def _later(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
        self.reject()

    def install(self) -> None:
        """Start the platform's installer on the verified package; the user restarts after."""
        assert self.path is not None
        try:
            subprocess.Popen(install_command(self.path), start_new_session=True)
        except OSError as exc:
            self.message.setStyleSheet("color:#b00000")
            self.message.setText(_("无法启动安装程序：{error}").format(error=exc))
            return
        self.message.setText(_("已启动安装程序；安装完成后请重新启动客户端，本机数据会保留。"))
        self.go.setEnabled(False)


def check_for_update(parent: QWidget, session) -> None:
    """Ask the server in the background; show the dialog when a newer release is out. Only
    an installed client asks (a source checkout updates with git)."""
    transport = session.transport
    if transport is None or not is_installed_bundle():
        return

    def roots() -> list[bytes]:
        rows = session.store.db.query("SELECT value FROM meta WHERE key = 'ca_root_pem'")
        return [rows[0][0].encode("ascii")] if rows else []

    def shown(release: updates.Release | None) -> None:
        if release is None:
            return
        dialog = UpdateDialog(parent, release=release, transport=transport, trust_roots=roots)
        parent.update_dialog = dialog
        dialog.show()

    run_op(parent, lambda _c: updates.check_release(transport, platform=platform_tag(),
                                                     current=version()),
           success=shown, failure=lambda exc: log.info("update check: %s", exc), pool="net")
