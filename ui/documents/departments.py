"""A tick list of a unit's departments from the org chart, each with its 科长 — 协办 in the
收文 routing panel, 会签 in the compose form. A chosen name the org chart does not know (an
old draft, a department since dissolved) stays listed and ticked, marked, until unticked."""

from __future__ import annotations

from oa_client.i18n import _
from oa_client.services.documents_routing import Department
from ui.qt import QBrush, QColor, QListWidget, QListWidgetItem, Qt

NAME_ROLE = Qt.ItemDataRole.UserRole + 1  # the department's name (UserRole holds its id)


def department_text(dept: Department) -> str:
    """"秘书科（科长：郑晓燕）" — or "…（无科长）"."""
    who = (_("科长：{names}").format(names="、".join(dept.chiefs)) if dept.chiefs
           else _("无科长"))
    return f"{dept.name}（{who}）"


class DepartmentList(QListWidget):
    """Departments to tick; `chosen_ids()` for flow values, `chosen()` for names."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.departments: list[Department] = []

    def set_departments(self, departments: list[Department], *, ids: list[str] = (),
                        names: list[str] = ()) -> None:
        """List the departments, ticking those chosen by id or by name; chosen names (or
        ids) the list does not hold are added at the end, ticked and marked unknown."""
        self.clear()
        self.departments = list(departments)
        for dept in departments:
            ticked = dept.id in ids or dept.name in names
            self._add(department_text(dept), dept.id, dept.name, ticked)
        known = {d.name for d in departments} | {d.id for d in departments}
        lost = [*names, *ids]  # by name (a draft) or by id (a record's value)
        for name in dict.fromkeys(n for n in lost if n and n not in known):
            item = self._add(_("{name}（本单位没有此科室）").format(name=name), "", name, True)
            item.setForeground(QBrush(QColor("#b00000")))

    def _add(self, text: str, dept_id: str, name: str, ticked: bool) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, dept_id)
        item.setData(NAME_ROLE, name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        self.addItem(item)
        return item

    def _ticked(self) -> list[QListWidgetItem]:
        return [self.item(i) for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked]

    def chosen_ids(self) -> list[str]:
        """Ids of the ticked departments the org chart knows, in list order."""
        return [i.data(Qt.ItemDataRole.UserRole) for i in self._ticked()
                if i.data(Qt.ItemDataRole.UserRole)]

    def chosen(self) -> list[str]:
        """Names of the ticked departments (unknown ones too), in list order."""
        return [i.data(NAME_ROLE) for i in self._ticked()]

    def unknown(self) -> list[str]:
        """Ticked names the org chart does not know."""
        return [i.data(NAME_ROLE) for i in self._ticked() if not i.data(Qt.ItemDataRole.UserRole)]

    def without_chief(self) -> list[str]:
        """Ticked departments nobody could act for (no 科长)."""
        chosen = set(self.chosen_ids())
        return [d.name for d in self.departments if d.id in chosen and not d.chiefs]
