"""节假日安排: the 督查室 edits a year's holidays and make-up workdays (sent to the server,
which every client then reads); checked on the device first, the wrong entry named."""

from __future__ import annotations

import json
from typing import Any

from oa_client.domain.workdays import parse_year_table
from oa_client.errors import ValidationError
from oa_client.i18n import _
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


class CalendarDialog(QDialog):
    """One year's table as JSON text: load the current one, check it, save it to the server."""

    def __init__(self, session, parent: QWidget | None = None, *, year: int) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(_("节假日安排（工作日历）"))
        self.resize(640, 560)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(year)
        label = QLabel(_("年份(&Y)"))
        label.setBuddy(self.year)
        self.load_button = QPushButton(_("读取(&L)"))
        self.load_button.clicked.connect(self.load)
        for w in (label, self.year, self.load_button):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        hint = QLabel(_("按国务院办公厅通知录入：holidays 为放假期间（含周末），workdays 为调休上班的周末。"))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        layout.addWidget(self.text, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("保存到服务器(&S)"))
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("关闭"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(session is not None and session.transport is not None)
        layout.addWidget(buttons)
        self.saved: dict[str, Any] | None = None
        self.load()

    def load(self) -> None:
        """Show the year's table as this device knows it (server copy, else the shipped one)."""
        from oa_client.services.supervision import calendar

        store, year = self.session.store, self.year.value()

        def op(_c):
            table = calendar(store).tables.get(year)
            return table.to_data() if table else {"year": year, "source": "", "holidays": [],
                                                    "workdays": []}
        run_op(self, op, success=lambda data: self.text.setPlainText(
            json.dumps(data, ensure_ascii=False, indent=2)))

    def save(self) -> None:
        """Check the table here, then send it; errors name the entry."""
        try:
            table = parse_year_table(self.text.toPlainText())
        except ValidationError as exc:  # shown in place, the text kept
            self.status.setStyleSheet("color:#c00000")
            self.status.setText(_("{message}（位置：{field}）").format(
                message=exc.message, field=exc.field or "—"))
            return
        transport, data = self.session.transport, table.to_data()

        def op(_c):
            return transport.request("PUT", f"/supervision/calendars/{table.year}",
                                     json_body=data).json()

        def done(saved) -> None:
            self.saved = saved
            self.status.setStyleSheet("color:#1e8e3e")
            self.status.setText(_("已保存{year}年的节假日安排，各终端同步后生效").format(
                year=table.year))
            sync = getattr(self.parent().window() if self.parent() else None, "sync", None)
            if sync is not None:
                sync.sync_now()

        def failed(exc: BaseException) -> None:
            self.status.setStyleSheet("color:#c00000")
            self.status.setText(error_text(exc))
        self.save_button.setEnabled(False)
        run_op(self, op, success=lambda r: (self.save_button.setEnabled(True), done(r)),
               failure=lambda e: (self.save_button.setEnabled(True), failed(e)), pool="net")
