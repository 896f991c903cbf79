"""下发报表: the template (a new design, or the next period of one already issued), its period,
deadline and the subordinate units that must fill it. The server checks the units really are
below ours and the items are the dictionary's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from oa_client.domain.forms_values import localized
from oa_client.domain.reports import ReportTemplate
from oa_client.i18n import _
from oa_client.services.reports_issue import period_problem
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
    Qt,
    QVBoxLayout,
)

PERIOD_WORDS = {"monthly": "月报", "quarterly": "季报", "yearly": "年报", "one_off": "一次性"}
_PERIOD_IDS = (_("月报"), _("季报"), _("年报"), _("一次性"))
TOWNSHIP_LEVELS = ("township", "乡镇")


@dataclass(frozen=True)
class IssueChoice:
    """One template the dialog offers: a new one (`record_id` None) or the next period of one issued."""

    template: ReportTemplate
    record_id: str | None
    period: str
    deadline: dt.date
    recipients: list[str] | None = None  # None: every township below us
    last_period: str = ""

    def label(self) -> str:
        """How the choice reads in the list."""
        name = f"{localized(self.template.name, self.template.en)}（{_(PERIOD_WORDS[self.template.period])}）"
        if self.record_id and self.last_period:
            return _("{name} — 下一期，上期为{last}").format(name=name, last=self.last_period)
        return name


class IssueDialog(QDialog):
    """Pick the template, period, deadline and recipient units; `choice()` returns them."""

    def __init__(self, choices: list[IssueChoice], units: list[dict], *, parent=None) -> None:
        super().__init__(parent)
        self.choices, self.unit_rows = choices, units
        self.setWindowTitle(_("下发报表"))
        self.resize(620, 540)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.template = QComboBox()
        for c in choices:
            self.template.addItem(c.label())
        self.template.currentIndexChanged.connect(self._template_changed)
        self.period = QLineEdit()
        self.deadline = QDateEdit()
        self.deadline.setCalendarPopup(True)
        self.deadline.setDisplayFormat("yyyy-MM-dd")
        form.addRow(_("报表："), self.template)
        form.addRow(_("所属期："), self.period)
        form.addRow(_("截止日期："), self.deadline)
        layout.addLayout(form)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #1a5fb4")
        layout.addWidget(self.note)
        layout.addWidget(QLabel(_("填报单位（本单位的下级单位）：")))
        self.units = QListWidget()
        for u in units:
            item = QListWidgetItem(u.get("name", ""))
            item.setData(Qt.ItemDataRole.UserRole, u["id"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.units.addItem(item)
        layout.addWidget(self.units, 1)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00000")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("下发"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout.addWidget(buttons)
        self._template_changed(0)

    def _template_changed(self, index: int) -> None:
        if not 0 <= index < len(self.choices):
            return
        c = self.choices[index]
        self.period.setText(c.period)
        self.deadline.setDate(QDate(c.deadline.year, c.deadline.month, c.deadline.day))
        wanted = set(c.recipients) if c.recipients is not None else None
        for i in range(self.units.count()):
            item = self.units.item(i)
            unit = self.unit_rows[i]
            on = unit["id"] in wanted if wanted is not None else unit.get("level") in TOWNSHIP_LEVELS
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.note.setText(_("与上期同一份报表：各单位打开时，上期的结转数据会自动预填。") if c.record_id else "")

    def recipients(self) -> list[str]:
        """The checked units."""
        return [self.units.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.units.count())
                if self.units.item(i).checkState() == Qt.CheckState.Checked]

    def choice(self) -> tuple[IssueChoice, str, dt.date, list[str]]:
        """(the chosen template, period, deadline, recipient unit ids)."""
        d = self.deadline.date()
        return (self.choices[self.template.currentIndex()], self.period.text().strip(),
                dt.date(d.year(), d.month(), d.day()), self.recipients())

    def _accept(self) -> None:
        if not self.recipients():
            self.problem.setText(_("请至少选择一个填报单位"))
            return
        period = self.period.text().strip()
        if not period:
            self.problem.setText(_("请填写报表所属期"))
            return
        choice = self.choices[self.template.currentIndex()]
        wrong = period_problem(choice.template.period, period, proposed=choice.period)
        if wrong is not None:
            self.problem.setText(wrong)
            self.period.setFocus()
            return
        self.accept()
