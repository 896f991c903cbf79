"""安全审计员 · 审计日志: filter by who, what, when and record; export to Excel; verify the
chain against every signed checkpoint this client has kept in its encrypted profile."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from oa_client.errors import SyncError
from oa_client.i18n import _
from oa_client.services import audit_checkpoints as checkpoints
from oa_client.services import audit_view as view
from sync import admin as api
from ui.admin.common import AdminPage, Table
from ui.errors import error_text
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

SHOWN = 500


def _day_start(d: QDate) -> datetime:
    """Local midnight of a date, as an aware datetime."""
    local = datetime.combine(d.toPython(), time.min).astimezone()
    return local.astimezone(UTC)


def verdict_text(answer: dict, *, held: int) -> tuple[str, bool]:
    """The checkpoint verdict in words, and whether it is good."""
    if answer.get("ok"):
        return _("审计链完整：共 {rows} 条记录，与本机保存的 {n} 个签名检查点一致（最新检查点第 {seq} 条）。").format(
            rows=answer.get("rows"), n=held, seq=answer.get("latest_seq")), True
    first = answer.get("first_bad_seq")
    message = answer.get("message") or ""
    return _("审计链校验未通过：从第 {seq} 条起与检查点不符。{message}").format(
        seq=first, message=message), False


class AuditPage(AdminPage):
    """The audit log with filters, export and verification."""

    title = "审计日志"

    def __init__(self, session) -> None:
        super().__init__(session)
        self.names: dict[str, str] = {}
        self.rows: list[dict] = []
        self.who = QComboBox()
        self.who.setMinimumWidth(140)
        self.who.addItem(_("全部人员"), "")
        self.tools.addWidget(QLabel(_("操作人：")))
        self.tools.addWidget(self.who)
        self.what = QComboBox()
        for label, prefix in view.CATEGORIES:
            self.what.addItem(_(label), prefix)
        self.tools.addWidget(QLabel(_("操作：")))
        self.tools.addWidget(self.what)
        self.record = QLineEdit()
        self.record.setPlaceholderText(_("记录（对象编号的一部分）"))
        self.tools.addWidget(self.record, 1)
        self.use_dates = QCheckBox(_("日期："))
        self.tools.addWidget(self.use_dates)
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-7))
        self.until = QDateEdit(today)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            self.tools.addWidget(edit)
        self.search_button = self.button(_("查询"), self.refresh)
        self.table = Table(view.COLUMNS)
        self.layout_.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        export = QGroupBox(_("导出"))
        ex = QHBoxLayout(export)
        self.export_path = QLineEdit(str(Path.home() / f"审计日志-{today.toString('yyyyMMdd')}.xlsx"))
        ex.addWidget(self.export_path, 1)
        browse = QPushButton(_("浏览…"))
        browse.clicked.connect(self.browse)
        ex.addWidget(browse)
        self.export_button = QPushButton(_("导出 Excel"))
        self.export_button.clicked.connect(self.export)
        ex.addWidget(self.export_button)
        bottom.addWidget(export, 1)
        verify = QGroupBox(_("审计链校验"))
        vl = QVBoxLayout(verify)
        row = QHBoxLayout()
        self.verify_button = QPushButton(_("校验审计链"))
        self.verify_button.clicked.connect(self.verify)
        self.checkpoint_button = QPushButton(_("立即生成检查点"))
        self.checkpoint_button.clicked.connect(self.make_checkpoint)
        row.addWidget(self.verify_button)
        row.addWidget(self.checkpoint_button)
        row.addStretch(1)
        vl.addLayout(row)
        self.verdict = QLabel(_("尚未校验。"))
        self.verdict.setWordWrap(True)
        vl.addWidget(self.verdict)
        bottom.addWidget(verify, 1)
        self.layout_.addLayout(bottom)
        self.finish_layout()

    def filters(self) -> dict:
        """The filters as the server takes them."""
        out = {"actor": self.who.currentData() or None,
               "action_prefix": self.what.currentData() or None,
               "target": self.record.text().strip() or None}
        if self.use_dates.isChecked():
            out["since"] = _day_start(self.since.date()).isoformat()
            out["until"] = (_day_start(self.until.date()) + timedelta(days=1)).isoformat()
        return out

    def refresh(self) -> None:
        """Read the names (once) and the newest rows matching the filters."""
        transport, filters, need_names = self.transport, self.filters(), not self.names

        def op():
            people = api.people(transport) if need_names else None
            return people, api.audit_rows(transport, newest_first=True, limit=SHOWN, **filters)

        self.read(op, self._show)

    def _show(self, answer) -> None:
        people, self.rows = answer
        if people is not None:
            self.names = {p["id"]: p["name"] for p in people}
            for p in people:
                self.who.addItem(f"{p['name']}（{p['unit']['name']}）", f"user:{p['id']}")
        self.table.fill(self.rows, lambda r: view.row_cells(r, self.names))
        more = _("（只显示最新的 {n} 条，导出可得全部）").format(n=SHOWN) if len(self.rows) >= SHOWN else ""
        self.say(_("共 {n} 条记录").format(n=len(self.rows)) + more)

    def browse(self) -> None:
        """Choose where the workbook goes."""
        path, _filter = QFileDialog.getSaveFileName(self, _("导出审计日志"), self.export_path.text(),
                                                    _("Excel 工作簿 (*.xlsx)"))
        if path:
            self.export_path.setText(path)

    def export(self) -> None:
        """Write every row matching the filters to the workbook (on a worker)."""
        transport, filters, names = self.transport, self.filters(), dict(self.names)
        path = Path(self.export_path.text().strip()).expanduser()
        title = _("审计日志（导出于 {when}，导出人 {who}）").format(
            when=datetime.now().strftime("%Y-%m-%d %H:%M"), who=self.session.display_name)

        def op() -> int:
            rows = view.all_rows(lambda **kw: api.audit_rows(transport, **kw), **filters)
            return view.export_xlsx(rows, path, names=names, title=title)

        self.call(op, lambda n: self.say(_("已导出 {n} 条记录到 {path}").format(n=n, path=path)))

    def make_checkpoint(self) -> None:
        """Ask the server to sign a checkpoint now, and keep it."""
        transport, store = self.transport, self.session.store

        def op() -> dict:
            cp = api.new_checkpoint(transport)
            checkpoints.remember(store, [cp])
            return cp

        self.call(op, lambda cp: self.say(_("已生成并保存检查点：第 {seq} 条").format(seq=cp["seq"])))

    def verify(self) -> None:
        """Fetch new checkpoints into the profile, then verify the chain against all held."""
        transport, store = self.transport, self.session.store

        def op() -> tuple[dict, int]:
            fresh = api.checkpoints(transport, after_seq=checkpoints.latest_seq(store))
            checkpoints.remember(store, fresh)
            held = checkpoints.held(store)
            return api.verify_against(transport, held), len(held)

        self.verify_button.setEnabled(False)
        self.verdict.setText(_("正在校验…"))
        self.call(op, self._verdict)

    def _verdict(self, answer: tuple[dict, int]) -> None:
        self.verify_button.setEnabled(True)
        text, good = verdict_text(answer[0], held=answer[1])
        self.verdict.setStyleSheet("color:#2e6b2e; font-weight:bold" if good else
                                   "color:#b00000; font-weight:bold")
        self.verdict.setText(text)

    def failed(self, exc: BaseException) -> None:
        """A refusal; a server without checkpoints is said plainly."""
        self.verify_button.setEnabled(True)
        if isinstance(exc, SyncError) and exc.kind == "not_found":
            self.verdict.setStyleSheet("color:#b00000")
            self.verdict.setText(_("服务器未提供审计检查点，无法与检查点比对。"))
            return
        if getattr(exc, "field", None) == "checkpoint":  # the server changed a checkpoint
            self.verdict.setStyleSheet("color:#b00000; font-weight:bold")
            self.verdict.setText(error_text(exc))
            return
        super().failed(exc)
