"""The 正式文件 of the document window: the seal verdict (通过/未通过, who sealed it, when,
why) for the window's header, and a tab with a preview of the sealed PDF's first pages
(drawn on a worker, shown here side by side, scaled to the height there is)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oa_client.i18n import _
from oa_client.services.documents_view import OfficialFile
from ui.qt import (
    QHBoxLayout,
    QImage,
    QLabel,
    QPixmap,
    QPushButton,
    QScrollArea,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

GREEN, RED, AMBER = "#1b6e20", "#b00000", "#6b5400"


def _when(text: str) -> str:
    """An ISO time as 2026-05-01 09:30 in local time ("" when there is none)."""
    try:
        return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return ""


def verdict_text(official: OfficialFile | None, *, seal_state: str, seal_error: str,
                 offline: bool) -> tuple[str, str]:
    """(plain text, colour) of what the window says about the 正式文件 now."""
    if official is None:
        if seal_state == "failed":
            return _("正式文件生成失败：{reason}").format(reason=seal_error or _("原因不明")), RED
        if seal_state == "pending":
            return _("待用印：服务器正在生成盖章的正式文件"), AMBER
        return (_("待用印：联网后由服务器生成盖章的正式文件") if offline
                else _("待用印：用印后由服务器生成盖章的正式文件")), AMBER
    if not official.downloaded:
        return _("正式文件尚未下载到本机，联网同步后自动下载并验章"), AMBER
    v = official.verdict
    if v is None:
        return _("正在验章…"), AMBER
    who = v.get("signer") or _("未知")
    when = _when(str(v.get("signed_at") or "")) or _("未知")
    if v.get("ok"):
        return _("验章结果：通过　签章单位：{who}　盖章时间：{when}　事由：{reason}").format(
            who=who, when=when, reason=v.get("reason") or "—"), GREEN
    problems = "；".join(str(p) for p in v.get("problems") or []) or _("原因不明")
    return _("验章结果：未通过　签章单位：{who}　盖章时间：{when}　原因：{why}").format(
        who=who, when=when, why=problems), RED


class OfficialView(QWidget):
    """The file's name, 重新验章 and 另存为, and the page previews."""

    save_requested = Signal(str)  # attachment id
    recheck_requested = Signal(str)  # attachment id
    remake_requested = Signal()  # the seal keeper asks the server again after a failure

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.official: OfficialFile | None = None
        self.images: list[QImage] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.name = QLabel()
        self.name.setWordWrap(True)
        self.save = QPushButton(_("另存为(&S)…"))
        self.save.clicked.connect(lambda: self._ask(self.save_requested))
        self.recheck = QPushButton(_("重新验章"))
        self.recheck.clicked.connect(lambda: self._ask(self.recheck_requested))
        row.addWidget(self.name, 1)
        self.remake = QPushButton(_("重新生成正式文件"))
        self.remake.clicked.connect(self.remake_requested.emit)
        self.remake.hide()
        row.addWidget(self.remake)
        row.addWidget(self.recheck)
        row.addWidget(self.save)
        layout.addLayout(row)
        self.pages = QWidget()
        self.pages_layout = QHBoxLayout(self.pages)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.pages)
        self.scroll.setStyleSheet("QScrollArea{background:#e6e6e6}")
        layout.addWidget(self.scroll, 1)
        self.placeholder = QLabel()
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color:#666")
        self.pages_layout.addWidget(self.placeholder)

    def _ask(self, signal: Any) -> None:
        if self.official is not None:
            signal.emit(self.official.attachment_id)

    def show_file(self, official: OfficialFile | None, *, seal_state: str, seal_error: str,
                  offline: bool, may_remake: bool = False) -> None:
        """Say where the 正式文件 stands (the preview comes later); `may_remake` offers the
        seal keeper to ask the server again when making it failed."""
        changed = (official is None or self.official is None
                   or official.sha256 != self.official.sha256)
        self.official = official
        text, _colour = verdict_text(official, seal_state=seal_state, seal_error=seal_error,
                                     offline=offline)
        self.name.setText(f"{official.name}（{max(1, official.size // 1024)} KB）"
                          if official else "")
        ready = official is not None and official.downloaded
        self.save.setEnabled(ready)
        self.recheck.setEnabled(ready)
        self.remake.setVisible(official is None and seal_state == "failed" and may_remake
                               and not offline)
        if changed:
            self.set_pages([])
            self.placeholder.setText(_("正在生成预览…") if ready else text)

    def set_pages(self, pngs: list[bytes]) -> None:
        """Show the drawn pages (PNG bytes from the worker)."""
        while self.pages_layout.count() > 1:
            item = self.pages_layout.takeAt(1)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.placeholder.setVisible(not pngs)
        self.images = [QImage.fromData(png, "PNG") for png in pngs]
        for index in range(len(self.images)):
            page = QLabel()
            page.setStyleSheet("background:white;border:1px solid #999")
            page.setAccessibleName(_("正式文件第 {n} 页").format(n=index + 1))
            self.pages_layout.addWidget(page, 0, Qt.AlignmentFlag.AlignTop)
        self._fit()

    def _fit(self) -> None:
        """Scale the pages to the height of the view (whole pages, side by side)."""
        height = max(200, self.scroll.viewport().height() - 24)
        for index, image in enumerate(self.images):
            label = self.pages_layout.itemAt(index + 1).widget()
            label.setPixmap(QPixmap.fromImage(image).scaledToHeight(
                height, Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: Any) -> None:
        """Keep whole pages in view when the window is resized."""
        super().resizeEvent(event)
        if self.images:
            self._fit()

    def preview_failed(self, text: str) -> None:
        """Say why there is no preview."""
        self.set_pages([])
        self.placeholder.setText(text)

    def page_count(self) -> int:
        """How many page previews are shown."""
        return self.pages_layout.count() - 1
