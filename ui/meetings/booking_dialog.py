"""会议通知 form: subject, time, room or online link, chair, agenda, people and units invited,
reply deadline, weekly repeat. Saving books the room offline (待确认 until the server answers);
a problem is shown under the form naming the field, and nothing typed is lost."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from oa_client.domain.meetings import TZ, Attendee, Meeting, Recurrence
from oa_client.errors import OAError
from oa_client.i18n import _
from oa_client.services import meetings as mtg
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    Qt,
    QTime,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

FIELD_LABELS = {"subject": "会议名称", "ends_at": "结束时间", "starts_at": "开始时间", "room_id": "会议室",
                "attendees": "参会人员", "reply_deadline": "回执截止", "online_link": "线上会议链接",
                "recurrence": "重复"}
_FIELD_IDS = (_("会议名称"), _("结束时间"), _("开始时间"), _("会议室"), _("参会人员"), _("回执截止"),
              _("线上会议链接"), _("重复"))


def _checklist(name: str) -> QListWidget:
    lst = QListWidget()
    lst.setAccessibleName(name)
    lst.setMinimumHeight(110)
    return lst


class BookingDialog(QDialog):
    """New meeting notice (or a slot chosen in find-a-time); `booked` holds the result."""

    def __init__(self, session, *, rooms: list[dict], users: list[dict], units: list[dict],
                 start: datetime | None = None, end: datetime | None = None,
                 room_id: str | None = None, people: list[str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.booked: mtg.Booked | None = None
        self.setWindowTitle(_("新建会议通知"))
        self.resize(760, 720)
        start = start or (datetime.now(TZ) + timedelta(days=1)).replace(hour=9, minute=0, second=0,
                                                                        microsecond=0)
        end = end or start + timedelta(hours=1)
        s, e = start.astimezone(TZ), end.astimezone(TZ)
        outer = QVBoxLayout(self)
        form = QFormLayout()
        self.subject = QLineEdit()
        self.subject.setPlaceholderText(_("例如：全市防汛工作会议"))
        form.addRow(_("会议名称"), self.subject)
        when = QHBoxLayout()
        self.date = QDateEdit(QDate(s.year, s.month, s.day))
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.start = QTimeEdit(QTime(s.hour, s.minute))
        self.start.setDisplayFormat("HH:mm")
        self.end = QTimeEdit(QTime(e.hour, e.minute))
        self.end.setDisplayFormat("HH:mm")
        for w in (self.date, QLabel(_("从")), self.start, QLabel(_("至")), self.end):
            when.addWidget(w)
        when.addStretch(1)
        form.addRow(_("会议时间"), when)
        self.room = QComboBox()
        self.room.addItem(_("（不用会议室，线上召开）"), None)
        for r in rooms:
            if r.get("active") is False:
                continue
            label = _("{name}（{n}座）").format(name=r.get("name", ""), n=r.get("capacity", 0))
            if r.get("needs_approval"):
                label += _("〔需审批〕")
            self.room.addItem(label, r["id"])
        if room_id:
            self.room.setCurrentIndex(max(0, self.room.findData(room_id)))
        elif self.room.count() > 1:
            self.room.setCurrentIndex(1)
        form.addRow(_("会议室"), self.room)
        self.link = QLineEdit()
        self.link.setPlaceholderText("https://")
        form.addRow(_("线上会议链接"), self.link)
        self.chair = QComboBox()
        self.chair.addItem(_("（未定）"), "")
        for u in users:
            self.chair.addItem(str(u.get("name") or u["id"]), u["id"])
        form.addRow(_("主持人"), self.chair)
        self.agenda = QPlainTextEdit()
        self.agenda.setPlaceholderText(_("每行一项议程"))
        self.agenda.setFixedHeight(70)
        form.addRow(_("议程"), self.agenda)
        lists = QHBoxLayout()
        self.people = _checklist(_("参会人员"))
        for u in users:
            item = QListWidgetItem(str(u.get("name") or u["id"]))
            item.setData(Qt.ItemDataRole.UserRole, (u["id"], str(u.get("name") or "")))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if u["id"] in (people or []) else Qt.CheckState.Unchecked)
            self.people.addItem(item)
        self.units = _checklist(_("参会单位"))
        for u in units:
            item = QListWidgetItem(str(u.get("name") or u["id"]))
            item.setData(Qt.ItemDataRole.UserRole, (u["id"], str(u.get("name") or "")))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.units.addItem(item)
        col1, col2 = QVBoxLayout(), QVBoxLayout()
        col1.addWidget(QLabel(_("参会人员（个人）")))
        col1.addWidget(self.people)
        col2.addWidget(QLabel(_("参会单位（由单位确定参会人员）")))
        col2.addWidget(self.units)
        self.seats = QSpinBox()
        self.seats.setRange(1, 20)
        self.seats.setValue(2)
        self.seats.setPrefix(_("每单位名额 "))
        col2.addWidget(self.seats)
        lists.addLayout(col1)
        lists.addLayout(col2)
        form.addRow(lists)
        deadline = QHBoxLayout()
        self.has_deadline = QCheckBox(_("回执截止"))
        self.deadline = QDateEdit(QDate(s.year, s.month, s.day).addDays(-1))
        self.deadline.setCalendarPopup(True)
        self.deadline.setDisplayFormat("yyyy-MM-dd")
        deadline.addWidget(self.has_deadline)
        deadline.addWidget(self.deadline)
        deadline.addStretch(1)
        self.weekly = QCheckBox(_("每周重复"))
        self.count = QSpinBox()
        self.count.setRange(2, 52)
        self.count.setValue(8)
        self.count.setSuffix(_(" 次"))
        deadline.addWidget(self.weekly)
        deadline.addWidget(self.count)
        form.addRow(deadline)
        files = QHBoxLayout()
        self.files = QListWidget()
        self.files.setAccessibleName(_("会议材料"))
        self.files.setFixedHeight(48)
        add_file = QPushButton(_("添加材料…"))
        add_file.clicked.connect(self._add_files)
        files.addWidget(self.files, 1)
        files.addWidget(add_file)
        form.addRow(_("会议材料"), files)
        self.paths: list[str] = []
        outer.addLayout(form)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color:#b00000")
        outer.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("预订并发送通知"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        outer.addWidget(buttons)

    def _checked(self, lst: QListWidget) -> list[tuple[str, str]]:
        return [lst.item(i).data(Qt.ItemDataRole.UserRole) for i in range(lst.count())
                if lst.item(i).checkState() == Qt.CheckState.Checked]

    def meeting(self) -> Meeting:
        """The notice as typed (the service checks it)."""
        day = self.date.date().toPython()
        start = datetime.combine(day, self.start.time().toPython(), tzinfo=TZ)
        end = datetime.combine(day, self.end.time().toPython(), tzinfo=TZ)
        attendees = [Attendee(kind="person", id=i, name=n) for i, n in self._checked(self.people)]
        attendees += [Attendee(kind="unit", id=i, name=n, seats=self.seats.value())
                      for i, n in self._checked(self.units)]
        chair = self.chair.currentData() or ""
        deadline = None
        if self.has_deadline.isChecked():
            deadline = datetime.combine(self.deadline.date().toPython(), datetime.max.time().replace(
                microsecond=0), tzinfo=TZ)
        return Meeting(
            subject=self.subject.text().strip(), starts_at=start, ends_at=end,
            room_id=self.room.currentData(), online_link=self.link.text().strip() or None,
            chair_id=chair, chair_name=self.chair.currentText() if chair else "",
            host_unit_id=self.session.unit_id,
            agenda=tuple(line.strip() for line in self.agenda.toPlainText().splitlines() if line.strip()),
            attendees=tuple(attendees), reply_deadline=deadline,
            recurrence=Recurrence(freq="weekly", count=self.count.value()) if self.weekly.isChecked() else None)

    def save(self) -> None:
        """Book on the database worker; close on success, say what is wrong otherwise."""
        try:
            meeting = self.meeting()
        except OAError as exc:
            self._show(exc)
            return
        except ValueError as exc:
            self.problem.setText(_("会议信息不完整：{detail}").format(detail=exc))
            return
        store, me, name = self.session.store, self.session.user_id, str((self.session.me or {}).get("name") or "")
        self.buttons.setEnabled(False)
        paths = list(self.paths)

        def work(_c):
            files = [(Path(p).name, Path(p).read_bytes()) for p in paths]  # read on the worker
            return mtg.book(store, meeting=meeting, user_id=me, user_name=name, files=files)

        run_op(self, work, success=self._done, failure=self._show)

    def _add_files(self) -> None:
        """Choose material files (read when saving, off the GUI thread)."""
        chosen = QFileDialog.getOpenFileNames(self, _("添加会议材料"))[0]
        self.add_paths(chosen)

    def add_paths(self, paths: list[str]) -> None:
        """Add these files as materials of the notice."""
        for p in paths:
            if p not in self.paths:
                self.paths.append(p)
                self.files.addItem(Path(p).name)

    def _show(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        field = getattr(exc, "field", None)
        label = _(FIELD_LABELS[field]) if field in FIELD_LABELS else ""
        self.problem.setText((f"【{label}】" if label else "") + error_text(exc))

    def _done(self, booked: mtg.Booked) -> None:
        self.booked = booked
        self.buttons.setEnabled(True)
        self.accept()


SCOPES = (("series", "整个会议"), ("one", "仅此一次"), ("following", "此后所有"))
_SCOPE_IDS = (_("整个会议"), _("仅此一次"), _("此后所有"))
CHANGED_FIELDS = ("subject", "starts_at", "ends_at", "room_id", "online_link", "chair_id", "chair_name",
                  "agenda", "attendees", "reply_deadline")


class EditDialog(BookingDialog):
    """Change a meeting the organiser holds: the whole meeting, or for a series this sitting
    only or every sitting from it on. Everyone invited is told of the change."""

    def __init__(self, session, meeting: Meeting, *, sitting: datetime | None, rooms: list[dict],
                 users: list[dict], units: list[dict], parent: QWidget | None = None) -> None:
        length = meeting.duration
        start = sitting or meeting.starts_at
        super().__init__(session, rooms=rooms, users=users, units=units, start=start, end=start + length,
                         room_id=meeting.room_id, people=[a.id for a in meeting.attendees if a.kind == "person"],
                         parent=parent)
        self.original, self.sitting = meeting, sitting or meeting.starts_at
        self.setWindowTitle(_("修改会议"))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("保存修改并通知"))
        self.subject.setText(meeting.subject)
        self.link.setText(meeting.online_link or "")
        self.chair.setCurrentIndex(max(0, self.chair.findData(meeting.chair_id)))
        self.agenda.setPlainText("\n".join(meeting.agenda))
        units_invited = {a.id: a.seats for a in meeting.attendees if a.kind == "unit"}
        for i in range(self.units.count()):
            item = self.units.item(i)
            if item.data(Qt.ItemDataRole.UserRole)[0] in units_invited:
                item.setCheckState(Qt.CheckState.Checked)
        if units_invited:
            self.seats.setValue(max(units_invited.values()))
        self.weekly.setEnabled(False)
        self.count.setEnabled(False)
        self.scope = QComboBox()
        self.scope.setAccessibleName(_("修改范围"))
        for key, label in SCOPES:
            self.scope.addItem(_(label), key)
        self.scope.setVisible(meeting.recurrence is not None)
        self.layout().insertWidget(1, self.scope)

    def save(self) -> None:
        """Save the change in the chosen scope (on the database worker)."""
        try:
            typed = self.meeting()
        except OAError as exc:
            self._show(exc)
            return
        except ValueError as exc:
            self.problem.setText(_("会议信息不完整：{detail}").format(detail=exc))
            return
        store, me, mid = self.session.store, self.session.user_id, self.original.id
        scope = self.scope.currentData() if self.original.recurrence is not None else "series"
        fields = {k: getattr(typed, k) for k in CHANGED_FIELDS}
        sitting = self.sitting

        def work(_c):
            if scope == "one":
                return mtg.move_one(store, meeting_id=mid, user_id=me, original_start=sitting,
                                    starts_at=typed.starts_at, ends_at=typed.ends_at, room_id=typed.room_id)
            if scope == "following":
                return mtg.change_following(store, meeting_id=mid, user_id=me, from_start=sitting, **fields)[1]
            if self.original.recurrence is not None and sitting != self.original.starts_at:
                # the whole series keeps its first date; the time of day and the rest change
                fields["starts_at"] = self.original.starts_at + (typed.starts_at - sitting)
                fields["ends_at"] = fields["starts_at"] + (typed.ends_at - typed.starts_at)
            return mtg.change(store, meeting_id=mid, user_id=me, **fields)

        self.buttons.setEnabled(False)
        run_op(self, work, success=self._done, failure=self._show)
