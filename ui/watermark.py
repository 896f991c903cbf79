"""A faint watermark (name, unit, date) drawn across a view, so a photographed screen
can be traced. Painting only: no I/O."""

from __future__ import annotations

from ui.qt import QColor, QFont, QPainter, Qt, QWidget


class Watermark(QWidget):
    """A transparent overlay that tiles rotated text over its parent."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.text = ""
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        parent.installEventFilter(self)
        self.resize(parent.size())

    def set_text(self, text: str) -> None:
        """What to draw; empty hides the watermark."""
        self.text = text
        self.setVisible(bool(text))
        self.raise_()
        self.update()

    def eventFilter(self, obj, event) -> bool:
        """Follow the parent's size."""
        if obj is self.parent() and event.type() == event.Type.Resize:
            self.resize(event.size())
            self.raise_()
        return False

    def paintEvent(self, event) -> None:
        """Tile the text, rotated, at low opacity."""
        if not self.text:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(max(11.0, font.pointSizeF() * 1.2))
        p.setFont(font)
        p.setPen(QColor(120, 120, 120, 38))
        w, h = self.width(), self.height()
        step_x = max(280, p.fontMetrics().horizontalAdvance(self.text) + 80)
        step_y = 150
        p.translate(w / 2, h / 2)
        p.rotate(-25)
        span = int((w + h) * 0.8)
        for y in range(-span, span, step_y):
            offset = (y // step_y) % 2 * step_x // 2
            for x in range(-span, span, step_x):
                p.drawText(x + offset, y, self.text)
        p.end()
