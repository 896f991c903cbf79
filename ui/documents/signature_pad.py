"""The handwritten signature pad: mouse, pen/tablet (with pressure) and touch.

Strokes are kept as vectors (`strokes_json()`: points in pad coordinates with pressure
and time) and can be rendered to a PNG (`png_bytes()`) for the timeline and the printed
form. Rendering stored strokes again (`render_strokes`) needs no image at all.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from oa_client.i18n import _
from ui.qt import (
    QBuffer,
    QColor,
    QDialog,
    QDialogButtonBox,
    QEvent,
    QFont,
    QHBoxLayout,
    QImage,
    QIODevice,
    QKeySequence,
    QLabel,
    QPainter,
    QPainterPath,
    QPen,
    QPointF,
    QPushButton,
    QShortcut,
    QSize,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

INK = QColor("#10206b")
FORMAT = 1
Point = list[float]  # [x, y, pressure, ms since the stroke began]


def _width(pressure: float) -> float:
    return 1.2 + 3.0 * max(0.05, min(1.0, pressure))


def paint_strokes(painter: QPainter, strokes: list[dict], scale: float = 1.0,
                  offset: QPointF | None = None) -> None:
    """Draw strokes (as stored) with `painter`, widths following the pen pressure."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    dx, dy = (offset.x(), offset.y()) if offset is not None else (0.0, 0.0)
    for stroke in strokes:
        pts = stroke.get("points") or []
        if not pts:
            continue
        if len(pts) == 1:
            x, y, p = pts[0][0], pts[0][1], pts[0][2]
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(INK)
            r = _width(p) * scale / 2
            painter.drawEllipse(QPointF(x * scale + dx, y * scale + dy), r, r)
            continue
        for a, b in itertools.pairwise(pts):
            pen = QPen(INK, _width((a[2] + b[2]) / 2) * scale, Qt.PenStyle.SolidLine,
                       Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            path = QPainterPath(QPointF(a[0] * scale + dx, a[1] * scale + dy))
            path.lineTo(QPointF(b[0] * scale + dx, b[1] * scale + dy))
            painter.drawPath(path)


def render_strokes(data: dict | str, height: int = 60) -> QImage:
    """Stored strokes (dict or JSON) as a transparent image `height` pixels high, cropped."""
    if isinstance(data, str):
        data = json.loads(data)
    strokes = data.get("strokes") or []
    xs = [p[0] for s in strokes for p in s.get("points") or []]
    ys = [p[1] for s in strokes for p in s.get("points") or []]
    if not xs:
        image = QImage(1, 1, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        return image
    pad = 6.0
    w, h = max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad
    scale = height / h
    image = QImage(max(1, int(w * scale)), height, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    paint_strokes(painter, strokes, scale, QPointF((pad - min(xs)) * scale, (pad - min(ys)) * scale))
    painter.end()
    return image


def image_png(image: QImage) -> bytes:
    """An image as PNG bytes (in memory: nothing is written to disk)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


class SignaturePad(QWidget):
    """Draw a signature; `strokes` hold every point; Ctrl+Z undoes a stroke, Delete clears."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strokes: list[dict] = []
        self._current: dict | None = None
        self._t0 = 0.0
        self.setMinimumSize(QSize(420, 180))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName(_("手写签名板"))
        self.setToolTip(_("用鼠标、手写笔或手指在此签名；Ctrl+Z 撤销一笔，Delete 清除"))

    # -- the strokes -------------------------------------------------------------------

    def is_empty(self) -> bool:
        """True until something was drawn."""
        return not any(s["points"] for s in self.strokes)

    def clear(self) -> None:
        """Remove every stroke."""
        self.strokes.clear()
        self._current = None
        self.update()
        self.changed.emit()

    def undo(self) -> None:
        """Remove the last stroke."""
        if self.strokes:
            self.strokes.pop()
            self.update()
            self.changed.emit()

    def signature(self) -> dict[str, Any]:
        """The vector form: pad size and strokes (what is stored as JSON)."""
        return {"format": FORMAT, "width": self.width(), "height": self.height(),
                "strokes": [s for s in self.strokes if s["points"]]}

    def strokes_json(self) -> str:
        """The vector form as compact JSON."""
        return json.dumps(self.signature(), ensure_ascii=False, separators=(",", ":"))

    def png_bytes(self, height: int = 120) -> bytes:
        """The signature as a cropped transparent PNG."""
        return image_png(render_strokes(self.signature(), height))

    def _begin(self, pos: QPointF, pressure: float, device: str) -> None:
        self._t0 = time.monotonic()
        self._current = {"device": device, "points": []}
        self.strokes.append(self._current)
        self._add(pos, pressure)

    def _add(self, pos: QPointF, pressure: float) -> None:
        if self._current is None:
            return
        ms = round((time.monotonic() - self._t0) * 1000)
        self._current["points"].append([round(pos.x(), 1), round(pos.y(), 1),
                                        round(pressure, 3), ms])
        self.update()

    def _end(self) -> None:
        if self._current is not None:
            self._current = None
            self.changed.emit()

    # -- input -------------------------------------------------------------------------

    @staticmethod
    def _synthesized(event) -> bool:
        return event.source() != Qt.MouseEventSource.MouseEventNotSynthesized

    def mousePressEvent(self, event) -> None:
        """A mouse stroke begins (mouse events Qt made from touch or pen are ignored)."""
        if event.button() == Qt.MouseButton.LeftButton and not self._synthesized(event):
            self._begin(event.position(), 0.5, "mouse")

    def mouseMoveEvent(self, event) -> None:
        """The mouse stroke goes on."""
        if event.buttons() & Qt.MouseButton.LeftButton and not self._synthesized(event):
            self._add(event.position(), 0.5)

    def mouseReleaseEvent(self, event) -> None:
        """The mouse stroke ends."""
        if event.button() == Qt.MouseButton.LeftButton and not self._synthesized(event):
            self._end()

    def tabletEvent(self, event) -> None:
        """A pen on a tablet: pressure sets the line width."""
        kind = event.type()
        pressure = event.pressure() or 0.5
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position(), pressure, "pen")
        elif kind == QEvent.Type.TabletMove and self._current is not None:
            self._add(event.position(), pressure)
        elif kind == QEvent.Type.TabletRelease:
            self._end()
        event.accept()

    def event(self, event) -> bool:
        """Touch: the first finger draws."""
        kind = event.type()
        if kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd,
                    QEvent.Type.TouchCancel):
            points = event.points()
            if points:
                pos = points[0].position()
                pressure = points[0].pressure() or 0.5
                if kind == QEvent.Type.TouchBegin:
                    self._begin(pos, pressure, "touch")
                elif kind == QEvent.Type.TouchUpdate:
                    self._add(pos, pressure)
            if kind in (QEvent.Type.TouchEnd, QEvent.Type.TouchCancel):
                self._end()
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        """Ctrl+Z undoes, Delete/Backspace clears."""
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
        elif event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
        else:
            super().keyPressEvent(event)

    # -- painting ----------------------------------------------------------------------

    def paintEvent(self, _event) -> None:
        """Paper, a signing line, a hint while empty, then the ink."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#fffdf6"))
        painter.setPen(QPen(QColor("#c9c2a8"), 1, Qt.PenStyle.DashLine))
        base = int(self.height() * 0.78)
        painter.drawLine(24, base, self.width() - 24, base)
        if self.is_empty():
            painter.setPen(QColor("#a09a88"))
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * 1.2)
            painter.setFont(font)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, _("请在此处手写签名"))
        if self.hasFocus():
            painter.setPen(QPen(QColor("#5b7fc7"), 2))
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
        paint_strokes(painter, self.strokes)
        painter.end()


class SignatureDialog(QDialog):
    """Sign: the pad with 撤销 / 清除 and 确定 (refused while empty)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("手写签名"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("请用鼠标、手写笔或手指在下方签名：")))
        self.pad = SignaturePad()
        layout.addWidget(self.pad, 1)
        self.problem = QLabel()
        self.problem.setStyleSheet("color:#b00000")
        layout.addWidget(self.problem)
        row = QHBoxLayout()
        self.undo_button = QPushButton(_("撤销一笔(&Z)"))
        self.undo_button.clicked.connect(self.pad.undo)
        self.clear_button = QPushButton(_("清除(&C)"))
        self.clear_button.clicked.connect(self.pad.clear)
        row.addWidget(self.undo_button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("确定"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row.addWidget(self.buttons)
        layout.addLayout(row)
        QShortcut(QKeySequence.StandardKey.Undo, self, self.pad.undo)
        self.pad.changed.connect(lambda: self.problem.setText(""))
        self.resize(560, 320)
        self.pad.setFocus()

    def accept(self) -> None:
        """Only a drawn signature is accepted."""
        if self.pad.is_empty():
            self.problem.setText(_("签名为空，请先签名"))
            return
        super().accept()

    def result_signature(self) -> dict[str, Any]:
        """{"strokes": vector JSON, "png": bytes} of what was drawn."""
        return {"strokes": self.pad.strokes_json(), "png": self.pad.png_bytes()}
