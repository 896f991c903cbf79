"""A table model that keeps only ids and fetches rows in batches on the database worker.

`data()` never touches the database: a row not yet cached shows "…" and asks for its
batch; when the batch arrives the rows are updated. A row that could not be read
renders disabled ("无法读取") instead of raising inside a Qt virtual method. A
bounded cache keeps memory flat however far a 100,000-row list is scrolled.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

from oa_client.i18n import _
from ui.labels import field_label, fmt
from ui.ops import run_op
from ui.qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QColor,
    QHeaderView,
    QModelIndex,
    Qt,
    QTableView,
    Signal,
)

log = logging.getLogger(__name__)
BATCH = 200
MAX_BLOCKS = 60

Fetch = Callable[[list[str]], dict[str, dict]]


class LazyRecordModel(QAbstractTableModel):
    """Rows = ids; cells = fields of records fetched lazily; `columns` are field keys."""

    block_loaded = Signal(int)
    complete = Signal(int)  # the whole id list is known

    def __init__(self, columns: list[str], parent=None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.ids: list[str] = []
        self.fetch: Fetch | None = None
        self.names: dict[str, str] = {}
        self.blocks: OrderedDict[int, dict[str, dict]] = OrderedDict()
        self.pending: set[int] = set()
        self.failed: set[str] = set()
        self.generation = 0

    def set_ids(self, ids: list[str], fetch: Fetch, names: dict[str, str] | None = None,
                first: dict[str, dict] | None = None) -> None:
        """Show a new list of ids; rows load as they become visible (`first`: block 0 given)."""
        self.beginResetModel()
        self.ids, self.fetch = list(ids), fetch
        self.names = names or {}
        self.blocks.clear()
        self.pending.clear()
        self.failed.clear()
        self.generation += 1
        if first is not None:
            self.blocks[0] = first
        self.endResetModel()
        if first is not None:
            self.block_loaded.emit(0)

    def extend(self, ids: list[str]) -> None:
        """The full id list arrived after the first page: keep what is shown, add the rest."""
        shown = self.ids
        if ids[:len(shown)] != shown:
            first = self.blocks.get(0)
            self.set_ids(ids, self.fetch, self.names,
                         first={i: first[i] for i in ids[:BATCH] if first and i in first}
                         if first and all(i in first for i in ids[:BATCH]) else None)
            return
        if len(ids) > len(shown):
            self.beginInsertRows(QModelIndex(), len(shown), len(ids) - 1)
            self.ids = list(ids)
            self.endInsertRows()
        self.complete.emit(len(self.ids))

    def record(self, row: int) -> dict | None:
        """The cached record at `row`, or None when not loaded."""
        if not 0 <= row < len(self.ids):
            return None
        block = self.blocks.get(row // BATCH)
        return None if block is None else block.get(self.ids[row])

    def row_of(self, record_id: str) -> int:
        """The row of an id, or -1."""
        try:
            return self.ids.index(record_id)
        except ValueError:
            return -1

    # -- Qt ------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        """Rows: every id."""
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        """Columns as configured."""
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        """Column titles."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return field_label(self.columns[section])
        return None

    def flags(self, index: QModelIndex):
        """Failed rows are disabled."""
        if index.isValid() and self.ids[index.row()] in self.failed:
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        """A cell: the cached value, '…' while loading, a notice for a failed row."""
        if not index.isValid():
            return None
        row = index.row()
        rid = self.ids[row]
        if role == Qt.ItemDataRole.ForegroundRole and rid in self.failed:
            return QColor("#999999")
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if rid in self.failed:
            return _("（无法读取）") if index.column() == 0 else ""
        block = self.blocks.get(row // BATCH)
        if block is None:
            self._request(row // BATCH)
            return "…"
        self.blocks.move_to_end(row // BATCH)
        rec = block.get(rid)
        if rec is None:
            return ""
        key = self.columns[index.column()]
        return fmt(key, rec.get(key), self.names)

    # -- loading -------------------------------------------------------------------------

    def _request(self, block: int) -> None:
        if block in self.pending or self.fetch is None:
            return
        self.pending.add(block)
        ids = self.ids[block * BATCH:(block + 1) * BATCH]
        fetch, generation = self.fetch, self.generation
        run_op(None, lambda _c: fetch(ids),
               success=lambda recs: self._loaded(generation, block, ids, recs),
               failure=lambda exc: self._loaded(generation, block, ids, {}, exc), priority=5)

    def load_block(self, block: int) -> None:
        """Ask for a block now (the first page is requested before it is painted)."""
        self._request(block)

    def _loaded(self, generation: int, block: int, ids: list[str], recs: dict,
                exc: BaseException | None = None) -> None:
        if generation != self.generation:
            return
        self.pending.discard(block)
        if exc is not None:
            log.warning("rows %d… not readable: %s", block * BATCH, type(exc).__name__)
        self.failed.update(i for i in ids if i not in recs)
        self.blocks[block] = recs
        while len(self.blocks) > MAX_BLOCKS:
            self.blocks.popitem(last=False)
        first = block * BATCH
        last = min(len(self.ids), first + BATCH) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))
        self.block_loaded.emit(block)


def lazy_table(model: QAbstractTableModel) -> QTableView:
    """A table for a lazily loaded list: one selected row, fixed row heights (so only the
    visible rows are asked for), no wrapping, no row numbers."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    return table
