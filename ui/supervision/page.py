"""The 督办 screen: my unit's tasks / what I ordered / the 督查室 board, with light colours,
counts per light and filters; the task's detail with its progress timeline; dialogs for
progress, extension, 销号 and decisions; the monthly 通报."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from oa_client.domain.supervision import (
    CREATOR_ROLES,
    SUPERVISOR_ROLE,
    decides_extension,
    state_label,
)
from oa_client.domain.workdays import Light, light_label
from oa_client.i18n import _
from oa_client.services import supervision as sup
from oa_client.services import supervision_views as views
from ui.ops import run_op
from ui.qt import (
    QAbstractItemView,
    QColor,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QIcon,
    QKeySequence,
    QLabel,
    QLineEdit,
    QPainter,
    QPixmap,
    QPushButton,
    QShortcut,
    QSplitter,
    Qt,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.reload_on_show import ReloadOnShow
from ui.supervision.actions import SupervisionActions
from ui.watermark import Watermark

TABS = (("mine", "本单位事项"), ("ordered", "我交办的"), ("board", "督查室总览"))
_TAB_IDS = (_("本单位事项"), _("我交办的"), _("督查室总览"))
COLOURS = {"green": "#1e8e3e", "yellow": "#d49b00", "red": "#c5221f", None: "#8a8a8a"}
HEADERS = ("状态灯", "督办事项", "牵头单位", "办结期限", "状态", "提醒")
_HEADER_IDS = (_("状态灯"), _("督办事项"), _("牵头单位"), _("办结期限"), _("状态"), _("提醒"))


_LAMPS: dict[str | None, QIcon] = {}


def lamp_icon(light: str | None) -> QIcon:
    """A round lamp in the light's colour."""
    if light not in _LAMPS:
        pix = QPixmap(14, 14)
        pix.fill(QColor(0, 0, 0, 0))
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor(COLOURS[light]))
        painter.setPen(QColor(COLOURS[light]).darker(130))
        painter.drawEllipse(1, 1, 12, 12)
        painter.end()
        icon = QIcon(pix)
        icon.addPixmap(pix, QIcon.Mode.Selected)  # not blended into the selection colour
        _LAMPS[light] = icon
    return _LAMPS[light]


def load(store, *, view: str, user_id: str, unit_id: str, today: date, light: str | None,
         lead: str | None, text: str, task_id: str | None) -> dict[str, Any]:
    """Worker side: the board, names, and the selected task with its timeline."""
    units = [(r["id"], r.get("name", "")) for r in store.records.list("units", limit=5000,
                                                                       order_by="name")]
    users = store.records.list("users", limit=5000, order_by="name")
    names = {r["id"]: r.get("name", "") for r in users}
    names.update(units)
    unit_names = dict(units)
    people = [{"id": r["id"], "name": r.get("name", ""), "unit_id": r.get("unit_id"),
               "unit_name": unit_names.get(r.get("unit_id") or "", ""),
               "roles": r.get("roles") or []} for r in users]
    warn = views.warn_days(store)
    documents = [{"id": d["id"], "title": d.get("title") or "", "doc_number": d.get("doc_number")}
                 for d in store.records.list("documents", limit=200, order_by="updated_at DESC")]
    board = views.board(store, view=view, user_id=user_id, unit_id=unit_id, today=today,
                        light=light, lead_unit_id=lead, text=text, warn=warn)
    leads = sorted({r.lead_unit_id for r in board.rows})
    out: dict[str, Any] = {"board": board, "names": names, "leads": leads, "task": None,
                           "timeline": [], "units": units, "people": people, "warn_days": warn,
                           "documents": documents}
    if task_id:
        try:
            out["task"] = store.records.get(sup.COLLECTION, task_id)
            out["timeline"] = views.timeline(store, task_id)
        except Exception:  # noqa: S110 (gone meanwhile: the list no longer shows it either)
            pass
    return out


