"""Who attends for my unit (回执 of an invited unit): the unit's people from the org chart, each a
check box, with a filter and the count against the unit's places."""

from __future__ import annotations

from oa_client.i18n import _
from ui.qt import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    Qt,
    QVBoxLayout,
    QWidget,
)

CHECKED, UNCHECKED = Qt.CheckState.Checked, Qt.CheckState.Unchecked


class PeopleDialog(QDialog):
    """Pick any number of the unit's people (up to its places); `chosen` holds their ids.

    One list of check items (not a widget per person): a unit of thousands opens at once;
    Space or a click on its box ticks the current person."""

    def __init__(self, people: list[dict], *, chosen: list[str], seats: int, unit_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("选择本单位参会人员"))
        self.seats = seats
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(_("{unit}：请勾选参会人员（名额 {n} 人）").format(unit=unit_name, n=seats)))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("按姓名或职务筛选"))
        self.filter.setAccessibleName(_("筛选人员"))
        self.filter.textChanged.connect(self._filter)
        lay.addWidget(self.filter)
        self.list = QListWidget()
        self.list.setAccessibleName(_("本单位人员"))
        self.list.setUniformItemSizes(True)
        self.list.setMinimumSize(320, 260)
        self.items: dict[str, QListWidgetItem] = {}
        wanted = set(chosen)
        for p in people:
            label = str(p.get("name") or p["id"])
            if p.get("position"):
                label += f"（{p['position']}）"
            item = QListWidgetItem(label, self.list)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(CHECKED if p["id"] in wanted else UNCHECKED)
            self.items[p["id"]] = item
        self.list.itemChanged.connect(self._count)
        lay.addWidget(self.list, 1)
        self.count = QLabel()
        lay.addWidget(self.count)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("确定"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._count()

    @property
    def chosen(self) -> list[str]:
        """The ids of the people ticked, in the org chart's order."""
        return [pid for pid, item in self.items.items() if item.checkState() == CHECKED]

    @property
    def ok_button(self):
        """确定."""
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _filter(self, text: str) -> None:
        needle = text.strip()
        for item in self.items.values():
            item.setHidden(bool(needle) and needle not in item.text())

    def _count(self, *_args) -> None:
        n = len(self.chosen)
        self.count.setText(_("已选 {n} 人，名额 {seats} 人").format(n=n, seats=self.seats))
        self.count.setStyleSheet("color:#b00000" if n > self.seats else "")
