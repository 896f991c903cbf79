"""The organiser's live reply table (回执) with 催办, the sign-in desk (签到: mark someone, show
the room screen's QR code), and a QR code image made with segno."""

from __future__ import annotations

import io

import segno

from oa_client.i18n import _
from oa_client.services import meetings as mtg
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QAbstractItemView,
    QColor,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QImage,
    QLabel,
    QPixmap,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)

HEADERS = ("参会对象", "类型", "回执", "原因", "参会人员", "回执时间", "签到", "催办")
_HEADER_IDS = (_("参会对象"), _("类型"), _("回执"), _("原因"), _("参会人员"), _("回执时间"), _("签到"), _("催办"))


def qr_image(text: str, *, scale: int = 8) -> QImage:
    """A QR code of `text` as an image (for the room screen)."""
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=scale, border=2)
    image = QImage()
    image.loadFromData(buf.getvalue(), "PNG")
    return image


class QrDialog(QDialog):
    """What the room screen shows: the meeting, the QR code, the code in words."""

    def __init__(self, title: str, info: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("签到二维码"))
        lay = QVBoxLayout(self)
        heading = QLabel(title)
        heading.setStyleSheet("font-size:20px; font-weight:bold; color:#8b0000")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(heading)
        self.image = QLabel()
        self.image.setPixmap(QPixmap.fromImage(qr_image(info["qr_text"])))
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setAccessibleName(_("签到二维码"))
        lay.addWidget(self.image)
        hint = QLabel(_("请用政务协同办公客户端扫码签到，或在客户端输入签到码：{code}").format(code=info["code"]))
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(hint)


