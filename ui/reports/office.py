"""The issuing office's actions on reports, each read on the worker, asked in a dialog, written on
the worker: design a new template and issue it, issue the next period of one already issued
(same family: last period pre-fills it), and revise an issued template."""

from __future__ import annotations

import datetime as dt

from oa_client.domain.reports import period_key
from oa_client.domain.reports_records import is_subordinate, template_of
from oa_client.i18n import _
from oa_client.services import reports_dictionary as rd
from oa_client.services import reports_issue as ri
from oa_client.services.org_order import in_org_order, unit_rank
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import QObject, QWidget, Signal
from ui.reports.designer import DesignerDialog
from ui.reports.issue_dialog import IssueChoice, IssueDialog

DEFAULT_DAYS = 10


def _below(store, unit: str) -> list[dict]:
    """Our subordinate units, in the org's order."""
    units = store.records.list("units", limit=100_000)
    by_id = {u["id"]: u for u in units}
    below = [u["id"] for u in units if is_subordinate(
        u["id"], unit, parent_of=lambda x: (by_id.get(x) or {}).get("parent_id"),
        level_of=lambda x: (by_id.get(x) or {}).get("level"))]
    return [by_id[u] for u in in_org_order(below, unit_rank(store), {k: v.get("name", "") for k, v in by_id.items()})]


class OfficeActions(QObject):
    """Design, issue, issue next and revise, for the page that owns it; `done` says what happened."""

    done = Signal(str)  # a message for the status line (something was queued)
    failed = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.widget = parent
        self.session = None
        self.designer: DesignerDialog | None = None
        self.issue_dialog: IssueDialog | None = None
        self.revising: str | None = None

    def _fail(self, exc: BaseException) -> None:
        problems = getattr(exc, "problems", None)
        self.failed.emit("\n".join(str(p) for p in problems) if problems else error_text(exc))

    # -- design a new template --------------------------------------------------------------

    def design_new(self) -> None:
        """设计新报表: the dictionary is read first, then the designer opens."""
        self._open_designer(None)

    def revise(self, record_id: str) -> None:
        """修订报表: the designer on the template as issued; saving makes its next version."""
        self._open_designer(record_id)

    def _open_designer(self, record_id: str | None) -> None:
        if self.session is None:
            return
        store = self.session.store

        def read(_c):
            entries = rd.entries(store)
            template = template_of(store.records.get("report_templates", record_id)) if record_id else None
            return {e.code: e.item for e in entries}, {e.code for e in entries if e.retired}, template

        run_op(self.widget, read, success=lambda r: self._design(record_id, *r), failure=self._fail)

    def _design(self, record_id: str | None, items, retired, template) -> None:
        self.revising = record_id
        self.designer = DesignerDialog(items, retired=retired, template=template, parent=self.widget)
        self.designer.accepted.connect(self._designed)
        self.designer.open()

    def _designed(self) -> None:
        template = self.designer.template() if self.designer else None
        if template is None or self.session is None:
            return
        store = self.session.store
        if self.revising:
            record_id = self.revising
            run_op(self.widget, lambda _c: ri.revise_template(store, record_id=record_id, template=template),
                   success=lambda _r: self.done.emit(_("已保存修订，联网同步后生效；各单位已填的草稿按数据项带入新版")),
                   failure=self._fail)
            return
        today = dt.date.today()
        choice = IssueChoice(template, None, period_key(template.period, today), today + dt.timedelta(days=DEFAULT_DAYS))
        self._ask([choice])

    # -- issue ------------------------------------------------------------------------------

    def issue_next(self) -> None:
        """下发下一期: offer every template this unit issued, each for the period after its last."""
        if self.session is None:
            return
        store, unit = self.session.store, str(self.session.unit_id)

        def read(_c):
            choices = []
            for record in ri.issued_by(store, unit):
                try:
                    nxt = ri.next_issue(record)
                except (ValueError, KeyError):
                    continue
                choices.append(IssueChoice(nxt.template, nxt.record_id, nxt.period, nxt.deadline, nxt.recipients,
                                           nxt.last_period))
            return choices

        run_op(self.widget, read, success=self._next_read, failure=self._fail)

    def _next_read(self, choices: list[IssueChoice]) -> None:
        if not choices:
            self.failed.emit(_("本单位还没有下发过报表，请先“设计新报表”"))
            return
        self._ask(choices)

    def _ask(self, choices: list[IssueChoice]) -> None:
        store, unit = self.session.store, str(self.session.unit_id)
        run_op(self.widget, lambda _c: _below(store, unit), success=lambda units: self._show_issue(choices, units),
               failure=self._fail)

    def _show_issue(self, choices: list[IssueChoice], units: list[dict]) -> None:
        self.issue_dialog = IssueDialog(choices, units, parent=self.widget)
        self.issue_dialog.accepted.connect(self._issue_chosen)
        self.issue_dialog.open()

    def _issue_chosen(self) -> None:
        choice, period, deadline, recipients = self.issue_dialog.choice()
        store, unit = self.session.store, str(self.session.unit_id)

        def write(_c):
            if choice.record_id:
                return ri.issue_next(store, record_id=choice.record_id, period=period, deadline=deadline,
                                     recipients=recipients)
            return ri.issue_template(store, template=choice.template, period=period, deadline=deadline,
                                     recipients=recipients, unit_id=unit)

        run_op(self.widget, write, success=lambda _r: self.done.emit(
            _("已下发“{name}”{period}期，联网后送达{n}个单位").format(name=choice.template.name, period=period,
                                                            n=len(recipients))), failure=self._fail)
