"""The 待办, 通讯录 and search screens."""

from __future__ import annotations

import html

from oa_client.i18n import _
from oa_client.services.todo import TodoItem
from ui.errors import error_text
from ui.labels import short_time
from ui.ops import run_op
from ui.qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QColor,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QModelIndex,
    QSplitter,
    Qt,
    QTableView,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.reload_on_show import ReloadOnShow

KIND_TITLES = {"document": "公文", "opinion": "意见", "attachment": "附件", "meeting": "会议"}
_KIND_IDS = (_("公文"), _("意见"), _("附件"), _("会议"))


class TodoModel(QAbstractTableModel):
    """The to-do list (small: what waits for one person)."""

    HEADERS = ("类型", "标题", "紧急程度", "期限", "状态")
    _IDS = (_("类型"), _("标题"), _("紧急程度"), _("期限"), _("状态"))

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.items: list[TodoItem] = []

    def set_items(self, items: list[TodoItem]) -> None:
        """Replace the list."""
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        """Items."""
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        """Columns."""
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        """Column titles."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return _(self.HEADERS[section])
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        """Cells; overdue rows in red."""
        if not index.isValid():
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and (item.overdue or item.urgency == "特急"):
            return QColor("#b00000")
        if role == Qt.ItemDataRole.ToolTipRole and item.notice:
            return item.notice  # the server's reminder about it
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        col = index.column()
        if col == 0:
            return item.kind_label
        if col == 1:
            return item.title
        if col == 2:
            return _(item.urgency) if item.urgency else ""
        if col == 3:
            return short_time(item.deadline)
        if item.overdue:
            return _("已逾期")
        return _("有提醒") if item.notice and item.kind != "remind" else _("待办理")


_URGENCY_IDS = (_("特急"), _("加急"))


class TodoPage(QWidget):
    """Everything waiting for me, most pressing first; Enter or double-click opens it."""

    open_item = Signal(str, str)  # collection, record id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold")
        layout.addWidget(self.heading)
        self.model = TodoModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        self.table.doubleClicked.connect(self._open)
        self.table.activated.connect(self._open)
        layout.addWidget(self.table, 1)
        self.empty = QLabel()
        self.empty.setStyleSheet("color:#777")
        layout.addWidget(self.empty)
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.heading.setText(_("待办（{n}）").format(n=len(self.model.items)))
        self.empty.setText(_("暂无待办事项。") if not self.model.items else
                           _("双击或按回车打开；红色为已逾期或特急。"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 4)

    def set_items(self, items: list[TodoItem]) -> None:
        """Show the to-do list."""
        self.model.set_items(items)
        for c, w in ((0, 110), (2, 90), (3, 140), (4, 90)):
            self.table.setColumnWidth(c, w)
        self.retranslate()

    def _open(self, index) -> None:
        item = self.model.items[index.row()]
        self.open_item.emit(item.collection, item.record_id)


class ContactsPage(ReloadOnShow, QWidget):
    """通讯录: units as a tree with their people; filters offline as you type. The org chart
    is read when the screen is first shown (and again after a sync changed it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.units: list[dict] = []
        self.users: list[dict] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold")
        top.addWidget(self.heading)
        self.filter = QLineEdit()
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._fill)
        top.addWidget(self.filter, 1)
        layout.addLayout(top)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.currentItemChanged.connect(self._show_person)
        self.splitter.addWidget(self.tree)
        self.card = QTextBrowser()
        self.splitter.addWidget(self.card)
        self.splitter.setSizes([600, 360])
        layout.addWidget(self.splitter, 1)
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.heading.setText(_("通讯录"))
        self.filter.setPlaceholderText(_("按姓名、单位、科室或职务筛选（离线可用）"))
        self.tree.setHeaderLabels([_("单位 / 姓名"), _("科室"), _("职务")])

    def set_session(self, session) -> None:
        """Show this session's org chart (read now if shown, else when next shown)."""
        self.session = session
        self.mark_dirty()

    def reload(self) -> None:
        """Read the cached org chart on the database worker."""
        if self.session is None:
            return
        self.dirty = False
        store = self.session.store

        def op(_c):
            return (store.records.list("units", limit=100_000, order_by="name"),
                    store.records.list("users", limit=100_000, order_by="name"))

        run_op(self, op, success=self._loaded,
               failure=lambda exc: self.card.setHtml(html.escape(error_text(exc))))

    def _loaded(self, result) -> None:
        self.units, self.users = result
        self._fill()

    def _fill(self) -> None:
        needle = self.filter.text().strip().lower()
        self.tree.clear()
        nodes: dict[str, QTreeWidgetItem] = {}
        for unit in self.units:
            node = QTreeWidgetItem([unit.get("name") or "", "", unit.get("level_name") or ""])
            node.setData(0, Qt.ItemDataRole.UserRole, None)
            nodes[unit["id"]] = node
        for unit in self.units:
            parent = nodes.get(unit.get("parent_id") or "")
            if parent is not None:
                parent.addChild(nodes[unit["id"]])
            else:
                self.tree.addTopLevelItem(nodes[unit["id"]])
        shown = 0
        for user in self.users:
            text = " ".join(str(user.get(k) or "") for k in ("name", "unit_name",
                                                             "department", "position")).lower()
            if needle and needle not in text:
                continue
            item = QTreeWidgetItem([user.get("name") or "", user.get("department") or "",
                                    user.get("position") or ""])
            item.setData(0, Qt.ItemDataRole.UserRole, user)
            parent = nodes.get(user.get("unit_id") or "")
            if parent is not None:
                parent.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            shown += 1
        if needle:
            for node in nodes.values():
                node.setHidden(not _has_person(node))
        self.tree.expandAll()
        self.tree.setColumnWidth(0, 300)
        self.shown = shown

    def _show_person(self, item, _prev) -> None:
        user = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if not user:
            self.card.setHtml("")
            return
        rows = [(_("单位"), user.get("unit_name")), (_("科室"), user.get("department")),
                (_("职务"), user.get("position")), (_("电话"), user.get("phone")),
                (_("电子邮件"), user.get("email"))]
        self.card.setHtml(f"<h2>{html.escape(user.get('name') or '')}</h2><table>" + "".join(
            f"<tr><td style='color:#555;padding-right:12px'>{html.escape(k)}</td>"
            f"<td>{html.escape(str(v))}</td></tr>" for k, v in rows if v) + "</table>")


