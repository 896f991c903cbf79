"""The 督办 screen's actions: 立项, progress, extension, 销号, decisions, the 通报 and the
calendar dialogs; each write runs on the worker and then lets the sync push it.

A mixin of `SupervisionPage` (which provides session, task, current_id, result, buttons)."""

from __future__ import annotations

import html
from pathlib import Path

from oa_client.domain.supervision import SUPERVISOR_ROLE, DeadlineWarning
from oa_client.i18n import _
from oa_client.services import supervision as sup
from oa_client.services import supervision_views as views
from ui.ops import run_op
from ui.supervision import dialogs


class SupervisionActions:
    """Dialogs and writes of the supervision page."""

    # -- writes ---------------------------------------------------------------------------

    def _write(self, op, done: str) -> None:
        store, me = self.session.store, self.session.me

        run_op(self, lambda _c: op(store, me), success=lambda _r: self._after_write(done),
               label=_("正在保存…"))

    def _after_write(self, done: str) -> None:
        """A local change: say so, reload, and let the sync push it."""
        self.detail.append(f"<p style='color:#1e8e3e'>{html.escape(done)}</p>")
        self.wrote.emit(self.current_id or "")
        self.refresh()
        sync = getattr(self.window(), "sync", None)
        if sync is not None:
            sync.refresh_counts()
            sync.sync_now()

    def new_task(self) -> dialogs.TaskForm | None:
        """督查室立项 (also leaders): a holiday deadline is warned and adjusted on request."""
        if self.session is None or not self.new_button.isVisible():
            return None
        form = dialogs.TaskForm(self.result.get("units", []), today=self.today(),
                                people=self.result.get("people", []),
                                documents=self.result.get("documents", []), parent=self)
        form.accepted.connect(lambda: self._create(form.values(), None))
        form.open()
        return form

    def _create(self, values: dict, adjust: bool | None) -> None:
        store, me, today = self.session.store, self.session.me, self.today()

        def op(_c):
            return sup.create_task(store, me=me, **values, adjust_deadline=adjust, today=today)

        def done(result) -> None:
            self.current_id = result[0]
            self._after_write(_("督办事项已立项"))

        def failed(exc: BaseException) -> None:
            from ui.errors import show_error
            from ui.qt import QMessageBox

            if isinstance(exc, DeadlineWarning):
                answer = QMessageBox.question(
                    self, _("办结期限是休息日"), exc.message + "\n" + _("是否改为建议的工作日？"),
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
                self._create(values, answer == QMessageBox.StandardButton.Yes)
                return
            show_error(self, exc)
        run_op(self, op, success=done, failure=failed, label=_("正在保存…"))

    def report_progress(self) -> dialogs.ProgressForm | None:
        """报送进展 for my unit (works offline)."""
        if not self.task or not self.report_button.isEnabled():
            return None
        lead = self.session is not None and self.session.unit_id == self.task.get("lead_unit_id")
        open_ = [m for m in self.task.get("milestones") or [] if not m.get("done_on")]
        form = dialogs.ProgressForm(self.task.get("title", ""), self,
                                    milestones=open_ if lead else [])
        form.accepted.connect(lambda: self._submit_progress(form))
        form.open()
        return form

    def _submit_progress(self, form: dialogs.ProgressForm) -> None:
        tid, text, pct, paths = self.current_id, form.text.toPlainText(), \
            form.completion(), list(form.paths)
        reached = form.milestone.currentData()

        def op(store, me):
            files = [(p.name, p.read_bytes()) for p in paths]
            return sup.report_progress(store, me=me, task_id=tid, text=text, percent=pct,
                                       attachments=files, milestone_id=reached)
        self._write(op, _("进展已保存，联网后报送"))

    def request_extension(self) -> dialogs.ExtensionForm | None:
        """申请延期."""
        if not self.task or not self.extend_button.isEnabled():
            return None
        form = dialogs.ExtensionForm(self.task.get("title", ""), self.task.get("deadline", ""),
                                     self)
        tid = self.current_id

        def submit() -> None:
            new, reason = form.new_deadline.date().toPython(), form.reason.toPlainText()
            self._write(lambda st, me: sup.request_extension(
                st, me=me, task_id=tid, new_deadline=new, reason=reason),
                _("延期申请已提交"))
        form.accepted.connect(submit)
        form.open()
        return form

    def request_close(self) -> dialogs.CloseForm | None:
        """申请销号."""
        if not self.task or not self.close_button.isEnabled():
            return None
        form = dialogs.CloseForm(self.task.get("title", ""), self)
        tid = self.current_id
        form.accepted.connect(lambda: self._write(lambda st, me: sup.request_close(
            st, me=me, task_id=tid, result=form.result_box.toPlainText()), _("销号申请已提交")))
        form.open()
        return form

    def decide(self) -> dialogs.DecideForm | None:
        """Decide the pending 销号 (督查室) or extension (督查室 / ordering leader)."""
        t = self.task or {}
        if not self.decide_button.isEnabled():
            return None
        tid = self.current_id
        if t.get("pending_close"):
            p = t["pending_close"]
            form = dialogs.DecideForm(_("销号确认"), p.get("result") or "", yes=_("确认销号"),
                                      no=_("退回重办"), opinion_required_for_no=True, parent=self)

            def submit() -> None:
                yes, opinion = form.approve, form.opinion.toPlainText()
                self._write(lambda st, me: sup.decide_close(
                    st, me=me, task_id=tid, request_id=p["id"], accept=yes, opinion=opinion),
                    _("已提交销号意见"))
        else:
            p = t["pending_extension"]
            text = _("延至{date}，理由：{reason}").format(date=p.get("new_deadline"),
                                                    reason=p.get("reason") or "")
            form = dialogs.DecideForm(_("延期审批"), text, yes=_("同意延期"), no=_("不同意"),
                                      opinion_required_for_no=False, parent=self)

            def submit() -> None:
                yes, opinion = form.approve, form.opinion.toPlainText()
                self._write(lambda st, me: sup.decide_extension(
                    st, me=me, task_id=tid, request_id=p["id"], approve=yes, opinion=opinion),
                    _("已提交延期审批意见"))
        form.accepted.connect(submit)
        form.open()
        return form

    # -- 通报 -------------------------------------------------------------------------------

    def open_bulletin(self) -> dialogs.BulletinDialog:
        """The monthly 督办通报 dialog."""
        from ui.supervision.detail import bulletin_html

        dlg = dialogs.BulletinDialog(self, today=self.today())
        store = self.session.store if self.session else None
        issuer = (self.session.unit_name if self.session else "") or _("督查室")

        def generate() -> None:
            if store is None:
                return
            year, month, today = dlg.year.value(), dlg.month.value(), self.today()
            dlg.busy(True)

            def op(_c):
                from ui.supervision.bulletin import render_bulletin

                b = views.monthly_bulletin(store, year=year, month=month, today=today)
                return b, render_bulletin(b, issuer=issuer, issued=today)

            def done(result) -> None:
                b, pdf = result
                dlg.busy(False)
                dlg.pdf = pdf
                dlg.save.setEnabled(True)
                t = b.totals()
                dlg.status.setText(_("已生成：已办结{done}项，正在办理{doing}项，逾期未办结{late}项"
                                     "（{kb} KB）").format(done=t["done"], doing=t["in_progress"],
                                                          late=t["overdue"], kb=len(pdf) // 1024))
                dlg.preview.setHtml(bulletin_html(b, issuer))

            def failed(exc: BaseException) -> None:
                from ui.errors import error_text

                dlg.busy(False)
                dlg.status.setText(error_text(exc))
            run_op(dlg, op, success=done, failure=failed)

        def save() -> None:
            from ui.qt import QFileDialog

            name, _f = QFileDialog.getSaveFileName(
                dlg, _("保存督办通报"), _("督办通报{y}年{m}月.pdf").format(
                    y=dlg.year.value(), m=dlg.month.value()), "PDF (*.pdf)")
            if name and dlg.pdf:
                pdf = dlg.pdf
                run_op(dlg, lambda _c: Path(name).write_bytes(pdf),
                       success=lambda _r: dlg.status.setText(_("已保存：{path}").format(path=name)))
        def draft() -> None:
            session = self.session
            if session is None or session.transport is None:
                return
            body = {"year": dlg.year.value(), "month": dlg.month.value()}
            dlg.busy(True)

            def done(result: dict) -> None:
                dlg.busy(False)
                dlg.status.setText(_("已生成《{title}》公文草稿，请在待办中核对后送审").format(
                    title=_("关于{year}年{month}月督办事项办理情况的通报").format(
                        year=body["year"], month=body["month"]))
                    if result.get("made") else
                    _("本月的通报公文草稿已存在或本月没有督办事项，请在公文中查看"))
                sync = getattr(self.window(), "sync", None)
                if sync is not None:
                    sync.sync_now()

            def failed(exc: BaseException) -> None:
                from ui.errors import error_text

                dlg.busy(False)
                dlg.status.setText(error_text(exc))
            run_op(dlg, lambda _c: session.transport.request(
                "POST", "/supervision/bulletins", json_body=body).json(),
                success=done, failure=failed)

        dlg.generate.clicked.connect(generate)
        dlg.save.clicked.connect(save)
        dlg.draft.clicked.connect(draft)
        roles = ((self.session.me if self.session else {}) or {}).get("roles") or []
        dlg.draft.setVisible(SUPERVISOR_ROLE in roles and self.session is not None
                             and self.session.transport is not None)
        dlg.open()
        return dlg

    def open_calendar(self):
        """The year's holidays and make-up workdays (督查室)."""
        from ui.supervision.calendar_dialog import CalendarDialog

        if self.session is None:
            return None
        dlg = CalendarDialog(self.session, self, year=self.today().year)
        dlg.open()
        return dlg

    def save_attachment(self, attachment_id: str) -> None:
        """Save a progress report's attachment where the user chooses (read on the worker)."""
        from ui.qt import QFileDialog

        store = self.session.store if self.session else None
        if store is None or not attachment_id:
            return

        def chosen(result: tuple[str, bytes]) -> None:
            name, data = result
            path, _f = QFileDialog.getSaveFileName(self, _("保存附件"), name)
            if path:
                run_op(self, lambda _c: Path(path).write_bytes(data),
                       success=lambda _r: self.detail.append(
                           f"<p style='color:#1e8e3e'>{html.escape(_('已保存：{path}').format(path=path))}</p>"))
        run_op(self, lambda _c: views.read_attachment(store, attachment_id), success=chosen)

