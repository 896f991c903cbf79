"""The official working-day calendar (法定节假日与调休上班日) and supervision deadline lights.

A year's arrangement is data, one table per year as published by the State
Council (admin-editable): holiday periods (each day off, weekends included) and
the weekend dates that are make-up workdays (调休上班). Any other date is a
workday Monday to Friday. The shipped tables live in resources/calendars.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from oa_client.errors import ValidationError
from oa_client.i18n import _

CALENDARS_DIR = Path(__file__).resolve().parents[2] / "resources" / "calendars"
FORMAT = "oa-workdays/1"
DEFAULT_WARN_DAYS = 3


class Light(StrEnum):
    """A supervision task's status light."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


#: label of each light (gettext ids)
LIGHT_LABELS = {Light.GREEN: "正常推进", Light.YELLOW: "临近期限", Light.RED: "已逾期"}
_LIGHT_IDS = (_("正常推进"), _("临近期限"), _("已逾期"))


def light_label(light: Light) -> str:
    """The light's name in the current language."""
    return _(LIGHT_LABELS[light])


@dataclass(frozen=True)
class HolidayPeriod:
    """One published holiday period: its name and first and last day off."""

    name: str
    first: date
    last: date

    def days(self) -> list[date]:
        """Every day of the period."""
        n = (self.last - self.first).days
        return [self.first + timedelta(days=i) for i in range(n + 1)]


@dataclass(frozen=True)
class YearTable:
    """One year's arrangement: holiday periods and make-up workdays (调休上班)."""

    year: int
    source: str
    holidays: tuple[HolidayPeriod, ...] = ()
    workdays: Mapping[date, str] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        """The table as JSON-ready data (the file format)."""
        return {
            "format": FORMAT,
            "year": self.year,
            "region": "CN",
            "source": self.source,
            "holidays": [
                {"name": h.name, "from": h.first.isoformat(), "to": h.last.isoformat()}
                for h in self.holidays
            ],
            "workdays": [
                {"date": d.isoformat(), "name": name} for d, name in sorted(self.workdays.items())
            ],
        }


def _date(value: Any, *, field_name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            _("日期格式不正确：{value}（应为 YYYY-MM-DD）").format(value=value), field=field_name
        ) from None


def _near_year(d: date, year: int, *, field_name: str) -> None:
    # A period may reach a few days across the new year (元旦 12-30 … 01-01).
    if not (date(year - 1, 12, 1) <= d <= date(year + 1, 1, 31)):
        raise ValidationError(
            _("日期{date}不属于{year}年的日历表").format(date=d.isoformat(), year=year),
            field=field_name,
        )


def parse_year_table(data: Mapping[str, Any] | str) -> YearTable:
    """Validate one year's table (dict or JSON text); every problem is a ValidationError."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("工作日历文件不是有效的 JSON：第{line}行").format(line=exc.lineno), field="file"
            ) from None
    if not isinstance(data, Mapping):
        raise ValidationError(_("工作日历表格式不正确"), field="file")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise ValidationError(_("工作日历表的年份不正确"), field="year")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValidationError(_("工作日历表缺少来源说明"), field="source")
    raw_holidays = data.get("holidays", [])
    raw_workdays = data.get("workdays", [])
    if not isinstance(raw_holidays, list) or not isinstance(raw_workdays, list):
        raise ValidationError(_("工作日历表格式不正确"), field="holidays")
    holidays = []
    for i, item in enumerate(raw_holidays):
        where = f"holidays[{i}]"
        if not isinstance(item, Mapping) or not str(item.get("name", "")).strip():
            raise ValidationError(_("节假日缺少名称"), field=where)
        first = _date(item.get("from"), field_name=where)
        last = _date(item.get("to", item.get("from")), field_name=where)
        if last < first:
            raise ValidationError(
                _("节假日“{name}”的结束日期早于开始日期").format(name=item["name"]), field=where
            )
        _near_year(first, year, field_name=where)
        _near_year(last, year, field_name=where)
        holidays.append(HolidayPeriod(str(item["name"]).strip(), first, last))
    off = {d for h in holidays for d in h.days()}
    workdays: dict[date, str] = {}
    for i, item in enumerate(raw_workdays):
        where = f"workdays[{i}]"
        if not isinstance(item, Mapping):
            raise ValidationError(_("工作日历表格式不正确"), field=where)
        d = _date(item.get("date"), field_name=where)
        _near_year(d, year, field_name=where)
        if d.weekday() < 5:
            raise ValidationError(
                _("调休上班日{date}不是周末").format(date=d.isoformat()), field=where
            )
        if d in off:
            raise ValidationError(
                _("日期{date}既是节假日又是调休上班日").format(date=d.isoformat()), field=where
            )
        workdays[d] = str(item.get("name", "")).strip()
    return YearTable(year=year, source=source.strip(), holidays=tuple(holidays), workdays=workdays)


def load_year_file(path: Path) -> YearTable:
    """Read and validate one shipped or admin-exported table file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ValidationError(
            _("无法读取工作日历文件：{name}").format(name=path.name), field="file"
        ) from None
    return parse_year_table(text)


