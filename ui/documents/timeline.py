"""The flow timeline (every opinion, signature, time, 代…) and the receipts table (回执)."""

from __future__ import annotations

import html
import json

from oa_client.i18n import _
from oa_client.services.documents_view import Receipt, TimelineEntry, receipt_label
from ui.documents.signature_pad import render_strokes
from ui.labels import short_time
from ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QHBoxLayout,
    QHeaderView,
    QImage,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QUrl,
    QWidget,
    Signal,
)

OUTCOME_BADGES = {
    "pending": ("待同步", "#7a6a00", "#fff6cc"),
    "superseded": ("已失效：该环节已由他人办理，意见保留", "#6b4a00", "#fde9c8"),
    "rejected": ("未被接受", "#9b0000", "#fbe4e4"),
}
_BADGE_IDS = (_("待同步"), _("已失效：该环节已由他人办理，意见保留"), _("未被接受"))
RECEIPT_COLORS = {"sent": "#555555", "delivered": "#1f5fa8", "received": "#0a6b22",
                  "returned": "#b00000", "refused": "#b00000"}


class Timeline(QTextBrowser):
    """Read-only list of the flow's actions, oldest first, signatures drawn from their strokes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setAccessibleName(_("流转记录"))
        self.entries: list[TimelineEntry] = []

    def _signature(self, entry: TimelineEntry, kind: str, value: object) -> str:
        image: QImage | None = None
        if kind == "strokes" and value:
            try:
                image = render_strokes(value if isinstance(value, (dict, str)) else
                                       json.dumps(value), 44)
            except (ValueError, TypeError):
                image = None
        elif kind == "png" and isinstance(value, (bytes, bytearray)):
            image = QImage.fromData(bytes(value))
            if not image.isNull():
                image = image.scaledToHeight(44)
        if image is None or image.isNull() or image.width() <= 1:
            return (f"<span style='color:#999'>{html.escape(_('（手写签名尚未下载）'))}</span>"
                    if kind == "missing" else "")
        url = f"sig:{entry.event_id}"
        self.document().addResource(self.document().ResourceType.ImageResource, QUrl(url), image)
        return f"<img src='{url}' height='44'>"

    def show_entries(self, entries: list[TimelineEntry],
                     signatures: dict[str, tuple[str, object]]) -> None:
        """Render the timeline."""
        self.entries = list(entries)
        if not entries:
            self.setHtml(f"<p style='color:#777'>{html.escape(_('尚无办理记录'))}</p>")
            return
        parts = []
        for e in entries:
            badge = ""
            if e.outcome in OUTCOME_BADGES:
                text, fg, bg = OUTCOME_BADGES[e.outcome]
                badge = (f" <span style='color:{fg};background:{bg}'>&nbsp;{html.escape(_(text))}"
                         f"&nbsp;</span>")
            who = html.escape(e.actor_name or e.actor_id)
            if e.delegated_note:
                who += f" <span style='color:#1f5fa8'>（{html.escape(e.delegated_note)}）</span>"
            step = html.escape(e.step_name or "")
            head = (f"<b>{step}</b>　{html.escape(e.action_label)}" if step
                    else f"<b>{html.escape(e.action_label)}</b>")
            opinion = (f"<div style='margin:3px 0 3px 12px;font-size:14px'>"
                       f"{html.escape(e.opinion)}</div>" if e.opinion else "")
            reason = (f"<div style='color:#b00000;margin-left:12px'>{html.escape(e.reason)}</div>"
                      if e.reason else "")
            kind, value = signatures.get(e.event_id, ("", None))
            sig = self._signature(e, kind, value)
            rows = [f"<tr><td>{head}{badge}</td><td align='right'>{who}　"
                    f"<span style='color:#666'>{html.escape(short_time(e.at))}</span></td></tr>"]
            if opinion or reason:
                rows.append(f"<tr><td colspan='2'>{opinion}{reason}</td></tr>")
            if sig:
                rows.append(f"<tr><td colspan='2'>{sig}</td></tr>")
            parts.append("<table width='100%' cellspacing='0' cellpadding='2' "
                         "style='border-bottom:1px solid #e3e3e3'>" + "".join(rows) + "</table>")
        self.setHtml("".join(parts))


class ReceiptsTable(QTableWidget):
    """One row per receiving unit: status, who signed, when, why returned; 重发 / 催收."""

    resend = Signal(str)  # unit id
    chase = Signal(str)

    HEADERS = ("收文单位", "状态", "签收人", "时间", "说明", "操作")
    _HEADER_IDS = (_("收文单位"), _("状态"), _("签收人"), _("时间"), _("说明"), _("操作"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setAccessibleName(_("分发回执"))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        for c in range(len(self.HEADERS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.setWordWrap(False)
        self.receipts: list[Receipt] = []
        self.buttons: dict[tuple[str, str], QPushButton] = {}
        self.retranslate()

    def retranslate(self) -> None:
        """Column titles in the current language."""
        self.setHorizontalHeaderLabels([_(h) for h in self.HEADERS])

    def show_receipts(self, receipts: list[Receipt], *, offline: bool) -> None:
        """Fill the rows; 重发 for returned/lost copies, 催收 while not yet signed for."""
        self.receipts = list(receipts)
        self.buttons.clear()
        self.setRowCount(len(receipts))
        for row, r in enumerate(receipts):
            status = QTableWidgetItem(r.status_label)
            status.setForeground(self.palette().text() if r.status not in RECEIPT_COLORS
                                 else QBrush(QColor(RECEIPT_COLORS[r.status])))
            detail = r.reason
            if r.chased:
                detail = (detail + "　" if detail else "") + _("已催收 {n} 次").format(n=r.chased)
            when = short_time(r.at)
            for col, item in enumerate((QTableWidgetItem(r.unit_name), status,
                                        QTableWidgetItem(r.by_name),
                                        QTableWidgetItem(when[5:] if len(when) > 10 else when),
                                        QTableWidgetItem(detail))):
                item.setToolTip(when if col == 3 else item.text())
                self.setItem(row, col, item)
            if r.steps:  # 已发送 hh:mm → 已送达 hh:mm → 已签收 hh:mm, each with its time
                status.setToolTip("\n".join(f"{receipt_label(s)}　{short_time(at)}"
                                             for s, at in r.steps))
            cell = QWidget()
            box = QHBoxLayout(cell)
            box.setContentsMargins(2, 0, 2, 0)
            for kind, label, enabled in (
                ("resend", _("重发"), r.status in ("returned", "refused", "sent")),
                ("chase", _("催收"), r.status in ("sent", "delivered")),
            ):
                b = QPushButton(label)
                b.setStyleSheet("padding:1px 6px")
                b.setEnabled(enabled)
                if offline:
                    b.setToolTip(_("离线：连接服务器后发出"))
                b.clicked.connect(lambda _c=False, k=kind, u=r.unit_id: getattr(self, k).emit(u))
                box.addWidget(b)
                self.buttons[(kind, r.unit_id)] = b
            self.setCellWidget(row, 5, cell)
        self.resizeRowsToContents()
