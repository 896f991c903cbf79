"""核验签章: check a signed 公文 PDF or an exchange package against the server's CA, offline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from docs_exchange.package import verify_package
from docs_exchange.verify import verify_pdf
from oa_client.i18n import _
from ui.ops import run_op
from ui.qt import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.report_area import ReportArea

MAX_FILE = 200 * 1024 * 1024


def check_file(path: Path, trust_roots: list[bytes]) -> tuple[bool, str]:
    """Verify a PDF or an exchange package; return (ok, the readable report)."""
    if not trust_roots:
        return False, _("本机还没有服务器的根证书：请联网同步一次后再核验。")
    with path.open("rb") as f:
        head = f.read(5)
    if head.startswith(b"PK"):  # checked from the file: memory bounded by the package's PDF
        report = verify_package(path, trust_roots=trust_roots, keep_attachments=False)
        return report.ok, report.text()
    if path.stat().st_size > MAX_FILE:
        return False, _("文件过大，无法核验。")
    if head.startswith(b"%PDF"):
        report = verify_pdf(path.read_bytes(), trust_roots=trust_roots)
        return report.ok, report.text()
    return False, _("这不是 PDF 公文或公文交换包，无法核验。")


class VerifyDialog(QDialog):
    """Pick a file, check it on a worker, show the verdict and the full report."""

    checked = Signal(bool)

    def __init__(self, parent: QWidget | None, *, trust_roots: Callable[[], list[bytes]]) -> None:
        """`trust_roots` is called on a worker thread (it may read the profile)."""
        super().__init__(parent)
        self.trust_roots = trust_roots
        self.setWindowTitle(_("核验签章"))
        self.setMinimumSize(640, 460)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText(_("选择要核验的 PDF 公文或公文交换包（.zip）"))
        browse = QPushButton(_("选择文件…"))
        browse.clicked.connect(self._browse)
        self.run_button = QPushButton(_("核验"))
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_check)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        row.addWidget(self.run_button)
        layout.addLayout(row)
        self.area = ReportArea(self, layout)
        self.verdict, self.report = self.area.verdict, self.area.report

    def _browse(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, _("选择文件"), "", _("公文（*.pdf *.zip）"))
        if name:
            self.path.setText(name)
            self.run_check()

    def run_check(self) -> None:
        """Check the chosen file in the background."""
        path = Path(self.path.text().strip())
        if not self.path.text().strip() or not path.is_file():
            self._show(False, _("请先选择一个存在的文件。"))
            return
        self.run_button.setEnabled(False)
        self.area.say(_("正在核验…"), ok=None)
        # the trust roots live in the encrypted profile: read them on the worker too
        run_op(self, lambda _c: check_file(path, self.trust_roots()), pool="net",
               success=lambda res: self._show(*res), failure=self._failed)

    def _failed(self, exc: BaseException) -> None:
        from ui.errors import error_text

        self._show(False, error_text(exc))

    def _show(self, ok: bool, text: str) -> None:
        self.run_button.setEnabled(True)
        self.area.say(
            _("✔ 核验通过：签章可信，文件自签署以来未被改动。") if ok
            else _("✘ 核验未通过：请勿使用此文件，详见下方报告。"), ok=ok)
        self.area.show_text(text)
        self.checked.emit(ok)
