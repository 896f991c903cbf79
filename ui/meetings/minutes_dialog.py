"""会议纪要 editor: 出席/请假/列席 filled from replies and sign-in, the text, decisions (each can
become a 督办 task), a GB/T 9704 纪要 preview, save as a 纪要 document and 送审."""

from __future__ import annotations

from datetime import date
from typing import Any

from docs_exchange.compose import layout_document
from docs_exchange.model import OfficialDocument
from oa_client.i18n import _
from oa_client.services import meetings_minutes as minutes
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QColor,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QFont,
    QFontDatabase,
    QFormLayout,
    QHBoxLayout,
    QImage,
    QLabel,
    QLineEdit,
    QListWidget,
    QPainter,
    QPen,
    QPixmap,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
)

A4 = (595.28, 841.89)
_families: dict[str, str] = {}


def _family(path: str) -> str:
    if path not in _families:
        fid = QFontDatabase.addApplicationFont(path)
        fams = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
        _families[path] = fams[0] if fams else ""
    return _families[path]


def lay_out(fields: dict[str, Any]):
    """The 纪要 laid out per GB/T 9704 by docs_exchange (on a worker)."""
    return layout_document(OfficialDocument(**fields), format="纪要")


def paint_pages(layout, *, width: int = 620) -> list[QImage]:
    """Paint a laid-out document page by page (GUI thread: it loads the fonts)."""
    scale = width / A4[0]
    pages = []
    for page in layout.pages:
        img = QImage(int(A4[0] * scale), int(A4[1] * scale), QImage.Format.Format_RGB32)
        img.fill(QColor("#ffffff"))
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        for rule in page.rules:
            p.setPen(QPen(QColor.fromRgbF(*rule.color), max(1.0, rule.width * scale)))
            p.drawLine(int(rule.x1 * scale), int((A4[1] - rule.y) * scale),
                       int(rule.x2 * scale), int((A4[1] - rule.y) * scale))
        for run in page.runs:
            font = QFont(_family(run.face.path))
            font.setPixelSize(max(6, round(run.size * scale)))
            font.setStretch(int(run.h_scale))
            p.setFont(font)
            p.setPen(QColor.fromRgbF(*run.color))
            for ch, x in zip(run.text, run.xs, strict=False):
                p.drawText(int(x * scale), int((A4[1] - run.y) * scale), ch)
        if page.number:
            p.setPen(QColor("#000000"))
            p.drawText(0, int((A4[1] - 30) * scale), img.width(), 20, Qt.AlignmentFlag.AlignHCenter, page.number)
        p.end()
        pages.append(img)
    return pages


