"""Supervision dialogs: progress report, extension request, 销号 request, decisions, 通报."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from oa_client.i18n import _
from ui.qt import (
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    Qt,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

MAX_FILE = 50 * 1024 * 1024


class _Form(QDialog):
    """A small form with OK / Cancel and an error line that names the field."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error = QLabel()
        self.error.setStyleSheet("color:#c00000")
        self.error.setWordWrap(True)
        self.layout_.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("提交"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)

    def text_box(self, label: str, placeholder: str = "") -> QPlainTextEdit:
        """A multi-line field with a label (Alt+letter via the label's buddy)."""
        box = QPlainTextEdit()
        box.setPlaceholderText(placeholder)
        box.setTabChangesFocus(True)
        box.setFixedHeight(110)
        self.form.addRow(label, box)
        return box

    def fail(self, message: str, widget: QWidget | None = None) -> None:
        """Show what is wrong and put the cursor there."""
        self.error.setText(message)
        if widget is not None:
            widget.setFocus()

    def _check(self) -> None:
        self.accept()


class ProgressForm(_Form):
    """进展反馈: text, completion and attached files."""

    def __init__(self, task_title: str, parent: QWidget | None = None) -> None:
        super().__init__(_("报送进展：{title}").format(title=task_title), parent)
        self.text = self.text_box(_("进展情况(&T)"), _("本阶段完成了哪些工作、存在什么问题、下一步计划"))
        self.percent = QSpinBox()
        self.percent.setRange(0, 100)
        self.percent.setSuffix(" %")
        self.form.addRow(_("完成进度(&P)"), self.percent)
        self.files = QListWidget()
        self.files.setFixedHeight(70)
        add = QPushButton(_("添加附件(&A)…"))
        add.clicked.connect(self.add_files)
        row = QHBoxLayout()
        row.addWidget(self.files, 1)
        row.addWidget(add)
        self.form.addRow(_("附件"), row)
        self.paths: list[Path] = []

    def add_files(self) -> None:
        """Choose files to attach (read on the worker when submitted)."""
        names, _f = QFileDialog.getOpenFileNames(self, _("选择附件"))
        for name in names:
            path = Path(name)
            self.paths.append(path)
            self.files.addItem(path.name)

    def _check(self) -> None:
        if not self.text.toPlainText().strip():
            self.fail(_("请填写进展情况"), self.text)
            return
        self.accept()


class ExtensionForm(_Form):
    """申请延期: the new deadline and the reason."""

    def __init__(self, task_title: str, deadline: str, parent: QWidget | None = None) -> None:
        super().__init__(_("申请延期：{title}").format(title=task_title), parent)
        self.current = QDate.fromString(deadline, "yyyy-MM-dd")
        self.form.addRow(_("原办结期限"), QLabel(deadline))
        self.new_deadline = QDateEdit(self.current.addDays(14))
        self.new_deadline.setCalendarPopup(True)
        self.new_deadline.setDisplayFormat("yyyy-MM-dd")
        self.form.addRow(_("延期至(&D)"), self.new_deadline)
        self.reason = self.text_box(_("延期理由(&R)"))

    def _check(self) -> None:
        if self.current.isValid() and self.new_deadline.date() <= self.current:
            self.fail(_("延期后的期限应晚于原期限"), self.new_deadline)
            return
        if not self.reason.toPlainText().strip():
            self.fail(_("请说明延期理由"), self.reason)
            return
        self.accept()


class CloseForm(_Form):
    """申请销号: the result achieved."""

    def __init__(self, task_title: str, parent: QWidget | None = None) -> None:
        super().__init__(_("申请销号：{title}").format(title=task_title), parent)
        self.result_box = self.text_box(_("办理结果(&R)"), _("办结情况、成效和佐证材料"))

    def _check(self) -> None:
        if not self.result_box.toPlainText().strip():
            self.fail(_("请填写办理结果"), self.result_box)
            return
        self.accept()


