"""The 分送 editor of a 纪要 in the document window: its units (from the meeting's invited
units), added from the org chart and removed by the drafter until 签发, read-only after."""

from __future__ import annotations

from typing import Any

from oa_client.i18n import _
from oa_client.services import meetings_minutes as minutes
from ui.documents.compose import UnitPicker
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QGroupBox,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QShortcut,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

BAD_STYLE = "color:#b00000;font-weight:bold"
GOOD_STYLE = "color:#1d6b2c"


def is_minutes(record: dict[str, Any]) -> bool:
    """True for an outgoing 纪要 (the documents that have a 分送 editor)."""
    return record.get("doc_kind") == "纪要" and record.get("direction") == "outgoing"


class UnitChooser(UnitPicker):
    """The 主送/抄送 unit picker, ticking units by id (names may repeat across the org)."""

    def __init__(self, units: list[tuple[str, str]], chosen: list[str],
                 parent: QWidget | None = None) -> None:
        super().__init__([name for _id, name in units], [], parent)
        self.setWindowTitle(_("添加分送单位"))
        self.list.setAccessibleName(_("单位"))
        for i, (unit_id, _name) in enumerate(units):
            item = self.list.item(i)
            item.setData(Qt.ItemDataRole.UserRole, unit_id)
            item.setCheckState(Qt.CheckState.Checked if unit_id in chosen
                               else Qt.CheckState.Unchecked)

    def chosen_ids(self) -> list[str]:
        """The ticked units' ids in org chart order."""
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]


