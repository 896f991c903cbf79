"""零跑动事项: the catalogue (search, categories), my requests with their timeline, requests
waiting for my approval with everything needed to decide, for a 印章管理员 the approved
证明 waiting to be sealed and issued, and the office statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oa_client.domain.catalogue import CATEGORIES, may_apply
from oa_client.domain.forms_values import localized
from oa_client.domain.request_outputs import SEAL_KEEPER, awaiting_seal, output_ready
from oa_client.errors import OAError
from oa_client.i18n import _
from oa_client.services import requests as rq
from oa_client.services import requests_stats as stats
from oa_client.services.account import takes_business
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.requests.detail import detail_html
from ui.requests.detail import esc as _e
from ui.requests.dialogs import FormDialog, PersonDialog
from ui.watermark import Watermark

_CATEGORY_IDS = (_("全部类别"), _("人事"), _("财务"), _("行政"), _("后勤"))
_TAB_IDS = (_("事项清单"), _("我的申请"), _("待我审批"), _("待出具证明"), _("办理统计"))
TABS = ("事项清单", "我的申请", "待我审批", "待出具证明", "办理统计")
#: the tabs by name (their index)
CATALOGUE_TAB, MINE_TAB, TODO_TAB, SEAL_TAB, STATS_TAB = range(len(TABS))
ROLE_IDS_WORDS = {"approve": "同意", "return": "退回修改", "reject": "不予批准"}


class RequestsPage(QWidget):
    """The requests module screen (built like RecordPage: title, views)."""

    def __init__(self, title: str, views: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.session = None
        self.entries: list[rq.CatalogueEntry] = []
        self.mine: list[dict] = []
        self.todo: list[dict] = []
        self.sealing: list[dict] = []  # approved, their sealed 证明 waiting for me (印章管理员)
        self.issued: set[str] = set()  # issued here; gone from `sealing` before the sync says so
        self.rows: list[stats.ItemStats] = []
        self.people: list[dict] = []
        self.units: list[str] = []
        self.current: dict | None = None
        self.acting: dict[str, str] = {}  # request id → whom I act for (委托)
        self.dialog: FormDialog | None = None
        self.wanted: str | None = None  # opened from 待办 before the lists were loaded
        self.loaded = False
        self.scope = _("本机可见的已提交申请")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self._build_catalogue()
        self._build_mine()
        self._build_approve()
        self._build_seal()
        self._build_stats()
        self.tabs.currentChanged.connect(lambda _i: self._show_current())
        self.retranslate()

    # -- building ----------------------------------------------------------------------------
    def _build_catalogue(self) -> None:
        page = QWidget()
        box = QVBoxLayout(page)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.category = QComboBox()
        self.category.addItem("", None)
        for c in CATEGORIES:
            self.category.addItem(c, c)
        row.addWidget(self.search, 1)
        row.addWidget(self.category)
        box.addLayout(row)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.item_list = QListWidget()
        self.item_info = QTextBrowser()
        split.addWidget(self.item_list)
        split.addWidget(self.item_info)
        split.setSizes([360, 520])
        box.addWidget(split, 1)
        self.apply_button = QPushButton()
        self.apply_button.setEnabled(False)
        box.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignRight)
        self.search.textChanged.connect(self._fill_catalogue)
        self.category.currentIndexChanged.connect(self._fill_catalogue)
        self.item_list.currentRowChanged.connect(self._item_chosen)
        self.item_list.itemActivated.connect(lambda _i: self.apply())
        self.apply_button.clicked.connect(self.apply)
        self.tabs.addTab(page, "")

    def _build_mine(self) -> None:
        page = QWidget()
        box = QVBoxLayout(page)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.mine_list = QListWidget()
        self.mine_detail = QTextBrowser()
        self.watermark = Watermark(self.mine_detail.viewport())
        self.splitter.addWidget(self.mine_list)
        self.splitter.addWidget(self.mine_detail)
        self.splitter.setSizes([380, 600])
        box.addWidget(self.splitter, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.edit_button, self.urge_button, self.withdraw_button = QPushButton(), QPushButton(), QPushButton()
        self.output_button = QPushButton()
        for b in (self.output_button, self.edit_button, self.urge_button, self.withdraw_button):
            row.addWidget(b)
            b.setEnabled(False)
        box.addLayout(row)
        self.mine_list.currentRowChanged.connect(lambda _r: self._show_current())
        self.edit_button.clicked.connect(self.edit_current)
        self.output_button.clicked.connect(lambda: self.save_output())
        self.urge_button.clicked.connect(lambda: self._act("urge"))
        self.withdraw_button.clicked.connect(lambda: self._act("withdraw"))
        self.tabs.addTab(page, "")

    def _build_approve(self) -> None:
        page = QWidget()
        box = QVBoxLayout(page)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.todo_list = QListWidget()
        right = QWidget()
        rbox = QVBoxLayout(right)
        rbox.setContentsMargins(0, 0, 0, 0)
        self.todo_detail = QTextBrowser()
        self.todo_watermark = Watermark(self.todo_detail.viewport())
        rbox.addWidget(self.todo_detail, 1)
        self.opinion = QPlainTextEdit()
        self.opinion.setFixedHeight(64)
        rbox.addWidget(self.opinion)
        row = QHBoxLayout()
        self.approve_button, self.return_button, self.reject_button = QPushButton(), QPushButton(), QPushButton()
        self.signer_button, self.reassign_button, self.delegate_button = QPushButton(), QPushButton(), QPushButton()
        for b in (self.approve_button, self.return_button, self.reject_button, self.signer_button,
                  self.reassign_button, self.delegate_button):
            row.addWidget(b)
            b.setEnabled(False)
        rbox.addLayout(row)
        split.addWidget(self.todo_list)
        split.addWidget(right)
        split.setSizes([340, 640])
        box.addWidget(split, 1)
        self.todo_list.currentRowChanged.connect(lambda _r: self._show_current())
        self.approve_button.clicked.connect(lambda: self._act("approve"))
        self.return_button.clicked.connect(lambda: self._act("return"))
        self.reject_button.clicked.connect(lambda: self._act("reject"))
        self.signer_button.clicked.connect(lambda: self._act("approve", pick=_("选择加签人")))
        self.reassign_button.clicked.connect(lambda: self._act("reassign", pick=_("转办给")))
        self.delegate_button.clicked.connect(lambda: self._act("delegate", pick=_("委托给（7天内代为审批）")))
        self.tabs.addTab(page, "")

    def _build_seal(self) -> None:
        page = QWidget()
        box = QVBoxLayout(page)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.seal_list = QListWidget()
        self.seal_detail = QTextBrowser()
        self.seal_watermark = Watermark(self.seal_detail.viewport())
        split.addWidget(self.seal_list)
        split.addWidget(self.seal_detail)
        split.setSizes([340, 640])
        box.addWidget(split, 1)
        row = QHBoxLayout()
        self.seal_note = QLabel()
        self.seal_note.setWordWrap(True)
        row.addWidget(self.seal_note, 1)
        self.issue_button = QPushButton()
        self.issue_button.setEnabled(False)
        row.addWidget(self.issue_button)
        box.addLayout(row)
        self.seal_list.currentRowChanged.connect(lambda _r: self._show_current())
        self.seal_list.itemActivated.connect(lambda _i: self.issue())
        self.issue_button.clicked.connect(self.issue)
        self.tabs.addTab(page, "")
        self.tabs.setTabVisible(SEAL_TAB, False)  # a 印章管理员's

    def _build_stats(self) -> None:
        page = QWidget()
        box = QVBoxLayout(page)
        self.stats_table = QTableWidget(0, len(stats.COLUMNS))
        self.stats_table.verticalHeader().hide()
        self.stats_table.horizontalHeader().setStretchLastSection(False)
        box.addWidget(self.stats_table, 1)
        row = QHBoxLayout()
        self.stats_note = QLabel()
        row.addWidget(self.stats_note, 1)
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self.export)
        row.addWidget(self.export_button)
        box.addLayout(row)
        self.tabs.addTab(page, "")

    # -- the module page contract --------------------------------------------------------------
    def retranslate(self) -> None:
        """Texts in the current language."""
        for i, name in enumerate(TABS):
            self.tabs.setTabText(i, _(name))
        self.search.setPlaceholderText(_("搜索事项，如：请假、报销、用车"))
        self.category.setItemText(0, _("全部类别"))
        for i, c in enumerate(CATEGORIES, start=1):
            self.category.setItemText(i, _(c))
        self.apply_button.setText(_("在线申请（Enter）"))
        self.edit_button.setText(_("修改 / 重新提交"))
        self.output_button.setText(_("下载盖章证明（PDF）…"))
        self.urge_button.setText(_("催办"))
        self.withdraw_button.setText(_("撤回"))
        self.opinion.setPlaceholderText(_("审批意见（退回、不予批准时必填）"))
        for b, text in ((self.approve_button, "同意"), (self.return_button, "退回修改"),
                        (self.reject_button, "不予批准")):
            b.setText(_(text))
        self.signer_button.setText(_("同意并加签…"))
        self.reassign_button.setText(_("转办…"))
        self.delegate_button.setText(_("委托…"))
        self.issue_button.setText(_("盖章并出具（Enter）"))
        self.seal_note.setText(_("申请已批准：核对申请内容后，由服务器排版证明并加盖本单位印章，申请人同步后即可下载。"))
        self.export_button.setText(_("导出 Excel…"))
        self.stats_table.setHorizontalHeaderLabels([_(c) for c in stats.COLUMNS])
        self._show_current()

    def set_session(self, session, watermark: str) -> None:
        """Show this session's catalogue and requests."""
        self.session = session
        self.watermark.set_text(watermark)
        self.todo_watermark.set_text(watermark)
        self.seal_watermark.set_text(watermark)
        self.refresh()

    def refresh(self) -> None:
        """Reload everything from the local store (after a sync or a change)."""
        if self.session is None:
            return
        store, me = self.session.store, self.session.user_id

        def load(_cancel) -> dict[str, Any]:
            roles = set(self.session.me.get("roles") or [])
            entries = [e for e in rq.catalogue(store) if may_apply(e.item, roles=roles)]
            requests = store.records.list("requests", limit=5000, order_by="updated_at DESC")
            people = [u for u in store.records.list("users", limit=5000) if u.get("name")]
            units = sorted({u.get("department") for u in people if u.get("department") and
                            u.get("unit_id") == self.session.unit_id} | {str(self.session.me.get("unit", {}).get("name", ""))} - {""})
            acted = {e.get("request_id") for e in store.records.list("request_events", limit=5000,
                                                                       where={"actor_id": me, "status": "pending"})
                     if e.get("action") in ("approve", "return", "reassign")}
            acting = {e.get("request_id"): e.get("actor_id")
                      for e in store.records.list("request_events", limit=5000, where={"action": "delegate"})
                      if e.get("to_user") == me and e.get("status") == "applied"}
            office = self._office_rows()
            pending = {e.get("request_id"): e for e in store.records.list(
                "request_events", limit=5000, where={"actor_id": me, "status": "pending"})
                if e.get("action") in ("start", "submit")}
            requests = [rq.with_pending(r, pending.get(r["id"])) for r in requests]
            return {
                "acting": acting,
                "stats": stats.statistics(store) if office is None else [],
                "entries": entries, "people": people, "units": units,
                "mine": [r for r in requests if r.get("applicant_id") == me],
                "sealing": [r for r in requests if awaiting_seal(r, user_id=me, roles=roles)],
                "keeper": SEAL_KEEPER in roles,
                "todo": [r for r in requests
                         if (me in (r.get("approver_ids") or []) or acting.get(r["id"]) in (r.get("approver_ids") or []))
                         and r.get("state") in ("submitted", "in_review") and r["id"] not in acted],
                "office": office,
            }

        run_op(self, load, success=self._loaded, failure=self._failed, priority=1)

    def _office_rows(self) -> list[stats.ItemStats] | None:
        """The unit's office view from the server (办公室主任, leaders); None offline or not allowed."""
        transport = getattr(self.session, "transport", None)
        roles = set(self.session.me.get("roles") or [])
        if transport is None or not roles & {"office_director", "principal_leader", "deputy_leader"}:
            return None
        try:
            data = transport.request("GET", "/requests/statistics").json()
        except OAError:
            return None
        return [stats.ItemStats.from_data(d) for d in data]

    def _loaded(self, data: dict[str, Any]) -> None:
        self.entries, self.people, self.units = data["entries"], data["people"], data["units"]
        self.mine, self.todo, self.acting = data["mine"], data["todo"], data["acting"]
        self.sealing = [r for r in data["sealing"] if r["id"] not in self.issued]
        self.tabs.setTabVisible(SEAL_TAB, data["keeper"] or bool(self.sealing))
        self.rows = data["office"] if data["office"] is not None else data["stats"]
        self.scope = _("本单位全部已提交申请（服务器统计）") if data["office"] is not None else _("本机可见的已提交申请")
        self._fill_catalogue()
        self._fill_list(self.mine_list, self.mine)
        self._fill_list(self.todo_list, self.todo)
        self._fill_list(self.seal_list, self.sealing)
        self._fill_stats()
        self.loaded = True
        if self.wanted is not None:
            self._select(self.wanted)
            self.wanted = None
        self._show_current()

    def _wrote(self) -> None:
        """A local change: reload, and let the sync carry it (the outbox keeps it when offline)."""
        self.refresh()
        sync = getattr(self.window(), "sync", None)
        if sync is not None:
            sync.refresh_counts()
            self._kick_sync(20)

    def _kick_sync(self, tries: int) -> None:
        """Sync now; when a sync is already running, try again once it is done."""
        sync = getattr(self.window(), "sync", None)
        if sync is None:
            return
        if getattr(sync, "running", False) and tries > 0:
            QTimer.singleShot(1000, self, lambda: self._kick_sync(tries - 1))  # dropped with the page
            return
        sync.sync_now()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(error_text(exc))

    def select_record(self, collection: str, record_id: str) -> None:
        """Show one request (from 待办 or search): in 待我审批 when it waits for me, in 待出具证明
        when its 证明 waits for my seal. One not listed yet (the screen still loading, or the
        record just synced) is shown once the lists are loaded again."""
        self.wanted = None if self._select(record_id) else record_id

    def _select(self, record_id: str) -> bool:
        for lst, recs, tab in ((self.todo_list, self.todo, TODO_TAB), (self.seal_list, self.sealing, SEAL_TAB),
                               (self.mine_list, self.mine, MINE_TAB)):
            for i, r in enumerate(recs):
                if r["id"] == record_id:
                    self.tabs.setCurrentIndex(tab)
                    lst.setCurrentRow(i)
                    return True
        return False

    # -- catalogue ---------------------------------------------------------------------------
    def _fill_catalogue(self) -> None:
        text, category = self.search.text(), self.category.currentData()
        needle = text.strip().lower()
        shown = [e for e in self.entries if (category is None or e.category == category)
                 and needle in f"{e.item.name} {e.item.en} {e.item.code} {e.item.description}".lower()]
        self.item_list.clear()
        for e in shown:
            item = QListWidgetItem(f"【{_(e.category)}】{e.item.title()}")
            item.setData(Qt.ItemDataRole.UserRole, e.record_id)
            self.item_list.addItem(item)
        if shown:
            self.item_list.setCurrentRow(0)
        else:
            self.item_info.setHtml(f"<p style='color:#777'>{_e(_('没有符合条件的事项'))}</p>")
        self.apply_button.setEnabled(bool(shown))

    def _entry(self) -> rq.CatalogueEntry | None:
        item = self.item_list.currentItem()
        rid = item.data(Qt.ItemDataRole.UserRole) if item else None
        return next((e for e in self.entries if e.record_id == rid), None)

    def _item_chosen(self, _row: int) -> None:
        entry = self._entry()
        if entry is None:
            return
        item = entry.item
        steps = []
        for el in item.flow.steps:
            when = _("（视情况）") if el.when is not None else ""
            steps.append(_e(localized(el.name, el.en)) + when)
        parts = [f"<h3>{_e(item.title())}</h3>",
                 f"<p>{_e(localized(item.description, item.description_en))}</p>",
                 f"<p><b>{_e(_('类别'))}</b>：{_e(_(item.category))}　<b>{_e(_('承诺时限'))}</b>："
                 f"{_e(_('{n}个工作日').format(n=item.promise_days))}</p>",
                 f"<p><b>{_e(_('审批流程'))}</b>：{' → '.join(steps)}</p>",
                 f"<p><b>{_e(_('需填写'))}</b>：{_e('、'.join(f.title() for f in item.form.fields if not f.prefill and f.compute is None))}</p>"]
        if item.output is not None:
            seal = _("，加盖{seal}").format(seal=item.output.seal) if item.output.sealed else ""
            parts.append(f"<p><b>{_e(_('办结后出具'))}</b>：{_e(item.output.name)}{_e(seal)}</p>")
        self.item_info.setHtml("".join(parts))

    def apply(self) -> None:
        """Start a request for the chosen item: a prefilled draft (on a worker), then its form."""
        entry = self._entry()
        if entry is None or self.session is None:
            return
        store, me = self.session.store, self.session.user_id
        self.dialog = None
        run_op(self, lambda _c: rq.new_draft(store, record_id=entry.record_id, user_id=me),
               success=lambda draft: self.open_form(entry, draft), failure=self._failed)

    def open_form(self, entry: rq.CatalogueEntry, request: dict[str, Any]) -> FormDialog:
        """The form of a request (new, draft or returned)."""
        store, me = self.session.store, self.session.user_id

        def save(values: dict[str, Any], submit: bool) -> None:
            def work(_cancel) -> str:
                stored = rq.attach_files(store, request["id"], entry.item, values)
                if request.get("state") in ("submitted", "in_review"):
                    rq.amend(store, request["id"], stored)
                    return _("修改已保存，服务器将重新计算审批流程并通知审批人。")
                if submit:
                    rq.submit(store, request["id"], user_id=me, values=stored)
                    return _("已提交，将在联网后送达审批人。")
                rq.save_draft(store, request["id"], stored)
                return _("草稿已保存。")

            run_op(self, work, success=lambda msg: (self.status.setText(msg), self._wrote()),
                   failure=self._failed)

        self.dialog = FormDialog(entry.item, request.get("form") or {}, people=self.people, units=self.units,
                                 on_save=save, parent=self,
                                 amending=request.get("state") in ("submitted", "in_review"))
        self.dialog.rejected.connect(lambda: run_op(self, lambda _c: rq.discard_unsaved(store, request["id"]),
                                                    success=lambda _dropped: None, failure=self._failed))
        self.dialog.show()
        return self.dialog

    # -- lists and details ---------------------------------------------------------------------
    def _fill_list(self, widget: QListWidget, recs: list[dict]) -> None:
        keep = widget.currentRow()
        old = widget.currentItem().data(Qt.ItemDataRole.UserRole) if widget.currentItem() else None
        ids = [r["id"] for r in recs]
        if old in ids:
            keep = ids.index(old)  # the same request stays selected when the order changes
        widget.blockSignals(True)
        widget.clear()
        for r in recs:
            state = _(rq.STATE_WORDS.get(str(r.get("state")), str(r.get("state") or "")))
            late = _("【超时】") if rq.overdue(r) else ""
            item = QListWidgetItem(f"{late}{r.get('title') or r.get('item_name', '')}　[{state}]\n{r.get('number') or ''}")
            item.setData(Qt.ItemDataRole.UserRole, r["id"])
            widget.addItem(item)
        if recs:
            widget.setCurrentRow(min(max(keep, 0), len(recs) - 1))
        widget.blockSignals(False)

    def _selected(self) -> dict | None:
        tab = self.tabs.currentIndex()
        for at, widget, recs in ((MINE_TAB, self.mine_list, self.mine), (TODO_TAB, self.todo_list, self.todo),
                                 (SEAL_TAB, self.seal_list, self.sealing)):
            if tab == at and 0 <= widget.currentRow() < len(recs):
                return recs[widget.currentRow()]
        return None

    def _show_current(self) -> None:
        if self.session is None:
            return
        rec = self._selected()
        self.current = rec
        tab = self.tabs.currentIndex()
        for b in (self.output_button, self.edit_button, self.urge_button, self.withdraw_button, self.approve_button,
                  self.return_button, self.reject_button, self.signer_button, self.reassign_button,
                  self.delegate_button, self.issue_button):
            b.setEnabled(False)
        details = {MINE_TAB: self.mine_detail, TODO_TAB: self.todo_detail, SEAL_TAB: self.seal_detail}
        if rec is None:
            if tab in details:
                empty = {MINE_TAB: (self.mine, _("您还没有申请。在“事项清单”中选择事项，即可在线申请。")),
                         TODO_TAB: (self.todo, _("没有待您审批的申请。")),
                         SEAL_TAB: (self.sealing, _("没有待出具的证明。"))}[tab]
                hint = empty[1] if not empty[0] else _("在左侧列表中选择一项申请。")
                details[tab].setHtml(f"<p style='color:#777'>{_e(hint)}</p>")
            return
        store = self.session.store
        rid = rec["id"]

        def load(_cancel) -> str:
            return self.detail_html(store, rid)

        def shown(html: str) -> None:  # an earlier choice's page arriving late is dropped
            if self.current is not None and self.current.get("id") == rid and self.tabs.currentIndex() == tab:
                details[tab].setHtml(html)

        run_op(self, load, success=shown, failure=self._failed)
        if tab == MINE_TAB:
            state = rec.get("state")
            self.edit_button.setEnabled(state in ("draft", "returned", "submitted", "in_review"))
            self.urge_button.setEnabled(rq.overdue(rec))
            self.withdraw_button.setEnabled(state in ("submitted",))
            self.output_button.setEnabled(output_ready(rec) and self.session.transport is not None)
        elif tab == SEAL_TAB:
            self.issue_button.setEnabled(self.session.transport is not None)
        else:
            for b in (self.approve_button, self.return_button, self.reject_button, self.signer_button,
                      self.reassign_button, self.delegate_button):
                b.setEnabled(True)

    def detail_html(self, store, request_id: str) -> str:
        """Everything about one request (runs on a worker)."""
        return detail_html(store, request_id)

    # -- actions -------------------------------------------------------------------------------
    def edit_current(self) -> FormDialog | None:
        """Change a draft or a returned request and submit it again."""
        rec = self.current
        if rec is None:
            return None
        entry = next((e for e in self.entries if e.record_id == rec.get("service_item_id")), None)
        if entry is None:
            self.status.setText(_("找不到该申请的事项，请先同步事项清单"))
            return None
        return self.open_form(entry, rec)

    def _act(self, action: str, *, pick: str | None = None) -> None:
        rec = self.current
        if rec is None or self.session is None:
            return
        store, me = self.session.store, self.session.user_id
        target = None
        if pick is not None:
            applicant = rec.get("applicant_id") or rec.get("created_by")  # never approves it
            people = [p for p in self.people if takes_business(p) and p["id"] != applicant]
            dialog = PersonDialog(pick, people, exclude=me, parent=self)
            if not dialog.exec():
                return
            target = dialog.chosen()
        opinion = self.opinion.toPlainText()
        if action == "approve" and not opinion.strip():
            opinion = _("同意。")

        principal = None if me in (rec.get("approver_ids") or []) else self.acting.get(rec["id"])

        def work(_cancel) -> None:
            rq.act(store, rec["id"], user_id=me, action=action, opinion=opinion, on_behalf_of=principal,
                   add_signer=target if action == "approve" else None,
                   to_user=target if action in ("reassign", "delegate") else None)

        def done(_result: Any) -> None:
            self.opinion.clear()
            self.status.setText(_("已办理，将在联网后送达。"))
            self._wrote()

        run_op(self, work, success=done, failure=self._failed)

    def save_output(self, path: str | None = None) -> None:
        """Fetch the approved request's output (sealed by the server) and save the PDF."""
        rec, transport = self.current, getattr(self.session, "transport", None)
        if rec is None or transport is None or not rec.get("outputs"):
            return
        output = rec["outputs"][0]
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(
                self, _("保存证明"), f"{output.get('name')}（{output.get('number')}）.pdf", "PDF (*.pdf)")
            if not path:
                return

        def work(_cancel) -> str:
            done = transport.request("POST", f"/requests/{rec['id']}/output").json()
            Path(path).write_bytes(transport.download(done["sha256"]))
            return path

        run_op(self, work, success=lambda p: self.status.setText(_("已保存：{path}").format(path=p)),
               failure=self._failed, pool="net", label=_("正在出具并下载证明…"))

    def issue(self) -> None:
        """出具: the server lays out the approved request's 证明 and presses the unit's seal (the
        one the item names); the applicant downloads it after the next sync."""
        rec, transport = self.current, getattr(self.session, "transport", None)
        if rec is None or transport is None or self.tabs.currentIndex() != SEAL_TAB:
            return
        self.issue_button.setEnabled(False)

        def work(_cancel) -> dict[str, Any]:
            return transport.request("POST", f"/requests/{rec['id']}/output").json()

        def done(out: dict[str, Any]) -> None:
            self.issued.add(rec["id"])
            self.sealing = [r for r in self.sealing if r["id"] != rec["id"]]
            self._fill_list(self.seal_list, self.sealing)
            self._show_current()
            self.status.setText(_("已盖章出具{name}（{number}），申请人同步后即可下载。").format(
                name=out.get("name") or "", number=out.get("number") or ""))
            self._wrote()

        def failed(exc: BaseException) -> None:
            self._failed(exc)
            self._show_current()

        run_op(self, work, success=done, failure=failed, pool="net", label=_("正在排版并加盖印章…"))

    # -- statistics ------------------------------------------------------------------------------
    def _fill_stats(self) -> None:
        self.stats_table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, value in enumerate(row.row()):
                cell = QTableWidgetItem(str(value))
                if c:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.stats_table.setItem(r, c, cell)
        self.stats_table.resizeColumnsToContents()
        self.stats_table.setColumnWidth(0, max(self.stats_table.columnWidth(0), 220))
        self.stats_note.setText(_("统计范围：{scope}，截至 {time}").format(
            scope=self.scope, time=datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M")))

    def export(self, path: str | None = None) -> None:
        """Save the statistics as an .xlsx workbook (on a worker)."""
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(self, _("导出办理统计"), _("事项办理统计.xlsx"),
                                                        "Excel (*.xlsx)")
            if not path:
                return
        rows = list(self.rows)
        run_op(self, lambda _c: stats.export_xlsx(rows, Path(path)),
               success=lambda p: self.status.setText(_("已导出：{path}").format(path=p)), failure=self._failed)

    def screenshots(self, shot, window, wait) -> None:
        """The module's screens for `python -m ui.screenshots`."""
        from ui.requests.shots import drive

        drive(self, shot, window, wait)
