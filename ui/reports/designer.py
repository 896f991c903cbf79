"""设计报表 / 修订报表: a template built from the data-item dictionary — groups of fields and row
tables (fixed rows such as villages, or rows the clerk adds), rules and computed figures. Items
are picked from the dictionary, never defined here, so the template matches the dictionary."""

from __future__ import annotations

import copy
from typing import Any

from oa_client.domain.reports import DataItem, ReportTemplate
from oa_client.domain.reports_design import design_of, template_from_design
from oa_client.errors import ValidationError
from oa_client.i18n import _
from ui.qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    Qt,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from ui.reports.designer_rules import ComputedEditor, RulesEditor
from ui.reports.dictionary import PERIODS, TYPES

LATE = {"allow": "逾期仍可上报（标记逾期）", "refuse": "逾期不再接受上报"}
_IDS = (_("逾期仍可上报（标记逾期）"), _("逾期不再接受上报"))
ROLE = Qt.ItemDataRole.UserRole


def _new_key(prefix: str, taken: set[str]) -> str:
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


class DesignerDialog(QDialog):
    """Design a new template (`template=None`) or revise one; `template()` is the result."""

    def __init__(self, items: dict[str, DataItem], *, retired: set[str], template: ReportTemplate | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items, self.retired = items, retired
        self.revising = template is not None
        self.design: dict[str, Any] = design_of(template) if template else {
            "code": "", "name": "", "period": "quarterly", "late_policy": "allow", "sections": [], "tables": []}
        self.design.setdefault("sections", [])
        self.design.setdefault("tables", [])
        self.already = {i.code for i in template.data_items} if template else set()
        self.result: ReportTemplate | None = None
        self.setWindowTitle(_("修订报表") if self.revising else _("设计报表"))
        self.resize(1080, 720)
        layout = QVBoxLayout(self)
        head = QFormLayout()
        top = QHBoxLayout()
        self.name = QLineEdit(self.design.get("name", ""))
        self.name.setPlaceholderText(_("如 乡镇基本情况季报（一张表）"))
        self.code = QLineEdit(self.design.get("code", ""))
        self.code.setPlaceholderText(_("如 TOWN_Q"))
        self.period = QComboBox()
        for key, label in PERIODS.items():
            self.period.addItem(_(label), key)
        self.period.setCurrentIndex(max(0, self.period.findData(self.design.get("period", "quarterly"))))
        self.late = QComboBox()
        for key, label in LATE.items():
            self.late.addItem(_(label), key)
        self.late.setCurrentIndex(max(0, self.late.findData(self.design.get("late_policy", "allow"))))
        head.addRow(_("报表名称："), self.name)
        for label, widget in ((_("编码："), self.code), (_("报送周期："), self.period), (_("逾期："), self.late)):
            top.addWidget(QLabel(label))
            top.addWidget(widget)
        head.addRow(top)
        layout.addLayout(head)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._structure_tab(), _("结构（从数据项目录选取）"))
        self.rules = RulesEditor(lambda: self.design, items)
        self.computed = ComputedEditor(lambda: self.design, items)
        self.tabs.addTab(self.rules, _("校验规则"))
        self.tabs.addTab(self.computed, _("计算项"))
        self.tabs.currentChanged.connect(lambda _i: (self.rules.refresh(), self.computed.refresh()))
        layout.addWidget(self.tabs, 1)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00000")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons = buttons
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("保存修订并下发") if self.revising else _("下一步：下发…"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        self.check_button = buttons.addButton(_("检查"), QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.clicked.connect(self.check)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._fill_catalogue()
        self._fill_tree()

    def keyPressEvent(self, event) -> None:
        """Enter confirms the field being typed (a title, a search), never the whole dialog."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() not in self.buttons.buttons():
            event.accept()
            return
        super().keyPressEvent(event)

    # -- the structure tab -----------------------------------------------------------------

    def _structure_tab(self) -> QWidget:
        tab = QWidget()
        split = QSplitter(Qt.Orientation.Horizontal, tab)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addWidget(QLabel(_("数据项目录（双击加入所选分组或表格）：")))
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("按编码或名称查找"))
        self.search.textChanged.connect(lambda _t: self._fill_catalogue())
        ll.addWidget(self.search)
        self.catalogue = QListWidget()
        self.catalogue.itemDoubleClicked.connect(lambda _i: self.add_items())
        self.catalogue.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        ll.addWidget(self.catalogue, 1)
        self.add_button = QPushButton(_("加入 →"))
        self.add_button.clicked.connect(self.add_items)
        ll.addWidget(self.add_button)
        split.addWidget(left)
        right = QWidget()
        rl = QVBoxLayout(right)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([_("报表结构"), _("类型 / 计量单位")])
        self.tree.currentItemChanged.connect(lambda *_a: self._node_changed())
        rl.addWidget(self.tree, 1)
        grid = QGridLayout()
        self.add_section_button = QPushButton(_("新增分组"))
        self.add_table_button = QPushButton(_("新增表格"))
        self.up_button, self.down_button, self.remove_button = QPushButton(_("上移")), QPushButton(_("下移")), QPushButton(_("移除"))
        self.add_section_button.clicked.connect(self.add_section)
        self.add_table_button.clicked.connect(self.add_table)
        self.up_button.clicked.connect(lambda: self.move(-1))
        self.down_button.clicked.connect(lambda: self.move(1))
        self.remove_button.clicked.connect(self.remove)
        for i, b in enumerate((self.add_section_button, self.add_table_button, self.up_button, self.down_button,
                               self.remove_button)):
            grid.addWidget(b, 0, i)
        rl.addLayout(grid)
        props = QFormLayout()
        self.node_title = QLineEdit()
        self.node_title.editingFinished.connect(self._apply_node)
        self.row_label = QLineEdit()
        self.row_label.editingFinished.connect(self._apply_node)
        self.rows = QPlainTextEdit()
        self.rows.setPlaceholderText(_("每行一个，如：\n东村\n西村\n南村\n（留空：由填报单位逐行添加）"))
        self.rows.setMaximumHeight(90)
        self.apply_rows = QPushButton(_("应用行"))
        self.apply_rows.clicked.connect(self._apply_node)
        self.title_label, self.row_label_label, self.rows_label = QLabel(_("标题：")), QLabel(_("行名称：")), QLabel(_("固定行："))
        props.addRow(self.title_label, self.node_title)
        props.addRow(self.row_label_label, self.row_label)
        props.addRow(self.rows_label, self.rows)
        props.addRow("", self.apply_rows)
        rl.addLayout(props)
        split.addWidget(right)
        split.setSizes([360, 680])
        box = QVBoxLayout(tab)
        box.addWidget(split)
        return tab

    def _fill_catalogue(self) -> None:
        needle = self.search.text().strip().lower() if hasattr(self, "search") else ""
        self.catalogue.clear()
        for code, item in sorted(self.items.items()):
            if code in self.retired and code not in self.already:
                continue
            unit = f"（{item.unit}）" if item.unit else ""
            text = f"{code}  {item.name}{unit}"
            if needle and needle not in text.lower():
                continue
            entry = QListWidgetItem(text)
            entry.setData(ROLE, code)
            entry.setToolTip(_("第{v}版 · 主管部门：{owner}").format(v=item.version, owner=item.owner or "—"))
            self.catalogue.addItem(entry)

    def _type_text(self, code: str) -> str:
        item = self.items.get(code)
        if item is None:
            return _("（目录中没有）")
        return _(TYPES[item.type]) + (f" · {item.unit}" if item.unit else "")

    def _fill_tree(self, select: tuple[str, int, int] | None = None) -> None:
        # rebuilt without signals: an intermediate "nothing selected" would disable the title being
        # typed, and the focus (and the Enter that finished typing) would land on 取消
        self.tree.blockSignals(True)
        self.tree.clear()
        chosen = None
        for kind, groups in (("section", self.design["sections"]), ("table", self.design["tables"])):
            for gi, group in enumerate(groups):
                label = _("分组：{title}") if kind == "section" else _("表格：{title}")
                node = QTreeWidgetItem([label.format(title=group.get("title", "")), ""])
                node.setData(0, ROLE, (kind, gi, -1))
                self.tree.addTopLevelItem(node)
                for ci, ref in enumerate(group.get("items" if kind == "section" else "columns") or []):
                    item = self.items.get(ref["code"])
                    name = ref.get("label") or (item.name if item else ref["code"])
                    child = QTreeWidgetItem([f"{ref['code']}  {name}", self._type_text(ref["code"])])
                    child.setData(0, ROLE, (kind, gi, ci))
                    node.addChild(child)
                    if select == (kind, gi, ci):
                        chosen = child
                if select == (kind, gi, -1):
                    chosen = node
                node.setExpanded(True)
        self.tree.resizeColumnToContents(0)
        if chosen is None and self.tree.topLevelItemCount():
            chosen = self.tree.topLevelItem(self.tree.topLevelItemCount() - 1) if select else self.tree.topLevelItem(0)
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
        self.tree.blockSignals(False)
        self._node_changed()

    def _where(self) -> tuple[str, int, int] | None:
        node = self.tree.currentItem()
        return node.data(0, ROLE) if node is not None else None

    def _group(self, where: tuple[str, int, int]) -> dict[str, Any]:
        return self.design["sections" if where[0] == "section" else "tables"][where[1]]

    def _node_changed(self) -> None:
        where = self._where()
        group = self._group(where) if where else None
        table = where is not None and where[0] == "table"
        self.node_title.setText(group.get("title", "") if group else "")
        self.node_title.setEnabled(group is not None)
        for w in (self.row_label, self.rows, self.apply_rows, self.row_label_label, self.rows_label):
            w.setVisible(table)
        if table and group is not None:
            self.row_label.setText(group.get("row_label", ""))
            self.rows.setPlainText("\n".join(r["label"] for r in group.get("rows") or []))

    def _apply_node(self) -> None:
        where = self._where()
        if where is None:
            return
        group = self._group(where)
        group["title"] = self.node_title.text().strip() or group.get("title", "")
        if where[0] == "table":
            group["row_label"] = self.row_label.text().strip() or _("行")
            old = {r["label"]: r["key"] for r in group.get("rows") or []}
            labels = list(dict.fromkeys(line.strip() for line in self.rows.toPlainText().splitlines() if line.strip()))
            taken = set(old.values())
            rows = []
            for label in labels:
                key = old.get(label) or _new_key("r", taken)
                taken.add(key)
                rows.append({"key": key, "label": label})
            group["rows"] = rows
        self._fill_tree((where[0], where[1], -1))

    # -- editing the structure -------------------------------------------------------------

    def add_section(self) -> None:
        """新增分组 (a titled group of single fields)."""
        taken = {s["key"] for s in self.design["sections"]}
        n = len(self.design["sections"]) + 1
        self.design["sections"].append({"key": _new_key("s", taken), "title": _("第{n}部分").format(n=n), "items": []})
        self._fill_tree(("section", len(self.design["sections"]) - 1, -1))

    def add_table(self) -> None:
        """新增表格 (one row per village or household, items as columns)."""
        taken = {t["key"] for t in self.design["tables"]}
        self.design["tables"].append({"key": _new_key("t", taken), "title": _("分村情况"), "row_label": _("村"),
                                      "rows": [], "columns": []})
        self._fill_tree(("table", len(self.design["tables"]) - 1, -1))

    def add_items(self) -> None:
        """Put the chosen dictionary items into the selected group or table."""
        where = self._where()
        codes = [i.data(ROLE) for i in self.catalogue.selectedItems()]
        if not codes:
            return
        if where is None:
            self.add_section()
            where = self._where()
        assert where is not None
        group = self._group(where)
        key = "items" if where[0] == "section" else "columns"
        present = {r["code"] for r in group.get(key) or []}
        if where[0] == "section":
            present |= {r["code"] for s in self.design["sections"] for r in s.get("items") or []}
        added = [c for c in codes if c not in present]
        group.setdefault(key, []).extend({"code": c} for c in added)
        skipped = len(codes) - len(added)
        self.problem.setText(_("{n}个数据项已在报表中，未重复加入").format(n=skipped) if skipped else "")
        self._fill_tree((where[0], where[1], len(group[key]) - 1))

    def move(self, step: int) -> None:
        """Move the selected group, table, field or column up or down."""
        where = self._where()
        if where is None:
            return
        kind, gi, ci = where
        groups = self.design["sections" if kind == "section" else "tables"]
        seq = groups if ci < 0 else groups[gi]["items" if kind == "section" else "columns"]
        index = gi if ci < 0 else ci
        target = index + step
        if not 0 <= target < len(seq):
            return
        seq[index], seq[target] = seq[target], seq[index]
        self._fill_tree((kind, target, -1) if ci < 0 else (kind, gi, target))

    def remove(self) -> None:
        """Remove the selected group, table, field or column (rules reading it must go too)."""
        where = self._where()
        if where is None:
            return
        kind, gi, ci = where
        groups = self.design["sections" if kind == "section" else "tables"]
        if ci < 0:
            del groups[gi]
        else:
            del groups[gi]["items" if kind == "section" else "columns"][ci]
        self._fill_tree()

    # -- the result ------------------------------------------------------------------------

    def _current(self) -> dict[str, Any]:
        design = copy.deepcopy(self.design)
        design.update(name=self.name.text().strip(), code=self.code.text().strip(), period=self.period.currentData(),
                      late_policy=self.late.currentData())
        return design

    def check(self) -> ReportTemplate | None:
        """Build the template; say what is wrong (in red) or that it is ready."""
        try:
            template = template_from_design(self._current(), self.items)
        except ValidationError as exc:
            problems = getattr(exc, "problems", None) or [str(exc)]
            self.problem.setStyleSheet("color: #b00000")
            self.problem.setText("\n".join(str(p) for p in problems))
            return None
        self.problem.setStyleSheet("color: #006400")
        fields = len(template.field_refs())
        cells = sum(len(t.columns) * max(1, len(t.rows)) for t in template.tables)
        self.problem.setText(_("检查通过：{n}个数据项，{f}个单项、{c}个表格单元格，{r}条规则，{k}个计算项").format(
            n=len(template.data_items), f=fields, c=cells, r=len(template.rules), k=len(template.computed)))
        return template

    def _accept(self) -> None:
        template = self.check()
        if template is not None:
            self.result = template
            self.accept()

    def template(self) -> ReportTemplate | None:
        """The designed template (after OK)."""
        return self.result
