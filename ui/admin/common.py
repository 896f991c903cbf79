"""What every console page shares: a title and a status line, calls to the server on a worker
(errors shown on the page; a revoked device handed to the window), read-only tables, and
non-blocking confirmations and one-time-password notes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from oa_client.errors import SyncError
from oa_client.i18n import _
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)


class AdminPage(QWidget):
    """A console page: `title`, a toolbar row, the page body, a status line."""

    revoked = Signal(object)  # SyncError(kind="revoked"): the window wipes the profile
    title = ""

    def __init__(self, session) -> None:
        super().__init__()
        self.session = session
        self.transport = session.transport
        self.dialogs: list[QWidget] = []  # open non-blocking dialogs (kept alive)
        self.layout_ = QVBoxLayout(self)
        heading = QLabel(_(self.title))
        heading.setStyleSheet("font-size:15pt; font-weight:bold; color:#8b0000")
        self.layout_.addWidget(heading)
        self.tools = QHBoxLayout()
        self.layout_.addLayout(self.tools)
        self.status = QLabel("")
        self.status.setWordWrap(True)

    def finish_layout(self) -> None:
        """Put the status line under the body (call after adding the body)."""
        self.layout_.addWidget(self.status)

    def button(self, text: str, slot: Callable[[], None], *, enabled: bool = True) -> QPushButton:
        """A button in the toolbar row."""
        b = QPushButton(text)
        b.clicked.connect(lambda _=False: slot())
        b.setEnabled(enabled)
        self.tools.addWidget(b)
        return b

    def say(self, text: str, *, error: bool = False) -> None:
        """Tell the administrator what happened (red for a refusal). A query answered after
        the page said something newer (an export, a checkpoint) leaves that on the line."""
        if getattr(self, "_keep_status", False) and not error:
            return
        self._said = getattr(self, "_said", 0) + 1
        self.status.setStyleSheet("color:#b00000" if error else "color:#2e6b2e")
        self.status.setText(text)

    def call(self, op: Callable[[], Any], success: Callable[[Any], None]) -> None:
        """Run a server call on a worker; a refusal is shown on the page."""
        run_op(self, lambda _c: op(), success=success, failure=self.failed, pool="global")

    def read(self, op: Callable[[], Any], success: Callable[[Any], None]) -> None:
        """Like `call`, for a query: only the answer to the latest one is shown (an older
        query answering late does not overwrite a newer one's result)."""
        self._reads = getattr(self, "_reads", 0) + 1
        mine, said = self._reads, getattr(self, "_said", 0)

        def latest(answer: Any) -> None:
            if mine == self._reads:
                self._answered = mine
                self._keep_status = getattr(self, "_said", 0) != said
                try:
                    success(answer)
                finally:
                    self._keep_status = False

        def refused(exc: BaseException) -> None:
            if mine == self._reads:
                self._answered = mine
            self.failed(exc)

        run_op(self, lambda _c: op(), success=latest, failure=refused, pool="global")

    @property
    def reading(self) -> bool:
        """True while the latest query has not been answered (shown or refused)."""
        return getattr(self, "_reads", 0) != getattr(self, "_answered", 0)

    def failed(self, exc: BaseException) -> None:
        """Show a failure; a revoked device goes to the window."""
        if isinstance(exc, SyncError) and exc.kind == "revoked":
            self.revoked.emit(exc)
            return
        self.say(error_text(exc), error=True)

    def refresh(self) -> None:
        """Read the page's data again (pages override)."""

    def confirm(self, title: str, text: str, on_yes: Callable[[], None]) -> QMessageBox:
        """Ask before a change, without blocking (kept as `self.confirm_box`)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.button(QMessageBox.StandardButton.Yes).setText(_("确定"))
        box.button(QMessageBox.StandardButton.No).setText(_("取消"))
        box.accepted.connect(on_yes)
        box.finished.connect(lambda _r: self.dialogs.remove(box) if box in self.dialogs else None)
        self.dialogs.append(box)
        self.confirm_box = box
        box.open()
        return box


class Table(QTableWidget):
    """A read-only table filled from rows of text; `rows[i]` keeps the record behind row i."""

    def __init__(self, headers: Sequence[str]) -> None:
        super().__init__(0, len(headers))
        self.setHorizontalHeaderLabels([_(h) for h in headers])
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setStretchLastSection(True)
        self.records: list[Any] = []

    def fill(self, records: Sequence[Any], cells: Callable[[Any], Sequence[str]]) -> None:
        """Show `records`, each as the texts `cells(record)`."""
        self.records = list(records)
        self.setRowCount(len(self.records))
        for row, rec in enumerate(self.records):
            for col, text in enumerate(cells(rec)):
                item = QTableWidgetItem(str(text or ""))
                item.setToolTip(str(text or ""))
                self.setItem(row, col, item)
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        header.setStretchLastSection(False)  # toggled: the last column takes the rest again
        header.setStretchLastSection(True)

    def current(self) -> Any | None:
        """The record of the selected row."""
        rows = self.selectionModel().selectedRows()
        return self.records[rows[0].row()] if rows else None

    def select_where(self, match: Callable[[Any], bool]) -> bool:
        """Select the first row whose record matches; whether one did."""
        for row, rec in enumerate(self.records):
            if match(rec):
                self.selectRow(row)
                return True
        return False

    def column_texts(self, col: int) -> list[str]:
        """The texts of one column, top to bottom."""
        return [self.item(r, col).text() for r in range(self.rowCount())]


def filter_box(placeholder: str) -> QLineEdit:
    """A search field for a table."""
    box = QLineEdit()
    box.setPlaceholderText(placeholder)
    box.setClearButtonEnabled(True)
    return box


class OneTimePasswordDialog(QDialog):
    """Shows a one-time password once: who it is for, and that it must be changed."""

    def __init__(self, parent: QWidget, *, name: str, login: str, password: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("一次性密码"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("{name}（{login}）的一次性密码：").format(name=name, login=login)))
        self.password = QLabel(password)
        self.password.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.password.setStyleSheet("font-family: monospace; font-size: 16pt; font-weight: bold;"
                                    " padding: 8px; background: #fff8dc")
        layout.addWidget(self.password)
        note = QLabel(_("此密码只显示这一次。请当面或通过安全渠道交给本人；本人登录时须立即设置新密码，"
                        "并会被告知密码已由管理员重置。"))
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("关闭"))
        buttons.rejected.connect(self.accept)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)


def show_one_time_password(page: AdminPage, answer: dict) -> OneTimePasswordDialog:
    """Open the one-time password note (non-blocking, kept as `page.otp_dialog`)."""
    user = answer["user"]
    dialog = OneTimePasswordDialog(page, name=user["name"], login=user["login"],
                                   password=answer["one_time_password"])
    page.otp_dialog = dialog
    dialog.open()
    return dialog


def short(value: str | None, *, seconds: bool = False) -> str:
    """An ISO time as 'YYYY-MM-DD HH:MM[:SS]' (UTC as the server gives it, shown local)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value[:16]
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
