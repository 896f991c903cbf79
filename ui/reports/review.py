"""The issuing unit's screens: who submitted / is late / has problems, one submission with its
changes since the last submission, return with remarks on cells (退回修改), accept; the
aggregate (汇总) with drill-down from the whole area to a township to its villages; export."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from pathlib import Path

from oa_client.domain.reports_check import compute_submission
from oa_client.domain.reports_records import cell_of
from oa_client.i18n import _
from oa_client.services import reports_review as rv
from oa_client.services import reports_xlsx as rx
from oa_client.services.reports import state_label
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.reports.trend import TrendPanel


def _num(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


class ReviewPanel(QWidget):
    """Review, return, accept and aggregate one issued template."""

    changed = Signal()
    revise_requested = Signal(str)  # the template record to revise

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.template_id = ""
        self.rows: list[rv.ReviewRow] = []
        self.summary: rv.Summary | None = None
        self.comments: list[dict] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 16px; font-weight: bold; color: #8b0000")
        self.counts = QLabel()
        self.period = QComboBox()
        self.period.setMinimumWidth(110)
        self.period.activated.connect(lambda _i: self._load(self.period.currentData()))
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        self.period_label = QLabel()
        head.addWidget(self.period_label)
        head.addWidget(self.period)
        self.revise_button = QPushButton()
        self.revise_button.clicked.connect(lambda: self.revise_requested.emit(self.template_id))
        head.addWidget(self.revise_button)
        layout.addLayout(head)
        layout.addWidget(self.counts)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        # review tab
        review = QWidget()
        rl = QVBoxLayout(review)
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, 7)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(60)
        self.table.currentCellChanged.connect(lambda r, *_a: self._select(r))
        split.addWidget(self.table)
        lower = QWidget()
        ll = QHBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        self.detail = QTextBrowser()
        self.detail.setMinimumHeight(60)
        ll.addWidget(self.detail, 3)
        side = QVBoxLayout()
        self.cell = QComboBox()
        self.remark = QLineEdit()
        self.add_remark = QPushButton()
        self.remarks = QListWidget()
        self.return_button = QPushButton()
        self.accept_button = QPushButton()
        self.add_remark.clicked.connect(self._add_remark)
        self.remark.returnPressed.connect(self._add_remark)
        self.return_button.clicked.connect(self.return_current)
        self.accept_button.clicked.connect(self.accept_current)
        self.remark_label = QLabel()
        side.addWidget(self.remark_label)
        pick = QHBoxLayout()
        pick.addWidget(self.cell, 1)
        pick.addWidget(self.add_remark)
        side.addLayout(pick)
        side.addWidget(self.remark)
        self.remarks.setMinimumHeight(40)
        side.addWidget(self.remarks, 1)
        acts = QHBoxLayout()
        acts.addWidget(self.return_button)
        acts.addWidget(self.accept_button)
        side.addLayout(acts)
        ll.addLayout(side, 2)
        split.addWidget(lower)
        rl.addWidget(split)
        self.tabs.addTab(review, "")
        # aggregate tab
        agg = QWidget()
        al = QVBoxLayout(agg)
        top = QHBoxLayout()
        self.agg_info = QLabel()
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self.export_xlsx)
        top.addWidget(self.agg_info, 1)
        top.addWidget(self.export_button)
        al.addLayout(top)
        self.tree = QTreeWidget()
        self.tree.itemExpanded.connect(self._expand)
        al.addWidget(self.tree, 1)
        self.tabs.addTab(agg, "")
        self.trend = TrendPanel()
        self.tabs.addTab(self.trend, "")
        self.status = QLabel()
        layout.addWidget(self.status)
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.period_label.setText(_("所属期："))
        self.tabs.setTabText(0, _("审核"))
        self.tabs.setTabText(1, _("汇总"))
        self.tabs.setTabText(2, _("历期趋势"))
        self.revise_button.setText(_("修订报表…"))
        self.revise_button.setToolTip(_("修改本期报表的结构或规则；各单位已填的草稿按数据项带入新版"))
        self.table.setHorizontalHeaderLabels([_("填报单位"), _("状态"), _("逾期"), _("问题"), _("冲突"), _("重报修改"),
                                              _("预填已确认")])
        self.trend.retranslate()
        self.remark_label.setText(_("退回意见（针对具体单元格）："))
        self.remark.setPlaceholderText(_("写明需要修改的原因"))
        self.add_remark.setText(_("添加意见"))
        self.return_button.setText(_("退回修改"))
        self.accept_button.setText(_("审核通过"))
        self.export_button.setText(_("导出汇总表（Excel）"))

    # -- loading ------------------------------------------------------------------------

    def open(self, session, template_id: str, period: str | None = None) -> None:
        """Load the review rows and the aggregate on the worker (the current period unless told)."""
        self.session, self.template_id = session, template_id
        self._load(period)
        self.trend.open(session, template_id)

    def _load(self, period: str | None) -> None:
        store, template_id = self.session.store, self.template_id
        today = dt.date.today()
        run_op(self, lambda _c: (store.records.get("report_templates", template_id),
                                 rv.review(store, template_id=template_id, period=period, today=today),
                                 rv.aggregate_local(store, template_id=template_id, period=period)),
               success=self._loaded, failure=lambda e: self.status.setText(error_text(e)))

    def _loaded(self, result) -> None:
        record, rows, summary = result
        periods = [i.get("period") for i in record.get("issues") or []] or [record.get("period")]
        self.period.blockSignals(True)
        self.period.clear()
        for p in reversed(periods):
            self.period.addItem(str(p), p)
        self.period.setCurrentIndex(max(0, self.period.findData(summary.period)))
        self.period.blockSignals(False)
        self.rows, self.summary = rows, summary
        self.title.setText(_("{name}（{period}）").format(name=record.get("name", ""), period=summary.period))
        submitted = sum(1 for r in rows if r.state in ("submitted", "accepted"))
        late = sum(1 for r in rows if r.late)
        problems = sum(1 for r in rows if r.problems or r.conflicts)
        self.counts.setText(_("应报{n}个单位：已上报{s}个，逾期{late}个，有问题{p}个").format(
            n=len(rows), s=submitted, late=late, p=problems))
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            confirmed = _("{c}/{n}项").format(c=r.confirmed, n=r.confirmed + r.unconfirmed) \
                if r.confirmed + r.unconfirmed else ""
            cells = [r.unit_name, state_label(r.state), _("逾期") if r.late else "", str(r.problems or ""),
                     str(r.conflicts or ""), _("{n}处").format(n=len(r.changes)) if r.changes else "", confirmed]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if (c == 2 and r.late) or (c == 3 and r.problems):
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(i, c, item)
        self._fill_tree()
        if rows:
            self.table.selectRow(0)
            self._select(0)

    def _select(self, row: int) -> None:
        if not (0 <= row < len(self.rows)) or self.summary is None:
            return
        r = self.rows[row]
        t = self.summary.template
        self.comments = []
        self.remarks.clear()
        self.cell.clear()
        for ref in t.field_refs():
            self.cell.addItem(t.label(ref.code), (ref.code, None, None))
        for table in t.tables:
            for key in [x.key for x in table.rows]:
                for col in table.columns:
                    self.cell.addItem(f"{table.row_title(key)} · {t.label(col.code, table.key)}", (table.key, key, col.code))
        submitted = r.state == "submitted"
        for w in (self.cell, self.remark, self.add_remark, self.return_button, self.accept_button):
            w.setEnabled(submitted)
        self.detail.setHtml(self._detail_html(r))

    def _detail_html(self, r: rv.ReviewRow) -> str:
        assert self.summary is not None
        t = self.summary.template
        head = r.head or {}
        values = compute_submission(t, head.get("values") or {})
        changed = {(c.field, c.row, c.column): c for c in r.changes}
        parts = [f"<h3>{html.escape(r.unit_name)} — {html.escape(state_label(r.state))}</h3>"]
        if r.changes:
            parts.append("<p><b>" + html.escape(_("重新上报，与上次上报相比修改了{n}处（黄色）").format(n=len(r.changes))) + "</b></p>")
        rows = []
        for ref in t.field_refs():
            c = changed.get((ref.code, None, None))
            style = " style='background:#fff1c2'" if c else ""
            before = html.escape(_("（原为{v}）").format(v=c.before if c.before else "—")) if c else ""
            rows.append(f"<tr{style}><td>{html.escape(t.label(ref.code))}</td>"
                        f"<td align='right'>{html.escape(str(values.get(ref.code) or ''))} {before}</td></tr>")
        parts.append("<table cellspacing='2' cellpadding='3'>" + "".join(rows) + "</table>")
        for table in t.tables:
            header = "".join(f"<th>{html.escape(t.label(c.code, table.key))}</th>" for c in table.columns)
            body = []
            for key in [x.key for x in table.rows] or list(values.get(table.key) or {}):
                cells = []
                for col in table.columns:
                    c = changed.get((table.key, key, col.code))
                    style = " style='background:#fff1c2'" if c else ""
                    cells.append(f"<td align='right'{style}>{html.escape(str(cell_of(values, table.key, key, col.code) or ''))}</td>")
                body.append(f"<tr><td>{html.escape(table.row_title(key))}</td>{''.join(cells)}</tr>")
            parts.append(f"<h4>{html.escape(table.title)}</h4><table border='1' cellspacing='0' cellpadding='3'>"
                         f"<tr><th></th>{header}</tr>{''.join(body)}</table>")
        return "".join(parts)

    # -- return / accept ----------------------------------------------------------------

    def _add_remark(self) -> None:
        text = self.remark.text().strip()
        target = self.cell.currentData()
        if not text or target is None:
            self.status.setText(_("请先选择单元格并写明意见"))
            return
        field, row, column = target
        self.comments.append({"field": field, "row": row, "column": column, "text": text})
        self.remarks.addItem(QListWidgetItem(f"{self.cell.currentText()}：{text}"))
        self.remark.clear()

    def _current(self) -> rv.ReviewRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def return_current(self) -> None:
        """退回修改 with the remarks added (at least one)."""
        r = self._current()
        if r is None or r.head is None or self.session is None:
            return
        store, head, comments = self.session.store, r.head, list(self.comments)
        run_op(self, lambda _c: rv.return_submission(store, head=head, comments=comments),
               success=lambda _x: self._done(_("已退回{unit}，联网后送达").format(unit=r.unit_name)),
               failure=lambda e: self.status.setText(error_text(e)))

    def accept_current(self) -> None:
        """审核通过."""
        r = self._current()
        if r is None or r.head is None or self.session is None:
            return
        store, head = self.session.store, r.head
        run_op(self, lambda _c: rv.accept_submission(store, head=head),
               success=lambda _x: self._done(_("已审核通过{unit}").format(unit=r.unit_name)),
               failure=lambda e: self.status.setText(error_text(e)))

    def _done(self, message: str) -> None:
        self.status.setText(message)
        self.comments = []
        self.remarks.clear()
        self.changed.emit()

    # -- aggregate ----------------------------------------------------------------------

    def _columns(self) -> list[str]:
        assert self.summary is not None
        t = self.summary.template
        codes = [r.code for r in t.field_refs() if t.item(r.code).type in ("integer", "decimal")]
        return codes[:6]

    def _fill_tree(self) -> None:
        s = self.summary
        assert s is not None
        codes = self._columns()
        self.tree.clear()
        self.tree.setHeaderLabels([_("地区 / 单位")] + [s.template.label(c) for c in codes])
        self.agg_info.setText(_("已汇总{n}个单位的上报数（已上报、已通过）").format(n=len(s.result.by_unit)))
        total = QTreeWidgetItem([_("合计")] + [_num(s.result.totals.get(c)) for c in codes])
        self.tree.addTopLevelItem(total)
        for unit in s.children(None):
            self._unit_item(total, unit, codes)
        total.setExpanded(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        metrics = self.tree.header().fontMetrics()
        for c in range(1, self.tree.columnCount()):  # headers such as 农村居民累计人均可支配收入 in full
            self.tree.setColumnWidth(c, max(90, metrics.horizontalAdvance(self.tree.headerItem().text(c)) + 24))

    def _unit_item(self, parent: QTreeWidgetItem, unit: str, codes: list[str]) -> QTreeWidgetItem:
        s = self.summary
        assert s is not None
        figures = s.rolled.get(unit, {})
        item = QTreeWidgetItem([s.names.get(unit, unit)] + [_num(figures.get(c)) for c in codes])
        item.setData(0, Qt.ItemDataRole.UserRole, unit)
        parent.addChild(item)
        if s.children(unit) or unit in s.values:
            item.addChild(QTreeWidgetItem(["…"]))  # drill down lazily
        return item

    def _expand(self, item: QTreeWidgetItem) -> None:
        s = self.summary
        unit = item.data(0, Qt.ItemDataRole.UserRole)
        if s is None or unit is None or item.childCount() != 1 or item.child(0).text(0) != "…":
            return
        item.takeChild(0)
        codes = self._columns()
        for child in s.children(unit):
            self._unit_item(item, child, codes)
        # the unit's own row tables: one row per village (the deepest level)
        for table in s.template.tables:
            for _name, rows in [(n, r) for n, r in s.table_rows(table.key) if n == s.names.get(unit, unit)]:
                for key, cells in rows.items():
                    label = f"{table.row_title(key)}（{table.title}）"
                    extra = " ".join(f"{s.template.label(c, table.key)} {_num(v)}" for c, v in cells.items())
                    leaf = QTreeWidgetItem([label, extra])
                    leaf.setToolTip(0, extra)
                    item.addChild(leaf)

    def export_xlsx(self, path: str | None = None) -> None:
        """Export the aggregate in the shape offices use."""
        s = self.summary
        if s is None:
            return
        if not path:
            path, _f = QFileDialog.getSaveFileName(self, _("导出汇总表"), f"{s.template.name}汇总.xlsx", "Excel (*.xlsx)")
        if not path:
            return
        run_op(self, lambda _c: rx.export_aggregate(s, Path(path)),
               success=lambda p: self.status.setText(_("已导出：{path}").format(path=p)),
               failure=lambda e: self.status.setText(error_text(e)), label=_("正在导出…"))
