"""The selected meeting beside the calendar: the notice (time, place, chair, agenda, who
answered, changes), and what I can do: reply, sign in (with the room's code), export .ics;
the organiser cancels the meeting or one sitting; a room's manager approves the booking."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from oa_client.domain.meetings_records import meeting_from_record
from oa_client.i18n import _
from oa_client.services import meetings as mtg
from oa_client.services import meetings_alerts as alerts
from oa_client.services import meetings_plan as plan
from oa_client.services.account import takes_business
from ui.errors import error_text
from ui.meetings.people_dialog import PeopleDialog
from ui.meetings.text import when
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.watermark import Watermark

RSVP_LABELS = {"pending": "未回执", "accepted": "参会", "declined": "请假", "delegated": "代参会"}
_RSVP_IDS = (_("未回执"), _("参会"), _("请假"), _("代参会"))


class MeetingDetail(QWidget):
    """One meeting's notice and actions; `changed` after a write (the page reloads)."""

    changed = Signal()
    edit_wanted = Signal(str, object)  # meeting id, the sitting chosen
    todos_stale = Signal()  # an alert acknowledged: the to-do list is read again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.current: dict | None = None
        self.current_start: datetime | None = None
        self.wanted: tuple[str, datetime | None] | None = None
        self.alert: alerts.MeetingAlert | None = None
        self.colleagues: list[dict] = []
        self.people: list[str] = []  # who attends for my unit (回执 of an invited unit)
        self.people_dialog: PeopleDialog | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.alert_bar = QWidget()
        bar = QHBoxLayout(self.alert_bar)
        bar.setContentsMargins(6, 4, 6, 4)
        self.alert_bar.setStyleSheet("background:#fdecea; color:#8b0000")
        self.alert_text = QLabel()
        self.alert_text.setWordWrap(True)
        self.ack_button = QPushButton()
        self.ack_button.clicked.connect(self.acknowledge)
        bar.addWidget(self.alert_text, 1)
        bar.addWidget(self.ack_button)
        self.alert_bar.hide()
        lay.addWidget(self.alert_bar)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.watermark = Watermark(self.browser.viewport())
        lay.addWidget(self.browser, 1)
        answer = QHBoxLayout()
        self.answer = QComboBox()
        for key in ("attend", "decline", "delegate"):
            self.answer.addItem("", key)
        self.reason = QLineEdit()
        self.delegate = QComboBox()
        self.delegate.setMinimumWidth(120)
        self.people_button = QPushButton()
        self.people_button.clicked.connect(self.pick_people)
        self.reply_button = QPushButton()
        self.reply_button.clicked.connect(self.send_reply)
        for w in (self.answer, self.reason, self.delegate, self.people_button, self.reply_button):
            answer.addWidget(w)
        lay.addLayout(answer)
        self.people_label = QLabel()
        self.people_label.setWordWrap(True)
        lay.addWidget(self.people_label)
        acts = QHBoxLayout()
        self.code = QLineEdit()
        self.sign_button = QPushButton()
        self.sign_button.clicked.connect(self.sign_in)
        self.ics_button = QPushButton()
        self.ics_button.clicked.connect(self.export_meeting)
        for w in (self.code, self.sign_button, self.ics_button):
            acts.addWidget(w)
        lay.addLayout(acts)
        own = QHBoxLayout()
        self.edit_button = QPushButton()
        self.edit_button.clicked.connect(
            lambda: self.current and self.edit_wanted.emit(self.current["id"], self.current_start))
        self.cancel_button = QPushButton()
        self.cancel_button.clicked.connect(self.cancel_meeting)
        self.cancel_one_button = QPushButton()
        self.cancel_one_button.clicked.connect(self.cancel_one)
        self.approve_button = QPushButton()
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.refuse_button = QPushButton()
        self.refuse_button.clicked.connect(lambda: self.decide(False))
        for w in (self.edit_button, self.cancel_button, self.cancel_one_button, self.approve_button,
                  self.refuse_button):
            own.addWidget(w)
        own.addStretch(1)
        lay.addLayout(own)
        self.message = QLabel()
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self._actions(None)
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language; the shown notice is redrawn."""
        for i, label in enumerate((_("参会"), _("请假"), _("代参会"))):
            self.answer.setItemText(i, label)
        self.answer.setAccessibleName(_("回执"))
        self.reason.setPlaceholderText(_("请假原因"))
        self.delegate.setAccessibleName(_("代参会人员"))
        self.reply_button.setText(_("提交回执(&R)"))
        self.people_button.setText(_("参会人员…"))
        self.people_button.setToolTip(_("从通讯录选择本单位参会人员（可多人）"))
        self.ack_button.setText(_("知道了"))
        self.code.setPlaceholderText(_("签到码（扫码或输入）"))
        self.code.setAccessibleName(_("签到码"))
        self.sign_button.setText(_("签到(&S)"))
        self.ics_button.setText(_("导出 .ics"))
        self.edit_button.setText(_("修改会议…"))
        self.cancel_button.setText(_("取消会议"))
        self.cancel_one_button.setText(_("取消本次（仅此一次）"))
        self.approve_button.setText(_("同意使用会议室"))
        self.refuse_button.setText(_("不同意（填原因）"))
        if self.delegate.count():
            self.delegate.setItemText(0, _("（代参会人员）"))
        if self.current is not None and self.session is not None:
            self.show_meeting(self.session, self.current["id"], self.current_start)
        self.hint()

    def hint(self) -> None:
        """Nothing chosen yet."""
        if self.current is None:
            self.browser.setHtml("<p style='color:#777'>" + html.escape(
                _("在日程中点选一个会议查看会议通知、回执和签到。")) + "</p>")

    def show_meeting(self, session, meeting_id: str, start: datetime | None) -> None:
        """Load and show a meeting's notice and what I can do with it (a 已预订 block has none)."""
        self.session = session
        if not meeting_id:
            self.message.setText(_("该时段已被其他会议预订（您不在参会名单中，看不到详情）。"))
            return
        store = session.store
        self.wanted = (meeting_id, start)  # the latest choice wins over slower earlier loads

        me, unit = session.user_id, session.unit_id

        def load(_c):
            rec = mtg.get_meeting_record(store, meeting_id)
            mine = [r for r in mtg.replies(store, meeting_id)]
            signed = mtg.checkins(store, meeting_id)
            colleagues = [u for u in store.records.list("users", where={"unit_id": unit},
                                                        limit=5000, order_by="name")
                          if takes_business(u)]  # nor the three administrators
            alert = alerts.alert_for(store, rec, user_id=me, unit_id=unit)
            rec = {**rec, "_files": mtg.materials(store, meeting_id), "_alert": alert}
            return rec, mine, signed, colleagues

        run_op(self, load, success=lambda res: self._picked(res, start),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _picked(self, res, start: datetime | None) -> None:
        rec, replies, signed, colleagues = res
        if self.wanted != (rec["id"], start):
            return
        self.current, self.current_start = rec, start
        self.browser.setHtml(self.detail_html(rec, replies, signed))
        self.alert = rec.get("_alert")
        self.alert_bar.setVisible(self.alert is not None)
        if self.alert is not None:
            self.alert_text.setText("：".join(p for p in (self.alert.heading, "；".join(self.alert.lines)) if p))
        self.colleagues = colleagues
        unit = self.session.unit_id
        mine = next((r for r in replies if r.get("attendee_id") == unit), None)
        self.people = list((mine or {}).get("attendee_ids") or [])
        self._show_people()
        self.delegate.clear()
        self.delegate.addItem(_("（代参会人员）"), "")
        for u in colleagues:
            if u["id"] != self.session.user_id:
                self.delegate.addItem(str(u.get("name") or ""), u["id"])
        self._actions(rec)

    def _actions(self, rec: dict | None) -> None:
        me = self.session.user_id if self.session else ""
        unit = self.session.unit_id if self.session else ""
        invited = rec is not None and rec.get("state") != "cancelled" and (
            me in (rec.get("rsvp") or {}) or unit in (rec.get("rsvp") or {}))
        for w in (self.answer, self.reason, self.delegate, self.reply_button):
            w.setEnabled(invited)
        for_unit = rec is not None and unit in (rec.get("rsvp") or {}) and me not in (rec.get("rsvp") or {})
        self.people_button.setVisible(for_unit)
        self.people_button.setEnabled(for_unit and rec.get("state") != "cancelled")
        self.people_label.setVisible(for_unit)
        self.sign_button.setEnabled(rec is not None and rec.get("state") != "cancelled")
        self.ics_button.setEnabled(rec is not None)
        organiser = rec is not None and rec.get("organiser_id") == me and rec.get("state") != "cancelled"
        self.cancel_button.setEnabled(organiser)
        self.edit_button.setEnabled(organiser and rec.get("source") != "ics")
        self.cancel_one_button.setVisible(organiser and bool(rec.get("recurrence")))
        managing = rec is not None and rec.get("booking_state") == "pending_approval" and (
            "meeting_admin" in ((self.session.me or {}).get("roles") or []))
        self.approve_button.setVisible(managing)
        self.refuse_button.setVisible(managing)

    def detail_html(self, rec: dict, replies: list[dict], signed: list[dict]) -> str:
        """The notice as the invited see it: time, place, chair, agenda, who, changes."""
        names = self.session.names if self.session else {}
        esc = html.escape
        try:
            m = meeting_from_record(rec)
            span = when(m.starts_at, m.ends_at)
        except Exception:  # an unreadable record still shows its title
            m, span = None, ""
        state = {"tentative": _("待确认（离线预订，等待服务器确认）"), "pending_approval": _("待会议室管理员审批"),
                 "refused": _("会议室使用未获批准"), "confirmed": _("已确认")}.get(
            str(rec.get("booking_state") or ""), _("待确认（离线预订，等待服务器确认）"))
        if rec.get("state") == "cancelled":
            state = _("已取消")
        rows = [(_("时间"), span + (_("（每周重复）") if m and m.recurrence else "")),
                (_("地点"), rec.get("room_name") or (m.location_text if m else "") or (m.online_link if m else "") or ""),
                (_("状态"), state), (_("组织者"), rec.get("organiser_name") or names.get(rec.get("organiser_id", ""), "")),
                (_("主持人"), (m.chair_name or names.get(m.chair_id, "")) if m else "")]
        parts = [f"<h2 style='color:#8b0000'>{esc(str(rec.get('title') or ''))}</h2>"]
        if rec.get("state") == "cancelled":
            reason = str(rec.get("cancel_reason") or "").strip()
            parts.append(f"<p style='color:#b00000;font-weight:bold'>{esc(_('本会议已取消'))}"
                         f"{esc(_('（原因：{reason}）').format(reason=reason) if reason else '')}</p>")
        parts.append("<table cellspacing='4'>")
        parts += [f"<tr><td style='color:#555;padding-right:12px'>{esc(k)}</td><td>{esc(str(v))}</td></tr>"
                  for k, v in rows if v]
        parts.append("</table>")
        if m and m.agenda:
            parts.append(f"<h4>{esc(_('议程'))}</h4><ol>" + "".join(f"<li>{esc(a)}</li>" for a in m.agenda) + "</ol>")
        if m and m.attendees:
            rsvp = rec.get("rsvp") or {}
            items = [f"{esc(a.name or names.get(a.id, a.id))}"
                     f"{esc(_('（单位）') if a.kind == 'unit' else '')}："
                     f"{esc(_(RSVP_LABELS.get(rsvp.get(a.id, 'pending'), '未回执')))}" for a in m.attendees]
            parts.append(f"<h4>{esc(_('参会人员'))}</h4><p>" + "；".join(items) + "</p>")
        files = rec.get("_files") or []
        if files:
            parts.append(f"<h4>{esc(_('会议材料'))}</h4><ul>" + "".join(
                f"<li>{esc(f['name'])}（{max(1, f['size'] // 1024)} KB"
                f"{esc('' if f['here'] else _('，尚未下载'))}）</li>" for f in files) + "</ul>")
        if signed:
            parts.append(f"<p>{esc(_('已签到 {n} 人').format(n=len(signed)))}</p>")
        for w in rec.get("warnings") or []:
            parts.append(f"<p style='color:#a05a00'>⚠ {esc(w)}</p>")
        changes = rec.get("changes") or []
        if changes:
            parts.append(f"<h4>{esc(_('变更记录'))}</h4><ul>" + "".join(
                f"<li>{esc(str(c.get('at', ''))[:16].replace('T', ' '))} {esc(str(c.get('by_name', '')))}："
                f"{esc(str(c.get('summary', '')))}</li>" for c in changes[-8:]) + "</ul>")
        return "".join(parts)

    def send_reply(self) -> None:
        """回执 for me (or for my unit when the unit is invited)."""
        rec = self.current
        if rec is None:
            return
        me, unit = self.session.user_id, self.session.unit_id
        attendee = me if me in (rec.get("rsvp") or {}) else unit
        answer = self.answer.currentData()
        store = self.session.store
        delegate = self.delegate.currentData() or ""
        kwargs = {"reason": self.reason.text(), "delegate_id": delegate if answer == "delegate" else "",
                  "delegate_name": self.delegate.currentText() if delegate and answer == "delegate" else "",
                  # a unit attends with the people chosen from its org chart (参会人员…)
                  "attendee_ids": list(self.people) if attendee == unit and answer == "attend" else []}
        run_op(self, lambda _c: mtg.reply(store, meeting_id=rec["id"], attendee_id=attendee, user_id=me,
                                          answer=answer, **kwargs),
               success=lambda _r: self._done(_("回执已保存，联网后自动提交。")),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _seats(self) -> int:
        rec = self.current or {}
        unit = self.session.unit_id if self.session else ""
        for a in rec.get("attendees") or []:
            if isinstance(a, dict) and a.get("id") == unit:
                return int(a.get("seats") or 1)
        return 1

    def _show_people(self) -> None:
        names = {u["id"]: str(u.get("name") or "") for u in self.colleagues}
        if self.people:
            self.people_label.setText(_("本单位参会人员：{names}").format(
                names="、".join(names.get(p, p) for p in self.people)))
        else:
            self.people_label.setText(_("本单位参会人员：尚未选择（点“参会人员…”从通讯录选择）"))

    def pick_people(self) -> None:
        """Choose who attends for my unit from its people (any number, up to its places)."""
        if self.current is None or self.session is None:
            return
        unit_name = self.session.unit_name
        dialog = PeopleDialog(self.colleagues, chosen=self.people, seats=self._seats(), unit_name=unit_name,
                              parent=self)
        dialog.accepted.connect(lambda: self._people_chosen(dialog))
        dialog.show()
        self.people_dialog = dialog

    def _people_chosen(self, dialog: PeopleDialog) -> None:
        self.people = dialog.chosen
        self._show_people()
        self.answer.setCurrentIndex(self.answer.findData("attend"))

    def acknowledge(self) -> None:
        """知道了: the alert of this meeting leaves my to-do list."""
        rec, alert = self.current, self.alert
        if rec is None or alert is None:
            return
        store, me = self.session.store, self.session.user_id
        run_op(self, lambda _c: alerts.acknowledge(store, user_id=me, meeting_id=rec["id"],
                                                   sequence=alert.sequence),
               success=lambda _r: self._acknowledged(),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _acknowledged(self) -> None:
        self.alert = None
        self.alert_bar.hide()
        self.message.setText(_("已知悉会议变更。"))
        self.todos_stale.emit()

    def sign_in(self) -> None:
        """签到 for myself at the selected sitting."""
        rec, start = self.current, self.current_start
        if rec is None:
            return
        store, me = self.session.store, self.session.user_id
        code = self.code.text().strip()
        if code.startswith("oa-checkin:"):
            try:
                _mid, start, code = mtg.parse_checkin_qr(code)
            except Exception as exc:  # a wrong QR text is said in place
                self.message.setText(error_text(exc))
                return
        run_op(self, lambda _c: mtg.sign_in(store, meeting_id=rec["id"], user_id=me, occurrence_start=start,
                                            code=code),
               success=lambda _r: self._done(_("已签到，联网后自动提交。")),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def cancel_meeting(self) -> None:
        """Cancel the whole meeting; everyone invited is told."""
        rec = self.current
        store, me = self.session.store, self.session.user_id
        run_op(self, lambda _c: mtg.cancel(store, meeting_id=rec["id"], user_id=me),
               success=lambda _r: self._done(_("会议已取消，同步后通知所有参会人员。")),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def cancel_one(self) -> None:
        """Cancel only the chosen sitting of a series ("this one only")."""
        rec, start = self.current, self.current_start
        store, me = self.session.store, self.session.user_id
        run_op(self, lambda _c: mtg.cancel_one(store, meeting_id=rec["id"], user_id=me, original_start=start),
               success=lambda _r: self._done(_("本次会议已取消（仅此一次），同步后通知参会人员。")),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def decide(self, approve: bool) -> None:
        """The room's manager approves or refuses the booking (a refusal needs a reason)."""
        rec = self.current
        store, reason = self.session.store, self.reason.text()
        run_op(self, lambda _c: mtg.decide_booking(store, meeting_id=rec["id"], approve=approve, reason=reason),
               success=lambda _r: self._done(_("已处理会议室使用申请，同步后通知组织者。")),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _done(self, text: str) -> None:
        self.message.setText(text)
        self.changed.emit()

    def export_meeting(self, path: str | None = None) -> None:
        """Save the selected meeting as an .ics invitation."""
        rec = self.current
        if rec is None:
            return
        path = path or QFileDialog.getSaveFileName(self, _("导出会议"), f"{rec.get('title', 'meeting')}.ics",
                                                   "iCalendar (*.ics)")[0]
        if not path:
            return
        store = self.session.store
        run_op(self, lambda _c: Path(path).write_bytes(plan.export_meeting_ics(store, rec["id"])),
               success=lambda _r: self.message.setText(_("已导出：{path}").format(path=path)),
               failure=lambda exc: self.message.setText(error_text(exc)))