class WorkdayCalendar:
    """Working days from the year tables; years without a table count Monday to Friday."""

    def __init__(self, tables: Iterable[YearTable] = ()) -> None:
        self.tables = {t.year: t for t in tables}
        self._off: dict[date, str] = {}
        self._on: dict[date, str] = {}
        self._between: dict[tuple[date, date], int] = {}  # a pass over many tasks asks alike
        for t in sorted(self.tables.values(), key=lambda t: t.year):
            for h in t.holidays:
                for d in h.days():
                    self._off[d] = h.name
            self._on.update(t.workdays)

    def covers(self, day: date) -> bool:
        """Whether the official arrangement for the day's year is known."""
        return day.year in self.tables

    def is_workday(self, day: date) -> bool:
        """Whether government offices work on this date."""
        if day in self._on:
            return True
        if day in self._off:
            return False
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        """The holiday this date belongs to, if any."""
        return self._off.get(day)

    def next_workday(self, day: date, *, include_today: bool = True) -> date:
        """The first workday on (or, without include_today, after) the date."""
        d = day if include_today else day + timedelta(days=1)
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def add_workdays(self, day: date, n: int) -> date:
        """The date n working days after (n < 0: before) the date; n = 0 returns it."""
        step = timedelta(days=1 if n >= 0 else -1)
        d, left = day, abs(n)
        while left:
            d += step
            if self.is_workday(d):
                left -= 1
        return d

    def workdays_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (negative when b is before a)."""
        if b < a:
            return -self.workdays_between(b, a)
        found = self._between.get((a, b))
        if found is None:
            if len(self._between) > 50_000:
                self._between.clear()
            found = sum(1 for i in range(1, (b - a).days + 1)
                        if self.is_workday(a + timedelta(days=i)))
            self._between[(a, b)] = found
        return found


@lru_cache(maxsize=1)
def shipped_calendar() -> WorkdayCalendar:
    """The calendar from the tables shipped in resources/calendars."""
    return WorkdayCalendar(load_year_file(p) for p in sorted(CALENDARS_DIR.glob("cn-workdays-*.json")))


def _cal(calendar: WorkdayCalendar | None) -> WorkdayCalendar:
    return calendar if calendar is not None else shipped_calendar()


def is_workday(day: date, *, calendar: WorkdayCalendar | None = None) -> bool:
    """Whether government offices work on this date (shipped calendar by default)."""
    return _cal(calendar).is_workday(day)


def add_workdays(day: date, n: int, *, calendar: WorkdayCalendar | None = None) -> date:
    """The date n working days after (n < 0: before) the date."""
    return _cal(calendar).add_workdays(day, n)


def workdays_between(a: date, b: date, *, calendar: WorkdayCalendar | None = None) -> int:
    """Working days d with a < d <= b (negative when b is before a)."""
    return _cal(calendar).workdays_between(a, b)


def deadline_light(
    *,
    deadline: date,
    today: date,
    warn_days: int = DEFAULT_WARN_DAYS,
    calendar: WorkdayCalendar | None = None,
) -> Light:
    """Red past the deadline, yellow within warn_days working days of it, else green."""
    if today > deadline:
        return Light.RED
    if _cal(calendar).workdays_between(today, deadline) <= warn_days:
        return Light.YELLOW
    return Light.GREEN


@dataclass(frozen=True)
class DeadlineCheck:
    """A deadline that falls on a day off, and the workday suggested instead."""

    deadline: date
    holiday: str | None  # None: an ordinary weekend
    suggestion: date

    @property
    def message(self) -> str:
        """The warning shown to whoever sets the deadline."""
        if self.holiday:
            return _("截止日期{date}在{holiday}假期内，建议改为下一个工作日{next}").format(
                date=self.deadline.isoformat(), holiday=self.holiday, next=self.suggestion.isoformat()
            )
        return _("截止日期{date}是休息日，建议改为下一个工作日{next}").format(
            date=self.deadline.isoformat(), next=self.suggestion.isoformat()
        )


def check_deadline(deadline: date, *, calendar: WorkdayCalendar | None = None) -> DeadlineCheck | None:
    """None when the deadline is a workday, else the warning with the next workday."""
    cal = _cal(calendar)
    if cal.is_workday(deadline):
        return None
    return DeadlineCheck(deadline, cal.holiday_name(deadline), cal.next_workday(deadline))
