"""The 公文 screen: boxes 待办 / 在办 / 已办 / 草稿 / 收文 / 发文 / 待阅 with filters, a preview,
and the document window, compose form and 委托 dialog opened from it."""

from __future__ import annotations

import html
import itertools
from typing import TYPE_CHECKING, Any

from oa_client.domain.doc_kinds import URGENCY_ALLOWED, DocKind
from oa_client.i18n import _
from oa_client.services import documents_boxes as boxes
from ui.documents import data
from ui.documents.dialogs import PersonDialog
from ui.documents.list_model import COLUMNS, WIDTHS, DocListModel, summary_html
from ui.errors import error_text
from ui.lazy_model import BATCH, lazy_table
from ui.ops import run_op
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QEvent,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QPushButton,
    QShortcut,
    QSplitter,
    Qt,
    QTabBar,
    QTextBrowser,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.reload_on_show import ReloadOnShow
from ui.watermark import Watermark

if TYPE_CHECKING:  # imported where they open: the list shows without them
    from ui.documents.compose import ComposeWindow
    from ui.documents.window import DocumentWindow


class DocumentsPage(ReloadOnShow, QWidget):
    """公文: lists with filters and a preview; Enter opens the document window."""

    loaded = Signal(int)  # rows in the list
    first_page = Signal()  # the first rows are on screen
    opened = Signal(object)  # a DocumentWindow was shown
    wrote = Signal(str)  # a document was changed locally

    def __init__(self, title: str, views: list | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.views = title, views or []
        self.session = None
        self.box = "todo"
        self.current: dict | None = None
        self.select_after_load: str | None = None
        self.widths_set = False
        self.windows: dict[str, DocumentWindow] = {}
        self.compose_window: ComposeWindow | None = None
        self.generation = 0
        self.counts: dict[str, int] = {}
        self.counts_dirty = True
        self.watched: QWidget | None = None  # the main window's content (hidden while locked)
        self.hidden_windows: list[QWidget] = []
        self.first_shown = 0  # generation whose first page is on screen
        self.shown_generation = 0  # generation whose whole id list is on screen
        self._build()
        self.retranslate()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight:bold")
        top.addWidget(self.heading)
        self.tabs = QTabBar()
        for _box, _label in data.BOXES:
            self.tabs.addTab("")
        self.tabs.currentChanged.connect(self._box_changed)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setExpanding(False)
        top.addWidget(self.tabs, 1)
        self.count_label = QLabel()
        top.addWidget(self.count_label)
        self.new_button = QPushButton()
        self.new_button.clicked.connect(self.compose)
        self.delegate_button = QPushButton()
        self.delegate_button.clicked.connect(self.standing_delegation)
        top.addWidget(self.new_button)
        top.addWidget(self.delegate_button)
        layout.addLayout(top)
        bar = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.addItem("", "")
        for k in DocKind:
            self.kind.addItem(k.value, k.value)
        self.urgency = QComboBox()
        self.urgency.addItem("", "")
        for u in URGENCY_ALLOWED:
            self.urgency.addItem(u, u)
        self.use_dates = QCheckBox()
        today = QDate.currentDate()
        self.since = QDateEdit(today.addMonths(-1))
        self.until = QDateEdit(today)
        self.to_label = QLabel("—")
        for d in (self.since, self.until, self.to_label):
            if isinstance(d, QDateEdit):
                d.setCalendarPopup(True)
                d.setDisplayFormat("yyyy-MM-dd")
            d.setEnabled(False)
            d.setVisible(False)  # shown with 日期: a narrow window keeps room for the list
            self.use_dates.toggled.connect(d.setEnabled)
            self.use_dates.toggled.connect(d.setVisible)
        self.text = QLineEdit()
        self.text.setClearButtonEnabled(True)
        self.clear_button = QPushButton()
        self.clear_button.clicked.connect(self.clear_filters)
        self.kind_label, self.urgency_label = QLabel(), QLabel()
        self.kind_label.setBuddy(self.kind)
        self.urgency_label.setBuddy(self.urgency)
        for combo in (self.kind, self.urgency):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        self.text.setMinimumWidth(90)
        for w in (self.kind_label, self.kind, self.urgency_label, self.urgency, self.use_dates,
                  self.since, self.to_label, self.until):
            bar.addWidget(w)
        bar.addWidget(self.text, 1)
        bar.addWidget(self.clear_button)
        layout.addLayout(bar)
        self.offline_note = QLabel()
        self.offline_note.setWordWrap(True)
        self.offline_note.setStyleSheet("background:#fff6cc;color:#6b5400;padding:3px")
        self.offline_note.hide()
        layout.addWidget(self.offline_note)
        self.filter_timer = QTimer(self)
        self.filter_timer.setSingleShot(True)
        self.filter_timer.setInterval(250)
        self.filter_timer.timeout.connect(self.reload)
        for signal in (self.kind.currentIndexChanged, self.urgency.currentIndexChanged,
                       self.use_dates.toggled, self.since.dateChanged, self.until.dateChanged,
                       self.text.textChanged):
            signal.connect(lambda *_a: self.filter_timer.start())
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.model = DocListModel(list(COLUMNS), self)
        self.model.block_loaded.connect(self._block_loaded)
        self.table = lazy_table(self.model)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(lambda _i: self.open_current())
        self.table.activated.connect(lambda _i: self.open_current())
        self.splitter.addWidget(self.table)
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(lambda _u: self.open_current())
        self.watermark = Watermark(self.detail.viewport())
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.splitter, 1)
        QShortcut(QKeySequence("Ctrl+N"), self, self.compose)
        QShortcut(QKeySequence("Ctrl+L"), self, self._focus_filter)
        QShortcut(QKeySequence("Return"), self.table, self.open_current)
        for i in range(len(data.BOXES)):
            QShortcut(QKeySequence(f"Alt+{i + 1}"), self, lambda i=i: self.tabs.setCurrentIndex(i))
        order = [self.tabs, self.new_button, self.delegate_button, self.kind, self.urgency,
                 self.use_dates, self.since, self.until, self.text, self.clear_button, self.table,
                 self.detail]
        for a, b in itertools.pairwise(order):
            QWidget.setTabOrder(a, b)

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.heading.setText(_(self.title))
        self._tab_texts()
        self.new_button.setText(_("新建发文 (Ctrl+N)"))
        self.delegate_button.setText(_("委托…"))
        self.delegate_button.setToolTip(_("外出期间委托他人代为办理公文"))
        self.kind.setItemText(0, _("全部文种"))
        self.urgency.setItemText(0, _("全部紧急程度"))
        self.kind_label.setText(_("文种(&K)"))
        self.urgency_label.setText(_("紧急(&U)"))
        self.use_dates.setText(_("日期"))
        self.text.setPlaceholderText(_("标题或文号（Ctrl+L）"))
        self.clear_button.setText(_("清除筛选"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        for w in self.windows.values():
            w.receipts.retranslate()
        if self.current is None:
            self.detail.setHtml(self._hint())
        else:
            self.detail.setHtml(self.detail_html(self.current))

    def _tab_texts(self) -> None:
        for i, (box, label) in enumerate(data.BOXES):
            n = self.counts.get(box)
            self.tabs.setTabText(i, f"{_(label)} ({n})" if n else _(label))

    def _hint(self) -> str:
        return "<p style='color:#777'>" + html.escape(
            _("选择一件公文查看摘要，按 Enter 或双击打开公文。")) + "</p>"

    def _focus_filter(self) -> None:
        self.text.setFocus()
        self.text.selectAll()

    # -- session and loading --------------------------------------------------------------

    def set_session(self, session, watermark: str) -> None:
        """Show this session's documents."""
        self.session = session
        self.counts_dirty = True
        self.watermark.set_text(watermark)
        for w in self.windows.values():
            w.watermark.set_text(watermark)
        self.mark_dirty(self.reload)

    def showEvent(self, event) -> None:
        """Follow the lock, then load if the lists changed while hidden."""
        self._watch_lock()
        super().showEvent(event)

    def reload_on_show(self) -> None:
        """Reload keeping the selected document."""
        self.reload(select=self.current["id"] if self.current else None)

    def _watch_lock(self) -> None:
        """Follow the main window's content: when it hides (lock), the 公文 windows hide too."""
        central = getattr(self.window(), "centralWidget", lambda: None)()
        if central is not None and central is not self.watched:
            central.installEventFilter(self)
            self.watched = central

    def eventFilter(self, obj, event) -> bool:
        """Lock hides the open document and compose windows; unlock shows them again."""
        if obj is self.watched and event.type() == QEvent.Type.Hide:
            self.hidden_windows = [w for w in self._open_windows() if w.isVisible()]
            for w in self.hidden_windows:
                w.hide()
        elif obj is self.watched and event.type() == QEvent.Type.Show:
            for w in self.hidden_windows:
                w.show()
            self.hidden_windows = []
        return False

    def _open_windows(self) -> list[QWidget]:
        return [*self.windows.values(), *([self.compose_window] if self.compose_window else [])]

    def refresh(self) -> None:
        """Data changed (a sync): reload the list when shown, and every open document."""
        self.counts_dirty = True
        super().refresh()
        for w in list(self.windows.values()):
            if w.isVisible():
                w.reload()

    def filters(self) -> data.Filters:
        """The filter bar as it stands."""
        since = self.since.date().toPython() if self.use_dates.isChecked() else None
        until = self.until.date().toPython() if self.use_dates.isChecked() else None
        return data.Filters(kind=self.kind.currentData() or "", urgency=self.urgency.currentData() or "",
                            since=since, until=until, text=self.text.text().strip())

    def clear_filters(self) -> None:
        """Show the whole box again."""
        self.clear_filters_quietly()
        self.reload()

    def _box_changed(self, index: int) -> None:
        self.box = data.BOXES[index][0]
        self.current = None
        self.reload()

    def reload(self, select: str | None = None) -> None:
        """Read the box's ids under the filters (database worker) and show them."""
        if self.session is None:
            return
        self.filter_timer.stop()
        offline = self.is_offline()
        self.offline_note.setVisible(offline)
        self.offline_note.setText(_("当前离线：可以拟稿、办理和签批，联网后自动同步；编号、用印需服务器完成，"
                                    "已排队等待；外单位来文在联网后送达。") if offline else "")
        store, me, box, f = self.session.store, self.session.me, self.box, self.filters()
        self.dirty = False
        self.generation += 1
        generation = self.generation
        self.select_after_load = select
        if box in data.BIG_BOXES:  # the first page at once, then every id for the rest
            run_op(self, lambda _c: data.box_first_page(store, me, box, f, BATCH),
                   success=lambda out: self._first_loaded(generation, out),
                   failure=self._read_failed, priority=10)
        run_op(self, lambda _c: data.box_ids(store, me, box, f),
               success=lambda out: self._ids_loaded(generation, out), failure=self._read_failed,
               priority=9)
        if self.counts_dirty:  # 待办 / 待阅 counts: after a sync or a change, not per filter
            self.counts_dirty = False
            run_op(self, lambda _c: data.box_counts(store, me), success=self._counted,
                   failure=lambda _e: None)

    def _counted(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._tab_texts()

    def _read_failed(self, exc: BaseException) -> None:
        self.detail.setHtml("<p style='color:#b00000'>" + html.escape(error_text(exc)) + "</p>")

    def _first_loaded(self, generation: int, out: tuple[list[str], dict[str, dict]]) -> None:
        if generation != self.generation or self.shown_generation == generation:
            return
        ids, known = out
        store = self.session.store
        self.model.set_ids(ids, lambda batch: data.fetch(store, batch), self.session.names,
                           first=known)
        self.first_shown = generation
        self._set_widths_once()

    def _set_widths_once(self) -> None:
        if not self.widths_set:
            self.widths_set = True
            self._set_widths()

    def _ids_loaded(self, generation: int, out: tuple[list[str], dict[str, dict]]) -> None:
        if generation != self.generation:
            return
        ids, known = out
        store = self.session.store
        self.shown_generation = generation
        if self.first_shown == generation:
            self.model.extend(ids)  # the first page is on screen: add the rest below it
            if ids and self.model.record(0) is None:
                self.model.load_block(0)
        else:
            first = {i: known[i] for i in ids[:BATCH] if i in known} if known else None
            if first is not None and len(first) < min(len(ids), BATCH):
                first = None
            self.model.set_ids(ids, lambda batch: data.fetch(store, batch), self.session.names,
                               first=first)
            if first is None and ids:
                self.model.load_block(0)
            elif not ids:
                self.first_page.emit()
        self._set_widths_once()
        self.count_label.setText(_("共 {n} 件").format(n=len(ids)))
        if self.select_after_load:
            row = self.model.row_of(self.select_after_load)
            if row >= 0:
                self.model.load_block(row // BATCH)
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
        if self.current is None:
            empty = _("没有符合条件的公文。") if self.filters().active() else _("此列表暂无公文。")
            self.detail.setHtml(self._hint() if ids else
                                "<p style='color:#777'>" + html.escape(empty) + "</p>")
        self.loaded.emit(len(ids))

    def _set_widths(self) -> None:
        self.table.setColumnWidth(0, max(380, self.table.width() // 2 - 40))
        for c, key in enumerate(COLUMNS[1:], start=1):
            self.table.setColumnWidth(c, WIDTHS.get(key, 100))

    def _block_loaded(self, block: int) -> None:
        if block == 0:
            self.first_page.emit()
        current = self.table.currentIndex()
        if current.isValid() and current.row() // BATCH == block and self.current is None:
            self._row_changed(current, None)

    def _row_changed(self, current, _previous) -> None:
        rec = self.model.record(current.row()) if current.isValid() else None
        self.current = rec
        if rec is not None:
            self.detail.setHtml(self.detail_html(rec))

    def detail_html(self, rec: dict) -> str:
        """A short summary of a document (the preview under the list)."""
        return summary_html(rec, self.session.names if self.session else {})

    # -- selecting and opening ------------------------------------------------------------

    def select_record(self, collection: str, record_id: str) -> None:
        """Show `record_id` in the box where it belongs (待办 when I must act on it)."""
        if self.session is None or collection != "documents":
            return
        store, user_id = self.session.store, self.session.user_id

        def go(box: str) -> None:
            index = [b for b, _l in data.BOXES].index(box)
            self.tabs.blockSignals(True)
            self.tabs.setCurrentIndex(index)
            self.tabs.blockSignals(False)
            self.box = box
            self.current = None
            self.clear_filters_quietly()
            self.reload(select=record_id)

        run_op(self, lambda _c: data.box_of(store, user_id, record_id), success=go,
               failure=self._read_failed)

    def clear_filters_quietly(self) -> None:
        """Clear the filters without reloading (the caller reloads)."""
        for w in (self.kind, self.urgency, self.use_dates, self.text):
            w.blockSignals(True)
        self.kind.setCurrentIndex(0)
        self.urgency.setCurrentIndex(0)
        self.use_dates.setChecked(False)
        self.text.clear()
        for w in (self.kind, self.urgency, self.use_dates, self.text):
            w.blockSignals(False)
        for w in (self.since, self.to_label, self.until):
            w.setEnabled(False)
            w.setVisible(False)

    def open_current(self) -> None:
        """Open the selected document in its window."""
        if self.current is not None:
            self.open_document(self.current["id"])

    def open_document(self, doc_id: str) -> DocumentWindow:
        """The window of a document (one per document), shown and loading."""
        from ui.documents.window import DocumentWindow

        w = self.windows.get(doc_id)
        if w is None:
            w = DocumentWindow(self.session, doc_id, offline=self.is_offline, parent=self)
            w.watermark.set_text(self.watermark.text)
            w.changed.connect(self._wrote)
            w.edit_requested.connect(self.edit_draft)
            # kept (hidden) when closed and shown again when reopened: a window deleted while
            # its read is still on the worker would leave the reply nowhere to go
            self.windows[doc_id] = w
        w.show()
        w.raise_()
        w.activateWindow()
        w.reload()
        self.opened.emit(w)
        return w

    def is_offline(self) -> bool:
        """True when there is no server connection (actions that need it queue)."""
        if self.session is None or self.session.transport is None:
            return True
        sync = getattr(self.window(), "sync", None)
        return sync is not None and getattr(sync, "state", "") in ("offline", "auth")

    def _wrote(self, doc_id: str) -> None:
        """A local change: the list, counts and the sync all hear of it."""
        self.wrote.emit(doc_id)
        self.refresh()
        sync = getattr(self.window(), "sync", None)
        if sync is not None:
            sync.refresh_counts()
            self._push_soon()

    def _push_soon(self) -> None:
        """Sync now; when a sync is already running, once it has finished (it may have
        missed this change)."""
        sync = getattr(self.window(), "sync", None)
        if sync is None:
            return
        if sync.running:
            QTimer.singleShot(300, self._push_soon)
        else:
            sync.sync_now()

    # -- compose and delegation -----------------------------------------------------------

    def compose(self) -> ComposeWindow | None:
        """Open the compose form for a new 发文."""
        if self.session is None:
            return None
        if self.compose_window is None:
            from ui.documents.compose import ComposeWindow

            self.compose_window = ComposeWindow(self)
            self.compose_window.form.save_requested.connect(lambda v: self._save_draft(v, False))
            self.compose_window.form.submit_requested.connect(lambda v: self._save_draft(v, True))
            store, me = self.session.store, self.session.me
            run_op(self, lambda _c: data.compose_choices(store, me),
                   success=self._compose_choices)
        self.compose_window.show()
        self.compose_window.raise_()
        return self.compose_window

    def _compose_choices(self, choices: tuple[list[str], list]) -> None:
        if self.compose_window is not None:
            units, departments = choices
            self.compose_window.form.set_units(units, self.session.unit_name)
            self.compose_window.form.set_departments(departments)

    def edit_draft(self, doc_id: str) -> None:
        """The compose form on an existing draft (its elements, then 保存 / 送核稿)."""
        store = self.session.store

        def show(values: dict[str, Any]) -> None:
            window = self.compose()
            if window is not None:
                window.form.load(values)
                window.form.doc_id = doc_id
                window.form.heading.setText(_("修改草稿"))

        run_op(self, lambda _c: data.draft_values(store, doc_id), success=show,
               failure=self._read_failed)

    def _save_draft(self, values: dict[str, Any], submit: bool) -> None:
        store, me = self.session.store, self.session.me
        form = self.compose_window.form if self.compose_window else None
        doc_id = getattr(form, "doc_id", None)
        run_op(self, lambda _c: data.save_draft(store, me, values, submit=submit, doc_id=doc_id),
               success=lambda d: self._draft_saved(d, submit),
               failure=form.show_problem if form else None, label=_("正在保存…"))

    def _draft_saved(self, doc_id: str, submit: bool) -> None:
        if self.compose_window is not None:
            self.compose_window.form.doc_id = None if submit else doc_id
            for a in self.compose_window.form.attachment_files:
                a["data"] = None  # attached now: saving again does not attach it twice
            if submit:
                self.compose_window.close()
                self.compose_window.deleteLater()
                self.compose_window = None
            else:
                self.compose_window.form.problem.setStyleSheet("color:#0a6b22")
                self.compose_window.form.problem.setText(_("草稿已保存（离线也可保存，联网后同步）"))
        self._wrote(doc_id)

    def standing_delegation(self) -> None:
        """委托: let a colleague act for me on every 公文 for a date range."""
        if self.session is None:
            return
        store, me = self.session.store, self.session.me

        def chosen(people: list[tuple[str, str]]) -> None:
            dialog = PersonDialog(_("委托"), people, self, with_dates=True,
                                  note=_("委托期间，受委托人可代您办理全部公文，办理记录标注“代”。"))
            if not dialog.exec():
                return
            start, end = dialog.dates()
            person = dialog.person()
            run_op(self, lambda _c: boxes.delegate(store, me=me, delegate_id=person, start=start,
                                                   end=end),
                   success=lambda _ch: self._wrote(""))

        run_op(self, lambda _c: data.people(store, me), success=chosen)

    # -- screenshots ----------------------------------------------------------------------

    def screenshots(self, shot, window, wait) -> None:
        """The document screens for `python -m ui.screenshots`."""
        from ui.documents.shots import drive

        drive(self, shot, window, wait)
