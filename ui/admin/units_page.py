"""系统管理员 · 单位: the org chart as a tree; add a unit or a section, take a unit off the
chart or put it back."""

from __future__ import annotations

from oa_client.i18n import _
from sync import admin as api
from ui.admin.common import AdminPage
from ui.qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    Qt,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

LEVELS = ("市", "县", "乡镇", "村", "部门")
_LEVEL_IDS = (_("市"), _("县"), _("乡镇"), _("村"), _("部门"))


class NewUnitDialog(QDialog):
    """名称, 级别, 发文机关代字, 上级单位 of a new unit."""

    def __init__(self, parent: QWidget, units: list[dict], parent_id: str | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("新建单位"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit()
        form.addRow(_("名称："), self.name)
        self.level = QComboBox()
        for level in LEVELS:
            self.level.addItem(_(level), level)
        self.level.setCurrentIndex(LEVELS.index("部门"))
        form.addRow(_("级别："), self.level)
        self.doc_code = QLineEdit()
        self.doc_code.setPlaceholderText(_("如 普卫健（村可不填）"))
        form.addRow(_("发文机关代字："), self.doc_code)
        self.parent_unit = QComboBox()
        self.parent_unit.addItem(_("（无，最上级）"), None)
        for u in units:
            if u["active"]:
                self.parent_unit.addItem(u["name"], u["id"])
        if parent_id is not None:
            self.parent_unit.setCurrentIndex(max(0, self.parent_unit.findData(parent_id)))
        form.addRow(_("上级单位："), self.parent_unit)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("创建"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def fields(self) -> dict:
        """The unit as the server takes it."""
        out = {"name": self.name.text().strip(), "level": self.level.currentData(),
               "doc_code": self.doc_code.text().strip() or None,
               "parent_id": self.parent_unit.currentData()}
        return {k: v for k, v in out.items() if v is not None}


class NewDepartmentDialog(QDialog):
    """The name of a new section of one unit."""

    def __init__(self, parent: QWidget, unit_name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("新建科室 — {unit}").format(unit=unit_name))
        layout = QFormLayout(self)
        self.name = QLineEdit()
        layout.addRow(_("科室名称："), self.name)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("创建"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)


class UnitsPage(AdminPage):
    """The org chart: units (with level, 代字, sections) under their parents."""

    title = "单位"

    def __init__(self, session) -> None:
        super().__init__(session)
        self.units: list[dict] = []
        self.add_button = self.button(_("新建单位…"), self.add_unit)
        self.dept_button = self.button(_("新建科室…"), self.add_department, enabled=False)
        self.disable_button = self.button(_("停用单位"), lambda: self.set_active(False),
                                          enabled=False)
        self.enable_button = self.button(_("启用单位"), lambda: self.set_active(True),
                                         enabled=False)
        self.button(_("刷新"), self.refresh)
        self.tools.addStretch(1)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([_("单位"), _("级别"), _("发文机关代字"), _("科室"), _("状态")])
        self.tree.itemSelectionChanged.connect(self._selected)
        self.layout_.addWidget(self.tree, 1)
        self.finish_layout()

    def refresh(self) -> None:
        """Read every unit."""
        transport = self.transport
        self.call(lambda: api.units(transport), self._show)

    def _show(self, units: list[dict]) -> None:
        self.units = units
        self.tree.clear()
        nodes: dict[str, QTreeWidgetItem] = {}
        for u in units:
            node = QTreeWidgetItem([u["name"], u["level_name"], u.get("doc_code") or "",
                                    "、".join(d["name"] for d in u["departments"]),
                                    _("正常") if u["active"] else _("已停用")])
            node.setData(0, Qt.ItemDataRole.UserRole, u)
            nodes[u["id"]] = node
        for u in units:
            parent = nodes.get(u.get("parent_id") or "")
            (parent.addChild if parent is not None else self.tree.addTopLevelItem)(nodes[u["id"]])
        self.tree.expandAll()
        for col in range(4):
            self.tree.resizeColumnToContents(col)
        self._selected()

    def current(self) -> dict | None:
        """The selected unit."""
        items = self.tree.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def select_unit(self, name: str) -> bool:
        """Select a unit by name; whether it was found."""
        found = self.tree.findItems(name, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
        if found:
            self.tree.setCurrentItem(found[0])
        return bool(found)

    def _selected(self) -> None:
        unit = self.current()
        self.dept_button.setEnabled(bool(unit) and unit["active"])
        self.disable_button.setEnabled(bool(unit) and unit["active"])
        self.enable_button.setEnabled(bool(unit) and not unit["active"])

    def add_unit(self) -> None:
        """The new-unit dialog (under the selected unit by default)."""
        unit = self.current()
        dialog = NewUnitDialog(self, self.units, unit["id"] if unit else None)
        self.unit_dialog = dialog
        transport = self.transport

        def create() -> None:
            fields = dialog.fields()
            self.call(lambda: api.create_unit(transport, **fields), lambda u: (
                self.say(_("已新建单位：{name}").format(name=u["name"])), self.refresh()))

        dialog.accepted.connect(create)
        dialog.open()

    def add_department(self) -> None:
        """The new-section dialog for the selected unit."""
        unit = self.current()
        if unit is None:
            return
        dialog = NewDepartmentDialog(self, unit["name"])
        self.department_dialog = dialog
        transport = self.transport

        def create() -> None:
            name = dialog.name.text().strip()
            self.call(lambda: api.create_department(transport, unit["id"], name), lambda d: (
                self.say(_("已在 {unit} 新建科室：{name}").format(unit=unit["name"], name=d["name"])),
                self.refresh()))

        dialog.accepted.connect(create)
        dialog.open()

    def set_active(self, active: bool) -> None:
        """Take the selected unit off the org chart, or put it back (after a confirmation)."""
        unit = self.current()
        if unit is None:
            return
        transport = self.transport
        text = (_("启用 {name}？") if active else
                _("停用 {name}？它将不再出现在通讯录和收发文单位中。")).format(name=unit["name"])
        self.confirm(_("启用单位") if active else _("停用单位"), text, lambda: self.call(
            lambda: api.set_unit_active(transport, unit["id"], active=active),
            lambda u: (self.say((_("已启用：{name}") if active else _("已停用：{name}")).format(
                name=u["name"])), self.refresh())))