def _has_person(node: QTreeWidgetItem) -> bool:
    for i in range(node.childCount()):
        child = node.child(i)
        if child.data(0, Qt.ItemDataRole.UserRole) or _has_person(child):
            return True
    return False


class SearchPage(QWidget):
    """Search results from the local index, grouped by kind with highlighted snippets."""

    open_item = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hits: list = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold")
        layout.addWidget(self.heading)
        self.results = QTextBrowser()
        self.results.setOpenLinks(False)
        self.results.anchorClicked.connect(self._clicked)
        layout.addWidget(self.results, 1)
        self.query = ""
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.heading.setText(_("搜索结果") if self.query else _("搜索"))
        if not self.query:
            self.results.setHtml("<p style='color:#666'>" + html.escape(
                _("在工具栏的搜索框输入关键词（支持一两个字的短词，如“会议”“防汛”），按回车搜索。离线可用。")) + "</p>")

    def show_hits(self, query: str, hits: list) -> None:
        """Render the hits grouped by kind."""
        self.query, self.hits = query, hits
        self.heading.setText(_("“{q}”的搜索结果（{n}）").format(q=query, n=len(hits)))
        if not hits:
            self.results.setHtml("<p>" + html.escape(_("没有找到与“{q}”相关的内容。").format(q=query)) + "</p>")
            return
        groups: dict[str, list] = {}
        for hit in hits:
            groups.setdefault(hit.kind, []).append(hit)
        parts = []
        for kind in ("document", "opinion", "attachment", "meeting"):
            if kind not in groups:
                continue
            parts.append(f"<h3>{html.escape(_(KIND_TITLES[kind]))}（{len(groups[kind])}）</h3>")
            for hit in groups[kind]:
                target = "meetings" if kind == "meeting" else "documents"
                ref = hit.ref_id if kind in ("document", "meeting") else (hit.owner_id or "")
                parts.append(
                    f"<p><a href='open:{target}:{html.escape(ref)}' style='color:#8b0000;"
                    f"text-decoration:none'><b>{hit.title_html()}</b></a><br>"
                    f"<span style='color:#444'>{hit.snippet_html()}</span></p>")
        self.results.setHtml("".join(parts).replace("<b>", "<b style='background:#fff2a8'>"))

    def _clicked(self, url) -> None:
        text = url.toString()
        if text.startswith("open:"):
            _open, collection, rid = text.split(":", 2)
            self.open_item.emit(collection, rid)
