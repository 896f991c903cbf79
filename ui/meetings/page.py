"""The 办会 screen: calendar (day/week/month, mine or a room's), find-a-time, replies and
sign-in, rooms; the selected meeting's notice on the right with reply, sign-in, .ics and
cancel. Everything reads and writes the local profile, so it works offline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from oa_client.domain.meetings import TZ
from oa_client.domain.meetings_records import meeting_from_record
from oa_client.i18n import _
from oa_client.services import meetings as mtg
from oa_client.services import meetings_plan as plan
from oa_client.services.account import takes_business
from oa_client.services.conflicts import open_conflicts
from ui.errors import error_text
from ui.meetings.booking_dialog import BookingDialog, EditDialog
from ui.meetings.calendar_view import CalendarView, day_range
from ui.meetings.detail import MeetingDetail
from ui.meetings.findtime_view import FindTimeView
from ui.meetings.replies_view import RepliesView
from ui.meetings.rooms_view import RoomsView
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QPushButton,
    QShortcut,
    QSplitter,
    QStackedWidget,
    Qt,
    QTabBar,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.reload_on_show import ReloadOnShow

TABS = ("日程", "找时间", "回执与签到", "会议室")
_TAB_IDS = (_("日程"), _("找时间"), _("回执与签到"), _("会议室"))
VIEWS_ = (("day", "日"), ("week", "周"), ("month", "月"))
_VIEW_IDS = (_("日"), _("周"), _("月"))


def load_calendar(store, *, view: str, day: date, user_id: str, unit_id: str, room_id: str | None
                  ) -> dict:
    """Worker side: the sittings to show and the rooms for the source switch."""
    refused = [c for c in open_conflicts(store) if c.entity == "meetings" and c.kind == "rejected"]
    return {"sittings": mtg.calendar(store, view=view, day=day, user_id=user_id, unit_id=unit_id,
                                     room_id=room_id),
            "rooms": mtg.room_records(store), "refused": refused}


class MeetingsPage(ReloadOnShow, QWidget):
    """办会: calendar, find-a-time, replies/sign-in, rooms, and the meeting's detail."""

    loaded = Signal()
    todos_stale = Signal()  # something the to-do list derives from changed on this desk only

    def __init__(self, title: str, views: list | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.views = title, views or []
        self.session = None
        self.view, self.day, self.room_id = "week", datetime.now(TZ).date(), None
        self.rooms: list[dict] = []
        self.booking_dialog: BookingDialog | None = None
        self.minutes_dialog = None  # a MinutesDialog once opened (imported then: it loads the layout engine)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold")
        top.addWidget(self.heading)
        self.tabs = QTabBar()
        for t in TABS:
            self.tabs.addTab(_(t))
        self.tabs.currentChanged.connect(self._tab)
        self.tabs.setUsesScrollButtons(False)  # every tab fully shown in both languages
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        top.addWidget(self.tabs)
        top.addStretch(1)
        self.new_button = QPushButton()
        self.new_button.clicked.connect(lambda: self.new_meeting())
        top.addWidget(self.new_button)
        self.import_button = QPushButton()
        self.import_button.clicked.connect(self.import_ics)
        top.addWidget(self.import_button)
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self.export_calendar)
        top.addWidget(self.export_button)
        outer.addLayout(top)
        bar = QHBoxLayout()
        self.view_box = QComboBox()
        for _key, label in VIEWS_:
            self.view_box.addItem(_(label))
        self.view_box.setCurrentIndex(1)
        self.view_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.view_box.currentIndexChanged.connect(self._view_changed)
        self.prev = QPushButton("◀")
        self.prev.clicked.connect(lambda: self._move(-1))
        self.today = QPushButton()
        self.today.clicked.connect(self._today)
        self.next = QPushButton("▶")
        self.next.clicked.connect(lambda: self._move(1))
        self.range_label = QLabel()
        self.source = QComboBox()
        self.source.setMinimumWidth(160)
        self.source.addItem(_("我的会议"), None)
        self.source.currentIndexChanged.connect(self._source_changed)
        for w in (self.view_box, self.prev, self.today, self.next, self.range_label):
            bar.addWidget(w)
        bar.addStretch(1)
        self.show_label = QLabel()
        bar.addWidget(self.show_label)
        bar.addWidget(self.source)
        self.calendar_bar = QWidget()
        self.calendar_bar.setLayout(bar)
        bar.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.calendar_bar)
        self.refused = QLabel()  # bookings the server refused: why, and what is free instead
        self.refused.setWordWrap(True)
        self.refused.setStyleSheet("color:#b00000; background:#fff4f4; padding:4px")
        self.refused.setVisible(False)
        outer.addWidget(self.refused)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.stack = QStackedWidget()
        self.calendar = CalendarView()
        self.calendar.picked.connect(self.pick)
        self.calendar.day_picked.connect(self._day_picked)
        self.findtime = FindTimeView()
        self.findtime.use_slot.connect(lambda s, e, r, p: self.new_meeting(start=s, end=e, room_id=r, people=p))
        self.replies = RepliesView()
        self.replies.minutes_wanted.connect(self.write_minutes)
        self.replies.changed.connect(self.refresh)
        self.rooms_view = RoomsView()
        self.rooms_view.changed.connect(self.refresh)
        for w in (self.calendar, self.findtime, self.replies, self.rooms_view):
            self.stack.addWidget(w)
        self.splitter.addWidget(self.stack)
        side = self.side = MeetingDetail()
        side.changed.connect(self.refresh)
        side.edit_wanted.connect(self.edit_meeting)
        side.todos_stale.connect(self.todos_stale)
        self.watermark = side.watermark
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([760, 420])
        outer.addWidget(self.splitter, 1)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=lambda: self.new_meeting())
        self.retranslate()

    # -- contract with the main window --------------------------------------------------------

    def retranslate(self) -> None:
        """Texts in the current language (every part of the screen)."""
        self.heading.setText(_(self.title) if self.title else _("办会"))
        self.new_button.setText(_("新建会议(&N)"))
        self.import_button.setText(_("导入 .ics"))
        self.export_button.setText(_("导出我的日历"))
        self.prev.setToolTip(_("上一段"))
        self.next.setToolTip(_("下一段"))
        self.today.setText(_("今天"))
        self.show_label.setText(_("显示："))
        self.source.setAccessibleName(_("显示谁的日程"))
        self.source.setItemText(0, _("我的会议"))
        for i, r in enumerate(self.rooms, start=1):
            self.source.setItemText(i, _("会议室：{name}").format(name=r.get("name", "")))
        self.calendar.update()
        for part in (self.side, self.findtime, self.replies, self.rooms_view):
            part.retranslate()
        for i, t in enumerate(TABS):
            self.tabs.setTabText(i, _(t))
        for i, (_k, label) in enumerate(VIEWS_):
            self.view_box.setItemText(i, _(label))
        self._range_text()
        self.side.hint()

    def set_session(self, session, watermark: str) -> None:
        """Show this session's meetings."""
        self.session = session
        self.watermark.set_text(watermark)
        self.findtime.set_session(session)
        self.rooms_view.set_session(session)
        self.mark_dirty()

    def refresh(self) -> None:
        """Data changed (sync or a write): reload now if shown, else when next shown."""
        super().refresh()
        if self.isVisible() and self.session is not None:
            self.rooms_view.reload()

    def select_record(self, collection: str, record_id: str) -> None:
        """Show a meeting (from the to-do list or search): its week and its notice."""
        if collection == "rooms":
            self.tabs.setCurrentIndex(3)
            return
        self.tabs.setCurrentIndex(0)
        store = self.session.store if self.session else None
        if store is None:
            return

        def find(_c):
            rec = mtg.get_meeting_record(store, record_id)
            return rec, meeting_from_record(rec).starts_at

        run_op(self, find, success=lambda res: self._goto(res[0], res[1]),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _goto(self, rec: dict, start: datetime) -> None:
        self.day = start.astimezone(TZ).date()
        self.reload()
        self.pick(rec["id"], start)

    # -- calendar ------------------------------------------------------------------------------

    def _tab(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.calendar_bar.setVisible(index == 0)
        self.side.setVisible(index in (0, 2))  # the notice beside the calendar and the replies
        if index in (0, 2) and self.splitter.sizes()[-1] < 80:
            self.splitter.setSizes([760, 420])
        if index == 2 and self.current is not None:
            self.replies.show_meeting(self.session, self.current["id"])

    def _view_changed(self, index: int) -> None:
        self.view = VIEWS_[index][0]
        self.reload()

    def _source_changed(self, _index: int) -> None:
        self.room_id = self.source.currentData()
        self.reload()

    def _move(self, step: int) -> None:
        if self.view == "day":
            self.day += timedelta(days=step)
        elif self.view == "week":
            self.day += timedelta(weeks=step)
        else:
            first = self.day.replace(day=1)
            self.day = (first + timedelta(days=32 * step if step > 0 else -1)).replace(day=1)
        self.reload()

    def _today(self) -> None:
        self.day = datetime.now(TZ).date()
        self.reload()

    def _day_picked(self, d: date) -> None:
        self.day = d
        self.view_box.setCurrentIndex(0)

    def _range_text(self) -> None:
        days = day_range(self.view, self.day)
        if self.view == "month":
            text = _("{y}年{m}月").format(y=self.day.year, m=self.day.month)
        elif len(days) == 1:
            text = _("{y}年{m}月{d}日").format(y=days[0].year, m=days[0].month, d=days[0].day)
        else:
            text = f"{days[0]:%Y-%m-%d} — {days[-1]:%Y-%m-%d}"
        self.range_label.setText(text)

    def reload(self) -> None:
        """Read the sittings of the shown range on the database worker."""
        if self.session is None:
            return
        self.dirty = False
        self._range_text()
        store, view, day, room = self.session.store, self.view, self.day, self.room_id
        me, unit = self.session.user_id, self.session.unit_id
        run_op(self, lambda _c: load_calendar(store, view=view, day=day, user_id=me, unit_id=unit,
                                              room_id=room),
               success=lambda res: self._loaded(view, day, room, res),
               failure=lambda exc: self.message.setText(error_text(exc)), priority=5)

    def _loaded(self, view: str, day: date, room: str | None, res: dict) -> None:
        if (view, day, room) != (self.view, self.day, self.room_id):
            return
        self.calendar.show_sittings(view, day, res["sittings"])
        refused = res.get("refused") or []
        self.refused.setVisible(bool(refused))
        if refused:
            first = refused[0]
            self.refused.setText(_("有 {n} 个预订未被服务器接受（已保留在“需要处理”中）。“{title}”：{why}").format(
                n=len(refused), title=first.title(), why=first.message))
        rooms = res["rooms"]
        if [r["id"] for r in rooms] != [r["id"] for r in self.rooms]:
            self.rooms = rooms
            self.source.blockSignals(True)
            chosen = self.source.currentData()
            while self.source.count() > 1:
                self.source.removeItem(1)
            for r in rooms:
                self.source.addItem(_("会议室：{name}").format(name=r.get("name", "")), r["id"])
            self.source.setCurrentIndex(max(0, self.source.findData(chosen)))
            self.source.blockSignals(False)
        if self.side.wanted is not None and self.side.wanted[0]:
            self.pick(*self.side.wanted)
        if room and self.session.transport is not None:
            self._others_bookings(view, day, room)
        self.loaded.emit()

    def _others_bookings(self, view: str, day: date, room: str) -> None:
        """A room's bookings I cannot see locally come from the server as 已预订 blocks."""
        days = day_range(view, day)
        start = datetime.combine(days[0], datetime.min.time(), tzinfo=TZ)
        end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tzinfo=TZ)
        transport = self.session.transport

        def fetch(_c):
            return plan.server_busy(transport, people=[], start=start, end=end, room_ids=[room])

        def merge(busy) -> None:
            if (view, day, room) != (self.view, self.day, self.room_id):
                return
            known = {(s.starts_at, s.ends_at) for s in self.calendar.sittings}
            extra = [mtg.Sitting("", _("已预订"), s, e, s, room, "", "scheduled", "confirmed", "", False,
                                 False, False) for s, e in busy.rooms.get(room, []) if (s, e) not in known]
            if extra:
                self.calendar.show_sittings(view, day, sorted([*self.calendar.sittings, *extra],
                                                              key=lambda x: x.starts_at))

        run_op(self, fetch, pool="net", success=merge, failure=lambda _exc: None)

    # -- the selected meeting -------------------------------------------------------------------

    def pick(self, meeting_id: str, start: datetime | None) -> None:
        """Show a meeting's notice beside the calendar (and its replies on that tab)."""
        self.side.show_meeting(self.session, meeting_id, start)
        if meeting_id and self.stack.currentIndex() == 2:
            self.replies.show_meeting(self.session, meeting_id)

    @property
    def current(self) -> dict | None:
        """The meeting shown beside the calendar."""
        return self.side.current

    @property
    def detail(self):
        """The notice browser."""
        return self.side.browser

    @property
    def message(self):
        """Where results and problems are said."""
        return self.side.message

    def _done(self, text: str) -> None:
        self.message.setText(text)
        self.refresh()

    # -- dialogs and files ---------------------------------------------------------------------

    def _people(self, _c=None) -> tuple[list[dict], list[dict], list[dict]]:
        store = self.session.store
        # invitees, chair, minute-takers: people in post with business roles, never the 三员
        users = [u for u in store.records.list("users", limit=5000, order_by="name") if takes_business(u)]
        units = store.records.list("units", limit=5000, order_by="name")
        return mtg.room_records(store), users, units

    def new_meeting(self, *, start=None, end=None, room_id=None, people=None) -> None:
        """Open the notice form (optionally with a slot from find-a-time); lists read on the worker."""
        if self.session is None:
            return
        run_op(self, self._people, success=lambda res: self._open_booking(res, start, end, room_id, people),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _open_booking(self, res, start, end, room_id, people) -> None:
        rooms, users, units = res
        dialog = BookingDialog(self.session, rooms=rooms, users=users, units=units, start=start, end=end,
                               room_id=room_id, people=people or [self.session.user_id], parent=self)
        dialog.accepted.connect(lambda: self._booked(dialog))
        dialog.show()
        self.booking_dialog = dialog

    def edit_meeting(self, meeting_id: str, sitting) -> None:
        """Open the change form for a meeting I organise (scope: whole, this one, following)."""
        store = self.session.store

        def load(_c):
            return mtg.get_meeting(store, meeting_id), self._people()

        run_op(self, load, success=lambda res: self._open_edit(res[0], sitting, res[1]),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _open_edit(self, meeting, sitting, lists) -> None:
        rooms, users, units = lists
        dialog = EditDialog(self.session, meeting, sitting=sitting, rooms=rooms, users=users, units=units,
                            parent=self)
        dialog.accepted.connect(lambda: self._booked(dialog, edited=True))
        dialog.show()
        self.booking_dialog = dialog

    def _booked(self, dialog: BookingDialog, edited: bool = False) -> None:
        booked = dialog.booked
        if booked is None:
            return
        text = _("已修改（待确认），同步后通知所有参会人员。") if edited else _(
            "已预订（待确认），联网同步后由服务器确认。")
        if booked.warnings:
            text += " " + "；".join(booked.warnings[:3])
        self.message.setText(text)
        self.tabs.setCurrentIndex(0)
        self.refresh()

    def write_minutes(self, meeting_id: str) -> None:
        """Open the minutes editor for a meeting (lists read on the worker)."""
        run_op(self, self._people, success=lambda res: self._open_minutes(meeting_id, res),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _open_minutes(self, meeting_id: str, res) -> None:
        _rooms, users, units = res
        from ui.meetings.minutes_dialog import MinutesDialog

        dialog = MinutesDialog(self.session, meeting_id, units=units, users=users, parent=self)
        dialog.show()
        self.minutes_dialog = dialog

    def export_calendar(self, path: str | None = None) -> None:
        """Save my calendar as a subscription-style .ics file."""
        if self.session is None:
            return
        path = path or QFileDialog.getSaveFileName(self, _("导出我的日历"), "my-meetings.ics",
                                                   "iCalendar (*.ics)")[0]
        if not path:
            return
        store, me, unit = self.session.store, self.session.user_id, self.session.unit_id
        name = _("{name}的会议").format(name=self.session.display_name)
        run_op(self, lambda _c: Path(path).write_bytes(plan.export_my_calendar(store, user_id=me, unit_id=unit,
                                                                               name=name)),
               success=lambda _r: self.message.setText(_("已导出：{path}").format(path=path)),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def import_ics(self, path: str | None = None) -> None:
        """Read an .ics invitation into my calendar (a bad file is said plainly)."""
        if self.session is None:
            return
        path = path or QFileDialog.getOpenFileName(self, _("导入会议邀请"), "", "iCalendar (*.ics)")[0]
        if not path:
            return
        store, me = self.session.store, self.session.user_id
        run_op(self, lambda _c: plan.import_ics(store, Path(path).read_bytes(), user_id=me),
               success=lambda ids: self._done(_("已导入 {n} 个会议。").format(n=len(ids))),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def screenshots(self, shot, window, wait) -> None:
        """The meeting screens for `python -m ui.screenshots`."""
        from ui.meetings.shots import drive

        drive(self, shot, window, wait)
