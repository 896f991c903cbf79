"""A module screen: the local records of a collection in a lazy list, and their fields."""

from __future__ import annotations

import html
from dataclasses import dataclass

from oa_client.i18n import _
from ui.errors import error_text
from ui.labels import HIDDEN, field_label, fmt, tr
from ui.lazy_model import BATCH, LazyRecordModel, lazy_table
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    Qt,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.reload_on_show import ReloadOnShow
from ui.watermark import Watermark

WIDTHS = {"doc_number": 200, "room_name": 200, "starts_at": 150, "updated_at": 150,
          "submitted_at": 150, "lead_unit_id": 200, "unit_id": 200, "deadline": 110,
          "direction": 70, "doc_kind": 70, "urgency": 80, "state": 80}


@dataclass(frozen=True)
class View:
    """One list a screen can show: collection, columns, label, order."""

    collection: str
    label: str  # gettext id
    columns: tuple[str, ...]
    order_by: str = "updated_at DESC"


class RecordPage(ReloadOnShow, QWidget):
    """List + detail for one module (with a switcher when it has several lists)."""

    loaded = Signal(int)  # rows in the list
    first_page = Signal()  # the first visible rows are on screen

    def __init__(self, title: str, views: list[View], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.views = title, views
        self.view = views[0]
        self.session = None
        self.select_after_load: str | None = None
        self.current: dict | None = None
        self.widths_set = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold")
        top.addWidget(self.heading)
        top.addStretch(1)
        self.switch = QComboBox()
        for v in views:
            self.switch.addItem(tr(v.label))
        self.switch.setVisible(len(views) > 1)
        self.switch.currentIndexChanged.connect(self._switch)
        top.addWidget(self.switch)
        layout.addLayout(top)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.model = LazyRecordModel(list(self.view.columns), self)
        self.model.block_loaded.connect(self._block_loaded)
        self.table = lazy_table(self.model)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.splitter.addWidget(self.table)
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.watermark = Watermark(self.detail.viewport())
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.splitter, 1)
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.heading.setText(tr(self.title))
        for i, v in enumerate(self.views):
            self.switch.setItemText(i, tr(v.label))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.view.columns) - 1)
        if self.current is None:
            self.detail.setHtml(self._hint())
        else:
            self.detail.setHtml(self.detail_html(self.current))

    def _hint(self) -> str:
        return "<p style='color:#777'>" + html.escape(_("在上方列表中选择一项查看详细内容。")) + "</p>"

    def _set_widths(self) -> None:
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, max(360, self.table.width() // 2 - 40))
        for c, key in enumerate(self.view.columns[1:], start=1):
            self.table.setColumnWidth(c, WIDTHS.get(key, 110))

    def set_session(self, session, watermark: str) -> None:
        """Show this session's records."""
        self.session = session
        self.watermark.set_text(watermark)
        self.mark_dirty(self.reload)

    def reload_on_show(self) -> None:
        """Reload keeping the selected record."""
        self.reload(select=self.current["id"] if self.current else None)

    def _switch(self, index: int) -> None:
        self.view = self.views[index]
        self.current = None
        self.model.columns = list(self.view.columns)
        self.widths_set = False
        self.reload()

    def reload(self, select: str | None = None) -> None:
        """Read the ids again (on the database worker) and show them."""
        if self.session is None:
            return
        store, view = self.session.store, self.view
        self.dirty = False
        self.select_after_load = select
        # the first page first (shown at once), then every id for the rest of the list
        run_op(self, lambda _c: store.records.list(view.collection, order_by=view.order_by,
                                                   limit=BATCH),
               success=lambda recs: self._first_loaded(view, recs), failure=self._read_failed,
               priority=10)
        run_op(self, lambda _c: store.records.ids(view.collection, order_by=view.order_by),
               success=lambda ids: self._ids_loaded(view, ids), failure=self._read_failed)

    def _read_failed(self, exc: BaseException) -> None:
        """A list that cannot be read says so in place (no dialog from a background read)."""
        self.detail.setHtml("<p style='color:#b00000'>" + html.escape(error_text(exc)) + "</p>")

    def _first_loaded(self, view: View, recs: list[dict]) -> None:
        if view is not self.view:
            return
        store, collection = self.session.store, view.collection
        self.model.set_ids([r["id"] for r in recs],
                           lambda batch: store.records.get_many(collection, batch),
                           self.session.names, first={r["id"]: r for r in recs})
        if not self.widths_set:
            self.widths_set = True
            self._set_widths()

    def _ids_loaded(self, view: View, ids: list[str]) -> None:
        if view is not self.view:
            return
        self.model.extend(ids)
        if self.select_after_load:
            row = self.model.row_of(self.select_after_load)
            if row >= 0:
                self.model.load_block(row // BATCH)
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
        elif self.current is None:
            self.detail.setHtml(self._hint() if ids else "<p style='color:#777'>" + html.escape(
                _("本机还没有此类记录。登录同步后会显示在这里。")) + "</p>")
        self.loaded.emit(len(ids))

    def _block_loaded(self, block: int) -> None:
        if block == 0:
            self.first_page.emit()
        current = self.table.currentIndex()
        if current.isValid() and current.row() // BATCH == block and self.current is None:
            self._row_changed(current, None)

    def select_record(self, collection: str, record_id: str) -> None:
        """Show `record_id` (switching list when it belongs to another one)."""
        for i, v in enumerate(self.views):
            if v.collection == collection and self.view is not v:
                self.switch.setCurrentIndex(i)
        self.reload(select=record_id)

    def _row_changed(self, current, _previous) -> None:
        rec = self.model.record(current.row()) if current.isValid() else None
        self.current = rec
        if rec is not None:
            self.detail.setHtml(self.detail_html(rec))

    def detail_html(self, rec: dict) -> str:
        """The record's fields as HTML (escaped)."""
        names = self.session.names if self.session else {}
        title = rec.get("title") or rec.get("name") or ""
        rows = []
        for key, value in rec.items():
            if key in HIDDEN or key in ("title", "body", "agenda", "instruction") or value in (None, "", [], {}):
                continue
            rows.append(f"<tr><td style='color:#555;padding-right:14px;white-space:nowrap'>"
                        f"{html.escape(field_label(key))}</td>"
                        f"<td>{html.escape(fmt(key, value, names))}</td></tr>")
        parts = [f"<h2 style='color:#8b0000'>{html.escape(str(title))}</h2>",
                 "<table cellspacing='4'>", *rows, "</table>"]
        for key in ("instruction", "agenda", "body"):
            if rec.get(key):
                parts.append(f"<h4>{html.escape(field_label(key))}</h4>"
                             f"<p style='line-height:160%'>{html.escape(str(rec[key]))}</p>")
        return "".join(parts)
