"""The main window for now: opens the encrypted profile, says what it holds, searches it."""

from __future__ import annotations

import html
import logging
from pathlib import Path

from oa_client.errors import KeyUnavailable
from oa_client.i18n import _
from oa_client.store.local import LocalStore, open_store
from oa_client.store.records import COLLECTION_LABELS
from ui.errors import error_text
from ui.ops import run_op
from ui.passphrase_dialog import PassphraseDialog
from ui.qt import (
    QAction,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSettings,
    QSplitter,
    Qt,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    Signal,
)

log = logging.getLogger(__name__)

KIND_LABELS = {"document": "公文", "opinion": "意见", "attachment": "附件", "meeting": "会议"}
SHOWN = (
    "documents", "document_events", "attachments", "meetings", "rooms", "requests",
    "service_items", "report_templates", "submissions", "data_items", "supervision_tasks",
    "units", "users",
)


def _t(label: str) -> str:
    """Translate a label from the tables above (they are gettext ids too)."""
    return _(label)


# gettext ids used through _t(): keep them visible to the extraction test
_LABEL_IDS = (
    _("公文"), _("意见"), _("附件"), _("会议"), _("单位"), _("人员"), _("流转记录"), _("正文修订"),
    _("会议室"), _("事项"), _("申请"), _("数据项"), _("报表"), _("填报"), _("督办事项"),
)


