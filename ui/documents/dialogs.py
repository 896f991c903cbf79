"""Small dialogs of the document window: 退回 (reason required), 转办, 委托, editing the body."""

from __future__ import annotations

from datetime import date

from oa_client.i18n import _
from ui.qt import (
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    Qt,
    QVBoxLayout,
    QWidget,
)


def _buttons(dialog: QDialog, ok: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


def _problem_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet("color:#b00000")
    label.setWordWrap(True)
    return label


class ReturnDialog(QDialog):
    """退回: to which earlier step, and why (an empty reason is refused)."""

    def __init__(self, targets: list[tuple[str, str]], opinion: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("退回"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.target = QComboBox()
        for step, name in targets:
            self.target.addItem(name or step, step)
        self.target.setEnabled(len(targets) > 1)
        label = QLabel(_("退回到(&S)"))
        label.setBuddy(self.target)
        form.addRow(label, self.target)
        self.reason = QPlainTextEdit(opinion)
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(_("请写明退回理由，如：主送机关有误，请核实后重新报送"))
        self.reason.setMaximumHeight(120)
        label = QLabel(_("退回理由(&R)"))
        label.setBuddy(self.reason)
        form.addRow(label, self.reason)
        layout.addLayout(form)
        self.problem = _problem_label()
        layout.addWidget(self.problem)
        layout.addWidget(_buttons(self, _("退回")))
        self.resize(460, 260)
        self.reason.setFocus()

    def accept(self) -> None:
        """A reason is required."""
        if not self.text():
            self.problem.setText(_("退回必须填写理由"))
            self.reason.setFocus()
            return
        super().accept()

    def text(self) -> str:
        """The reason typed."""
        return self.reason.toPlainText().strip()

    def step(self) -> str | None:
        """The step to return to (None lets the flow choose the previous one)."""
        return self.target.currentData()


class PersonDialog(QDialog):
    """Choose a colleague (转办, 委托): a filter and the local 通讯录."""

    def __init__(self, title: str, people: list[tuple[str, str]], parent: QWidget | None = None,
                 *, with_dates: bool = False, note: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        if note:
            hint = QLabel(note)
            hint.setWordWrap(True)
            hint.setStyleSheet("color:#555")
            layout.addWidget(hint)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("输入姓名或单位筛选"))
        self.filter.textChanged.connect(self._filter)
        layout.addWidget(self.filter)
        self.list = QListWidget()
        for person_id, label in people:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, person_id)
            self.list.addItem(item)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        layout.addWidget(self.list, 1)
        self.start = QDateEdit(QDate.currentDate())
        self.end = QDateEdit(QDate.currentDate().addDays(7))
        for d in (self.start, self.end):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        if with_dates:
            form = QFormLayout()
            form.addRow(_("委托开始"), self.start)
            form.addRow(_("委托结束"), self.end)
            layout.addLayout(form)
        self.with_dates = with_dates
        self.problem = _problem_label()
        layout.addWidget(self.problem)
        layout.addWidget(_buttons(self, _("确定")))
        self.resize(420, 480)
        self.filter.setFocus()

    def _filter(self, text: str) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(text) and text not in item.text())

    def accept(self) -> None:
        """Someone must be chosen; a date range must not end before it starts."""
        if self.person() is None:
            self.problem.setText(_("请选择人员"))
            return
        if self.with_dates and self.end.date() < self.start.date():
            self.problem.setText(_("委托结束日期不能早于开始日期"))
            return
        super().accept()

    def person(self) -> str | None:
        """The chosen id."""
        item = self.list.currentItem()
        return None if item is None or item.isHidden() else item.data(Qt.ItemDataRole.UserRole)

    def dates(self) -> tuple[date, date]:
        """(start, end) of a 委托."""
        return self.start.date().toPython(), self.end.date().toPython()


class BodyDialog(QDialog):
    """修改正文: the body in an editor; saving makes a revision with my name."""

    def __init__(self, body: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("修改正文"))
        layout = QVBoxLayout(self)
        hint = QLabel(_("保存后形成一稿修订，修改痕迹可在“显示痕迹”中查看。"))
        hint.setStyleSheet("color:#555")
        layout.addWidget(hint)
        self.editor = QPlainTextEdit(body)
        self.editor.setTabChangesFocus(True)
        layout.addWidget(self.editor, 1)
        layout.addWidget(_buttons(self, _("保存正文")))
        self.resize(720, 520)
        self.editor.setFocus()

    def text(self) -> str:
        """The edited body."""
        return self.editor.toPlainText()