class DecideForm(_Form):
    """Approve or refuse a pending extension, or confirm / reject a 销号."""

    def __init__(self, title: str, request_text: str, *, yes: str, no: str,
                 opinion_required_for_no: bool, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        shown = QLabel(request_text)
        shown.setWordWrap(True)
        self.form.addRow(_("申请内容"), shown)
        self.opinion = self.text_box(_("意见(&O)"))
        self.approve = True
        self.needs_reason = opinion_required_for_no
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(yes)
        self.no_button = self.buttons.addButton(no, QDialogButtonBox.ButtonRole.ActionRole)
        self.no_button.clicked.connect(self._refuse)

    def _refuse(self) -> None:
        if self.needs_reason and not self.opinion.toPlainText().strip():
            self.fail(_("退回时请写明理由"), self.opinion)
            return
        self.approve = False
        self.accept()


class BulletinDialog(QDialog):
    """督办通报: choose the month, generate (with progress), read the text, save the PDF."""

    def __init__(self, parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("生成月度督办通报"))
        self.resize(720, 640)
        today = today or date.today()
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(today.year)
        self.month = QSpinBox()
        self.month.setRange(1, 12)
        self.month.setValue(today.month)
        year_label, month_label = QLabel(_("年份(&Y)")), QLabel(_("月份(&M)"))
        year_label.setBuddy(self.year)
        month_label.setBuddy(self.month)
        self.generate = QPushButton(_("生成(&G)"))
        self.save = QPushButton(_("保存 PDF(&S)…"))
        self.save.setEnabled(False)
        for w in (year_label, self.year, month_label, self.month, self.generate, self.save):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setFormat(_("正在排版生成通报…"))
        self.progress.setTextVisible(True)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.preview = QTextBrowser()
        layout.addWidget(self.preview, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText(_("关闭"))
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.pdf: bytes | None = None

    def busy(self, on: bool) -> None:
        """Show the generation running (the button waits meanwhile)."""
        self.progress.setVisible(on)
        self.generate.setEnabled(not on)


class TaskForm(_Form):
    """督查室立项: title, content, lead and assisting units, deadline, importance, reports."""

    def __init__(self, units: list[tuple[str, str]], *, today: date,
                 parent: QWidget | None = None) -> None:
        from oa_client.domain.supervision import IMPORTANCE, REPORT_LABELS
        from ui.qt import QAbstractItemView, QComboBox, QLineEdit, QListWidgetItem

        super().__init__(_("新建督办事项"), parent)
        self.title = QLineEdit()
        self.form.addRow(_("事项名称(&T)"), self.title)
        self.content = self.text_box(_("督办内容(&C)"), _("批示原文或决定事项"))
        self.lead = QComboBox()
        self.lead.addItem("", "")
        for uid, name in units:
            self.lead.addItem(name, uid)
        self.form.addRow(_("牵头单位(&L)"), self.lead)
        self.assist = QListWidget()
        self.assist.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.assist.setFixedHeight(90)
        for uid, name in units:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, uid)
            self.assist.addItem(item)
        self.form.addRow(_("配合单位(&A)"), self.assist)
        self.deadline = QDateEdit(QDate(today.year, today.month, today.day).addDays(30))
        self.deadline.setCalendarPopup(True)
        self.deadline.setDisplayFormat("yyyy-MM-dd")
        self.form.addRow(_("办结期限(&D)"), self.deadline)
        self.importance = QComboBox()
        for level in IMPORTANCE:
            self.importance.addItem(_(level), level)
        self.form.addRow(_("重要程度(&I)"), self.importance)
        self.report_every = QComboBox()
        for key in ("weekly", "monthly", None):
            self.report_every.addItem(_(REPORT_LABELS[key]), key)
        self.form.addRow(_("报送频次(&R)"), self.report_every)

    def values(self) -> dict:
        """The form as create_task keywords."""
        return {
            "title": self.title.text(), "content": self.content.toPlainText(),
            "lead_unit_id": self.lead.currentData() or "",
            "assist_unit_ids": [i.data(Qt.ItemDataRole.UserRole)
                                for i in self.assist.selectedItems()
                                if i.data(Qt.ItemDataRole.UserRole) != self.lead.currentData()],
            "deadline": self.deadline.date().toPython(),
            "importance": self.importance.currentData(),
            "report_every": self.report_every.currentData(),
        }

    def _check(self) -> None:
        if not self.title.text().strip():
            self.fail(_("请填写督办事项名称"), self.title)
            return
        if not self.content.toPlainText().strip():
            self.fail(_("请填写督办内容（批示或决定事项原文）"), self.content)
            return
        if not self.lead.currentData():
            self.fail(_("请选择牵头单位"), self.lead)
            return
        self.accept()