class MinutesDialog(QDialog):
    """Write the minutes of a meeting; save and route them; turn decisions into tasks."""

    def __init__(self, session, meeting_id: str, *, units: list[dict], users: list[dict],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.meeting_id = session, meeting_id
        self.doc_id: str | None = None
        self.task_ids: list[str] = []
        self.setWindowTitle(_("会议纪要"))
        self.resize(1180, 780)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        form = QFormLayout(left)
        self.title = QLineEdit()
        form.addRow(_("标题"), self.title)
        self.present = QPlainTextEdit()
        self.present.setFixedHeight(52)
        form.addRow(_("出席"), self.present)
        self.leave = QPlainTextEdit()
        self.leave.setFixedHeight(44)
        form.addRow(_("请假"), self.leave)
        self.observers = QPlainTextEdit()
        self.observers.setFixedHeight(40)
        form.addRow(_("列席"), self.observers)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setStyleSheet("color:#555")
        form.addRow(self.facts)
        self.body = QPlainTextEdit()
        form.addRow(_("正文"), self.body)
        self.decisions = QListWidget()
        self.decisions.setFixedHeight(90)
        form.addRow(_("议定事项"), self.decisions)
        add = QHBoxLayout()
        self.decision = QLineEdit()
        self.decision.setPlaceholderText(_("输入一项议定事项，回车添加"))
        self.decision.returnPressed.connect(self._add_decision)
        add.addWidget(self.decision)
        form.addRow(add)
        task = QHBoxLayout()
        self.lead = QComboBox()
        for u in units:
            self.lead.addItem(str(u.get("name") or ""), u["id"])
        self.owner = QComboBox()
        self.owner.addItem(_("（责任人）"), None)
        for u in users:
            self.owner.addItem(str(u.get("name") or ""), u["id"])
        self.deadline = QDateEdit(QDate.currentDate().addDays(30))
        self.deadline.setCalendarPopup(True)
        self.deadline.setDisplayFormat("yyyy-MM-dd")
        self.to_task = QPushButton(_("转为督办事项"))
        self.to_task.clicked.connect(self.make_task)
        for w in (QLabel(_("牵头单位")), self.lead, self.owner, QLabel(_("期限")), self.deadline, self.to_task):
            task.addWidget(w)
        form.addRow(task)
        buttons = QHBoxLayout()
        self.preview_button = QPushButton(_("预览纪要版式"))
        self.preview_button.clicked.connect(self.preview)
        self.save_button = QPushButton(_("保存纪要"))
        self.save_button.clicked.connect(self.save)
        self.route_button = QPushButton(_("送审签发"))
        self.route_button.clicked.connect(self.route)
        self.route_button.setEnabled(False)
        for b in (self.preview_button, self.save_button, self.route_button):
            buttons.addWidget(b)
        form.addRow(buttons)
        self.message = QLabel()
        self.message.setWordWrap(True)
        form.addRow(self.message)
        split.addWidget(left)
        self.pages = QWidget()
        self.pages_layout = QVBoxLayout(self.pages)
        scroll = self.scroll = QScrollArea()
        scroll.setWidget(self.pages)
        scroll.setWidgetResizable(True)
        scroll.setStyleSheet("background:#8a8f96")
        split.addWidget(scroll)
        split.setSizes([540, 640])
        lay = QVBoxLayout(self)
        lay.addWidget(split)
        store, names, me = session.store, session.names, str(session.user_id or "")
        run_op(self, lambda _c: minutes.draft_minutes(store, meeting_id, names, drafter_id=me),
               success=self._drafted,
               failure=lambda exc: self.message.setText(error_text(exc)))

    def _drafted(self, draft: minutes.MinutesDraft) -> None:
        self.title.setText(draft.title)
        self.present.setPlainText("，".join(draft.present))
        self.leave.setPlainText("，".join(draft.on_leave))
        self.observers.setPlainText("，".join(draft.observers))
        self.facts.setText(_("由回执和签到自动填写。迟到：{late}；缺席：{absent}").format(
            late="、".join(draft.late) or _("无"), absent="、".join(draft.absent) or _("无")))
        self.body.setPlainText("\n".join(draft.body))
        self.draft = draft
        self.preview()

    def _add_decision(self) -> None:
        text = self.decision.text().strip()
        if text:
            self.decisions.addItem(text)
            self.decisions.setCurrentRow(self.decisions.count() - 1)
            self.decision.clear()

    @staticmethod
    def _names(edit: QPlainTextEdit) -> list[str]:
        text = edit.toPlainText().replace("、", "，").replace(",", "，")
        return [n.strip() for n in text.split("，") if n.strip()]

    def fields(self) -> dict[str, Any]:
        """What the 纪要 layout takes, from the form."""
        return {"kind": "纪要", "format": "纪要", "title": self.title.text().strip() or _("会议纪要"),
                "body": [p for p in self.body.toPlainText().splitlines() if p.strip()] or [" "],
                "issuer_mark": getattr(getattr(self, "draft", None), "issuer", ""),
                "attendees": self._names(self.present),
                "absentees": self._names(self.leave), "observers": self._names(self.observers),
                "seal_mode": "without_seal", "date": date.today()}

    def preview(self) -> None:
        """Lay out and paint the 纪要 on a worker; show the pages."""
        fields = self.fields()
        run_op(self, lambda _c: lay_out(fields), pool="net",
               success=lambda layout: self._show_pages(paint_pages(
                   layout, width=max(360, self.scroll.viewport().width() - 30))),
               failure=lambda exc: self.message.setText(error_text(exc)), label=_("正在排版纪要…"))

    def _show_pages(self, images: list[QImage]) -> None:
        while self.pages_layout.count():
            w = self.pages_layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for img in images:
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(img))
            self.pages_layout.addWidget(label)
        self.pages_layout.addStretch(1)

    def save(self) -> None:
        """Save the minutes as a 纪要 draft document (offline; it syncs)."""
        store, me = self.session.store, dict(self.session.me or {})
        body = self.body.toPlainText()
        decisions = [self.decisions.item(i).text() for i in range(self.decisions.count())]
        draft = getattr(self, "draft", None)
        kwargs = {"title": self.title.text(), "body": body, "present": self._names(self.present),
                  "on_leave": self._names(self.leave), "observers": self._names(self.observers),
                  "decisions": decisions, "late": draft.late if draft else [],
                  "absent": draft.absent if draft else [],
                  "doc_id": self.doc_id}
        run_op(self, lambda _c: minutes.save_minutes(store, me=me, meeting_id=self.meeting_id, **kwargs),
               success=self._saved, failure=lambda exc: self.message.setText(error_text(exc)))

    def _saved(self, result) -> None:
        self.doc_id = result[0]
        self.route_button.setEnabled(True)
        self.message.setText(_("纪要已保存为公文草稿（文种：纪要），可送审签发。"))

    def route(self) -> None:
        """送审: the minutes go down the signing flow."""
        store, me, doc = self.session.store, dict(self.session.me or {}), self.doc_id
        run_op(self, lambda _c: minutes.route_minutes(store, me=me, doc_id=doc),
               success=lambda _r: self.message.setText(_("纪要已送审，同步后进入签发流程。")),
               failure=lambda exc: self.message.setText(error_text(exc)))

    def make_task(self) -> None:
        """The selected decision becomes a 督办 task with lead unit, owner and deadline."""
        item = self.decisions.currentItem()
        if item is None:
            self.message.setText(_("请先选择一项议定事项"))
            return
        store, me = self.session.store, dict(self.session.me or {})
        text, lead, owner = item.text(), self.lead.currentData(), self.owner.currentData()
        deadline = self.deadline.date().toPython()
        run_op(self, lambda _c: minutes.decision_to_task(
            store, me=me, meeting_id=self.meeting_id, decision=text, lead_unit_id=lead or "",
            deadline=deadline, owner_id=owner, ordered_by=self.session.user_id),
            success=lambda res: self._tasked(res[0], text),
            failure=lambda exc: self.message.setText(error_text(exc)))

    def _tasked(self, task_id: str, text: str) -> None:
        self.task_ids.append(task_id)
        self.message.setText(_("已转为督办事项：{text}").format(text=text))

