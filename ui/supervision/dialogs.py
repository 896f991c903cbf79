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
    """进展反馈: text, completion, a milestone reached (the lead unit) and attached files."""

    def __init__(self, task_title: str, parent: QWidget | None = None, *,
                 milestones: list[dict] | None = None) -> None:
        from ui.qt import QComboBox

        super().__init__(_("报送进展：{title}").format(title=task_title), parent)
        self.text = self.text_box(_("进展情况(&T)"), _("本阶段完成了哪些工作、存在什么问题、下一步计划"))
        self.percent = QSpinBox()
        self.percent.setRange(-1, 100)  # -1: not said (shown as 不填)
        self.percent.setSpecialValueText(_("（不填）"))
        self.percent.setValue(-1)
        self.percent.setSuffix(" %")
        self.form.addRow(_("完成进度(&P)"), self.percent)
        self.milestone = QComboBox()
        self.milestone.addItem(_("（无）"), None)
        for m in milestones or []:
            self.milestone.addItem(f"{m.get('due')}　{m.get('title')}", m.get("id"))
        if milestones:
            self.form.addRow(_("已完成节点(&M)"), self.milestone)
        else:
            self.milestone.hide()
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

    def completion(self) -> int | None:
        """The 完成进度 given (0–100), None when left blank."""
        return None if self.percent.value() < 0 else self.percent.value()

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
        self.draft = QPushButton(_("生成通报公文草稿(&D)"))
        self.draft.setToolTip(_("在发文流程中生成文种为“通报”的公文草稿（督查室拟稿），进入待办"))
        for w in (year_label, self.year, month_label, self.month, self.generate, self.save,
                  self.draft):
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


class MilestoneTable(QWidget):
    """节点: rows of a name and a date, added and removed with two buttons."""

    def __init__(self, *, today: date, parent: QWidget | None = None) -> None:
        from ui.qt import QAbstractItemView, QHeaderView, QTableWidget

        super().__init__(parent)
        self.today = QDate(today.year, today.month, today.day)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([_("节点名称"), _("完成时间")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(1, 130)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setFixedHeight(118)
        layout.addWidget(self.table, 1, Qt.AlignmentFlag.AlignTop)
        buttons = QVBoxLayout()
        self.add_button = QPushButton(_("添加节点(&M)"))
        self.remove_button = QPushButton(_("删除节点"))
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_row)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def add_row(self) -> None:
        """A new milestone row, its name ready for typing."""
        from ui.qt import QLineEdit

        row = self.table.rowCount()
        self.table.insertRow(row)
        name = QLineEdit()
        name.setPlaceholderText(_("如：完成方案设计"))
        due = QDateEdit(self.today.addDays(14 * (row + 1)))
        due.setCalendarPopup(True)
        due.setDisplayFormat("yyyy-MM-dd")
        self.table.setCellWidget(row, 0, name)
        self.table.setCellWidget(row, 1, due)
        name.setFocus()

    def remove_row(self) -> None:
        """Remove the selected milestone (the last when none is selected)."""
        rows = sorted({i.row() for i in self.table.selectedIndexes()}) or [self.table.rowCount() - 1]
        for row in reversed(rows):
            if row >= 0:
                self.table.removeRow(row)

    def editors(self, row: int) -> tuple:
        """The name and date editors of a row."""
        return self.table.cellWidget(row, 0), self.table.cellWidget(row, 1)

    def values(self) -> list[dict]:
        """The milestones as create_task takes them."""
        out = []
        for row in range(self.table.rowCount()):
            name, due = self.editors(row)
            out.append({"title": name.text().strip(), "due": due.date().toPython().isoformat()})
        return out


class TaskForm(_Form):
    """立项: name, content, source 公文, lead and assisting units, 责任人, 批示领导, deadline,
    importance, reports and milestones (each with its date and, once open, its own light)."""

    def __init__(self, units: list[tuple[str, str]], *, today: date,
                 people: list[dict] | None = None, documents: list[dict] | None = None,
                 parent: QWidget | None = None) -> None:
        from oa_client.domain.supervision import IMPORTANCE, REPORT_LABELS, is_leader
        from ui.qt import QAbstractItemView, QComboBox, QLineEdit, QListWidgetItem

        super().__init__(_("新建督办事项"), parent)
        self.setMinimumWidth(620)
        self.people = people or []
        self.title = QLineEdit()
        self.form.addRow(_("事项名称(&T)"), self.title)
        self.content = self.text_box(_("督办内容(&C)"), _("批示原文或决定事项"))
        self.content.setFixedHeight(80)
        self.source = QComboBox()
        self.source.addItem(_("（无，督查室立项）"), None)
        for d in documents or []:
            label = "　".join(p for p in (d.get("doc_number") or "", d.get("title") or "") if p)
            self.source.addItem(label, d)
        self.form.addRow(_("来源公文(&S)"), self.source)
        self.lead = QComboBox()
        self.lead.addItem("", "")
        for uid, name in units:
            self.lead.addItem(name, uid)
        self.form.addRow(_("牵头单位(&L)"), self.lead)
        self.assist = QListWidget()
        self.assist.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.assist.setFixedHeight(80)
        for uid, name in units:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, uid)
            self.assist.addItem(item)
        self.form.addRow(_("配合单位(&A)"), self.assist)
        self.owner = QComboBox()
        self.form.addRow(_("责任人(&P)"), self.owner)
        self.lead.currentIndexChanged.connect(self._fill_owners)
        self._fill_owners()
        self.leader = QComboBox()
        self.leader.addItem(_("（无）"), None)
        for p in self.people:
            if is_leader(p.get("roles") or []):
                self.leader.addItem(f"{p['name']}（{p.get('unit_name') or ''}）", p["id"])
        self.form.addRow(_("批示领导(&O)"), self.leader)
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
        self.milestones = MilestoneTable(today=today)
        self.form.addRow(_("节点"), self.milestones)

    def _fill_owners(self) -> None:
        """责任人: the people of the lead unit."""
        unit = self.lead.currentData()
        self.owner.clear()
        self.owner.addItem(_("（未指定）"), None)
        for p in self.people:
            if unit and p.get("unit_id") == unit:
                self.owner.addItem(p["name"], p["id"])

    def values(self) -> dict:
        """The form as create_task keywords."""
        doc = self.source.currentData()
        content = self.content.toPlainText()
        source = {"kind": "manual"}
        if doc:
            source = {"kind": "instruction", "collection": "documents", "id": doc["id"],
                      "text": content.strip(), "title": doc.get("title") or "",
                      "doc_number": doc.get("doc_number") or ""}
        return {
            "title": self.title.text(), "content": content,
            "lead_unit_id": self.lead.currentData() or "",
            "assist_unit_ids": [i.data(Qt.ItemDataRole.UserRole)
                                for i in self.assist.selectedItems()
                                if i.data(Qt.ItemDataRole.UserRole) != self.lead.currentData()],
            "deadline": self.deadline.date().toPython(),
            "importance": self.importance.currentData(),
            "report_every": self.report_every.currentData(),
            "owner_id": self.owner.currentData(), "ordered_by": self.leader.currentData(),
            "source": source, "milestones": self.milestones.values(),
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
        for row in range(self.milestones.table.rowCount()):
            name, due = self.milestones.editors(row)
            if not name.text().strip():
                self.fail(_("第{n}个节点缺少名称").format(n=row + 1), name)
                return
            if due.date() > self.deadline.date():
                self.fail(_("节点“{title}”的时间晚于办结期限").format(title=name.text().strip()),
                          due)
                return
        self.accept()