class RepliesView(QWidget):
    """Reply table of one meeting for its organiser; buttons for 催办, sign-in and the QR code."""

    changed = Signal()
    minutes_wanted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.meeting_id: str | None = None
        self.rows: list[mtg.ReplyRow] = []
        self.now_override = None  # a test's clock for 代为签到 (the server keeps its own)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(_("在日程中选择一个会议，查看回执和签到情况。"))
        self.heading.setWordWrap(True)
        lay.addWidget(self.heading)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels([_(h) for h in HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.chase = QPushButton(_("催办未回执（&U）"))
        self.chase.clicked.connect(self.do_chase)
        self.person = QComboBox()  # everyone expected: invited people, delegates, a unit's named people
        self.person.setMinimumWidth(180)
        self.person.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.person.setAccessibleName(_("签到人员"))
        self.mark = QPushButton(_("代为签到"))
        self.mark.clicked.connect(self.do_mark)
        self.qr = QPushButton(_("签到二维码"))
        self.qr.clicked.connect(self.show_qr)
        self.minutes = QPushButton(_("编写会议纪要…"))
        self.minutes.clicked.connect(lambda: self.meeting_id and self.minutes_wanted.emit(self.meeting_id))
        for b in (self.chase, self.person, self.mark, self.qr, self.minutes):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.message = QLabel()
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.qr_dialog: QrDialog | None = None
        self._enable(False)

    def retranslate(self) -> None:
        """Texts in the current language (the table is refilled on the next load)."""
        self.table.setHorizontalHeaderLabels([_(h) for h in HEADERS])
        self.chase.setText(_("催办未回执（&U）"))
        self.mark.setText(_("代为签到"))
        self.qr.setText(_("签到二维码"))
        self.minutes.setText(_("编写会议纪要…"))
        if self.meeting_id and self.session is not None:
            self.show_meeting(self.session, self.meeting_id)
        else:
            self.heading.setText(_("在日程中选择一个会议，查看回执和签到情况。"))

    def _enable(self, on: bool) -> None:
        for b in (self.chase, self.person, self.mark, self.qr, self.minutes):
            b.setEnabled(on)

    def show_meeting(self, session, meeting_id: str | None) -> None:
        """Load the replies of this meeting (on the database worker)."""
        self.session, self.meeting_id = session, meeting_id
        if session is None or not meeting_id:
            self.table.setRowCount(0)
            self._enable(False)
            return
        store, names = session.store, session.names

        def load(_c):
            rec = mtg.get_meeting_record(store, meeting_id)
            signed = mtg.checkins(store, meeting_id)
            return (rec, mtg.reply_table(store, meeting_id, names), signed,
                    mtg.expected_list(store, meeting_id, names))

        run_op(self, load, success=self._loaded, failure=lambda exc: self.message.setText(error_text(exc)))

    def _loaded(self, result) -> None:
        rec, rows, signed, expected = result
        self.rows = rows
        chosen = self.person.currentData()
        self.person.clear()
        self.person.addItem(_("（选择签到人员）"), "")
        for e in expected:
            label = e.name if e.attendee_name in ("", e.name) else _("{name}（{unit}）").format(
                name=e.name, unit=e.attendee_name)
            self.person.addItem(label + (_("（已签到）") if e.signed_in else ""), e.person_id)
        self.person.setCurrentIndex(max(0, self.person.findData(chosen)))
        mine = rec.get("organiser_id") == (self.session.user_id if self.session else None)
        counts = {k: sum(1 for r in rows if r.answer == k) for k in ("attend", "delegate", "decline", "")}
        self.heading.setText(_("“{title}”回执：参会 {a}，代参会 {d}，请假 {l}，未回执 {n}").format(
            title=rec.get("title", ""), a=counts["attend"], d=counts["delegate"], l=counts["decline"],
            n=counts[""]) + _("；已签到 {s} 人（迟到 {late} 人）").format(
            s=len(signed), late=sum(1 for c in signed if c.get("late"))))
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            values = (r.name, _("单位") if r.kind == "unit" else _("个人"),
                      r.answer_label + (_("（逾期）") if r.late else "") + (_("（变更前）") if r.stale else ""),
                      r.reason, "、".join(r.people), r.answered_at[:16].replace("T", " "),
                      _("已签到") if r.signed_in else "", _("已催{n}次").format(n=r.chased) if r.chased else "")
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if not r.answer:
                    item.setForeground(QColor("#b00000"))
                self.table.setItem(i, c, item)
        self._enable(mine)
        self.minutes.setEnabled(mine)

    def do_chase(self) -> None:
        """催: remind everyone who has not answered."""
        store, me, mid = self.session.store, self.session.user_id, self.meeting_id
        run_op(self, lambda _c: mtg.chase(store, meeting_id=mid, user_id=me),
               success=lambda ids: self._said(_("已催办 {n} 个未回执的参会对象，同步后对方待办中显示为加急。").format(n=len(ids))),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def do_mark(self) -> None:
        """Sign in the person chosen among those expected (the organiser marks them): invited
        people, delegates and the people a unit's 回执 named; else the invited person selected in
        the table."""
        person = self.person.currentData() or ""
        row = self.table.currentRow()
        if not person and 0 <= row < len(self.rows) and self.rows[row].kind == "person":
            person = self.rows[row].attendee_id
        if not person:
            self.message.setText(_("请先选择签到人员"))
            return
        store, me, mid = self.session.store, self.session.user_id, self.meeting_id
        now = self.now_override
        run_op(self, lambda _c: mtg.sign_in(store, meeting_id=mid, user_id=me, person_id=person, now=now),
               success=lambda _r: self._said(_("已代为签到，同步后生效。")),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def show_qr(self) -> None:
        """Fetch the sign-in code (online) and show its QR code for the room screen."""
        transport, mid = self.session.transport, self.meeting_id
        if transport is None:
            self.message.setText(_("签到二维码需要连接服务器生成，请联网后再试。"))
            return
        title = self.heading.text().split("”")[0].lstrip("“")
        run_op(self, lambda _c: mtg.fetch_checkin_code(transport, meeting_id=mid), pool="net",
               success=lambda info: self._qr(title, info),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _qr(self, title: str, info: dict) -> None:
        self.qr_dialog = QrDialog(title, info, self)
        self.qr_dialog.show()

    def _said(self, text: str) -> None:
        self.message.setText(text)
        self.changed.emit()
        if self.meeting_id:
            self.show_meeting(self.session, self.meeting_id)
