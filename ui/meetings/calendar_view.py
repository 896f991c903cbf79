"""The calendar (日程): day and week as a time grid, month as a grid of days; painted, so a
week with hundreds of sittings stays quick. Clicking a sitting picks it; arrow keys move."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from oa_client.domain.meetings import TZ
from oa_client.i18n import _
from oa_client.services.meetings import Sitting, week_start
from ui.meetings.text import weekday_name
from ui.qt import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPen,
    QRectF,
    QSizePolicy,
    Qt,
    QWidget,
    Signal,
)

FIRST_HOUR, LAST_HOUR = 7, 21
COLOURS = {"confirmed": "#d8e6f8", "tentative": "#fff1c2", "pending_approval": "#fde2c7",
           "refused": "#eeeeee"}
BORDERS = {"confirmed": "#2f6db5", "tentative": "#c49000", "pending_approval": "#c66a00",
           "refused": "#999999"}
CANCELLED = "#f0f0f0"  # a cancelled meeting or sitting stays shown, greyed, marked 已取消


def day_range(view: str, day: date) -> list[date]:
    """The days a view shows: one, a week from Monday, or the weeks covering the month."""
    if view == "day":
        return [day]
    if view == "week":
        first = week_start(day)
        return [first + timedelta(days=i) for i in range(7)]
    first = week_start(day.replace(day=1))
    nxt = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    days = []
    d = first
    while d < nxt or d.weekday() != 0:
        days.append(d)
        d += timedelta(days=1)
    return days


class CalendarView(QWidget):
    """Sittings of the shown days; `picked` when one is clicked, `day_picked` on a month cell."""

    picked = Signal(str, object)  # meeting id, original start
    day_picked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = "week"
        self.day = datetime.now(TZ).date()
        self.sittings: list[Sitting] = []
        self.selected: tuple[str, datetime] | None = None
        self._boxes: list[tuple[QRectF, Sitting]] = []
        self._cells: list[tuple[QRectF, date]] = []
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(380, 320)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(_("会议日程"))

    def show_sittings(self, view: str, day: date, sittings: list[Sitting]) -> None:
        """Show these sittings in this view around this day."""
        self.view, self.day, self.sittings = view, day, sittings
        self.update()

    def days(self) -> list[date]:
        """The days on screen."""
        return day_range(self.view, self.day)

    # -- painting -----------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        """Draw the grid and the sittings."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        self._boxes, self._cells = [], []
        if self.view == "month":
            self._paint_month(p)
        else:
            self._paint_grid(p)
        p.end()

    def _paint_grid(self, p: QPainter) -> None:
        days = self.days()
        left, top = 52.0, 34.0
        width = max(1.0, (self.width() - left - 4) / len(days))
        hours = LAST_HOUR - FIRST_HOUR
        hour_h = max(18.0, (self.height() - top - 4) / hours)
        today = datetime.now(TZ).date()
        small = QFont(self.font())
        small.setPointSizeF(max(7.5, self.font().pointSizeF() - 1))
        p.setFont(self.font())
        for i, d in enumerate(days):
            x = left + i * width
            if d == today:
                p.fillRect(QRectF(x, 0, width, self.height()), QColor("#f4f8ff"))
            if d.weekday() >= 5:
                p.fillRect(QRectF(x, top, width, self.height() - top), QColor("#fafafa"))
            p.setPen(QColor("#8b0000") if d == today else QColor("#333333"))
            p.drawText(QRectF(x, 4, width, top - 8), Qt.AlignmentFlag.AlignCenter,
                       _("{m}月{d}日 {w}").format(m=d.month, d=d.day, w=weekday_name(d.weekday())))
        p.setPen(QPen(QColor("#e2e2e2"), 1))
        for h in range(hours + 1):
            y = top + h * hour_h
            p.drawLine(int(left), int(y), self.width(), int(y))
        for i in range(len(days) + 1):
            x = left + i * width
            p.drawLine(int(x), int(top), int(x), self.height())
        p.setPen(QColor("#777777"))
        p.setFont(small)
        for h in range(hours + 1):
            p.drawText(QRectF(0, top + h * hour_h - 8, left - 6, 16),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{FIRST_HOUR + h:02d}:00")
        by_day: dict[date, list[Sitting]] = {}
        for s in self.sittings:
            by_day.setdefault(s.starts_at.astimezone(TZ).date(), []).append(s)
        for i, d in enumerate(days):
            items = by_day.get(d, [])
            lanes = _lanes(items)
            for s, lane, count in lanes:
                st, en = s.starts_at.astimezone(TZ), s.ends_at.astimezone(TZ)
                y1 = top + _hours(st.time()) * hour_h
                y2 = top + _hours(en.time() if en.date() == d else time(23, 59)) * hour_h
                x = left + i * width + 2 + lane * (width - 4) / count
                box = QRectF(x, max(top, y1), (width - 4) / count - 2, max(16.0, y2 - max(top, y1)))
                self._draw_box(p, box, s, small)

    def _draw_box(self, p: QPainter, box: QRectF, s: Sitting, font: QFont) -> None:
        state = s.booking_state if s.booking_state in COLOURS else "confirmed"
        cancelled = s.state == "cancelled"
        chosen = self.selected == (s.meeting_id, s.original_start)
        p.setPen(QPen(QColor("#9a9a9a" if cancelled else BORDERS[state]), 2 if chosen else 1,
                      Qt.PenStyle.DashLine if state == "tentative" or cancelled else Qt.PenStyle.SolidLine))
        p.setBrush(QColor("#bcd4f3") if chosen else QColor(CANCELLED if cancelled else COLOURS[state]))
        p.drawRoundedRect(box, 3, 3)
        p.setPen(QColor("#777777" if cancelled else "#1a1a1a"))
        p.setFont(font)
        st = s.starts_at.astimezone(TZ)
        text = f"{st:%H:%M} {s.subject}"
        if s.room_name:
            text += f"\n{s.room_name}"
        if state != "confirmed" or cancelled:
            text += f"\n〔{s.status_label}〕"
        p.drawText(box.adjusted(4, 2, -3, -2), Qt.TextFlag.TextWordWrap, text)
        self._boxes.append((box, s))

    def _paint_month(self, p: QPainter) -> None:
        days = self.days()
        rows = len(days) // 7
        top = 26.0
        w = self.width() / 7
        h = (self.height() - top) / max(rows, 1)
        p.setPen(QColor("#555555"))
        for i in range(7):
            p.drawText(QRectF(i * w, 2, w, top - 4), Qt.AlignmentFlag.AlignCenter, weekday_name(i))
        by_day: dict[date, list[Sitting]] = {}
        for s in self.sittings:
            by_day.setdefault(s.starts_at.astimezone(TZ).date(), []).append(s)
        fm = QFontMetrics(self.font())
        line = fm.height() + 2
        today = datetime.now(TZ).date()
        for idx, d in enumerate(days):
            r, c = divmod(idx, 7)
            cell = QRectF(c * w, top + r * h, w, h)
            inside = d.month == self.day.month
            p.fillRect(cell, QColor("#f4f8ff") if d == today else QColor("#ffffff" if inside else "#f6f6f6"))
            p.setPen(QPen(QColor("#dddddd"), 1))
            p.drawRect(cell)
            p.setPen(QColor("#8b0000") if d == today else QColor("#333333" if inside else "#aaaaaa"))
            p.drawText(cell.adjusted(4, 2, -4, 0), Qt.AlignmentFlag.AlignLeft, str(d.day))
            self._cells.append((cell, d))
            items = by_day.get(d, [])
            room = int((h - line - 4) // line)
            for k, s in enumerate(items[:max(room, 0)]):
                if k == room - 1 and len(items) > room:
                    p.setPen(QColor("#555555"))
                    p.drawText(cell.adjusted(6, line + k * line + 2, -4, 0), Qt.AlignmentFlag.AlignLeft,
                               _("还有{n}项…").format(n=len(items) - k))
                    break
                box = QRectF(cell.x() + 3, cell.y() + line + k * line + 2, w - 6, line - 2)
                state = s.booking_state if s.booking_state in COLOURS else "confirmed"
                cancelled = s.state == "cancelled"
                p.fillRect(box, QColor("#bcd4f3") if self.selected == (s.meeting_id, s.original_start)
                           else QColor(CANCELLED if cancelled else COLOURS[state]))
                p.setPen(QColor("#777777" if cancelled else "#1a1a1a"))
                mark = f"〔{s.status_label}〕" if cancelled else ""
                label = fm.elidedText(f"{s.starts_at.astimezone(TZ):%H:%M} {mark}{s.subject}",
                                      Qt.TextElideMode.ElideRight, int(w - 10))
                p.drawText(box.adjusted(3, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, label)
                self._boxes.append((box, s))

    # -- input ----------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        """Pick the sitting (or the month day) under the pointer."""
        pos = event.position()
        for box, s in reversed(self._boxes):
            if box.contains(pos):
                self.select(s)
                return
        for cell, d in self._cells:
            if cell.contains(pos):
                self.day_picked.emit(d)
                return

    def select(self, s: Sitting) -> None:
        """Select a sitting and tell listeners."""
        self.selected = (s.meeting_id, s.original_start)
        self.update()
        self.picked.emit(s.meeting_id, s.original_start)

    def keyPressEvent(self, event) -> None:
        """Tab-free keyboard use: ←/→ move between sittings in time order."""
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Down, Qt.Key.Key_Up) and self.sittings:
            keys = [(s.meeting_id, s.original_start) for s in self.sittings]
            i = keys.index(self.selected) if self.selected in keys else -1
            step = 1 if key in (Qt.Key.Key_Right, Qt.Key.Key_Down) else -1
            self.select(self.sittings[(i + step) % len(self.sittings)])
            return
        super().keyPressEvent(event)


def _hours(t: time) -> float:
    return min(max(t.hour + t.minute / 60 - FIRST_HOUR, 0.0), LAST_HOUR - FIRST_HOUR)


def _lanes(items: list[Sitting]) -> list[tuple[Sitting, int, int]]:
    """Side-by-side lanes for overlapping sittings of one day."""
    out: list[tuple[Sitting, int, int]] = []
    group: list[tuple[Sitting, int]] = []
    ends: list[datetime] = []
    group_end: datetime | None = None

    def flush() -> None:
        count = max((lane for _s, lane in group), default=-1) + 1
        out.extend((s, lane, max(count, 1)) for s, lane in group)

    for s in sorted(items, key=lambda s: s.starts_at):
        if group_end is not None and s.starts_at >= group_end:
            flush()
            group, ends, group_end = [], [], None
        lane = next((i for i, e in enumerate(ends) if e <= s.starts_at), len(ends))
        if lane == len(ends):
            ends.append(s.ends_at)
        else:
            ends[lane] = s.ends_at
        group.append((s, lane))
        group_end = max(group_end, s.ends_at) if group_end else s.ends_at
    flush()
    return out
