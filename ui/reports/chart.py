"""A small line chart drawn with QPainter (Qt Charts is not part of PySide6-Essentials): one
figure over periods, a gap where a period has no figure, each point labelled."""

from __future__ import annotations

import math
from decimal import Decimal

from oa_client.i18n import _
from ui.qt import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPen,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QWidget,
)

LINE = QColor("#b22222")
GRID = QColor("#e3e3e3")
AXIS = QColor("#666666")


def _nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` grid lines."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _text(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}"


class LineChart(QWidget):
    """Plots one series; `set_series` replaces it and repaints."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self.labels: list[str] = []
        self.values: list[float | None] = []
        self.setMinimumHeight(200)

    def sizeHint(self) -> QSize:
        """A comfortable default size."""
        return QSize(640, 260)

    def set_series(self, title: str, labels: list[str], values: list[Decimal | float | None]) -> None:
        """Show `values` (None: no figure that period) over the period `labels`."""
        self.title = title
        self.labels = list(labels)
        self.values = [None if v is None else float(v) for v in values]
        self.update()

    def points(self) -> list[QPointF | None]:
        """Where each value is drawn in the current size (None for a gap): for tests and painting."""
        plot = self._plot_rect()
        low, high, _step = self._scale()
        n = len(self.values)
        out: list[QPointF | None] = []
        for i, v in enumerate(self.values):
            if v is None:
                out.append(None)
                continue
            x = plot.left() + (plot.width() * (i + 0.5) / n if n else 0)
            y = plot.bottom() - (v - low) / (high - low) * plot.height()
            out.append(QPointF(x, y))
        return out

    def _scale(self) -> tuple[float, float, float]:
        present = [v for v in self.values if v is not None]
        if not present:
            return 0.0, 1.0, 0.2
        low, high = min(present), max(present)
        if low == high:
            low, high = (low - 1, high + 1) if low == 0 else (low * 0.9, high * 1.1) if low > 0 else (low * 1.1, high * 0.9)
        step = _nice_step(high - low)
        low = math.floor(low / step) * step
        high = math.ceil(high / step) * step
        return low, high, step

    def _plot_rect(self) -> QRectF:
        metrics = QFontMetrics(self.font())
        low, high, _step = self._scale() if self.values else (0.0, 1.0, 0.2)
        widest = max(metrics.horizontalAdvance(_text(low)), metrics.horizontalAdvance(_text(high)))
        top = metrics.height() * 2 + 8
        return QRectF(widest + 16, top, max(10, self.width() - widest - 32), max(10, self.height() - top - metrics.height() * 2 - 8))

    def paintEvent(self, event) -> None:
        """Title, grid with round values, period labels, the line and its points."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        metrics = QFontMetrics(bold)
        painter.setPen(QColor("#8b0000"))
        painter.drawText(QRectF(0, 4, self.width(), metrics.height() + 4), Qt.AlignmentFlag.AlignHCenter, self.title)
        painter.setFont(self.font())
        plain = QFontMetrics(self.font())
        if not any(v is not None for v in self.values):
            painter.setPen(AXIS)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, _("所选各期尚无已上报的数据"))
            painter.end()
            return
        plot = self._plot_rect()
        low, high, step = self._scale()
        value = low
        while value <= high + step / 2:
            y = plot.bottom() - (value - low) / (high - low) * plot.height()
            painter.setPen(QPen(GRID, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(AXIS)
            label = _text(value)
            painter.drawText(QRectF(0, y - plain.height() / 2, plot.left() - 6, plain.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
            value += step
        painter.setPen(QPen(AXIS, 1))
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        n = len(self.labels)
        for i, text in enumerate(self.labels):
            x = plot.left() + plot.width() * (i + 0.5) / n
            painter.drawText(QRectF(x - 60, plot.bottom() + 4, 120, plain.height() + 2), Qt.AlignmentFlag.AlignHCenter, text)
        points = self.points()
        path = QPainterPath()
        drawing = False
        for p in points:
            if p is None:
                drawing = False
                continue
            if drawing:
                path.lineTo(p)
            else:
                path.moveTo(p)
                drawing = True
        painter.setPen(QPen(LINE, 2))
        painter.drawPath(path)
        for p, v in zip(points, self.values, strict=True):
            if p is None or v is None:
                continue
            painter.setBrush(LINE)
            painter.drawEllipse(p, 3.5, 3.5)
            painter.setPen(QColor("#333333"))
            painter.drawText(QRectF(p.x() - 60, p.y() - plain.height() - 6, 120, plain.height()),
                             Qt.AlignmentFlag.AlignHCenter, _text(v))
            painter.setPen(QPen(LINE, 2))
        painter.end()
