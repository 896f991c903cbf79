"""The lower half of a file-tool dialog: a verdict line, a plain report, a Close button."""

from __future__ import annotations

import html

from oa_client.i18n import _
from ui.qt import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout

OK_STYLE = "color: #1b7f2a; font-weight: bold"
BAD_STYLE = "color: #b00000; font-weight: bold"


class ReportArea:
    """Adds the verdict label, the report pane and Close to `layout`."""

    def __init__(self, dialog: QDialog, layout: QVBoxLayout) -> None:
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        self.report = QTextBrowser()
        layout.addWidget(self.report, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("关闭"))
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)

    def say(self, text: str, *, ok: bool | None) -> None:
        """Show the verdict: green when ok, red when not, plain while working."""
        self.verdict.setText(text)
        self.verdict.setStyleSheet("" if ok is None else OK_STYLE if ok else BAD_STYLE)

    def show_text(self, text: str) -> None:
        """Show the report as preformatted, escaped text."""
        self.report.setHtml("<pre style='white-space: pre-wrap'>" + html.escape(text) + "</pre>")
