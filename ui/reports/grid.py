"""A spreadsheet-like grid for one sheet of a report: arrows/Tab/Enter move, typing edits,
Ctrl+V pastes a block from Excel (bad cells refused one by one), Ctrl+D fills down, Delete clears."""

from __future__ import annotations

from decimal import Decimal

from oa_client.i18n import _
from oa_client.services import reports_grid as rg
from oa_client.services.reports import Form, is_numeric
from ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QGuiApplication,
    QHeaderView,
    QKeySequence,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    Signal,
)

PREFILLED = QColor("#eef6ff")
CONFIRMED = QColor("#e8f5e9")
COMPUTED = QColor("#f2f2f2")
PROBLEM = QColor("#ffe3e0")
CONFLICT = QColor("#fff1c2")
COMMENT = QColor("#ffd9f0")


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


class ReportGrid(QTableWidget):
    """One sheet (the fields, or a row table) of a report as an editable grid."""

    edited = Signal()  # values changed (autosave, re-check)
    refused = Signal(str)  # why a typed or pasted value did not go in

    def __init__(self, form: Form, sheet: rg.Sheet, parent=None) -> None:
        super().__init__(len(sheet.rows), len(sheet.columns), parent)
        self.form, self.sheet = form, sheet
        self._filling = False
        self.setHorizontalHeaderLabels(sheet.column_labels)
        self.setVerticalHeaderLabels(sheet.row_labels)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                             | QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setDefaultSectionSize(220 if sheet.key is None else 130)
        self.verticalHeader().setDefaultSectionSize(26)
        metrics = self.horizontalHeader().fontMetrics()
        for c, label in enumerate(sheet.column_labels):  # a long Chinese header is never cut off
            self.setColumnWidth(c, max(self.columnWidth(c), metrics.horizontalAdvance(label) + 24))
        self.itemChanged.connect(self._item_changed)
        self.reload()

    # -- showing ------------------------------------------------------------------------

    def reload(self, problems: set[tuple] | None = None) -> None:
        """Show the form's values, marking pre-filled, computed, problem, conflict and commented cells."""
        self._filling = True
        try:
            conflicts = {(c["field"], c.get("row"), c.get("column")) for c in self.form.conflicts}
            comments = {(c.get("field"), c.get("row"), c.get("column")): c.get("text", "") for c in self.form.comments}
            for r in range(len(self.sheet.rows)):
                for c in range(len(self.sheet.columns)):
                    self._paint(r, c, problems or set(), conflicts, comments)
        finally:
            self._filling = False

    def _paint(self, r: int, c: int, problems: set[tuple], conflicts: set[tuple], comments: dict) -> None:
        addr = self.sheet.address(r, c)
        item = self.item(r, c) or QTableWidgetItem()
        item.setText(_show(rg.value_at(self.form, self.sheet, r, c)))
        tips: list[str] = []
        color = None
        editable = self.sheet.editable(r, c) and self.form.editable
        if not self.sheet.editable(r, c):
            color = COMPUTED
            tips.append(_("系统计算"))
        mark = self.form.mark(*addr) if addr else None
        if mark is not None and mark.confirmed:
            color = CONFIRMED
            tips.append(_("预填：来自{source}，已核对确认").format(source=mark.source))
        elif mark is not None:
            color = PREFILLED
            tips.append(_("预填：来自{source}，请核对").format(source=mark.source))
        if addr in problems:
            color = PROBLEM
        if addr in conflicts:
            color = CONFLICT
            tips.append(_("两台电脑改了这一格，请在下方选定取值"))
        if addr in comments:
            color = COMMENT
            tips.append(_("退回意见：{text}").format(text=comments[addr]))
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if editable:
            flags |= Qt.ItemFlag.ItemIsEditable
        item.setFlags(flags)
        if addr and is_numeric(self.form, *addr):
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setBackground(QBrush(color) if color else QBrush())
        item.setToolTip("\n".join(tips))
        if self.item(r, c) is None:
            self.setItem(r, c, item)

    # -- editing ------------------------------------------------------------------------

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        r, c = item.row(), item.column()
        problem = rg.write_cell(self.form, self.sheet, r, c, item.text())
        self.reload()  # a refused value goes back to what the cell held
        if problem is not None:
            self.refused.emit(problem)
            return
        self.edited.emit()

    def paste_text(self, text: str) -> rg.PasteResult:
        """Paste a tab-separated block at the current cell; refused cells are reported."""
        r0, c0 = max(self.currentRow(), 0), max(self.currentColumn(), 0)
        result = rg.paste(self.form, self.sheet, r0, c0, text)
        self.reload()
        self.edited.emit()
        if result.refused:
            first = result.refused[0][2]
            self.refused.emit(_("粘贴了{ok}格；{n}格未粘贴（如：{first}）").format(
                ok=result.accepted, n=len(result.refused), first=first))
        return result

    def fill_down(self) -> int:
        """Ctrl+D: copy the top cell of the selection into the selected cells below."""
        ranges = self.selectedRanges()
        if not ranges:
            return 0
        sel = ranges[0]
        filled = rg.fill_down(self.form, self.sheet, sel.topRow(), sel.bottomRow(),
                              list(range(sel.leftColumn(), sel.rightColumn() + 1)))
        self.reload()
        self.edited.emit()
        return filled

    def clear_selection_cells(self) -> None:
        """Delete: empty the selected editable cells."""
        for sel in self.selectedRanges():
            for r in range(sel.topRow(), sel.bottomRow() + 1):
                for c in range(sel.leftColumn(), sel.rightColumn() + 1):
                    if self.sheet.editable(r, c):
                        rg.write_cell(self.form, self.sheet, r, c, "")
        self.reload()
        self.edited.emit()

    def keyPressEvent(self, event) -> None:
        """Spreadsheet keys: Ctrl+V, Ctrl+D, Delete, Enter moves down."""
        if not self.form.editable:
            super().keyPressEvent(event)
            return
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_text(QGuiApplication.clipboard().text())
            return
        if event.key() == Qt.Key.Key_D and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.fill_down()
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.state() != QAbstractItemView.State.EditingState:
            self.clear_selection_cells()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != QAbstractItemView.State.EditingState:
            self.setCurrentCell(min(self.currentRow() + 1, self.rowCount() - 1), self.currentColumn())
            return
        super().keyPressEvent(event)
