"""The filling screen: the grids, what was pre-filled, problems to fix, conflicts, the issuer's
remarks, autosave, save (shares with the server), submit, Excel export/import."""

from __future__ import annotations

import html
from pathlib import Path

from oa_client.domain.forms_values import localized
from oa_client.domain.reports_records import cell_of
from oa_client.i18n import _
from oa_client.services import reports as rep
from oa_client.services import reports_grid as rg
from oa_client.services import reports_xlsx as rx
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QFileDialog,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QShortcut,
    QSplitter,
    Qt,
    QTabWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.reports.grid import ReportGrid

AUTOSAVE_MS = 800


def _where(form: rep.Form, field: str, row: str | None, column: str | None) -> str:
    t = form.template
    if row is None:
        try:
            return t.label(field)
        except KeyError:
            return field
    table = t.table(field)
    return f"{table.row_title(row)} · {t.label(column or '', field)}"


class FillPanel(QWidget):
    """One unit's report for one period, as a clerk fills it."""

    changed = Signal()  # something was written locally (the page refreshes counts)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.form: rep.Form | None = None
        self.grids: list[ReportGrid] = []
        self.pending_save = False
        self.device_id = ""
        self.people: dict[str, str] = {}  # user id → name (who kept or sent a conflicting value)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 16px; font-weight: bold; color: #8b0000")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setStyleSheet("background: #fff8e1; padding: 6px; border: 1px solid #f0d58c")
        layout.addWidget(self.title)
        layout.addWidget(self.info)
        layout.addWidget(self.banner)
        buttons = QHBoxLayout()
        self.save_button = QPushButton()
        self.submit_button = QPushButton()
        self.export_button = QPushButton()
        self.import_button = QPushButton()
        self.confirm_button = QPushButton()
        self.confirm_all_button = QPushButton()
        for b in (self.save_button, self.submit_button, self.export_button, self.import_button, self.confirm_button,
                  self.confirm_all_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.status = QLabel()
        self.status.setStyleSheet("color: #555")
        buttons.addWidget(self.status)
        layout.addLayout(buttons)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.tabs = QTabWidget()
        self.split.addWidget(self.tabs)
        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        left, right = QVBoxLayout(), QVBoxLayout()
        self.problems_label = QLabel()
        self.problems = QListWidget()
        self.problems.itemActivated.connect(self._go_to_problem)
        self.problems.itemDoubleClicked.connect(self._go_to_problem)
        left.addWidget(self.problems_label)
        left.addWidget(self.problems)
        self.conflicts_label = QLabel()
        self.conflicts = QListWidget()
        self.keep_button = QPushButton()
        self.other_button = QPushButton()
        self.conflicts.currentItemChanged.connect(lambda *_a: self._name_choices())
        self.keep_button.clicked.connect(lambda: self._resolve("kept"))
        self.other_button.clicked.connect(lambda: self._resolve("other"))
        right.addWidget(self.conflicts_label)
        right.addWidget(self.conflicts)
        pick = QHBoxLayout()
        pick.addWidget(self.keep_button)
        pick.addWidget(self.other_button)
        right.addLayout(pick)
        lower_layout.addLayout(left, 3)
        lower_layout.addLayout(right, 2)
        self.split.addWidget(lower)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([520, 180])
        layout.addWidget(self.split, 1)
        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self._autosave)
        self.save_button.clicked.connect(self.save)
        self.submit_button.clicked.connect(self.submit)
        self.export_button.clicked.connect(self.export_xlsx)
        self.import_button.clicked.connect(self.import_xlsx)
        self.confirm_button.clicked.connect(self.confirm_current)
        self.confirm_all_button.clicked.connect(self.confirm_all)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.save_button.setText(_("保存（Ctrl+S）"))
        self.save_button.setToolTip(_("保存并在联网时同步，其他电脑上的填报会按单元格合并"))
        self.submit_button.setText(_("上报"))
        self.export_button.setText(_("导出Excel"))
        self.import_button.setText(_("导入Excel"))
        self.confirm_button.setText(_("确认此预填值"))
        self.confirm_button.setToolTip(_("核对无误后确认当前格的预填值（上报时记录已确认的项）"))
        self.keep_button.setText(_("采用当前值"))
        self.other_button.setText(_("采用另一台电脑的值"))
        if self.form is not None:
            self._describe()

    # -- loading ------------------------------------------------------------------------

    def open(self, session, template_id: str, period: str | None = None) -> None:
        """Open the form of my unit for a template (and period) on the worker."""
        self.session = session
        store, unit = session.store, session.unit_id
        run_op(self, lambda _c: (rep.open_form(store, template_id=template_id, unit_id=unit, period=period),
                                 store.device_id(),
                                 {u["id"]: u.get("name", "") for u in store.records.list("users", limit=100_000)}),
               success=self._opened, failure=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(error_text(exc))

    def outdated(self, record: dict) -> bool:
        """Whether the issuer revised the template since this form opened (and nothing typed is
        still waiting for its autosave): reopening then moves the draft to the new version."""
        return (self.form is not None and not self.autosave.isActive()
                and int(record.get("version") or 1) != self.form.template.version)

    def _opened(self, result) -> None:
        form, self.device_id, self.people = result
        self.show_form(form)
        if form.dirty:
            self._autosave()

    def show_form(self, form: rep.Form) -> None:
        """Build the grids for a form and show its state."""
        self.form = form
        self.tabs.clear()
        self.grids = []
        for sheet in rg.sheets(form):
            grid = ReportGrid(form, sheet)
            grid.edited.connect(self._edited)
            grid.refused.connect(self._refused)
            self.grids.append(grid)
            self.tabs.addTab(grid, sheet.title)
        self.title.setText(localized(form.template.name, form.template.en))
        self._describe()
        self._recheck()

    def _describe(self) -> None:
        form = self.form
        assert form is not None
        state = rep.state_label(form.state)
        late = _("（逾期）") if form.head and form.head.get("late") else ""
        live = form.live_marks()
        waiting = sum(1 for m in live if not m.confirmed)
        self.info.setText(_("所属期：{period}    截止：{deadline}    状态：{state}{late}    本表预填{n}项（蓝色，请核对），已确认{c}项").format(
            period=form.period, deadline=form.deadline, state=state, late=late, n=len(live), c=len(live) - waiting))
        self.confirm_all_button.setText(_("全部确认预填值（{n}）").format(n=waiting))
        self.confirm_all_button.setEnabled(bool(waiting) and form.editable)
        self.confirm_button.setEnabled(bool(waiting) and form.editable)
        parts = []
        if form.comments:
            items = "".join(f"<li>{html.escape(_where(form, c.get('field', ''), c.get('row'), c.get('column')))}："
                            f"{html.escape(str(c.get('text', '')))}</li>" for c in form.comments)
            parts.append(html.escape(_("下发单位退回修改，请按意见修改后重新上报：")) + f"<ul>{items}</ul>")
        if form.dropped:
            items = "".join(f"<li>{html.escape(p.message)}</li>" for p in form.dropped)
            parts.append(html.escape(_("报表已修订为第{v}版，原草稿已按数据项带入；以下内容未带入：").format(
                v=form.template.version)) + f"<ul>{items}</ul>")
        if form.conflicts:
            parts.append(html.escape(_("有{n}处冲突：两台电脑改了同一格，两个值都已保留，请在下方选定。").format(n=len(form.conflicts))))
        if form.pending:
            parts.append(html.escape(_("有{n}次保存等待同步（离线时会在联网后自动发送）").format(n=form.pending)))
        self.banner.setText("<br>".join(parts))
        self.banner.setVisible(bool(parts))
        editable = form.editable
        for b in (self.save_button, self.submit_button, self.import_button):
            b.setEnabled(editable)
        self.conflicts.clear()
        for c in form.conflicts:
            text = _("{where}：“{kept}”（{kept_from}） / “{other}”（{other_from}）").format(
                where=_where(form, c["field"], c.get("row"), c.get("column")), kept=c.get("kept") or "",
                other=c.get("other") or "", kept_from=self._origin(c.get("kept_device"), c.get("kept_by")),
                other_from=self._origin(c.get("other_device"), c.get("other_by")))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, c)
            self.conflicts.addItem(item)
        if form.conflicts:
            self.conflicts.setCurrentRow(0)
        self.conflicts_label.setText(_("冲突（{n}）").format(n=len(form.conflicts)))
        self.keep_button.setEnabled(bool(form.conflicts) and editable)
        self.other_button.setEnabled(bool(form.conflicts) and editable)

    def _origin(self, device: str | None, user: str | None = None) -> str:
        if device and device == self.device_id:
            return _("本机")
        me = str(self.session.user_id) if self.session is not None else ""
        if user and user != me and self.people.get(user):
            return _("{name}，另一台电脑").format(name=self.people[user])
        return _("另一台电脑")

    def _name_choices(self) -> None:
        item = self.conflicts.currentItem()
        if item is None:
            self.keep_button.setText(_("采用当前值"))
            self.other_button.setText(_("采用另一台电脑的值"))
            return
        c = item.data(Qt.ItemDataRole.UserRole)
        self.keep_button.setText(_("采用“{v}”（{src}）").format(
            v=c.get("kept") or "", src=self._origin(c.get("kept_device"), c.get("kept_by"))))
        self.other_button.setText(_("采用“{v}”（{src}）").format(
            v=c.get("other") or "", src=self._origin(c.get("other_device"), c.get("other_by"))))

    # -- confirming pre-filled values -----------------------------------------------------

    def _current_cell(self) -> tuple[str, str | None, str | None] | None:
        grid = self.tabs.currentWidget()
        if not isinstance(grid, ReportGrid):
            return None
        return grid.sheet.address(grid.currentRow(), grid.currentColumn())

    def confirm_current(self) -> None:
        """确认此预填值: the current cell's pre-filled value is checked and kept."""
        cell = self._current_cell()
        form = self.form
        if form is None or cell is None:
            return
        mark = form.mark(*cell)
        if mark is None or mark.confirmed:
            self._refused(_("当前格不是待确认的预填值，请选中蓝色的格子"))
            return
        self._confirm([cell])

    def confirm_all(self) -> None:
        """全部确认: every pre-filled value still held is checked at once."""
        self._confirm(None)

    def _confirm(self, cells) -> None:
        form = self.form
        if form is None or self.session is None or not form.editable:
            return
        n = rep.confirm_prefilled(form, by=str(self.session.user_id), cells=cells)
        for grid in self.grids:
            grid.reload()
        self._describe()
        self.status.setStyleSheet("color: #006400")
        self.status.setText(_("已确认{n}项预填值").format(n=n))
        self.autosave.start()

    # -- checking as you type -----------------------------------------------------------

    def _recheck(self) -> list:
        form = self.form
        assert form is not None
        problems = form.problems()
        self.problems.clear()
        for p in problems:
            item = QListWidgetItem(p.message)
            item.setData(Qt.ItemDataRole.UserRole, (p.field, p.row, p.column))
            self.problems.addItem(item)
        self.problems_label.setText(_("待修改的问题（{n}）").format(n=len(problems)) if problems else _("没有发现问题，可以上报"))
        marks = {(p.field, p.row, p.column) for p in problems}
        for grid in self.grids:
            grid.reload(marks)
        return problems

    def _edited(self) -> None:
        if self.form is not None:
            self.form.dirty = True  # from the first keystroke: a refresh must not reopen it over the typing
        self._recheck()
        self._describe()
        self.status.setStyleSheet("color: #555")
        self.status.setText(_("正在自动保存…"))
        self.autosave.start()

    def _refused(self, message: str) -> None:
        self.status.setText(message)
        self.status.setStyleSheet("color: #b00000")

    def _go_to_problem(self, item: QListWidgetItem) -> None:
        field, row, column = item.data(Qt.ItemDataRole.UserRole)
        for index, grid in enumerate(self.grids):
            sheet = grid.sheet
            if sheet.key is None and row is None and field in sheet.rows:
                self.tabs.setCurrentIndex(index)
                grid.setCurrentCell(sheet.rows.index(field), 0)
                grid.setFocus()
                return
            if sheet.key == field:
                self.tabs.setCurrentIndex(index)
                r = sheet.rows.index(row) if row in sheet.rows else 0
                c = sheet.columns.index(column) if column in sheet.columns else 0
                grid.setCurrentCell(r, c)
                grid.setFocus()
                return

    # -- writes (on the worker) ---------------------------------------------------------

    def _autosave(self) -> None:
        form, store = self.form, self.session.store if self.session else None
        if form is None or store is None or not form.editable:
            return
        run_op(self, lambda _c: rep.save_draft(store, form), success=self._autosaved, failure=self._failed)

    def _autosaved(self, _changes) -> None:
        self.status.setStyleSheet("color: #555")
        self.status.setText(_("已自动保存到本机（加密）"))
        self.changed.emit()

    def save(self) -> None:
        """Save and share (sent at the next sync)."""
        form, store = self.form, self.session.store if self.session else None
        if form is None or store is None or not form.editable:
            return
        self.autosave.stop()
        run_op(self, lambda _c: rep.share_draft(store, form), success=self._saved, failure=self._failed)

    def _saved(self, _changes) -> None:
        self.status.setStyleSheet("color: #555")
        self.status.setText(_("已保存，联网后同步"))
        self.changed.emit()

    def submit(self) -> None:
        """Submit (上报): refused with the problems listed when something is wrong."""
        form, store = self.form, self.session.store if self.session else None
        if form is None or store is None:
            return
        problems = self._recheck()
        if problems or form.conflicts:
            self._refused(_("还有{n}处问题、{c}处冲突，修改后才能上报").format(n=len(problems), c=len(form.conflicts)))
            return
        self.autosave.stop()
        run_op(self, lambda _c: rep.submit_form(store, form), success=self._submitted, failure=self._failed)

    def _submitted(self, _changes) -> None:
        self.status.setStyleSheet("color: #006400")
        self.status.setText(_("已上报，等待同步到下发单位"))
        for b in (self.save_button, self.submit_button, self.import_button):
            b.setEnabled(False)
        self.changed.emit()

    def _resolve(self, which: str) -> None:
        item = self.conflicts.currentItem() or self.conflicts.item(0)
        form, store = self.form, self.session.store if self.session else None
        if item is None or form is None or store is None:
            return
        c = item.data(Qt.ItemDataRole.UserRole)
        value = c.get(which)
        run_op(self, lambda _c: rep.resolve_conflict(store, form, field=c["field"], row=c.get("row"),
                                                      column=c.get("column"), value=value),
               success=lambda _r: (self._describe(), self._recheck(), self.changed.emit()), failure=self._failed)

    # -- Excel --------------------------------------------------------------------------

    def export_xlsx(self, path: str | None = None) -> None:
        """Write the form as a workbook to fill in Excel/WPS."""
        form = self.form
        if form is None:
            return
        if not path:
            path, _f = QFileDialog.getSaveFileName(self, _("导出Excel"), f"{form.template.name}.xlsx", "Excel (*.xlsx)")
        if not path:
            return
        unit = self.session.unit_name if self.session is not None else ""
        run_op(self, lambda _c: rx.export_form(form.template, form.computed(), Path(path), unit_name=unit, period=form.period),
               success=lambda p: self.status.setText(_("已导出：{path}").format(path=p)), failure=self._failed,
               label=_("正在导出…"))

    def import_xlsx(self, path: str | None = None) -> None:
        """Read a filled workbook (checked like the form); nothing changes if it is malformed."""
        form = self.form
        if form is None or not form.editable:
            return
        if not path:
            path, _f = QFileDialog.getOpenFileName(self, _("导入Excel"), "", "Excel (*.xlsx)")
        if not path:
            return
        run_op(self, lambda _c: rx.import_form(form.template, Path(path), previous=form.previous),
               success=self._imported, failure=self._import_failed, label=_("正在读取Excel…"))

    def _import_failed(self, exc: BaseException) -> None:
        self.problems.clear()
        for line in getattr(exc, "problems", None) or [error_text(exc)]:
            self.problems.addItem(QListWidgetItem(str(line)))
        self.problems_label.setText(_("Excel文件有问题，未导入："))
        self._refused(_("未导入：请按下方列出的问题修改Excel后重试"))

    def _imported(self, result: rx.ImportResult) -> None:
        form = self.form
        assert form is not None
        computed = {c.target.rpartition(".")[2] for c in form.template.computed}
        for key, value in result.values.items():
            if isinstance(value, dict):
                rows = {r: {c: v for c, v in cells.items() if c not in computed} for r, cells in value.items()}
                form.values[key] = rows
            elif key not in computed:
                form.values[key] = value
        for grid in self.grids:
            grid.reload()
        self._edited()
        self.status.setText(_("已导入Excel，共{n}处问题").format(n=len(result.problems)))

    def value(self, field: str, row: str | None = None, column: str | None = None):
        """A value as the form holds it now (for tests)."""
        return cell_of(self.form.values, field, row, column) if self.form else None
