"""Dialogs of the requests screen: fill in a form (草稿 / 提交) and pick a person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from oa_client.domain.catalogue import ServiceItem, planned_stages
from oa_client.domain.forms_values import localized
from oa_client.i18n import _
from oa_client.services.requests import workdays_between
from ui.qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from ui.requests.form_view import FieldEditor, FormView


class FormDialog(QDialog):
    """One request's form: rendered from the item's schema, checked as you type, with the
    route its answers take; 保存草稿 keeps it, 提交 checks everything first."""

    def __init__(self, item: ServiceItem, values: dict[str, Any], *, people: list[dict], units: list[str],
                 on_save: Callable[[dict[str, Any], bool], None], today: date | None = None,
                 parent: QWidget | None = None, amending: bool = False) -> None:
        super().__init__(parent)
        self.item = item
        self.on_save = on_save
        self.setWindowTitle(_("在线申请：{name}").format(name=item.title()))
        layout = QVBoxLayout(self)
        head = QLabel(f"<b>{item.title()}</b>　{localized(item.description, item.description_en)}<br>"
                      + _("承诺时限：{n}个工作日").format(n=item.promise_days))
        head.setWordWrap(True)
        layout.addWidget(head)
        self.form = FormView(item.form, values, people=people, units=units, attach=self.attach, today=today)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        layout.addWidget(scroll, 1)
        self.route = QLabel()
        self.route.setWordWrap(True)
        self.route.setStyleSheet("color: #1f4e79")
        layout.addWidget(self.route)
        self.status = QLabel()
        self.status.setStyleSheet("color: #b00020")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        row.addStretch(1)
        self.save_button = QPushButton(_("保存草稿"))
        self.submit_button = QPushButton(_("提交"))
        self.submit_button.setDefault(True)
        cancel = QPushButton(_("取消"))
        for b in (self.save_button, self.submit_button, cancel):
            row.addWidget(b)
        layout.addLayout(row)
        self.save_button.clicked.connect(lambda: self._save(False))
        self.submit_button.clicked.connect(lambda: self._save(True))
        cancel.clicked.connect(self.reject)
        if amending:  # under review: one button; the server recalculates the route
            self.save_button.hide()
            self.submit_button.setText(_("保存修改"))
        self.form.changed.connect(self._route)
        self._route()
        self.resize(760, 720)

    def _route(self) -> None:
        stages = planned_stages(self.item, self.form.values(), workdays_between=workdays_between)
        names = ["+".join(s.title() for s in stage.steps) for stage in stages]
        self.route.setText(_("审批流程：{steps}").format(steps=" → ".join(names) or _("无需审批")))
        self.status.clear()

    def _save(self, submit: bool) -> None:
        if submit:
            problems = self.form.reveal_all()
            if problems:
                self.status.setText(_("还有{n}处需要修改：{first}").format(n=len(problems), first=problems[0].message))
                return
        self.on_save(self.form.raw_values(), submit)
        self.accept()

    def attach(self, editor: FieldEditor) -> None:
        """Pick files for an attachment field; they are read, hashed and stored (encrypted) on a
        worker when the form is saved (`requests.attach_files`)."""
        paths, _filter = QFileDialog.getOpenFileNames(self, _("选择附件"))
        files = list(editor.files)
        for name in paths:
            files.append({"sha256": "pending", "name": Path(name).name, "path": name})
        editor.set_value(files)


class PersonDialog(QDialog):
    """Choose a colleague (加签人, 转办 to, 委托 to)."""

    def __init__(self, title: str, people: list[dict], *, exclude: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(title))
        self.box = QComboBox()
        for p in people:
            if p["id"] != exclude:
                label = p.get("name", "") + "　" + " ".join(x for x in (p.get("unit_name"), p.get("department"),
                                                                          p.get("position")) if x)
                self.box.addItem(label, p["id"])
        layout.addWidget(self.box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> str | None:
        """The chosen user id."""
        return self.box.currentData()
