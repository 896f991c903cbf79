"""会议室管理 for 会议管理员: the rooms, and a form for name, place, seats, equipment, approval
and closed periods. Others see the list read-only. The server enforces the same rule."""

from __future__ import annotations

from datetime import datetime

from oa_client.domain.meetings import TZ
from oa_client.domain.meetings_records import utc_text
from oa_client.i18n import _
from oa_client.services import records as rec_svc
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QSplitter,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
    Signal,
)

EQUIPMENT = (("projector", "投影仪"), ("video", "视频会议"), ("mic", "话筒"), ("screen", "电子屏"))
_EQUIPMENT_IDS = (_("投影仪"), _("视频会议"), _("话筒"), _("电子屏"))
HEADERS = ("会议室", "位置", "座位", "设备", "需审批", "停用时段")
_HEADER_IDS = (_("会议室"), _("位置"), _("座位"), _("设备"), _("需审批"), _("停用时段"))


class RoomsView(QWidget):
    """Rooms list and (for 会议管理员) the room form; `changed` after a save."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.rooms: list[dict] = []
        self.current: dict | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels([_(h) for h in HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.currentCellChanged.connect(lambda row, *_a: self._pick(row))
        split.addWidget(self.table)
        side = QWidget()
        form = QFormLayout(side)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        form.addRow(self.notice)
        self.name = QLineEdit()
        form.addRow(_("名称"), self.name)
        self.building = QLineEdit()
        form.addRow(_("楼宇"), self.building)
        self.floor = QLineEdit()
        form.addRow(_("楼层"), self.floor)
        self.capacity = QSpinBox()
        self.capacity.setRange(1, 2000)
        self.capacity.setValue(20)
        form.addRow(_("座位数"), self.capacity)
        self.equipment = {}
        row = QHBoxLayout()
        for key, label in EQUIPMENT:
            box = QCheckBox(_(label))
            self.equipment[key] = box
            row.addWidget(box)
        form.addRow(_("设备"), row)
        self.approval = QCheckBox(_("预订需会议管理员审批"))
        form.addRow(self.approval)
        self.closed = QListWidget()
        self.closed.setFixedHeight(80)
        form.addRow(_("停用时段"), self.closed)
        period = QHBoxLayout()
        self.closed_from = QDateEdit()
        self.closed_to = QDateEdit()
        for d in (self.closed_from, self.closed_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setDate(datetime.now(TZ).date())
        self.closed_reason = QLineEdit()
        self.closed_reason.setPlaceholderText(_("原因，如：设备检修"))
        add = QPushButton(_("添加"))
        add.clicked.connect(self._add_period)
        remove = QPushButton(_("删除"))
        remove.clicked.connect(lambda: self.closed.takeItem(self.closed.currentRow()))
        for w in (self.closed_from, QLabel("—"), self.closed_to):
            period.addWidget(w)
        period.addStretch(1)
        form.addRow(period)
        reason = QHBoxLayout()
        for w in (self.closed_reason, add, remove):
            reason.addWidget(w)
        form.addRow(reason)
        buttons = QHBoxLayout()
        self.new = QPushButton(_("新建会议室"))
        self.new.clicked.connect(self.clear)
        self.save_button = QPushButton(_("保存"))
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.new)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.message = QLabel()
        self.message.setWordWrap(True)
        form.addRow(self.message)
        self.form = side
        self.form_layout = form
        split.addWidget(side)
        split.setSizes([620, 480])
        lay.addWidget(split)
        self.periods: list[dict] = []
        self.add_button, self.remove_button = add, remove

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.table.setHorizontalHeaderLabels([_(h) for h in HEADERS])
        for widget, text in ((self.name, _("名称")), (self.building, _("楼宇")), (self.floor, _("楼层")),
                             (self.capacity, _("座位数")), (self.closed, _("停用时段"))):
            label = self.form_layout.labelForField(widget)
            if label is not None:
                label.setText(text)
        for key, label in EQUIPMENT:
            self.equipment[key].setText(_(label))
        self.approval.setText(_("预订需会议管理员审批"))
        self.closed_reason.setPlaceholderText(_("原因，如：设备检修"))
        self.add_button.setText(_("添加"))
        self.remove_button.setText(_("删除"))
        self.new.setText(_("新建会议室"))
        self.save_button.setText(_("保存"))
        if self.session is not None:
            self.set_session(self.session)

    @property
    def admin(self) -> bool:
        """Whether I hold 会议管理员."""
        me = (self.session.me or {}) if self.session else {}
        return "meeting_admin" in (me.get("roles") or [])

    def set_session(self, session) -> None:
        """Show this session's rooms; the form only for 会议管理员."""
        self.session = session
        admin = self.admin
        for w in self.form.findChildren(QWidget):
            if w is not self.notice:
                w.setEnabled(admin)
        self.notice.setText(_("您是会议管理员，可以新建和修改会议室。") if admin else
                            _("只有会议管理员可以维护会议室，您可以查看会议室信息。"))
        self.reload()

    def reload(self) -> None:
        """Read the rooms on the database worker."""
        if self.session is None:
            return
        store = self.session.store
        run_op(self, lambda _c: store.records.list("rooms", limit=1000, order_by="name"),
               success=self._loaded, failure=lambda exc: self.message.setText(error_text(exc)))

    def _loaded(self, rooms: list[dict]) -> None:
        self.rooms = rooms
        labels = dict(EQUIPMENT)
        self.table.setRowCount(len(rooms))
        for i, r in enumerate(rooms):
            closed = "；".join(f"{p.get('starts_at', '')[:10]}—{p.get('ends_at', '')[:10]} {p.get('reason', '')}"
                              for p in r.get("closed_periods") or [])
            values = (str(r.get("name", "")), " ".join(x for x in (r.get("building"), r.get("floor")) if x),
                      str(r.get("capacity", "")), "、".join(_(labels.get(e, e)) for e in r.get("equipment") or []),
                      _("是") if r.get("needs_approval") else "", closed)
            for c, v in enumerate(values):
                self.table.setItem(i, c, QTableWidgetItem(v))

    def _pick(self, row: int) -> None:
        if row < 0 or row >= len(self.rooms):
            return
        r = self.current = self.rooms[row]
        self.name.setText(str(r.get("name", "")))
        self.building.setText(str(r.get("building", "")))
        self.floor.setText(str(r.get("floor", "")))
        self.capacity.setValue(int(r.get("capacity") or 1))
        for key, box in self.equipment.items():
            box.setChecked(key in (r.get("equipment") or []))
        self.approval.setChecked(bool(r.get("needs_approval")))
        self.periods = list(r.get("closed_periods") or [])
        self._show_periods()

    def _show_periods(self) -> None:
        self.closed.clear()
        for p in self.periods:
            self.closed.addItem(f"{p['starts_at'][:10]} — {p['ends_at'][:10]}  {p.get('reason', '')}")

    def _add_period(self) -> None:
        start = datetime.combine(self.closed_from.date().toPython(), datetime.min.time(), tzinfo=TZ)
        end = datetime.combine(self.closed_to.date().toPython(), datetime.max.time().replace(microsecond=0),
                               tzinfo=TZ)
        if end <= start:
            self.message.setText(_("停用时段的结束时间必须晚于开始时间"))
            return
        self.periods.append({"starts_at": utc_text(start), "ends_at": utc_text(end),
                             "reason": self.closed_reason.text().strip()})
        self._show_periods()

    def clear(self) -> None:
        """Start a new room."""
        self.current, self.periods = None, []
        for w in (self.name, self.building, self.floor, self.closed_reason):
            w.clear()
        self.capacity.setValue(20)
        for box in self.equipment.values():
            box.setChecked(False)
        self.approval.setChecked(False)
        self._show_periods()
        self.table.clearSelection()

    def save(self) -> None:
        """Save the room offline; the server (会议管理员 only) confirms on sync."""
        if not self.name.text().strip():
            self.message.setText(_("请填写会议室名称"))
            return
        rec = {k: v for k, v in (self.current or {}).items() if k not in ("deleted", "updated_at")}
        rec.update(name=self.name.text().strip(), building=self.building.text().strip(),
                   floor=self.floor.text().strip(), capacity=self.capacity.value(),
                   equipment=[k for k, b in self.equipment.items() if b.isChecked()],
                   needs_approval=self.approval.isChecked(), closed_periods=self.periods,
                   manager_ids=rec.get("manager_ids") or [self.session.user_id])
        store = self.session.store
        run_op(self, lambda _c: rec_svc.save(store, "rooms", rec), success=self._saved,
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _saved(self, _changes) -> None:
        self.message.setText(_("会议室已保存，同步后生效。"))
        self.changed.emit()
        self.reload()