class DistributionPanel(QGroupBox):
    """分送 of a 纪要: the list, 添加/移除/保存 for its drafter before 签发; edits kept while unsaved."""

    saved = Signal()  # the new 分送 was written locally (it syncs)
    loaded = Signal()  # the state was read and shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("分送（纪要）"), parent)
        self.setObjectName("distribution-panel")
        self.session = None
        self.doc_id: str | None = None
        self.view: minutes.DistributionView | None = None
        self.dirty = False  # the list differs from what is saved
        self.busy = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 4, 6, 4)
        row = QHBoxLayout()
        label = QLabel(_("分送单位(&U)"))
        self.units = QListWidget()
        self.units.setObjectName("distribution-units")
        self.units.setAccessibleName(_("分送单位"))
        self.units.setMaximumHeight(96)
        label.setBuddy(self.units)
        left = QVBoxLayout()
        left.addWidget(label)
        left.addWidget(self.units)
        row.addLayout(left, 1)
        buttons = QVBoxLayout()
        self.add_button = QPushButton(_("添加单位(&A)…"))
        self.add_button.clicked.connect(self.add_units)
        self.remove_button = QPushButton(_("移除(&X)"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.save_button = QPushButton(_("保存分送(&F)"))
        self.save_button.setStyleSheet("font-weight:bold")
        self.save_button.clicked.connect(self.save)
        for b in (self.add_button, self.remove_button, self.save_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        row.addLayout(buttons)
        outer.addLayout(row)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#555")
        outer.addWidget(self.note)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName(_("分送提示"))
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.message)
        delete = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.units, self.remove_selected)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.units.currentRowChanged.connect(lambda _r: self._enable())
        self._enable()  # nothing to change until the state is read
        self.hide()

    # -- loading -------------------------------------------------------------------------

    def show_for(self, session, record: dict[str, Any]) -> None:
        """Show the 分送 of this document when it is an outgoing 纪要 (read on the worker)."""
        if not is_minutes(record):
            self.hide()
            return
        doc_id = str(record.get("id") or "")
        if doc_id != self.doc_id:
            self.dirty, self.view = False, None
            self.message.clear()
            self._enable()
        self.session, self.doc_id = session, doc_id
        self.show()
        store, me = session.store, dict(session.me or {})
        run_op(self, lambda _c: minutes.distribution_view(store, me=me, doc_id=doc_id),
               success=self._loaded, failure=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self._say(error_text(exc), bad=True)
        self._enable()
        self.loaded.emit()

    def _loaded(self, view: minutes.DistributionView) -> None:
        self.view = view
        if view.refused_units and not self.dirty:
            names = "、".join(n for _i, n in view.refused_units)
            reason = view.refused_message.rstrip("。")
            if view.editable:  # the refused list comes back as unsaved edits: nothing is lost
                self._fill(view.refused_units)
                self.dirty = True
                self._say(_("服务器未接受您的分送修改：{reason}。您的修改（{names}）仍在下方，"
                            "可调整后重新保存。").format(reason=reason, names=names),
                          bad=True)
            else:
                self._say(_("服务器未接受您的分送修改：{reason}。未生效的分送：{names}。").format(
                    reason=reason, names=names), bad=True)
        if not self.dirty:
            self._fill(view.units)
        if view.editable:
            self.note.setText(_("分送单位取自会议的参会单位，签发前可由拟稿人增删；"
                                "用印后印在纪要的版记中。"))
        else:
            self.note.setText(_("{reason}（只读）。").format(reason=view.reason))
        self._enable()
        self.loaded.emit()

    def _fill(self, units: list[tuple[str, str]]) -> None:
        self.units.clear()
        for unit_id, name in units:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, unit_id)
            self.units.addItem(item)
        if self.units.count():
            self.units.setCurrentRow(0)

    def unit_ids(self) -> list[str]:
        """The units now in the list, in order."""
        return [self.units.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.units.count())]

    def unit_names(self) -> list[str]:
        """The names now in the list, in order (for tests and screen readers)."""
        return [self.units.item(i).text() for i in range(self.units.count())]

    def _enable(self) -> None:
        editable = bool(self.view and self.view.editable) and not self.busy
        self.add_button.setEnabled(editable)
        self.remove_button.setEnabled(editable and self.units.currentRow() >= 0)
        self.save_button.setEnabled(editable and self.dirty)

    def _say(self, text: str, *, bad: bool = False) -> None:
        self.message.setStyleSheet(BAD_STYLE if bad else GOOD_STYLE)
        self.message.setText(text)

    # -- editing -------------------------------------------------------------------------

    def add_units(self) -> None:
        """Pick units from the org chart; the ticked ones join the list (kept in its order)."""
        if self.view is None or not self.view.editable:
            return
        chooser = UnitChooser(self.view.choices, self.unit_ids(), self)
        self.chooser = chooser  # reachable while it is open (tests, screen readers)
        if not chooser.exec():
            return
        picked = chooser.chosen_ids()
        names = dict(self.view.choices)
        kept = [(i, n) for i, n in zip(self.unit_ids(), self.unit_names(), strict=True)
                if i in picked or i not in names]  # a unit the picker does not offer stays
        have = {i for i, _n in kept}
        units = kept + [(i, names[i]) for i in picked if i not in have]
        if [i for i, _n in units] != self.unit_ids():
            self._fill(units)
            self._changed()

    def remove_selected(self) -> None:
        """Remove the selected unit from the list (Delete)."""
        row = self.units.currentRow()
        if self.view is None or not self.view.editable or row < 0:
            return
        self.units.takeItem(row)
        self.units.setCurrentRow(min(row, self.units.count() - 1))
        self._changed()

    def _changed(self) -> None:
        self.dirty = True
        self._say(_("分送单位已修改，尚未保存。"))
        self._enable()

    def save(self) -> None:
        """Write the 分送 (refused here when empty; the service checks the units and the step)."""
        if self.view is None or self.session is None or self.busy:
            return
        ids = self.unit_ids()
        if not ids and not self.view.cc_to:
            self._say(_("纪要至少要分送一个单位：请先添加分送单位。"), bad=True)
            self.add_button.setFocus()
            return
        store, me, doc_id, cc = self.session.store, dict(self.session.me or {}), self.doc_id, \
            list(self.view.cc_to)
        self.busy = True
        self._enable()
        run_op(self, lambda _c: minutes.edit_distribution(store, me=me, doc_id=doc_id, main_to=ids,
                                                          cc_to=cc),
               success=lambda _ch: self._saved(), failure=self._refused,
               label=_("正在保存分送单位…"))

    def _refused(self, exc: BaseException) -> None:
        self.busy = False
        self._say(_("分送未保存：{reason}").format(reason=error_text(exc)), bad=True)
        self._enable()

    def _saved(self) -> None:
        self.busy = False
        self.dirty = False
        self._say(_("分送单位已保存，同步后生效。"))
        self._enable()
        self.saved.emit()
