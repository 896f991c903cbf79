"""Find a time (找时间): pick attendees, a length and the days; see everyone's busy times and
the rooms' bookings side by side, and the first slots where all are free with a room."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from oa_client.domain.meetings import TZ
from oa_client.domain.meetings_findtime import DEFAULT_HOURS
from oa_client.i18n import _
from oa_client.services import meetings_plan as plan
from oa_client.services.account import takes_business
from ui.errors import error_text
from ui.meetings.text import when
from ui.ops import run_op
from ui.qt import (
    QColor,
    QDate,
    QDateEdit,
    QFontMetrics,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPainter,
    QPen,
    QPushButton,
    QRectF,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

START_HOUR, END_HOUR = 8, 18


class BusyGrid(QWidget):
    """Rows of people and rooms, columns of days (working hours): busy bars and the slots."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, list[tuple[datetime, datetime]], bool]] = []  # label, busy, room
        self.days: list[date] = []
        self.slots: list[tuple[datetime, datetime]] = []
        self.setMinimumHeight(260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(_("忙闲情况"))

    def show_busy(self, days: list[date], rows, slots) -> None:
        """Show these rows over these days, with the suggested slots marked."""
        self.days, self.rows, self.slots = days, rows, slots
        self.update()

    def paintEvent(self, event) -> None:
        """Draw names, day columns, busy bars (people blue, rooms grey) and green slots."""
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#ffffff"))
        if not self.days:
            p.setPen(QColor("#777777"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, _("选择参会人员和日期后点“查找空闲时间”。"))
            p.end()
            return
        fm = QFontMetrics(self.font())
        left = min(180, max((fm.horizontalAdvance(r[0]) for r in self.rows), default=60) + 16)
        top = 24.0
        row_h = max(18.0, min(28.0, (self.height() - top - 4) / max(len(self.rows), 1)))
        col_w = (self.width() - left - 4) / len(self.days)
        span = (END_HOUR - START_HOUR) * 3600

        def x_of(t: datetime) -> float | None:
            t = t.astimezone(TZ)
            if t.date() not in self.days:
                return None
            i = self.days.index(t.date())
            sec = (t.hour - START_HOUR) * 3600 + t.minute * 60
            return left + i * col_w + max(0.0, min(1.0, sec / span)) * col_w

        p.setPen(QColor("#333333"))
        for i, d in enumerate(self.days):
            p.drawText(QRectF(left + i * col_w, 2, col_w, top - 4), Qt.AlignmentFlag.AlignCenter,
                       _("{m}月{d}日").format(m=d.month, d=d.day))
        for s, e in self.slots:
            x1, x2 = x_of(s), x_of(e)
            if x1 is not None and x2 is not None:
                p.fillRect(QRectF(x1, top, max(2.0, x2 - x1), row_h * len(self.rows)), QColor("#d7f0dc"))
        for r, (label, busy, room) in enumerate(self.rows):
            y = top + r * row_h
            p.fillRect(QRectF(0, y, left - 4, row_h), QColor("#f3f3f3" if room else "#ffffff"))
            p.setPen(QColor("#222222"))
            p.drawText(QRectF(6, y, left - 10, row_h), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(label, Qt.TextElideMode.ElideRight, int(left - 12)))
            for s, e in busy:
                for d in self.days:
                    day_s = datetime.combine(d, datetime.min.time(), tzinfo=TZ) + timedelta(hours=START_HOUR)
                    day_e = day_s + timedelta(hours=END_HOUR - START_HOUR)
                    a, b = max(s, day_s), min(e, day_e)
                    if a >= b:
                        continue
                    x1, x2 = x_of(a), x_of(b)
                    if x1 is None or x2 is None:
                        continue
                    p.fillRect(QRectF(x1, y + 3, max(2.0, x2 - x1), row_h - 6),
                               QColor("#9aa5b1" if room else "#3d7bd9"))
            p.setPen(QPen(QColor("#e4e4e4"), 1))
            p.drawLine(0, int(y + row_h), self.width(), int(y + row_h))
        p.setPen(QPen(QColor("#cccccc"), 1))
        for i in range(len(self.days) + 1):
            x = left + i * col_w
            p.drawLine(int(x), int(top), int(x), int(top + row_h * len(self.rows)))
        p.end()


class FindTimeView(QWidget):
    """The find-a-time screen; `use_slot` when the user books a suggested slot."""

    use_slot = Signal(object, object, object, list)  # start, end, room id, attendee ids
    searched = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.result: plan.Suggestions | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        form = QVBoxLayout(left)
        form.setContentsMargins(0, 0, 0, 0)
        self.people_label = QLabel()
        form.addWidget(self.people_label)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("按姓名筛选"))
        self.filter.textChanged.connect(self._filter)
        form.addWidget(self.filter)
        self.people = QListWidget()
        self.people.setAccessibleName(_("参会人员"))
        form.addWidget(self.people, 1)
        fields = self.fields = QFormLayout()
        self.duration = QSpinBox()
        self.duration.setRange(15, 480)
        self.duration.setSingleStep(15)
        self.duration.setValue(60)
        self.duration.setSuffix(_(" 分钟"))
        fields.addRow(_("会议时长"), self.duration)
        self.first = QDateEdit()
        self.first.setCalendarPopup(True)
        self.first.setDisplayFormat("yyyy-MM-dd")
        self.first.setDate(QDate.currentDate())
        fields.addRow(_("开始日期"), self.first)
        self.days = QSpinBox()
        self.days.setRange(1, 14)
        self.days.setValue(5)
        self.days.setSuffix(_(" 天"))
        fields.addRow(_("查找范围"), self.days)
        self.headcount = QSpinBox()
        self.headcount.setRange(0, 500)
        self.headcount.setSpecialValueText(_("按人数"))
        fields.addRow(_("座位数"), self.headcount)
        form.addLayout(fields)
        self.search = QPushButton(_("查找空闲时间"))
        self.search.setDefault(True)
        self.search.clicked.connect(self.run)
        form.addWidget(self.search)
        split.addWidget(left)
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel()
        self.note.setWordWrap(True)
        rlay.addWidget(self.note)
        self.grid = BusyGrid()
        rlay.addWidget(self.grid, 3)
        self.slots_label = QLabel()
        rlay.addWidget(self.slots_label)
        self.slots = QListWidget()
        self.slots.setAccessibleName(_("建议时间"))
        self.slots.itemActivated.connect(self._book)
        rlay.addWidget(self.slots, 1)
        self.book = QPushButton(_("用此时间预订…"))
        self.book.clicked.connect(lambda: self._book(self.slots.currentItem()))
        rlay.addWidget(self.book)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 800])
        layout.addWidget(split)
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.people_label.setText(_("参会人员（必选）："))
        self.filter.setPlaceholderText(_("按姓名筛选"))
        self.people.setAccessibleName(_("参会人员"))
        self.duration.setSuffix(_(" 分钟"))
        self.days.setSuffix(_(" 天"))
        self.headcount.setSpecialValueText(_("按人数"))
        for widget, text in ((self.duration, _("会议时长")), (self.first, _("开始日期")),
                             (self.days, _("查找范围")), (self.headcount, _("座位数"))):
            label = self.fields.labelForField(widget)
            if label is not None:
                label.setText(text)
        self.search.setText(_("查找空闲时间"))
        self.slots_label.setText(_("建议时间（所有必选人员和会议室均空闲）："))
        self.slots.setAccessibleName(_("建议时间"))
        self.book.setText(_("用此时间预订…"))
        self.grid.update()

    def set_session(self, session) -> None:
        """Offer this session's people (me ticked)."""
        self.session = session
        store = session.store
        run_op(self, lambda _c: store.records.list("users", limit=5000, order_by="name"),
               success=self._people_loaded, failure=lambda exc: self.note.setText(error_text(exc)))

    def _people_loaded(self, users: list[dict]) -> None:
        self.people.clear()
        for u in users:
            if not takes_business(u):  # in post, with business roles: never the 三员
                continue
            item = QListWidgetItem(str(u.get("name") or u["id"]))
            item.setData(Qt.ItemDataRole.UserRole, u["id"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if u["id"] == self.session.user_id
                               else Qt.CheckState.Unchecked)
            self.people.addItem(item)

    def _filter(self, text: str) -> None:
        for i in range(self.people.count()):
            item = self.people.item(i)
            item.setHidden(bool(text) and text not in item.text())

    def chosen(self) -> list[str]:
        """Ids of the ticked people."""
        return [self.people.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.people.count())
                if self.people.item(i).checkState() == Qt.CheckState.Checked]

    def choose(self, ids: list[str]) -> None:
        """Tick exactly these people."""
        for i in range(self.people.count()):
            item = self.people.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in ids
                               else Qt.CheckState.Unchecked)

    def run(self) -> None:
        """Ask for busy times (local, and the server's when online) and the slots, off the GUI thread."""
        if self.session is None:
            return
        people = self.chosen()
        if not people:
            self.note.setText(_("请至少选择一位参会人员"))
            return
        store, transport = self.session.store, self.session.transport
        first = self.first.date().toPython()
        last = first + timedelta(days=self.days.value() - 1)
        minutes, seats = self.duration.value(), self.headcount.value() or None
        self.note.setText(_("正在查找…"))
        self.search.setEnabled(False)
        run_op(self, lambda _c: plan.suggest(
            store, transport, required=people, duration=timedelta(minutes=minutes), first_day=first,
            last_day=last, headcount=seats), pool="net",
            success=lambda res: self._shown(res, people, first, last),
            failure=self._failed, label=_("正在查找空闲时间…"))

    def _failed(self, exc: BaseException) -> None:
        self.search.setEnabled(True)
        self.note.setText(error_text(exc))

    def _shown(self, res: plan.Suggestions, people: list[str], first: date, last: date) -> None:
        self.search.setEnabled(True)
        self.result = res
        names = self.session.names if self.session else {}
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        days = [d for d in days if d.weekday() < 5] or days
        rows = [(names.get(p, p), res.busy.people.get(p, []), False) for p in people]
        rows += [(_("会议室：{name}（{n}座）").format(name=r.name, n=r.capacity), res.busy.rooms.get(r.id, []), True)
                 for r in res.rooms]
        self.grid.show_busy(days, rows, [(s.starts_at, s.ends_at) for s in res.slots])
        room_names = {r.id: r.name for r in res.rooms}
        self.slots.clear()
        for s in res.slots:
            text = when(s.starts_at, s.ends_at) + "  " + room_names.get(s.room_id or "", _("无需会议室"))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, (s.starts_at, s.ends_at, s.room_id))
            self.slots.addItem(item)
        if res.slots:
            self.slots.setCurrentRow(0)
        source = _("已合并服务器上的忙闲信息") if res.busy.from_server else (
            _("离线：只依据本机已有的会议") + (f"（{res.busy.server_error}）" if res.busy.server_error else ""))
        hours = "、".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in DEFAULT_HOURS.periods)
        self.note.setText(_("{source}。工作时间 {hours}；找到 {n} 个可选时间。").format(
            source=source, hours=hours, n=len(res.slots)) if res.slots else
            _("{source}。所选范围内没有所有人都空闲且有会议室的时间，请放宽日期或减少必选人员。").format(source=source))
        self.searched.emit()

    def _book(self, item) -> None:
        if item is None:
            return
        start, end, room = item.data(Qt.ItemDataRole.UserRole)
        self.use_slot.emit(start, end, room, self.chosen())
