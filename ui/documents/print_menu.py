"""The document window's 打印 button and its menu: 打印正式文件 (Ctrl+P), 打印预览
(Ctrl+Shift+P), and the same for the draft laid out before 用印. What cannot be printed yet
is shown disabled with the reason as its tooltip. The pages are drawn on a worker before a
dialog opens (and kept for the next print of the same file)."""

from __future__ import annotations

from oa_client.i18n import _
from oa_client.services.documents_view import DocumentView
from ui.documents import print_source
from ui.documents.printing import DocumentPrinter
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import QAction, QKeySequence, QMenu, QPushButton, QShortcut, QWidget, Signal

#: states in which the draft may still change: printing it shows what will be sealed
_BEFORE_SEAL = ("draft", "review", "countersign", "sign_off", "recheck", "number", "seal")


class PrintMenu(QPushButton):
    """打印 ▾ on the window's header, with Ctrl+P and Ctrl+Shift+P on the window."""

    problem = Signal(str)  # what went wrong, for the window's problem line
    done = Signal(str)  # what was printed, for the window's problem line

    def __init__(self, window: QWidget, session) -> None:
        super().__init__(_("打印(&R)"), window)
        self.window, self.session = window, session
        self.view: DocumentView | None = None
        self.printer = DocumentPrinter(window)
        self.printer.printed.connect(
            lambda n: self.done.emit(_("已送打印：共 {n} 页。").format(n=n)))
        self.sources: dict[str, print_source.PrintSource] = {}
        self.preview_dialog = None
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        self.act_print = self._action(menu, _("打印正式文件(&P)…"), "Ctrl+P",
                                      lambda: self.start("official", preview=False))
        self.act_preview = self._action(menu, _("打印预览正式文件(&V)…"), "Ctrl+Shift+P",
                                        lambda: self.start("official", preview=True))
        menu.addSeparator()
        self.act_print_draft = self._action(menu, _("打印排版稿(&D)…"), "",
                                            lambda: self.start("draft", preview=False))
        self.act_preview_draft = self._action(menu, _("打印预览排版稿(&W)…"), "",
                                              lambda: self.start("draft", preview=True))
        self.setMenu(menu)
        QShortcut(QKeySequence("Ctrl+P"), window, lambda: self.shortcut(preview=False))
        QShortcut(QKeySequence("Ctrl+Shift+P"), window, lambda: self.shortcut(preview=True))

    def _action(self, menu: QMenu, text: str, keys: str, slot) -> QAction:
        action = QAction(text + (f"\t{keys}" if keys else ""), self)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def update_view(self, view: DocumentView) -> None:
        """Offer what this document can print now; say why the rest cannot."""
        self.view = view
        official = view.official
        ready = official is not None and official.downloaded
        if ready:
            why = ""
        elif official is not None:
            why = _("正式文件尚未下载到本机，联网同步后即可打印")
        else:
            why = _("本件尚无盖章的正式文件（用印后由服务器生成），现在只能打印排版稿")
        for action in (self.act_print, self.act_preview):
            action.setEnabled(ready)
            action.setToolTip(why or _("打印盖章的正式文件，多份时每份首页标注份号"))
        draft_ok = view.direction == "outgoing" and official is None and (
            view.state in _BEFORE_SEAL or view.flow_status == "not_started")
        if draft_ok:
            draft_why = _("按国家标准版式排版当前稿件后打印（未盖章）")
        elif view.direction == "incoming":
            draft_why = _("收文没有可排版的草稿，请打印来文的正式文件")
        elif official is not None:
            draft_why = _("已有盖章的正式文件，请打印正式文件")
        else:
            draft_why = _("本件已办结，没有可排版的草稿")
        for action in (self.act_print_draft, self.act_preview_draft):
            action.setEnabled(draft_ok)
            action.setToolTip(draft_why)
        self.setEnabled(ready or draft_ok)
        self.setToolTip(why if not ready and draft_ok else
                        "" if ready else draft_why)

    def shortcut(self, *, preview: bool) -> None:
        """Ctrl+P / Ctrl+Shift+P: the 正式文件 when there is one, else the draft."""
        if self.act_print.isEnabled():
            self.start("official", preview=preview)
        elif self.act_print_draft.isEnabled():
            self.start("draft", preview=preview)
        elif self.view is not None:
            self.problem.emit(self.act_print.toolTip())

    # -- preparing and printing -----------------------------------------------------------

    def _key(self, kind: str) -> str:
        view = self.view
        if view is None:
            return ""
        if kind == "official":
            return view.official.sha256 if view.official else ""
        record = view.record
        return f"{record.get('body_rev') or ''}:{record.get('updated_at') or ''}"

    def start(self, kind: str, *, preview: bool) -> None:
        """Draw the pages on a worker (unless they are drawn already), then open the dialog."""
        view = self.view
        if view is None:
            return
        cached = self.sources.get(kind)
        if cached is not None and cached.key == self._key(kind):
            self._open(cached, preview=preview)
            return
        store, doc_id = self.session.store, view.id
        if kind == "official":
            if view.official is None:
                return
            attachment_id, sha = view.official.attachment_id, view.official.sha256

            def make(_c) -> print_source.PrintSource:
                return print_source.official_source(store, doc_id=doc_id,
                                                    attachment_id=attachment_id, sha256=sha)
        else:
            key = self._key("draft")

            def make(_c) -> print_source.PrintSource:
                return print_source.draft_source(store, doc_id=doc_id, key=key)

        def ready(source: print_source.PrintSource) -> None:
            self.sources[kind] = source
            self._open(source, preview=preview)

        run_op(self.window, make, success=ready,
               failure=lambda exc: self.problem.emit(error_text(exc)),
               label=_("正在准备打印…"), pool="net")

    def _open(self, source: print_source.PrintSource, *, preview: bool) -> None:
        if not source.pages:
            self.problem.emit(_("没有可打印的页面"))
            return
        if preview:
            self.preview_dialog = self.printer.preview_source(source)
            self.preview_dialog.open()
        else:
            self.printer.print_source(source)
