"""需要处理: conflicts and refused changes from sync, and what to do about each."""

from __future__ import annotations

import html
import json

from oa_client.i18n import _
from oa_client.services import conflicts
from ui.errors import error_text
from ui.labels import HIDDEN, field_label, fmt, tr
from ui.ops import run_op
from ui.qt import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    Qt,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    Signal,
)

KIND_NAMES = {"edit": "修改冲突", "delete": "删除冲突", "rejected": "被拒绝的修改",
              "superseded": "已失效的操作", "unreadable": "无法保存的记录"}
_IDS = (_("修改冲突"), _("删除冲突"), _("被拒绝的修改"), _("已失效的操作"), _("无法保存的记录"))


def _fields_html(title: str, data: dict | None, names: dict[str, str],
                 order: list[str] | None = None, other: dict | None = None) -> str:
    if data is None:
        return f"<h3>{html.escape(title)}</h3><p style='color:#777'>{html.escape(_('（无）'))}</p>"
    if data.get("deleted"):
        return f"<h3>{html.escape(title)}</h3><p style='color:#b00000'>{html.escape(_('已删除'))}</p>"
    keys = order or list(data)
    rows = "".join(
        f"<tr><td style='color:#555;padding-right:10px'>{html.escape(field_label(k))}</td>"
        f"<td{_mark(k, data, other)}>{html.escape(fmt(k, data.get(k), names))}</td></tr>"
        for k in keys if k not in HIDDEN and data.get(k) not in (None, "", [], {}))
    return f"<h3>{html.escape(title)}</h3><table>{rows}</table>"


def _mark(key: str, data: dict, other: dict | None) -> str:
    if other is not None and not other.get("deleted") and other.get(key) != data.get(key):
        return " style='background:#fff2a8'"
    return ""


def _order(*records: dict | None) -> list[str]:
    first = ["title", "name", "body", "state", "deadline"]
    keys = [k for k in first if any(r and k in r for r in records)]
    for r in records:
        keys += [k for k in (r or {}) if k not in keys]
    return keys


class ConflictsPanel(QDialog):
    """Lists open conflicts; keep mine, keep theirs, both copies side by side."""

    changed = Signal()

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.items: list[conflicts.Conflict] = []
        self.setWindowTitle(_("需要处理的同步问题"))
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentRowChanged.connect(self._show)
        split.addWidget(self.list)
        right = QWidget()
        rl = QVBoxLayout(right)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setStyleSheet("background:#fff8e1; padding:6px")
        rl.addWidget(self.advice)
        both = QSplitter(Qt.Orientation.Horizontal)
        self.mine = QTextBrowser()
        self.theirs = QTextBrowser()
        both.addWidget(self.mine)
        both.addWidget(self.theirs)
        rl.addWidget(both, 1)
        buttons = QHBoxLayout()
        self.keep_mine_button = QPushButton(_("保留我的"))
        self.keep_mine_button.clicked.connect(lambda: self._resolve("mine"))
        self.keep_theirs_button = QPushButton(_("采用服务器的"))
        self.keep_theirs_button.clicked.connect(lambda: self._resolve("theirs"))
        close = QPushButton(_("关闭"))
        close.clicked.connect(self.accept)
        buttons.addWidget(self.keep_mine_button)
        buttons.addWidget(self.keep_theirs_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        rl.addLayout(buttons)
        split.addWidget(right)
        split.setSizes([260, 820])
        layout.addWidget(split, 1)
        self.resize(1100, 620)
        self.reload()

    def reload(self) -> None:
        """Read the open conflicts on the database worker."""
        store = self.session.store
        run_op(self, lambda _c: conflicts.open_conflicts(store), success=self._loaded,
               failure=lambda exc: self.summary.setText(error_text(exc)))

    def _loaded(self, items: list) -> None:
        self.items = items
        self.list.clear()
        for c in items:
            QListWidgetItem(f"{tr(KIND_NAMES.get(c.kind, c.kind))}：{c.title()}", self.list)
        self.summary.setText(
            _("有 {n} 项需要您决定。每一项都保留着您的版本，处理前不会丢失。").format(n=len(items))
            if items else _("没有需要处理的同步问题。"))
        if items:
            self.list.setCurrentRow(0)
        else:
            self._show(-1)

    def _show(self, row: int) -> None:
        names = self.session.names
        if not 0 <= row < len(self.items):
            self.advice.setText("")
            self.mine.setHtml("")
            self.theirs.setHtml("")
            self.keep_mine_button.setEnabled(False)
            self.keep_theirs_button.setEnabled(False)
            return
        c = self.items[row]
        reason = f"{_('原因')}：{c.message}" if c.message else ""
        self.advice.setText(c.advice + ("\n" + reason if reason else ""))
        server = (c.server or {}).get("data") if c.server else None
        if c.server and c.server.get("deleted"):
            server = {"deleted": True}
        order = _order(c.local, server)
        self.mine.setHtml(_fields_html(_("我的版本"), c.local, names, order, server))
        self.theirs.setHtml(_fields_html(_("服务器版本"), server, names, order, c.local))
        self.keep_mine_button.setEnabled(c.can_keep_mine)
        self.keep_theirs_button.setEnabled(True)
        self.keep_theirs_button.setText(_("采用服务器的") if c.kind in ("edit", "delete")
                                        else _("知道了，放弃我的修改"))

    def current(self) -> conflicts.Conflict | None:
        """The conflict selected."""
        row = self.list.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def _resolve(self, choice: str) -> None:
        c = self.current()
        if c is None:
            return
        store = self.session.store
        fn = conflicts.keep_mine if choice == "mine" else conflicts.keep_theirs
        run_op(self, lambda _c: fn(store, c.id), success=lambda _r: self._resolved(),
               failure=lambda exc: self.summary.setText(error_text(exc)))

    def _resolved(self) -> None:
        self.changed.emit()
        self.reload()


def conflict_json(c: conflicts.Conflict) -> str:
    """Both copies as JSON (for copying out)."""
    return json.dumps({"mine": c.local, "server": c.server}, ensure_ascii=False, indent=2)