class SupervisionPage(SupervisionActions, ReloadOnShow, QWidget):
    """督办: board with lights and counts, task detail, progress and request dialogs."""

    loaded = Signal()
    wrote = Signal(str)

    def __init__(self, title: str, views_: list | None = None, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.title, self.views = title, views_ or []
        self.session = None
        self.view = "mine"
        self.current_id: str | None = None
        self.task: dict | None = None
        self.result: dict[str, Any] = {}
        self.today_override: date | None = None
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
        for _v, _label in TABS:
            self.tabs.addTab("")
        self.tabs.currentChanged.connect(self._tab_changed)
        top.addWidget(self.tabs)
        top.addStretch(1)
        self.report_button, self.extend_button = QPushButton(), QPushButton()
        self.close_button, self.decide_button = QPushButton(), QPushButton()
        self.bulletin_button, self.new_button = QPushButton(), QPushButton()
        self.calendar_button = QPushButton()
        for b, slot in ((self.new_button, self.new_task),
                        (self.report_button, self.report_progress),
                        (self.extend_button, self.request_extension),
                        (self.close_button, self.request_close),
                        (self.decide_button, self.decide),
                        (self.bulletin_button, self.open_bulletin),
                        (self.calendar_button, self.open_calendar)):
            b.clicked.connect(slot)
            top.addWidget(b)
        layout.addLayout(top)
        bar = QHBoxLayout()
        self.light = QComboBox()
        self.lead = QComboBox()
        self.text = QLineEdit()
        self.text.setClearButtonEnabled(True)
        self.light_label, self.lead_label = QLabel(), QLabel()
        self.light_label.setBuddy(self.light)
        self.lead_label.setBuddy(self.lead)
        for w in (self.light_label, self.light, self.lead_label, self.lead):
            bar.addWidget(w)
        bar.addWidget(self.text, 1)
        self.counts = QLabel()
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        bar.addWidget(self.counts)
        layout.addLayout(bar)
        self.filter_timer = QTimer(self)
        self.filter_timer.setSingleShot(True)
        self.filter_timer.setInterval(250)
        self.filter_timer.timeout.connect(self.reload)
        self.light.currentIndexChanged.connect(lambda *_a: self.filter_timer.start())
        self.lead.activated.connect(lambda *_a: self.filter_timer.start())
        self.text.textChanged.connect(lambda *_a: self.filter_timer.start())
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 120), (2, 170), (3, 100), (4, 110), (5, 210)):
            self.table.setColumnWidth(col, width)
        self.table.itemSelectionChanged.connect(self._selected)
        self.splitter.addWidget(self.table)
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(lambda url: self.save_attachment(url.path()))
        self.watermark = Watermark(self.detail.viewport())
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.splitter, 1)
        QShortcut(QKeySequence("Ctrl+P"), self, self.report_progress)
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_task)
        QShortcut(QKeySequence("Ctrl+L"), self, self.text.setFocus)

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.heading.setText(_("督查督办"))
        for i, (_v, label) in enumerate(TABS):
            self.tabs.setTabText(i, _(label))
        self.new_button.setText(_("立项(&N)"))
        self.calendar_button.setText(_("节假日安排(&H)"))
        self.report_button.setText(_("报送进展(&P)"))
        self.extend_button.setText(_("申请延期(&E)"))
        self.close_button.setText(_("申请销号(&X)"))
        self.decide_button.setText(_("审批(&A)"))
        self.bulletin_button.setText(_("督办通报(&B)"))
        self.light_label.setText(_("状态灯(&G)"))
        self.lead_label.setText(_("牵头单位(&U)"))
        self.text.setPlaceholderText(_("按事项名称或内容筛选（Ctrl+L）"))
        self.table.setHorizontalHeaderLabels([_(h) for h in HEADERS])
        current = self.light.currentData()
        self.light.blockSignals(True)
        self.light.clear()
        self.light.addItem(_("全部"), None)
        for value in (Light.GREEN, Light.YELLOW, Light.RED):
            self.light.addItem(light_label(value), value.value)
        self.light.addItem(_("已销号"), "closed")
        self.light.setCurrentIndex(max(0, self.light.findData(current)))
        self.light.blockSignals(False)
        self._show_counts()

    # -- session and loading --------------------------------------------------------------

    def set_session(self, session, watermark: str) -> None:
        """Show this session's tasks (the 督查室 starts on the board)."""
        self.session = session
        self.watermark.set_text(watermark)
        roles = (session.me or {}).get("roles") or []
        self.tabs.setCurrentIndex(2 if SUPERVISOR_ROLE in roles else 0)
        self.mark_dirty()

    def today(self) -> date:
        """Today (screenshots and tests may pin it)."""
        return self.today_override or date.today()

    def _tab_changed(self, index: int) -> None:
        self.view = TABS[index][0]
        self.reload()

    def reload(self) -> None:
        """Read the board on the worker; the screen updates when it is back."""
        if self.session is None:
            return
        self.dirty = False
        store, s = self.session.store, self.session
        args = dict(view=self.view, user_id=s.user_id, unit_id=s.unit_id, today=self.today(),
                    light=self.light.currentData(), lead=self.lead.currentData(),
                    text=self.text.text(), task_id=self.current_id)
        run_op(self, lambda _c: load(store, **args), success=self._loaded,
               failure=self._failed)

    def _failed(self, exc: BaseException) -> None:
        from ui.errors import error_text

        self.detail.setPlainText(error_text(exc))

    def _loaded(self, result: dict[str, Any]) -> None:
        self.result = result
        names = result["names"]
        rows = result["board"].rows
        lead = self.lead.currentData()
        self.lead.blockSignals(True)
        self.lead.clear()
        self.lead.addItem(_("全部"), None)
        for unit in sorted(set(result["leads"]) | ({lead} if lead else set())):
            self.lead.addItem(names.get(unit, unit), unit)
        self.lead.setCurrentIndex(max(0, self.lead.findData(lead)))
        self.lead.blockSignals(False)
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        selected = -1
        for i, r in enumerate(rows):
            dot = QTableWidgetItem(light_label(Light(r.light)) if r.light else _("已销号"))
            dot.setIcon(lamp_icon(r.light))  # an icon keeps its colour on a selected row
            dot.setForeground(QColor(COLOURS[r.light]))
            dot.setData(Qt.ItemDataRole.UserRole, r.id)
            notes = []
            if r.chased_units:
                notes.append(_("催办：{units}").format(
                    units="、".join(names.get(u, u) for u in r.chased_units)))
            if r.pending == "close":
                notes.append(_("待确认销号"))
            elif r.pending == "extension":
                notes.append(_("延期待审批"))
            cells = (dot, QTableWidgetItem(r.title),
                     QTableWidgetItem(names.get(r.lead_unit_id, r.lead_unit_id)),
                     QTableWidgetItem(r.deadline), QTableWidgetItem(state_label(r.state)),
                     QTableWidgetItem("；".join(notes)))
            for col, item in enumerate(cells):
                self.table.setItem(i, col, item)
            if r.id == self.current_id:
                selected = i
        if selected < 0 and rows:
            selected = 0
        if selected >= 0:
            self.table.selectRow(selected)
        self.table.blockSignals(False)
        new_id = rows[selected].id if selected >= 0 else None
        self._show_counts()
        if new_id != self.current_id:
            self.current_id = new_id
            self.reload()
            return
        self.task = result["task"]
        self._show_detail()
        self._enable()
        self.loaded.emit()

    def _show_counts(self) -> None:
        board = (self.result or {}).get("board")
        if board is None:
            self.counts.setText("")
            return
        c = board.counts
        parts = [f"<span style='color:{COLOURS[k]}'>●</span> {html.escape(light_label(Light(k)))} "
                 f"<b>{c.get(k, 0)}</b>" for k in ("green", "yellow", "red")]
        parts.append(f"{html.escape(_('已销号'))} <b>{c.get('closed', 0)}</b>")
        self.counts.setText("&nbsp;&nbsp;".join(parts))

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        item = self.table.item(rows[0].row(), 0)
        task_id = item.data(Qt.ItemDataRole.UserRole) if item else None
        if task_id and task_id != self.current_id:
            self.current_id = task_id
            self.reload()

    def select_record(self, collection: str, record_id: str) -> None:
        """Show one task (from 待办 or search): on the board, filters cleared."""
        self.current_id = record_id
        self.light.setCurrentIndex(0)
        self.lead.setCurrentIndex(0)
        self.text.clear()
        if self.view != "board":
            self.tabs.setCurrentIndex(2)  # reloads
        else:
            self.reload()

    # -- detail ---------------------------------------------------------------------------

    def _show_detail(self) -> None:
        from ui.supervision.detail import detail_html

        if self.task is None:
            self.detail.setHtml(f"<p style='color:#777'>{html.escape(_('没有督办事项'))}</p>")
            return
        self.detail.setHtml(detail_html(self.task, self.result.get("timeline", []),
                                        self.result.get("names", {}), today=self.today(),
                                        warn_days=self.result.get("warn_days")))

    def _enable(self) -> None:
        t = self.task or {}
        open_ = bool(t) and t.get("state") != "closed"
        s = self.session
        roles = ((s.me if s else {}) or {}).get("roles") or []
        mine = bool(s) and s.unit_id in [t.get("lead_unit_id"), *(t.get("assist_unit_ids") or [])]
        self.report_button.setEnabled(open_ and mine)
        self.extend_button.setEnabled(open_ and mine and not t.get("pending_extension"))
        self.close_button.setEnabled(open_ and mine and t.get("state") == "open")
        can_decide = (t.get("pending_close") and SUPERVISOR_ROLE in roles) or (
            t.get("pending_extension") and decides_extension(
                t, user_id=s.user_id if s else None, roles=roles))
        self.decide_button.setEnabled(bool(open_ and can_decide))
        self.new_button.setVisible(bool(set(roles) & set(CREATOR_ROLES)))
        self.calendar_button.setVisible(SUPERVISOR_ROLE in roles)

    # -- screenshots ----------------------------------------------------------------------

    def screenshots(self, shot, window, wait) -> None:
        """The supervision screens for `python -m ui.screenshots`."""
        from ui.supervision.shots import drive

        drive(self, shot, window, wait)

