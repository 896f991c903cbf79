"""报表 (一张表) module screen: the reports my unit fills, and the ones it issued (review, 汇总)."""

from __future__ import annotations

from oa_client.domain.forms_values import localized
from oa_client.i18n import _
from oa_client.services import reports as rep
from oa_client.services import reports_dictionary as rd
from oa_client.services import reports_review as rv
from ui.errors import error_text
from ui.labels import tr
from ui.ops import run_op
from ui.qt import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
)
from ui.reload_on_show import ReloadOnShow
from ui.reports.dictionary import DictionaryPanel
from ui.reports.editor import FillPanel
from ui.reports.office import OfficeActions
from ui.reports.review import ReviewPanel
from ui.watermark import Watermark

MODES = ("fill", "issued", "dictionary")
_MODE_IDS = (_("待我单位填报"), _("本单位下发的报表"), _("数据项目录"))
MODE_LABELS = {"fill": "待我单位填报", "issued": "本单位下发的报表", "dictionary": "数据项目录"}


class ReportsPage(ReloadOnShow, QWidget):
    """List of reports on the left; the form, or the review and aggregate, on the right."""

    def __init__(self, title: str, views: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.views = title, views
        self.session = None
        self.mode = "fill"
        self.entries: list[dict] = []
        self.current: dict | None = None
        self.office = OfficeActions(self)
        self.office.done.connect(self._office_done)
        self.office.failed.connect(self._office_failed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold")
        self.prefilled = QLabel()
        self.prefilled.setStyleSheet("color: #1a5fb4")
        self.switch = QComboBox()
        for mode in MODES:
            self.switch.addItem(tr(MODE_LABELS[mode]), mode)
        self.switch.currentIndexChanged.connect(self._switch)
        top.addWidget(self.heading)
        top.addSpacing(20)
        top.addWidget(self.prefilled)
        top.addStretch(1)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        top.addWidget(self.notice, 2)
        self.design_button = QPushButton()
        self.design_button.clicked.connect(self.office.design_new)
        self.issue_button = QPushButton()
        self.issue_button.clicked.connect(self.office.issue_next)
        self.new_item_button = QPushButton()
        self.new_item_button.clicked.connect(self.new_item)
        for b in (self.design_button, self.issue_button, self.new_item_button):
            top.addWidget(b)
        top.addWidget(self.switch)
        layout.addLayout(top)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._row_changed)
        self.splitter.addWidget(self.list)
        self.stack = QStackedWidget()
        self.hint = QLabel()
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setStyleSheet("color: #777")
        self.fill = FillPanel()
        self.review = ReviewPanel()
        self.dictionary = DictionaryPanel()
        self.fill.changed.connect(self.refresh)
        self.review.changed.connect(self.refresh)
        self.review.revise_requested.connect(self.office.revise)
        self.dictionary.saved.connect(lambda code: self.reload(select=code, keep_form=True))
        for w in (self.hint, self.fill, self.review, self.dictionary):
            self.stack.addWidget(w)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([300, 1060])
        self.watermark = Watermark(self.stack)
        layout.addWidget(self.splitter, 1)
        self.retranslate()
        self._buttons()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.heading.setText(tr(self.title))
        for i, mode in enumerate(MODES):
            self.switch.setItemText(i, tr(MODE_LABELS[mode]))
        self.hint.setText(_("在左侧选择一份报表。离线时也可以填报，联网后自动同步。"))
        self.design_button.setText(_("设计新报表…"))
        self.design_button.setToolTip(_("从数据项目录选取数据项，设计一份新报表并下发给下级单位"))
        self.issue_button.setText(_("下发下一期…"))
        self.issue_button.setToolTip(_("把已下发的报表下发到下一期：同一份报表，上期的结转数据自动预填"))
        self.new_item_button.setText(_("新建数据项"))
        self.fill.retranslate()
        self.review.retranslate()

    def set_session(self, session, watermark: str) -> None:
        """Show this session's reports."""
        self.session = session
        self.office.session = session
        self.dictionary.set_session(session)
        self.watermark.set_text(watermark)
        self.mark_dirty()

    def refresh(self) -> None:
        """Data changed (after a sync or a local write): reload the list when shown."""
        self.mark_dirty(lambda: self.reload(keep_form=True))

    def _switch(self, index: int) -> None:
        self.mode = self.switch.itemData(index)
        self._buttons()
        self.list.blockSignals(True)
        self.list.clear()  # the other list's rows are not this mode's (a click on one would open the wrong screen)
        self.list.blockSignals(False)
        self.entries = []
        self.current = None
        self.stack.setCurrentWidget(self.hint)
        self.reload()

    def _buttons(self) -> None:
        for b in (self.design_button, self.issue_button):
            b.setVisible(self.mode == "issued")
        self.new_item_button.setVisible(self.mode == "dictionary")

    # -- the issuing office ------------------------------------------------------------------

    def new_item(self) -> None:
        """新建数据项: a blank definition on the right."""
        self.list.clearSelection()
        self.current = None
        self.dictionary.show_entry(None)
        self.stack.setCurrentWidget(self.dictionary)

    def _office_done(self, message: str) -> None:
        self.notice.setStyleSheet("color: #006400")
        self.notice.setText(message)
        self.refresh()

    def _office_failed(self, message: str) -> None:
        self.notice.setStyleSheet("color: #b00000")
        self.notice.setText(message)

    # -- the list -------------------------------------------------------------------------

    def reload(self, select: str | None = None, keep_form: bool = False) -> None:
        """Read the list on the worker."""
        if self.session is None:
            return
        self.dirty = False
        store, unit, mode = self.session.store, self.session.unit_id, self.mode
        select = select or (self.current or {}).get("id")

        def read(_c):
            if mode == "dictionary":
                return rd.entries(store), 0
            if mode == "issued":
                entries = rv.issued_by(store, unit)
                return entries, 0
            entries = []
            for t in rep.templates_for_unit(store, unit):
                head, _values, draft, _n = rep.server_view(store, t["id"], unit, str(t.get("period")))
                entries.append({**t, "fill_state": (head or {}).get("state") or ("draft" if draft else "new"),
                                "late": bool((head or {}).get("late")),
                                "conflicts": len((head or {}).get("conflicts") or [])})
            periods = {str(t.get("period")) for t in entries}
            return entries, sum(rep.prefilled_count(store, unit, p) for p in periods)

        run_op(self, read, success=lambda r: self._listed(r, select, keep_form) if mode == self.mode else None,
               failure=lambda e: self.hint.setText(error_text(e)), priority=10)

    def _listed(self, result, select: str | None, keep_form: bool) -> None:
        entries, prefilled = result
        self.entries = entries
        self.prefilled.setText(_("本期已为您预填{n}项，不必重复填写").format(n=prefilled) if prefilled else "")
        self.list.blockSignals(True)
        self.list.clear()
        for e in entries:
            if self.mode == "dictionary":
                item = QListWidgetItem(self._item_text(e))
                item.setData(Qt.ItemDataRole.UserRole, e.code)
                self.list.addItem(item)
                continue
            name = localized(e.get("name", ""), (e.get("definition") or {}).get("en", ""))
            if self.mode == "fill":
                late = _("（逾期）") if e.get("late") else ""
                conflicts = "\n" + _("{n}处冲突待处理").format(n=e["conflicts"]) if e.get("conflicts") else ""
                text = f"{name}\n{e.get('period', '')} · {rep.state_label(e['fill_state'])}{late} · " + \
                    _("截止{d}").format(d=e.get("deadline", "")) + conflicts
            else:
                text = f"{name}\n{e.get('period', '')} · " + _("截止{d}").format(d=e.get("deadline", ""))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, e["id"])
            self.list.addItem(item)
        self.list.blockSignals(False)
        if not entries:
            self.hint.setText({"issued": _("暂无报表。"), "dictionary": _("数据项目录还是空的，点“新建数据项”开始定义。")}.get(
                self.mode, _("暂无需要本单位填报的报表。")))
        row = next((i for i, e in enumerate(entries) if self._key(e) == select), -1)
        if row >= 0:
            self.list.blockSignals(True)
            self.list.setCurrentRow(row)
            self.list.blockSignals(False)
            if not keep_form or self.stack.currentWidget() is self.hint:
                self._open(entries[row])
            elif self.mode in ("issued", "dictionary"):
                self._open(entries[row])
            elif self.fill.form is not None and (not self.fill.form.dirty or self.fill.outdated(entries[row])):
                self._open(entries[row])

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self.entries):
            self._open(self.entries[row])

    @staticmethod
    def _key(entry) -> str:
        return entry.code if isinstance(entry, rd.Entry) else entry["id"]

    @staticmethod
    def _item_text(e: rd.Entry) -> str:
        unit = f"（{e.item.unit}）" if e.item.unit else ""
        retired = _("（已停用）") if e.retired else ""
        return f"{e.code}  {e.item.title()}{unit}{retired}\n" + _("第{v}版 · {owner}").format(
            v=e.item.version, owner=e.item.owner or e.unit_name)

    def _open(self, entry) -> None:
        if self.mode == "dictionary":
            self.current = {"id": entry.code}
            self.stack.setCurrentWidget(self.dictionary)
            self.dictionary.show_entry(entry)
            return
        self.current = entry
        if self.mode == "issued":
            self.stack.setCurrentWidget(self.review)
            self.review.open(self.session, entry["id"])
        else:
            self.stack.setCurrentWidget(self.fill)
            self.fill.open(self.session, entry["id"], str(entry.get("period")))

    def select_record(self, collection: str, record_id: str) -> None:
        """Show a template (待填报 / to review) or a submission's form."""
        if self.session is None:
            return
        store, unit = self.session.store, self.session.unit_id

        def find(_c) -> tuple[str, bool]:
            template_id = record_id
            if collection == "submissions":
                template_id = store.records.get("submissions", record_id).get("template_id") or record_id
            return template_id, store.records.get("report_templates", template_id).get("unit_id") == unit

        run_op(self, find, success=self._select_found, failure=lambda e: self.hint.setText(error_text(e)))

    def _select_found(self, found: tuple[str, bool]) -> None:
        template_id, issued = found
        mode = "issued" if issued else "fill"
        if mode != self.mode:
            self.switch.blockSignals(True)
            self.switch.setCurrentIndex(MODES.index(mode))
            self.switch.blockSignals(False)
            self.mode = mode
        self.reload(select=template_id)

    def screenshots(self, shot, window, wait) -> None:
        """The report screens for `python -m ui.screenshots`."""
        from ui.reports.shots import drive

        drive(self, shot, window, wait)
