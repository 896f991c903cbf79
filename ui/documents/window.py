"""The document window: elements, body (清稿/痕迹), attachments, timeline, receipts, and an
action bar that offers only what this user may do now, with the opinion box and signature."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from typing import Any

from oa_client.errors import ValidationError
from oa_client.i18n import _
from oa_client.services import documents as svc
from oa_client.services import seals
from oa_client.services.documents_view import AllowedAction, DocumentView
from ui.documents import data
from ui.documents import official as official_files
from ui.documents.dialogs import BodyDialog, PersonDialog, ReturnDialog
from ui.documents.distribution import DistributionPanel
from ui.documents.official_view import OfficialView, verdict_text
from ui.documents.print_menu import PrintMenu
from ui.documents.revision_view import RevisionView
from ui.documents.routing import RoutingPanel
from ui.documents.signature_pad import SignatureDialog, render_strokes
from ui.documents.timeline import ReceiptsTable, Timeline
from ui.errors import error_text
from ui.labels import short_time
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPixmap,
    QPlainTextEdit,
    QPushButton,
    QShortcut,
    QSplitter,
    Qt,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.watermark import Watermark

#: actions that take the opinion box's text
OPINION_ACTIONS = ("approve", "submit", "read", "return", "reassign", "delegate", "urge")
#: element rows shown in the header: (record key, label id)
ELEMENT_ROWS = (("doc_number", "发文字号"), ("doc_kind", "文种"), ("secrecy", "密级"),
                ("urgency", "紧急程度"), ("from_unit", "来文单位"), ("issuer_name", "发文机关署名"),
                ("main_to_names", "主送机关"), ("cc_to_names", "抄送机关"), ("drafter_name", "拟稿人"),
                ("signers", "签发人"), ("date", "成文日期"), ("deadline", "办理期限"),
                ("note", "附注"), ("copy_no", "份号"), ("secrecy_term", "保密期限"),
                ("printer", "印发机关"), ("print_date", "印发日期"))
_ROW_IDS = (_("发文字号"), _("来文单位"), _("主送机关"), _("抄送机关"), _("拟稿人"), _("签发人"),
            _("成文日期"), _("办理期限"), _("附注"), _("文种"), _("密级"), _("紧急程度"),
            _("发文机关署名"), _("份号"), _("保密期限"), _("印发机关"), _("印发日期"), _("分送"))


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value or "")


class DocumentWindow(QWidget):
    """One 公文, opened from a list; refreshed after every sync and every action taken here."""

    changed = Signal(str)  # document id: something was written locally
    edit_requested = Signal(str)  # document id: 修改要素 of a draft (the compose form opens)
    loaded = Signal()  # a view is on screen

    def __init__(self, session, doc_id: str, *, offline: Callable[[], bool] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.session, self.doc_id = session, doc_id
        self.offline = offline or (lambda: session.transport is None)
        self.view: DocumentView | None = None
        self.opened: data.Opened | None = None
        self.signature: dict[str, Any] | None = None
        self.action_buttons: dict[str, QPushButton] = {}
        self.busy = False
        self.setWindowTitle(_("公文"))
        self.resize(1280, 860)
        self._build()
        QShortcut(QKeySequence("Ctrl+W"), self, self.close)
        QShortcut(QKeySequence("Esc"), self, self.close)
        QShortcut(QKeySequence("F5"), self, self.reload)
        QShortcut(QKeySequence("Ctrl+Return"), self, self._default_action)

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size:20px;font-weight:bold;color:#b00000")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        self.print_menu = PrintMenu(self, self.session)
        self.print_menu.problem.connect(lambda text: self.problem.setText(text))
        self.print_menu.done.connect(lambda text: self.problem.setText(text))
        head.addWidget(self.print_menu, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(head)
        self.status = QLabel()
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        self.waiting = QLabel()
        self.waiting.setWordWrap(True)
        self.waiting.setStyleSheet("background:#fff6cc;color:#6b5400;padding:4px")
        self.waiting.hide()
        outer.addWidget(self.waiting)
        self.missing_line = QLabel()  # elements to complete before 编号 and 用印
        self.missing_line.setWordWrap(True)
        self.missing_line.setAccessibleName(_("缺少的公文要素"))
        self.missing_line.setStyleSheet("background:#fde2e2;color:#8a0000;padding:4px")
        self.missing_line.hide()
        outer.addWidget(self.missing_line)
        self.official_line = QLabel()  # the 正式文件's verdict, whichever tab is shown
        self.official_line.setWordWrap(True)
        self.official_line.hide()
        outer.addWidget(self.official_line)
        self.conflict = QWidget()
        self.conflict.setStyleSheet("background:#fde9c8")
        cl = QHBoxLayout(self.conflict)
        cl.setContentsMargins(6, 2, 6, 2)
        self.conflict_text = QLabel()
        self.conflict_text.setWordWrap(True)
        self.conflict_compare = QPushButton(_("对比两稿"))
        self.conflict_compare.clicked.connect(self._compare_conflict)
        self.conflict_reapply = QPushButton(_("采用我的修改"))
        self.conflict_reapply.clicked.connect(self._reapply)
        cl.addWidget(self.conflict_text, 1)
        cl.addWidget(self.conflict_compare)
        cl.addWidget(self.conflict_reapply)
        self.conflict.hide()
        self.conflicted: dict | None = None
        outer.addWidget(self.conflict)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.elements = QLabel()
        self.elements.setWordWrap(True)
        self.elements.setTextFormat(Qt.TextFormat.RichText)
        self.elements.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ll.addWidget(self.elements)
        self.distribution = DistributionPanel()  # 分送 of a 纪要 (hidden for other 公文)
        self.distribution.saved.connect(lambda: self._done(clear=False))
        ll.addWidget(self.distribution)
        self.tabs = QTabWidget()
        self.body = RevisionView(differ=svc.compare)
        self.tabs.addTab(self.body, _("正文"))
        self.official = OfficialView()
        self.official.save_requested.connect(self._save_official)
        self.official.recheck_requested.connect(self._recheck_official)
        self.official.remake_requested.connect(self._remake_official)
        self.tabs.addTab(self.official, _("正式文件"))
        self.previewed: str | None = None  # the SHA-256 whose pages are drawn
        self.checking: str | None = None  # the 正式文件 whose seal is being checked
        self.edit_body = QPushButton(_("修改正文(&E)…"))
        self.edit_body.clicked.connect(self._edit_body)
        self.body.bar.addWidget(self.edit_body)
        self.edit_elements = QPushButton(_("修改要素…"))
        self.edit_elements.clicked.connect(lambda: self.edit_requested.emit(self.doc_id))
        self.body.bar.addWidget(self.edit_elements)
        self.delete_draft = QPushButton(_("删除草稿"))
        self.delete_draft.clicked.connect(self._delete_draft)
        self.body.bar.addWidget(self.delete_draft)
        self.watermark = Watermark(self.body.text.viewport())
        ll.addWidget(self.tabs, 1)
        att_box = QGroupBox(_("附件"))
        al = QVBoxLayout(att_box)
        self.attachments = QListWidget()
        self.attachments.setMaximumHeight(72)
        self.attachments.setAccessibleName(_("附件"))
        self.attachments.itemActivated.connect(self._save_attachment)
        al.addWidget(self.attachments)
        ll.addWidget(att_box)
        self.splitter.addWidget(left)
        right = QSplitter(Qt.Orientation.Vertical)
        tl_box = QGroupBox(_("流转记录"))
        tl = QVBoxLayout(tl_box)
        self.timeline = Timeline()
        tl.addWidget(self.timeline)
        right.addWidget(tl_box)
        self.receipts_box = QGroupBox(_("分发回执"))
        rl = QVBoxLayout(self.receipts_box)
        self.receipts = ReceiptsTable()
        self.receipts.resend.connect(lambda u: self._receipt("resend", u))
        self.receipts.chase.connect(lambda u: self._receipt("chase", u))
        rl.addWidget(self.receipts)
        right.addWidget(self.receipts_box)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        self.splitter.setSizes([660, 600])
        right.setSizes([520, 200])
        outer.addWidget(self.splitter, 1)
        outer.addWidget(self._opinion_box())

    def _opinion_box(self) -> QWidget:
        box = QGroupBox(_("办理"))
        layout = QVBoxLayout(box)
        self.phrase_row = QWidget()
        row = QHBoxLayout(self.phrase_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.phrases = QComboBox()
        self.phrases.setAccessibleName(_("常用意见"))
        self.phrases.activated.connect(self._use_phrase)
        self.save_phrase = QPushButton(_("存为常用意见"))
        self.save_phrase.clicked.connect(self._save_phrase)
        self.sign_button = QPushButton(_("手写签名(&G)…"))
        self.sign_button.clicked.connect(self._sign)
        self.signature_preview = QLabel()
        self.signature_preview.setMinimumWidth(120)
        self.clear_signature = QPushButton(_("清除签名"))
        self.clear_signature.clicked.connect(self._clear_signature)
        self.clear_signature.hide()
        label = QLabel(_("常用意见(&P)"))
        label.setBuddy(self.phrases)
        row.addWidget(label)
        row.addWidget(self.phrases, 1)
        row.addWidget(self.save_phrase)
        row.addSpacing(16)
        row.addWidget(self.sign_button)
        row.addWidget(self.signature_preview)
        row.addWidget(self.clear_signature)
        layout.addWidget(self.phrase_row)
        self.routing = RoutingPanel()
        layout.addWidget(self.routing)
        self.opinion = QPlainTextEdit()
        self.opinion.setTabChangesFocus(True)
        self.opinion.setPlaceholderText(_("办理意见（Alt+O），如：同意。"))
        self.opinion.setMaximumHeight(70)
        self.opinion.setAccessibleName(_("办理意见"))
        QShortcut(QKeySequence("Alt+O"), self, self.opinion.setFocus)
        layout.addWidget(self.opinion)
        self.bar = QHBoxLayout()
        self.bar_note = QLabel()
        self.bar_note.setStyleSheet("color:#6b5400")
        self.bar_note.setWordWrap(True)
        layout.addLayout(self.bar)
        layout.addWidget(self.bar_note)
        self.problem = QLabel()
        self.problem.setStyleSheet("color:#b00000;font-weight:bold")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.opinion_box = box
        return box

    # -- loading --------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the document again on the database worker."""
        store, me, doc_id = self.session.store, self.session.me, self.doc_id
        run_op(self, lambda _c: data.open_document(store, doc_id, me),
               success=self._show, failure=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.problem.setText(error_text(exc))
        self.loaded.emit()

    def _show(self, opened: data.Opened) -> None:
        self.opened, self.view = opened, opened.view
        v, rec = opened.view, opened.view.record
        self.setWindowTitle(f"{rec.get('title') or _('公文')} — {_('公文')}")
        self.title.setText(rec.get("title") or "")
        direction = _("收文") if v.direction == "incoming" else _("发文")
        parts = [f"<b>{html.escape(direction)}</b>　{html.escape(_('状态'))}："
                 f"<b>{html.escape(v.state_label)}</b>"]
        if v.holder_names and v.flow_status == "running":
            parts.append(html.escape(_("当前办理人：{names}").format(names="、".join(v.holder_names))))
        if v.readers:
            readers = "、".join(f"{n}（{_('已阅') if done else _('未阅')}）" for n, done in v.readers)
            parts.append(html.escape(_("传阅：{readers}").format(readers=readers)))
        self.status.setText("　".join(parts))
        self.waiting.setVisible(bool(v.waiting_on_server))
        self.waiting.setText("；".join(v.waiting_on_server))
        self.missing_line.setVisible(bool(v.missing))
        self.missing_line.setText(_("要素不全，补齐前不能编号、用印：{elements}。签发后的要素须退回"
                                    "修改并重新签发。").format(elements="、".join(v.missing)))
        self._show_official(v)
        self.print_menu.update_view(v)
        rows = []
        for key, label in ELEMENT_ROWS:
            value = _text(rec.get(key))
            if key == "doc_number" and not value and v.direction == "outgoing":
                value = _("待编号")
            if value:
                if key == "main_to_names" and rec.get("doc_kind") == "纪要":
                    label = "分送"  # a 纪要's 主送 is its 分送, printed in the 版记
                rows.append(f"<td style='color:#666;padding-right:6px'>{html.escape(_(label))}</td>"
                            f"<td style='padding-right:22px'>{html.escape(value)}</td>")
        cells = ["<tr>" + "".join(rows[i:i + 3]) + "</tr>" for i in range(0, len(rows), 3)]
        self.elements.setText("<table cellspacing='2'>" + "".join(cells) + "</table>")
        self.distribution.show_for(self.session, {**rec, "id": self.doc_id})
        revisions = [{**r, "author_name": opened.names.get(r.get("author_id") or "",
                                                            r.get("author_name") or ""),
                      "step_name": r.get("step_name") or "", "no": i + 1}
                     for i, r in enumerate(v.revisions)]
        if revisions and revisions[0].get("previous"):
            first = {"body": revisions[0]["previous"], "author_name": _("原稿"), "no": 0}
            revisions = [first, *revisions]
        self.body.set_content(v.body, revisions, opened.names)
        self._show_conflict(revisions)
        self.edit_elements.setVisible(v.flow_status == "not_started" and v.can("submit"))
        self.delete_draft.setVisible(self.edit_elements.isVisibleTo(self))
        self.edit_body.setVisible(v.direction == "outgoing" and bool(v.allowed)
                                  and v.state not in ("number", "seal", "dispatch", "dispatched"))
        self.attachments.clear()
        shown_apart = {v.official.attachment_id} if v.official else set()
        for a in v.attachments:
            if str(a.get("name") or "").startswith("签名-") or a.get("id") in shown_apart:
                continue  # signatures are on the timeline, the 正式文件 has its own tab
            size = int(a.get("size") or 0)
            item = QListWidgetItem(f"{a.get('name')}（{max(1, size // 1024)} KB）")
            item.setData(Qt.ItemDataRole.UserRole, a.get("id"))
            self.attachments.addItem(item)
        if not self.attachments.count():
            self.attachments.addItem(_("（无附件）"))
        self.timeline.show_entries(v.timeline, opened.signatures)
        self.receipts_box.setVisible(bool(v.receipts))
        self.receipts.show_receipts(v.receipts, offline=self.offline())
        self.phrases.clear()
        self.phrases.addItem(_("— 选择常用意见 —"), "")
        for p in opened.phrases:
            self.phrases.addItem(p.get("text") or "", p.get("text") or "")
        for p in (_("同意。"), _("已阅。"), _("请按程序办理。")):
            if self.phrases.findData(p) < 0:
                self.phrases.addItem(p, p)
        self._build_actions(v.allowed)
        approve = next((a for a in v.allowed if a.action == "approve"), None)
        self.routing.show_for(opened.routing if approve else None,
                              step=approve.step if approve else None,
                              writable=approve.writable if approve else ())
        self.loaded.emit()

    def _build_actions(self, allowed: list[AllowedAction]) -> None:
        while self.bar.count():
            item = self.bar.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.action_buttons.clear()
        notes = []
        for i, a in enumerate(allowed):
            label = a.label + (_("（代{name}）").format(
                name=self.opened.names.get(a.on_behalf_of, a.on_behalf_of))
                if a.on_behalf_of and self.opened else "")
            b = QPushButton(f"{label} (&{i + 1})" if i < 9 else label)
            b.setObjectName(f"action-{a.action}")
            if a.action == "approve" or a.action == "submit":
                b.setStyleSheet("font-weight:bold")
            b.clicked.connect(lambda _c=False, a=a: self.take(a))
            if a.blocked:  # e.g. 编号 while an element is missing: say why, do not offer it
                b.setEnabled(False)
                b.setToolTip(a.blocked)
            self.bar.addWidget(b)
            self.action_buttons[a.action if a.action not in self.action_buttons
                                else f"{a.action}:{a.on_behalf_of}"] = b
            if a.offline_note:
                notes.append(f"{a.label}：{a.offline_note}")
        self.bar.addStretch(1)
        close = QPushButton(_("关闭 (Esc)"))
        close.clicked.connect(self.close)
        self.bar.addWidget(close)
        if not allowed:
            notes.insert(0, _("您当前没有需要办理的操作。"))
        if self.offline() and any(a.offline_note for a in allowed):
            notes.append(_("当前离线：需要服务器的环节会排队，联网后自动提交。"))
        self.bar_note.setText("\n".join(notes))
        self.bar_note.setVisible(bool(notes))
        self.opinion.setVisible(bool(allowed))
        self.phrase_row.setVisible(bool(allowed))

    def _default_action(self) -> None:
        for key in ("approve", "submit", "read"):
            if key in self.action_buttons:
                self.action_buttons[key].click()
                return

    # -- acting ---------------------------------------------------------------------------

    def take(self, allowed: AllowedAction) -> None:
        """Take an action from the bar (asking what it needs first)."""
        if self.busy or self.view is None:
            return
        opinion = self.opinion.toPlainText().strip()
        kwargs: dict[str, Any] = {"action": allowed.action, "step": allowed.step,
                                  "on_behalf_of": allowed.on_behalf_of}
        if allowed.action == "return":
            dialog = ReturnDialog(list(allowed.targets), opinion, self)
            if not dialog.exec():
                return
            opinion, kwargs["to_step"] = dialog.text(), dialog.step()
        elif allowed.action in ("reassign", "delegate"):
            self._pick_person(allowed, opinion)
            return
        elif allowed.action == "approve" and allowed.step == "complete" and not opinion \
                and self.view.direction == "incoming":
            self.problem.setText(_("办结须填写办理结果，如：已按批示办理完毕，拨付资金60万元。"))
            self.opinion.setFocus()
            return
        elif allowed.action == "approve" and self.routing.options is not None \
                and allowed.step == self.routing.step:
            try:
                kwargs["values"] = self.routing.values()
            except ValidationError as exc:
                self.routing.mark(exc.field)
                self.problem.setText(error_text(exc))
                return
            self.routing.mark(None)
        self._act({**kwargs, "opinion": opinion if allowed.action in OPINION_ACTIONS else ""})

    def _pick_person(self, allowed: AllowedAction, opinion: str) -> None:
        store, me = self.session.store, self.session.me

        def chosen(people: list[tuple[str, str]]) -> None:
            delegate = allowed.action == "delegate"
            dialog = PersonDialog(_("委托") if delegate else _("转办"), people, self,
                                  with_dates=delegate,
                                  note=_("受委托人在委托期限内代您办理本件，办理记录标注“代”。")
                                  if delegate else _("转交他人办理本环节。"))
            if not dialog.exec():
                return
            kwargs: dict[str, Any] = {"action": allowed.action, "step": allowed.step,
                                      "to_user": dialog.person(), "opinion": opinion,
                                      "on_behalf_of": allowed.on_behalf_of}
            if delegate:
                kwargs["valid_from"], kwargs["valid_until"] = dialog.dates()
            self._act(kwargs)

        run_op(self, lambda _c: data.people(store, me), success=chosen)

    def _act(self, kwargs: dict[str, Any]) -> None:
        store, me, doc_id = self.session.store, self.session.me, self.doc_id
        signature = dict(self.signature) if self.signature else None
        self.busy = True
        self.problem.setText("")
        run_op(self, lambda _c: svc.act(store, me=me, doc_id=doc_id, signature=signature,
                                        **kwargs),
               success=lambda _ch: self._done(clear=True), failure=self._refused,
               label=_("正在办理…"))

    def _refused(self, exc: BaseException) -> None:
        self.busy = False
        self.problem.setText(error_text(exc))

    def _done(self, *, clear: bool) -> None:
        self.busy = False
        if clear:
            self.opinion.clear()
            self._clear_signature()
        self.changed.emit(self.doc_id)
        self.reload()

    def _receipt(self, kind: str, unit_id: str) -> None:
        store, me, doc_id = self.session.store, self.session.me, self.doc_id
        fn = svc.resend if kind == "resend" else svc.chase
        run_op(self, lambda _c: fn(store, me=me, doc_id=doc_id, unit_id=unit_id),
               success=lambda _ch: self._receipt_done(kind), failure=self._refused)

    def _receipt_done(self, kind: str) -> None:
        if self.offline():
            self.problem.setText(_("当前离线：已排队，连接服务器后发出。"))
        self._done(clear=False)

    # -- opinion, phrases, signature ------------------------------------------------------

    def _use_phrase(self, index: int) -> None:
        text = self.phrases.itemData(index)
        if text:
            current = self.opinion.toPlainText().strip()
            self.opinion.setPlainText(f"{current}{text}" if current else text)
            self.opinion.setFocus()
        self.phrases.setCurrentIndex(0)

    def _save_phrase(self) -> None:
        store, me, text = self.session.store, self.session.me, self.opinion.toPlainText()
        run_op(self, lambda _c: svc.add_phrase(store, me=me, text=text),
               success=lambda _ch: self._done(clear=False), failure=self._refused)

    def _sign(self) -> None:
        dialog = SignatureDialog(self)
        if dialog.exec():
            self.set_signature(dialog.result_signature())

    def set_signature(self, signature: dict[str, Any]) -> None:
        """Use this signature ({strokes, png}) with the next action."""
        self.signature = signature
        image = render_strokes(signature["strokes"], 36)
        self.signature_preview.setPixmap(QPixmap.fromImage(image))
        self.clear_signature.show()

    def _clear_signature(self) -> None:
        self.signature = None
        self.signature_preview.clear()
        self.clear_signature.hide()

    # -- body and attachments -------------------------------------------------------------

    def _edit_body(self) -> None:
        if self.view is None:
            return
        dialog = BodyDialog(self.view.body, self)
        if not dialog.exec() or dialog.text() == self.view.body:
            return
        store, me, doc_id, body = self.session.store, self.session.me, self.doc_id, dialog.text()
        run_op(self, lambda _c: svc.save_body(store, me=me, doc_id=doc_id, body=body),
               success=lambda _ch: self._done(clear=False), failure=self._refused)

    def _show_conflict(self, revisions: list[dict]) -> None:
        """My body edit the server kept aside (someone changed the body first): say so, offer
        to compare it with the current text and to take it again."""
        me = self.session.user_id
        mine = [i for i, r in enumerate(revisions) if r.get("conflicted") and r.get("author_id") == me]
        # revisions come in server order: a revision taken after mine means it was dealt with
        later = mine and any(not r.get("conflicted") for r in revisions[mine[-1] + 1:])
        self.conflicted = revisions[mine[-1]] if mine and not later else None
        self.conflict.setVisible(self.conflicted is not None)
        if self.conflicted is not None:
            self.conflict_text.setText(_(
                "您对正文的修改（#{no}）与他人先提交的修改冲突，未被采用，已作为冲突稿保留。"
                "可以对比两稿，确认后采用您的修改。").format(no=self.conflicted.get("no", "")))

    def _compare_conflict(self) -> None:
        """Compare the current body with my conflicted revision."""
        if self.conflicted is None:
            return
        revs = self.body.revisions
        mine = revs.index(self.conflicted) if self.conflicted in revs else len(revs) - 1
        current = max((i for i, r in enumerate(revs) if not r.get("conflicted")), default=0)
        self.body.old_combo.setCurrentIndex(current)
        self.body.new_combo.setCurrentIndex(mine)
        self.body.show_mode("marked")

    def _reapply(self) -> None:
        if self.conflicted is None:
            return
        store, me, doc_id = self.session.store, self.session.me, self.doc_id
        revision_id = self.conflicted["id"]
        run_op(self, lambda _c: svc.reapply_revision(store, me=me, doc_id=doc_id,
                                                     revision_id=revision_id),
               success=lambda _ch: self._done(clear=False), failure=self._refused)

    def _delete_draft(self) -> None:
        answer = QMessageBox.question(self, _("删除草稿"), _("确定删除这份草稿吗？删除后不能恢复。"))
        if answer != QMessageBox.StandardButton.Yes:
            return
        store, me, doc_id = self.session.store, self.session.me, self.doc_id
        run_op(self, lambda _c: svc.delete_draft(store, me=me, doc_id=doc_id),
               success=lambda _ch: self._deleted(), failure=self._refused)

    def _deleted(self) -> None:
        self.changed.emit(self.doc_id)
        self.close()

    def _save_attachment(self, item: QListWidgetItem) -> None:
        attachment_id = item.data(Qt.ItemDataRole.UserRole)
        if not attachment_id:
            return
        path, _filter = QFileDialog.getSaveFileName(self, _("保存附件"), item.text().split("（")[0])
        if not path:
            return
        store = self.session.store

        def save(_c) -> None:
            content = data.read_attachment(store, attachment_id)
            with open(path, "wb") as f:
                f.write(content)

        run_op(self, save, success=lambda _r: self.problem.setText(
            _("附件已保存：{path}").format(path=path)), failure=self._refused,
            label=_("正在保存附件…"))

    # -- the 正式文件 ------------------------------------------------------------------------

    def _show_official(self, v: DocumentView) -> None:
        """The verdict line and the 正式文件 tab; a preview is drawn (and a file checked that
        arrived without a verdict) on workers."""
        has_tab = v.official is not None or bool(v.seal_state) or (
            v.direction == "outgoing" and v.state in ("seal", "dispatch", "dispatched"))
        self.tabs.setTabVisible(1, has_tab)
        seal_error = str(v.record.get("seal_error") or "")
        offline = self.offline()
        self.official.show_file(v.official, seal_state=v.seal_state, seal_error=seal_error,
                                offline=offline,
                                may_remake=svc.is_seal_keeper(self.session.me, v.record))
        if has_tab:
            text, colour = verdict_text(v.official, seal_state=v.seal_state,
                                        seal_error=seal_error, offline=offline)
            line = _("正式文件：{verdict}").format(verdict=text)
            self.official_line.setText(f"<span style='color:{colour}'>{html.escape(line)}</span>")
        self.official_line.setVisible(has_tab)
        official = v.official
        if official is None or not official.downloaded:
            self.previewed = None
            return
        if official.verdict is None and self.checking != official.attachment_id:
            self._recheck_official(official.attachment_id)  # arrived without a check
        if self.previewed != official.sha256:
            self.previewed = official.sha256
            if self.opened is not None and self.opened.view.direction == "incoming":
                self.tabs.setCurrentIndex(1)  # a 收文 is read as it came: the sealed file
            self._draw_preview(official.attachment_id)

    def _draw_preview(self, attachment_id: str) -> None:
        store = self.session.store

        def drawn(pngs: list[bytes]) -> None:
            self.official.set_pages(pngs)

        def failed(exc: BaseException) -> None:
            self.official.preview_failed(error_text(exc))

        def read(_c) -> bytes:  # the database worker: the bytes, decrypted in memory
            return data.read_attachment(store, attachment_id)

        def draw(pdf: bytes) -> None:  # pdfium on the general pool, never on this thread
            run_op(self, lambda _c: official_files.render_pages(pdf, pages=2, width_px=700),
                   success=drawn, failure=failed, pool="net")

        run_op(self, read, success=draw, failure=failed)

    def _recheck_official(self, attachment_id: str) -> None:
        """Check the 正式文件's seal now (on the database worker) and show the verdict; the
        rest of the window stays as it is."""
        store = self.session.store
        self.checking = attachment_id

        def check(_c) -> dict:
            return official_files.check_now(store, attachment_id=attachment_id,
                                            trust_roots=seals.trust_roots(store))

        def checked(verdict: dict) -> None:
            self.checking = None
            v = self.view
            if v is not None and v.official is not None \
                    and v.official.attachment_id == attachment_id:
                v.official = dataclasses.replace(v.official, verdict=verdict)
                self._show_official(v)

        def failed(exc: BaseException) -> None:
            self.checking = None
            self._refused(exc)

        run_op(self, check, success=checked, failure=failed, label=_("正在验章…"))

    def _remake_official(self) -> None:
        """重新生成正式文件: the seal keeper asks the server again (online), then syncs."""
        transport, doc_id = self.session.transport, self.doc_id
        if transport is None:
            return
        run_op(self, lambda _c: svc.request_seal(transport, doc_id=doc_id),
               success=lambda _r: self.changed.emit(self.doc_id), failure=self._refused,
               pool="net", label=_("正在生成正式文件…"))

    def _save_official(self, attachment_id: str) -> None:
        if self.view is None or self.view.official is None:
            return
        path, _filter = QFileDialog.getSaveFileName(self, _("保存正式文件"),
                                                    self.view.official.name, "PDF (*.pdf)")
        if not path:
            return
        store = self.session.store

        def save(_c) -> None:
            content = data.read_attachment(store, attachment_id)
            with open(path, "wb") as f:
                f.write(content)

        run_op(self, save, success=lambda _r: self.problem.setText(
            _("正式文件已保存：{path}").format(path=path)), failure=self._refused)

    def describe(self) -> str:
        """What the window shows now, as plain text (for tests and screen readers)."""
        if self.view is None:
            return ""
        lines = [self.title.text(), self.status.text(), self.waiting.text(),
                 self.missing_line.text() if self.view.missing else "", self.official_line.text()]
        lines += [f"{e.step_name} {e.action_label} {e.actor_name} {e.delegated_note} "
                  f"{short_time(e.at)} {e.opinion} {e.outcome}" for e in self.view.timeline]
        lines += [f"{r.unit_name} {r.status_label}" for r in self.view.receipts]
        return "\n".join(lines)