class ProfileWindow(QMainWindow):
    """Opens a profile on a worker, shows its contents and a global search."""

    opened = Signal()  # the profile is open and its summary shown
    failed = Signal(str)

    def __init__(self, profile_dir: Path, *, keyring_backend=None, server_url: str = "",
                 username: str = "") -> None:
        super().__init__()
        self.profile_dir = Path(profile_dir)
        self.keyring_backend = keyring_backend
        self.server_url, self.username = server_url, username
        self.store: LocalStore | None = None
        self.setWindowTitle(_("政务协同办公客户端"))
        self._build()
        self._restore_geometry()

    # -- layout ---------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        bar = QHBoxLayout()
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(_("搜索公文、意见、附件名称、会议（离线可用）"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.returnPressed.connect(self.run_search)
        self.search_button = QPushButton(_("搜索"))
        self.search_button.clicked.connect(self.run_search)
        bar.addWidget(self.search_box, 1)
        bar.addWidget(self.search_button)
        outer.addLayout(bar)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        self.profile_box = QGroupBox(_("本机数据"))
        self.profile_grid = QGridLayout(self.profile_box)
        self.state_label = QLabel(_("正在打开本机加密数据…"))
        self.state_label.setWordWrap(True)
        self.profile_grid.addWidget(self.state_label, 0, 0, 1, 2)
        left_layout.addWidget(self.profile_box)
        self.counts_box = QGroupBox(_("本机保存的内容"))
        self.counts_grid = QGridLayout(self.counts_box)
        left_layout.addWidget(self.counts_box)
        self.retry_button = QPushButton(_("重试"))
        self.retry_button.clicked.connect(self.open_profile)
        self.retry_button.hide()
        left_layout.addWidget(self.retry_button)
        left_layout.addStretch(1)
        self.results = QTextBrowser()
        self.results.setOpenLinks(False)
        self.results.setHtml(self._hint_html())
        left.setMinimumWidth(360)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.results)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([380, 720])
        outer.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage(_("正在打开…"))

        find = QAction(_("搜索"), self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: self.search_box.setFocus())
        self.addAction(find)
        self.resize(1100, 700)

    def _hint_html(self) -> str:
        return "<p style='color:#666'>" + html.escape(
            _("在上方输入关键词（支持一两个字的短词，如“会议”“通知”），按回车搜索。")
        ) + "</p>"

    # -- opening -------------------------------------------------------------------------

    def open_profile(self, passphrase: str | None = None) -> None:
        """Open (or create) the profile in the background."""
        self.retry_button.hide()
        self.state_label.setText(_("正在打开本机加密数据…"))

        def op(_cancel):
            store = open_store(
                self.profile_dir, passphrase=passphrase, keyring_backend=self.keyring_backend,
                server_url=self.server_url, username=self.username,
            )
            return store, store.summary()

        run_op(self, op, success=self._on_opened, failure=self._on_open_failed,
               label=_("正在打开本机加密数据…"))

    def _on_opened(self, result) -> None:
        self.store, counts = result
        self._show_profile(counts)
        self.opened.emit()

    def _on_open_failed(self, exc: BaseException) -> None:
        if isinstance(exc, KeyUnavailable):
            if exc.reason in ("passphrase_required", "wrong_passphrase"):
                self._ask_passphrase("enter", exc.message if exc.reason != "passphrase_required" else "")
                return
            if getattr(exc, "can_use_passphrase", False):
                self._ask_passphrase("create", exc.message)
                return
        self._show_failure(error_text(exc))

    def _ask_passphrase(self, mode: str, reason: str) -> None:
        dialog = PassphraseDialog(self, mode=mode, reason=reason)
        self.passphrase_dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.open_profile(dialog.passphrase())
        else:
            self._show_failure(_("未打开本机数据。"))

    def _show_failure(self, message: str) -> None:
        self.state_label.setText(message)
        self.state_label.setStyleSheet("color: #b00000")
        self.retry_button.show()
        self.counts_box.hide()
        self.statusBar().showMessage(_("本机数据未打开"))
        self.failed.emit(message)

    def _show_profile(self, counts: dict[str, int]) -> None:
        assert self.store is not None
        p = self.store.profile
        self.state_label.setStyleSheet("")
        self.counts_box.show()
        source = (
            _("SQLCipher 4 加密，密钥保存在系统密钥环")
            if p.key_source == "keyring"
            else _("SQLCipher 4 加密，由口令保护（Argon2id）")
        )
        rows = [
            (_("位置"), str(p.path)),
            (_("加密"), source),
            (_("数据版本"), str(self.store.db.user_version)),
            (_("打开耗时"), _("{ms:.0f} 毫秒").format(ms=self.store.open_ms)),
        ]
        self.state_label.setText(_("本机加密数据已打开。"))
        for i, (k, v) in enumerate(rows, start=1):
            key = QLabel(k + _("："))
            value = QLabel(v)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.profile_grid.addWidget(key, i, 0, Qt.AlignmentFlag.AlignTop)
            self.profile_grid.addWidget(value, i, 1)
        self._show_counts(counts)
        pending = counts.get("outbox", 0)
        self.statusBar().showMessage(
            _("离线（{n} 项待同步）").format(n=pending) if pending else _("本机数据已加密保存")
        )

    def _show_counts(self, counts: dict[str, int]) -> None:
        while self.counts_grid.count():
            item = self.counts_grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for i, name in enumerate(SHOWN):
            label = QLabel(_t(COLLECTION_LABELS[name]))
            number = QLabel(str(counts.get(name, 0)))
            number.setAlignment(Qt.AlignmentFlag.AlignRight)
            number.setObjectName(f"count_{name}")
            self.counts_grid.addWidget(label, i // 2, (i % 2) * 2)
            self.counts_grid.addWidget(number, i // 2, (i % 2) * 2 + 1)
        total = sum(counts.get(n, 0) for n in SHOWN)
        if total == 0:
            empty = QLabel(_("本机还没有数据：登录并同步后，公文、会议等会保存在这里。"))
            empty.setWordWrap(True)
            self.counts_grid.addWidget(empty, 20, 0, 1, 4)

    # -- search ----------------------------------------------------------------------------

    def run_search(self) -> None:
        """Search the profile in the background and show grouped, highlighted results."""
        query = self.search_box.text().strip()
        if not query:
            self.results.setHtml(self._hint_html())
            return
        if self.store is None:
            self.results.setHtml("<p>" + html.escape(_("本机数据尚未打开。")) + "</p>")
            return
        store = self.store
        run_op(self, lambda _c: store.search(query, limit=100),
               success=lambda hits: self._show_hits(query, hits))

    def _show_hits(self, query: str, hits) -> None:
        if not hits:
            self.results.setHtml(
                "<p>" + html.escape(_("没有找到与“{q}”相关的内容。").format(q=query)) + "</p>"
            )
            self.last_hits = []
            return
        self.last_hits = hits
        groups: dict[str, list] = {}
        for hit in hits:
            groups.setdefault(hit.kind, []).append(hit)
        parts = []
        for kind in ("document", "opinion", "attachment", "meeting"):
            if kind not in groups:
                continue
            parts.append(
                f"<h3>{html.escape(_t(KIND_LABELS[kind]))}（{len(groups[kind])}）</h3>"
            )
            for hit in groups[kind]:
                parts.append(
                    f"<p><b style='color:#8b0000'>{hit.title_html()}</b><br>"
                    f"<span style='color:#444'>{hit.snippet_html()}</span></p>"
                )
        self.results.setHtml("".join(parts))

    # -- window state ---------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("profile_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("profile_window/splitter")
        if state is not None:
            self.splitter.restoreState(state)

    def closeEvent(self, event) -> None:
        """Remember geometry and close the database."""
        settings = QSettings()
        settings.setValue("profile_window/geometry", self.saveGeometry())
        settings.setValue("profile_window/splitter", self.splitter.saveState())
        if self.store is not None:
            self.store.close()
            self.store = None
        super().closeEvent(event)
