"""The 收文 routing panel of the document window (拟办 proposes, 批办 decides): the leader who
批示, the 主办 department and the 协办 departments (from the unit's org chart, each with the
科长 who will hold 承办), the readers (传阅), the 办理期限 and 督办 with its deadline."""

from __future__ import annotations

from datetime import date
from typing import Any

from oa_client.errors import ValidationError
from oa_client.i18n import _
from oa_client.services.documents_routing import ROUTING_FIELDS, RoutingOptions, routing_values
from ui.documents.departments import DepartmentList, department_text
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    Qt,
    QVBoxLayout,
    QWidget,
)

BAD_STYLE = "border:2px solid #c00000; background:#fff4f4"


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _checked(lst: QListWidget) -> list[str]:
    return [lst.item(i).data(Qt.ItemDataRole.UserRole) for i in range(lst.count())
            if lst.item(i).checkState() == Qt.CheckState.Checked]


class RoutingPanel(QGroupBox):
    """Routing choices of a 收文 step; shows only what the step may write (its `writable`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("分办"), parent)
        self.setObjectName("routing-panel")
        self.options: RoutingOptions | None = None
        self.step: str | None = None
        self.writable: tuple[str, ...] = ()
        outer = QHBoxLayout(self)
        outer.setContentsMargins(6, 4, 6, 4)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.leader = QComboBox()
        self.leader.setObjectName("routing-leader")
        self.leader.setAccessibleName(_("批示领导"))
        self.lead = QComboBox()
        self.lead.setObjectName("routing-lead")
        self.lead.setAccessibleName(_("主办科室"))
        self.lead.setMinimumContentsLength(14)
        self.deadline = QDateEdit()
        self.deadline.setObjectName("routing-deadline")
        self.deadline.setAccessibleName(_("办理期限"))
        sup_row = QWidget()
        sr = QHBoxLayout(sup_row)
        sr.setContentsMargins(0, 0, 0, 0)
        self.supervise = QCheckBox(_("列入督办"))
        self.supervise.setObjectName("routing-supervise")
        self.supervise_deadline = QDateEdit()
        self.supervise_deadline.setObjectName("routing-supervise-deadline")
        self.supervise_deadline.setAccessibleName(_("督办期限"))
        for d in (self.deadline, self.supervise_deadline):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.supervise.toggled.connect(self.supervise_deadline.setEnabled)
        sr.addWidget(self.supervise)
        sr.addWidget(QLabel(_("督办期限")))
        sr.addWidget(self.supervise_deadline, 1)
        self.rows: dict[str, tuple[QLabel, QWidget]] = {}
        for key, label, widget in (("leader", _("批示领导(&L)"), self.leader),
                                   ("lead_department", _("主办科室(&M)"), self.lead),
                                   ("handling_days", _("办理期限(&D)"), self.deadline),
                                   ("supervise", _("督办"), sup_row)):
            lab = QLabel(label)
            lab.setBuddy(widget if widget is not sup_row else self.supervise)
            form.addRow(lab, widget)
            self.rows[key] = (lab, widget)
        outer.addLayout(form, 3)
        self.assist_box = QWidget()
        al = QVBoxLayout(self.assist_box)
        al.setContentsMargins(0, 0, 0, 0)
        al.addWidget(QLabel(_("协办科室")))
        self.assist = DepartmentList()
        self.assist.setObjectName("routing-assist")
        self.assist.setAccessibleName(_("协办科室"))
        al.addWidget(self.assist)
        outer.addWidget(self.assist_box, 2)
        self.readers_box = QWidget()
        rl = QVBoxLayout(self.readers_box)
        rl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel(_("传阅人")))
        self.reader_filter = QLineEdit()
        self.reader_filter.setObjectName("routing-reader-filter")
        self.reader_filter.setPlaceholderText(_("输入姓名筛选"))
        self.reader_filter.textChanged.connect(self._filter)
        head.addWidget(self.reader_filter, 1)
        rl.addLayout(head)
        self.readers = QListWidget()
        self.readers.setObjectName("routing-readers")
        self.readers.setAccessibleName(_("传阅人"))
        rl.addWidget(self.readers)
        outer.addWidget(self.readers_box, 3)
        self.countersign_box = QWidget()  # a 发文 at 核稿: the office settles the 会签
        cl = QVBoxLayout(self.countersign_box)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(QLabel(_("会签科室")))
        self.countersign = DepartmentList()
        self.countersign.setObjectName("routing-countersign")
        self.countersign.setAccessibleName(_("会签科室"))
        self.countersign.setMaximumHeight(120)
        cl.addWidget(self.countersign)
        outer.addWidget(self.countersign_box, 3)
        for lst in (self.assist, self.readers):
            lst.setMaximumHeight(120)
        self.hide()

    def show_for(self, options: RoutingOptions | None, *, step: str | None,
                 writable: tuple[str, ...]) -> None:
        """Fill the panel for a step (defaults from the document; shown again for the same
        step, it keeps what the user chose); hide it when the step writes no routing values."""
        fields = tuple(f for f in writable if f in ROUTING_FIELDS)
        if options is None or not fields:
            self.options, self.step, self.writable = None, None, ()
            self.hide()
            return
        if self.options is not None and (step, fields) == (self.step, self.writable):
            self.options = options  # the same step shown again (a sync): keep what is chosen
            return
        self.options, self.step, self.writable = options, step, fields
        d = options.defaults
        self.setTitle(_("拟办意见：拟请领导批示及承办安排") if step == "propose"
                      else _("批办：确定承办科室、传阅和督办") if step == "instruct"
                      else _("核稿：确定会签科室") if step == "review"
                      else _("办理期限"))
        self.leader.clear()
        for value, label in options.leaders:
            self.leader.addItem(label, value)
        self.leader.setCurrentIndex(max(0, self.leader.findData(d.get("leader"))))
        self.lead.clear()
        self.lead.addItem(_("（请选择主办科室）"), "")
        for dept in options.departments:
            self.lead.addItem(department_text(dept), dept.id)
        self.assist.set_departments(options.departments, ids=d.get("assist_departments", []))
        self.lead.setCurrentIndex(max(0, self.lead.findData(d.get("lead_department") or "")))
        self.readers.clear()
        self.reader_filter.clear()
        for p in options.people:
            extra = "，".join(x for x in (p.department, p.position) if x)
            item = QListWidgetItem(f"{p.name}（{extra}）" if extra else p.name)
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if p.id in d.get("readers", [])
                               else Qt.CheckState.Unchecked)
            self.readers.addItem(item)
        tomorrow = _qdate(options.today).addDays(1)
        for edit in (self.deadline, self.supervise_deadline):
            edit.setMinimumDate(_qdate(options.today).addDays(-3650))
            edit.setMaximumDate(tomorrow.addDays(3650))
        self.deadline.setDate(_qdate(d["deadline"]))
        self.supervise_deadline.setDate(_qdate(d["supervise_deadline"]))
        self.supervise.setChecked(bool(d.get("supervise")))
        self.supervise_deadline.setEnabled(self.supervise.isChecked())
        for key, (label, widget) in self.rows.items():
            label.setVisible(key in fields)
            widget.setVisible(key in fields)
        self.assist_box.setVisible("assist_departments" in fields)
        self.readers_box.setVisible("readers" in fields)
        self.countersign.set_departments(options.departments,
                                         ids=d.get("countersign_departments", []))
        self.countersign_box.setVisible("countersign_departments" in fields)
        self.layout().setStretch(0, 3 if set(self.rows) & set(fields) else 0)  # no empty column
        self.mark(None)
        self.show()

    def _filter(self, text: str) -> None:
        for i in range(self.readers.count()):
            item = self.readers.item(i)
            item.setHidden(bool(text) and text not in item.text())

    def values(self) -> dict[str, Any]:
        """The step's flow values from what is chosen (ValidationError naming the field)."""
        if self.options is None or self.step is None:
            return {}
        shown = self.writable
        unknown = self.countersign.unknown() if "countersign_departments" in shown else []
        if unknown:  # kept on the record, not a department of this unit: say so, drop nothing
            raise ValidationError(_("本单位没有这些科室：{names}。请取消勾选，改选本单位的科室").format(
                names="、".join(unknown)), field="countersign_departments")
        return routing_values(
            self.options, step=self.step, writable=shown,
            leader=self.leader.currentData() if "leader" in shown else None,
            lead_department=self.lead.currentData() or "",
            assist_departments=self.assist.chosen_ids(),
            readers=_checked(self.readers) if "readers" in shown else None,
            deadline=self.deadline.date().toPython() if "handling_days" in shown else None,
            supervise=self.supervise.isChecked(),
            supervise_deadline=self.supervise_deadline.date().toPython(),
            countersign_departments=self.countersign.chosen_ids()
            if "countersign_departments" in shown else None)

    def mark(self, field: str | None) -> None:
        """Outline the widget of a refused field (None clears)."""
        widgets = {"leader": self.leader, "lead_department": self.lead,
                   "assist_departments": self.assist, "readers": self.readers,
                   "handling_days": self.deadline, "supervise": self.supervise_deadline,
                   "countersign_departments": self.countersign}
        for key, widget in widgets.items():
            widget.setStyleSheet(BAD_STYLE if key == field else "")
