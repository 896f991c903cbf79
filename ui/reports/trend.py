"""历期趋势: one figure of an issued report over its last periods — the area's total or one
unit's line on a chart, every unit's figures in a table below — and its export to Excel."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from oa_client.i18n import _
from oa_client.services import reports_trend as rt
from oa_client.services import reports_xlsx as rx
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from ui.reports.chart import LineChart

SPANS = (4, 8, 12)


def _show(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return ""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.{places}f}"


def _change(series: list[Decimal | None]) -> str:
    if len(series) < 2 or series[-1] is None or not series[-2]:
        return ""
    return f"{(series[-1] - series[-2]) / series[-2] * 100:+.1f}%"


class TrendPanel(QWidget):
    """The cross-period view of one issued template."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.template_id = ""
        self.view: rt.TrendView | None = None
        self.unit: str | None = None  # the unit on the chart (None: the total)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.item_label = QLabel()
        self.item = QComboBox()
        self.item.setMinimumWidth(260)
        self.item.currentIndexChanged.connect(lambda _i: self._show())
        self.span_label = QLabel()
        self.span = QComboBox()
        for n in SPANS:
            self.span.addItem("", n)
        self.span.setCurrentIndex(SPANS.index(8))
        self.span.activated.connect(lambda _i: self.reload())
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self.export_xlsx)
        for w in (self.item_label, self.item, self.span_label, self.span):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.export_button)
        layout.addLayout(top)
        split = QSplitter(Qt.Orientation.Vertical)
        self.chart = LineChart()
        split.addWidget(self.chart)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.cellClicked.connect(lambda r, _c: self._pick(r))
        split.addWidget(self.table)
        split.setSizes([280, 220])
        layout.addWidget(split, 1)
        self.status = QLabel()
        layout.addWidget(self.status)
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.item_label.setText(_("指标："))
        self.span_label.setText(_("期数："))
        for i, n in enumerate(SPANS):
            self.span.setItemText(i, _("近{n}期").format(n=n))
        self.export_button.setText(_("导出趋势表（Excel）"))

    def open(self, session, template_id: str) -> None:
        """Load the template's last periods on the worker."""
        self.session, self.template_id = session, template_id
        self.reload()

    def reload(self) -> None:
        """Read the trend again (after a sync, or another span)."""
        if self.session is None or not self.template_id:
            return
        store, template_id, last = self.session.store, self.template_id, int(self.span.currentData())
        run_op(self, lambda _c: rt.trend_local(store, template_id=template_id, last=last),
               success=self._loaded, failure=lambda e: self.status.setText(error_text(e)))

    def _loaded(self, view: rt.TrendView) -> None:
        chosen = self.item.currentData()
        self.view = view
        self.item.blockSignals(True)
        self.item.clear()
        for code in view.trend.codes:
            self.item.addItem(view.trend.label(code), code)
        self.item.setCurrentIndex(max(0, self.item.findData(chosen)))
        self.item.blockSignals(False)
        reported = "、".join(f"{p} {n}" for p, n in zip(view.trend.periods, view.trend.reported, strict=True))
        self.status.setText(_("各期已上报单位数：{counts}。点选表中某个单位，图中显示该单位的走势。").format(counts=reported))
        self._show()

    def _code(self) -> str | None:
        return self.item.currentData()

    def _show(self) -> None:
        view, code = self.view, self._code()
        if view is None or code is None:
            self.chart.set_series(_("暂无可比较的数字指标"), [], [])
            self.table.setRowCount(0)
            return
        t = view.trend
        headers = [_("填报单位"), *t.periods, _("较上期增减")]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        rows = [(None, _("合计")), *[(u, view.unit_name(u)) for u in t.units]]
        self.table.setRowCount(len(rows))
        for r, (unit, name) in enumerate(rows):
            series = t.series(code, unit)
            cells = [name, *[_show(v) for v in series], _change(series)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if unit is None:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self._chart()

    def _chart(self) -> None:
        view, code = self.view, self._code()
        if view is None or code is None:
            return
        if self.unit is not None and self.unit not in view.trend.units:
            self.unit = None
        who = _("合计") if self.unit is None else view.unit_name(self.unit)
        title = _("{who} · {item}").format(who=who, item=view.trend.label(code))
        self.chart.set_series(title, view.trend.periods, view.trend.series(code, self.unit))

    def _pick(self, row: int) -> None:
        if self.view is None:
            return
        self.unit = None if row <= 0 else self.view.trend.units[row - 1]
        self._chart()

    def export_xlsx(self, path: str | None = None) -> None:
        """Export every figure's trend (a sheet per figure, units in the org's order)."""
        view = self.view
        if view is None:
            return
        if not path:
            path, _f = QFileDialog.getSaveFileName(self, _("导出趋势表"), _("{name}历期趋势.xlsx").format(name=view.name),
                                                   "Excel (*.xlsx)")
        if not path:
            return
        run_op(self, lambda _c: rx.export_trend(view, Path(path)),
               success=lambda p: self.status.setText(_("已导出：{path}").format(path=p)),
               failure=lambda e: self.status.setText(error_text(e)), label=_("正在导出…"))
