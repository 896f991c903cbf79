"""下发报表: choose a template from the catalogue, the period, the deadline and the subordinate
units that must fill it. The server checks the units really are below ours."""

from __future__ import annotations

import datetime as dt

from oa_client.domain.forms_values import localized
from oa_client.domain.reports import ReportTemplate, period_key
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
    Qt,
    QVBoxLayout,
)

PERIOD_WORDS = {"monthly": "月报", "quarterly": "季报", "yearly": "年报", "one_off": "一次性"}
_PERIOD_IDS = (_("月报"), _("季报"), _("年报"), _("一次性"))


class IssueDialog(QDialog):
    """Pick template, period, deadline and recipient units; `choice()` returns them."""

    def __init__(self, templates: list[ReportTemplate], units: list[dict], *, today: dt.date, parent=None) -> None:
        super().__init__(parent)
        self.templates, self.today = templates, today
        self.setWindowTitle(_("下发报表"))
        self.resize(560, 520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.template = QComboBox()
        for t in templates:
            self.template.addItem(f"{localized(t.name, t.en)}（{_(PERIOD_WORDS[t.period])}）", t.code)
        self.template.currentIndexChanged.connect(self._template_changed)
        self.period = QLineEdit()
        self.deadline = QDateEdit()
        self.deadline.setCalendarPopup(True)
        self.deadline.setDisplayFormat("yyyy-MM-dd")
        later = today + dt.timedelta(days=10)
        self.deadline.setDate(QDate(later.year, later.month, later.day))
        form.addRow(_("报表："), self.template)
        form.addRow(_("所属期："), self.period)
        form.addRow(_("截止日期："), self.deadline)
        layout.addLayout(form)
        layout.addWidget(QLabel(_("填报单位（本单位的下级单位）：")))
        self.units = QListWidget()
        for u in units:
            item = QListWidgetItem(u.get("name", ""))
            item.setData(Qt.ItemDataRole.UserRole, u["id"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if u.get("level") in ("township", "乡镇") else Qt.CheckState.Unchecked)
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
        layout.addWidget(buttons)
        self._template_changed(0)

    def _template_changed(self, index: int) -> None:
        if 0 <= index < len(self.templates):
            self.period.setText(period_key(self.templates[index].period, self.today))

    def recipients(self) -> list[str]:
        """The checked units."""
        out = []
        for i in range(self.units.count()):
            item = self.units.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def choice(self) -> tuple[ReportTemplate, str, dt.date, list[str]]:
        """(template, period, deadline, recipient unit ids)."""
        d = self.deadline.date()
        return (self.templates[self.template.currentIndex()], self.period.text().strip(),
                dt.date(d.year(), d.month(), d.day()), self.recipients())

    def _accept(self) -> None:
        if not self.recipients():
            self.problem.setText(_("请至少选择一个填报单位"))
            return
        if not self.period.text().strip():
            self.problem.setText(_("请填写报表所属期"))
            return
        self.accept()
