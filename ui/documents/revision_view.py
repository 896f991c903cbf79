"""正文 with 痕迹: the clean copy, or two revisions compared with additions and deletions marked."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from oa_client.i18n import _
from oa_client.services.documents import compare
from ui.labels import short_time
from ui.ops import run_op
from ui.qt import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    Qt,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    Signal,
)

Segment = tuple[str, str]  # ("equal" | "insert" | "delete", text)
INS_STYLE = "color:#0a6b22;background:#e3f6e6;text-decoration:underline"
DEL_STYLE = "color:#b00000;background:#fbe4e4;text-decoration:line-through"


def _paragraphs(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def clean_html(body: str) -> str:
    """The clean copy (清稿) as HTML."""
    return f"<div style='line-height:150%;font-size:15px'>{_paragraphs(body)}</div>"


def marked_html(segments: Sequence[Segment]) -> str:
    """The marked copy (痕迹): insertions underlined green, deletions struck through red."""
    parts = []
    for kind, text in segments:
        if kind == "insert":
            parts.append(f"<span style='{INS_STYLE}'>{_paragraphs(text)}</span>")
        elif kind == "delete":
            parts.append(f"<span style='{DEL_STYLE}'>{_paragraphs(text)}</span>")
        else:
            parts.append(_paragraphs(text))
    return f"<div style='line-height:150%;font-size:15px'>{''.join(parts)}</div>"


def _label(rev: dict, names: dict[str, str]) -> str:
    who = names.get(str(rev.get("author_id") or ""), rev.get("author_name") or "")
    when = short_time(rev.get("created_at"))
    step = rev.get("step_name") or ""
    flag = _("（冲突稿）") if rev.get("conflicted") else ""
    return " ".join(p for p in (f"#{rev.get('no', '')}", step, who, when) if p) + flag


class RevisionView(QWidget):
    """Body viewer: 清稿 / 痕迹 switch and the two revisions being compared."""

    shown = Signal(str)  # "clean" or "marked"

    def __init__(self, parent: QWidget | None = None,
                 differ: Callable[[str, str], list[Segment]] | None = None) -> None:
        super().__init__(parent)
        self.differ = differ or compare
        self.revisions: list[dict] = []
        self.names: dict[str, str] = {}
        self.body = ""
        self.mode = "clean"
        self.segments: list[Segment] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.clean_button = QPushButton(_("清稿(&Q)"))
        self.marked_button = QPushButton(_("显示痕迹(&H)"))
        self.group = QButtonGroup(self)
        for b in (self.clean_button, self.marked_button):
            b.setCheckable(True)
            self.group.addButton(b)
            bar.addWidget(b)
        self.clean_button.setChecked(True)
        self.clean_button.clicked.connect(lambda: self.show_mode("clean"))
        self.marked_button.clicked.connect(lambda: self.show_mode("marked"))
        bar.addSpacing(12)
        self.from_label = QLabel(_("对比："))
        bar.addWidget(self.from_label)
        self.old_combo = QComboBox()
        self.old_combo.setAccessibleName(_("对比的旧稿"))
        self.new_combo = QComboBox()
        self.new_combo.setAccessibleName(_("对比的新稿"))
        self.to_label = QLabel(_("→"))
        bar.addWidget(self.old_combo, 1)
        bar.addWidget(self.to_label)
        bar.addWidget(self.new_combo, 1)
        self.old_combo.currentIndexChanged.connect(self._pick)
        self.new_combo.currentIndexChanged.connect(self._pick)
        bar.addStretch(0)
        self.bar = bar
        layout.addLayout(bar)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.legend)
        self.text = QTextBrowser()
        self.text.setAccessibleName(_("正文"))
        layout.addWidget(self.text, 1)
        self._update_controls()

    def set_content(self, body: str, revisions: list[dict], names: dict[str, str]) -> None:
        """Show `body` clean; `revisions` (oldest first, each with `body`) feed the comparison."""
        self.body, self.revisions, self.names = body, list(revisions), names
        for combo in (self.old_combo, self.new_combo):
            combo.blockSignals(True)
            combo.clear()
            for i, rev in enumerate(self.revisions):
                combo.addItem(_label({**rev, "no": rev.get("no", i)}, names))
            combo.blockSignals(False)
        if len(self.revisions) >= 2:
            self.old_combo.setCurrentIndex(len(self.revisions) - 2)
            self.new_combo.setCurrentIndex(len(self.revisions) - 1)
        self._update_controls()
        self.show_mode(self.mode)

    def _update_controls(self) -> None:
        many = len(self.revisions) >= 2
        self.marked_button.setEnabled(many)
        for w in (self.old_combo, self.new_combo, self.from_label, self.to_label):
            w.setVisible(many and self.mode == "marked")
        if not many:
            self.marked_button.setToolTip(_("只有一稿，没有修改痕迹"))

    def _pick(self, _index: int) -> None:
        if self.mode == "marked":
            self.show_mode("marked")

    def show_mode(self, mode: str) -> None:
        """Switch between the clean copy and the marked comparison."""
        if mode == "marked" and len(self.revisions) < 2:
            mode = "clean"
        self.mode = mode
        (self.marked_button if mode == "marked" else self.clean_button).setChecked(True)
        self._update_controls()
        self.legend.setVisible(mode == "marked")
        if mode == "clean":
            self.legend.setText("")
            self.text.setHtml(clean_html(self.body))
            self.shown.emit(mode)
            return
        old = self.revisions[self.old_combo.currentIndex()].get("body") or ""
        new = self.revisions[self.new_combo.currentIndex()].get("body") or ""
        self.legend.setText(
            f"<span style='{INS_STYLE}'>{html.escape(_('新增内容'))}</span>　"
            f"<span style='{DEL_STYLE}'>{html.escape(_('删除内容'))}</span>")
        differ = self.differ
        run_op(self, lambda _c: differ(old, new), success=self._diffed, pool="general")

    def _diffed(self, segments: list[Segment]) -> None:
        if self.mode != "marked":
            return
        self.segments = list(segments)
        self.text.setHtml(marked_html(self.segments))
        self.shown.emit("marked")

    def counts(self) -> tuple[int, int]:
        """Characters added and deleted in the shown comparison."""
        added = sum(len(t) for k, t in self.segments if k == "insert")
        deleted = sum(len(t) for k, t in self.segments if k == "delete")
        return added, deleted
