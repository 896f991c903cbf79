"""Form values: problems, typed coercion of raw input, conditions and computed fields (no eval)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from oa_client.i18n import _, current_language

if TYPE_CHECKING:
    from oa_client.domain.forms import FieldSpec, FormSchema

#: Working days d with a < d <= b — `WorkdayCalendar.workdays_between` plugs in as is.
WorkdaysFn = Callable[[dt.date, dt.date], int]
MISSING_VALUE: Any = object()


@dataclass(frozen=True)
class Problem:
    """One thing to fix: the field (or table) it is on, a message, and for tables the cell."""

    field: str
    message: str
    row: str | None = None
    column: str | None = None
    related: tuple[str, ...] = field(default=())


class BadValue(ValueError):
    """A raw value that cannot be read as its field's type; the message says why."""


def localized(zh: str, en: str = "") -> str:
    """A data label in the current language (Chinese unless English is chosen and given)."""
    return en if en and current_language() == "en" else zh


def label_of(spec: FieldSpec) -> str:
    """The field's label in the current language."""
    return localized(spec.label, spec.en)


def is_empty(value: Any) -> bool:
    """Whether a value counts as not filled in."""
    if value is None or value is MISSING_VALUE:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict | set):
        return len(value) == 0
    return False


def to_decimal(raw: Any) -> Decimal:
    """A number from an int, Decimal or text (commas and spaces allowed); BadValue if not."""
    if isinstance(raw, bool):
        raise BadValue("bool")
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip().replace(",", "").replace("，", ""))
        except InvalidOperation as exc:
            raise BadValue(raw) from exc
    else:
        raise BadValue(repr(raw))
    if not value.is_finite():
        raise BadValue(raw)
    return value


def to_date(raw: Any) -> dt.date:
    """A date from a date or ISO text (2026-03-01 or 2026/3/1); BadValue if not."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        text = raw.strip().replace("/", "-").replace(".", "-")
        try:
            y, m, d = (int(p) for p in text.split("-"))
            return dt.date(y, m, d)
        except ValueError as exc:
            raise BadValue(raw) from exc
    raise BadValue(repr(raw))


def to_datetime(raw: Any) -> dt.datetime:
    """A date and time from a datetime or ISO text; BadValue if not."""
    if isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, str):
        try:
            return dt.datetime.fromisoformat(raw.strip().replace("/", "-"))
        except ValueError as exc:
            raise BadValue(raw) from exc
    raise BadValue(repr(raw))


def _date_range(spec: FieldSpec, raw: Any) -> tuple[dt.date, dt.date]:
    if isinstance(raw, dict):
        start, end = raw.get("start"), raw.get("end")
    elif isinstance(raw, list | tuple) and len(raw) == 2:
        start, end = raw
    else:
        raise BadValue(_("{label}应为起止两个日期").format(label=label_of(spec)))
    if is_empty(start) or is_empty(end):
        raise BadValue(_("请填写{label}的开始和结束日期").format(label=label_of(spec)))
    try:
        first, last = to_date(start), to_date(end)
    except BadValue as exc:
        raise BadValue(_("{label}应为日期，如 2026-03-01").format(label=label_of(spec))) from exc
    if last < first:
        raise BadValue(_("{label}的结束日期不能早于开始日期").format(label=label_of(spec)))
    return first, last


def coerce(spec: FieldSpec, raw: Any) -> Any:
    """The typed value of a non-empty raw input for this field; BadValue with a clerk's message if not."""
    label = label_of(spec)
    kind = spec.type
    if kind in ("text", "multiline", "person", "unit"):
        if isinstance(raw, dict) and kind in ("person", "unit"):
            if is_empty(raw.get("id")):
                raise BadValue(_("请从通讯录中选择{label}").format(label=label))
            return raw
        if not isinstance(raw, str):
            raise BadValue(_("{label}应为文字").format(label=label))
        return raw.strip() if kind != "multiline" else raw
    if kind in ("integer", "decimal", "money"):
        try:
            value = to_decimal(raw)
        except BadValue as exc:
            msg = _("{label}应为整数") if kind == "integer" else _("{label}应为数字")
            raise BadValue(msg.format(label=label)) from exc
        places = spec.decimal_places
        if kind == "integer" and value != value.to_integral_value():
            raise BadValue(_("{label}应为整数").format(label=label))
        if places is not None and kind != "integer" and -value.as_tuple().exponent > places:  # type: ignore[operator]
            raise BadValue(_("{label}最多保留{places}位小数").format(label=label, places=places))
        return int(value) if kind == "integer" else value
    if kind == "date":
        try:
            return to_date(raw)
        except BadValue as exc:
            raise BadValue(_("{label}应为日期，如 2026-03-01").format(label=label)) from exc
    if kind == "datetime":
        try:
            return to_datetime(raw)
        except BadValue as exc:
            raise BadValue(_("{label}应为日期和时间，如 2026-03-01 09:00").format(label=label)) from exc
    if kind == "date_range":
        return _date_range(spec, raw)
    allowed = [o.value for o in spec.options]
    if kind == "choice":
        if raw not in allowed:
            raise BadValue(_("请从列表中选择{label}").format(label=label))
        return raw
    if kind == "multi_choice":
        chosen = [raw] if isinstance(raw, str) else raw
        if not isinstance(chosen, list | tuple):
            raise BadValue(_("请从列表中选择{label}").format(label=label))
        for item in chosen:
            if item not in allowed:
                raise BadValue(_("{label}中的“{value}”不在可选范围内").format(label=label, value=item))
        return list(chosen)
    if kind == "yes_no":
        if isinstance(raw, bool):
            return raw
        if raw in ("是", "否"):
            return raw == "是"
        raise BadValue(_("{label}应选择“是”或“否”").format(label=label))
    # attachment: a list of files (content hash or {"sha256", "name"})
    files = raw if isinstance(raw, list | tuple) else [raw]
    if any(not (isinstance(f, str) or (isinstance(f, dict) and f.get("sha256"))) for f in files):
        raise BadValue(_("{label}中有无法识别的附件，请重新上传").format(label=label))
    return list(files)


def _comparable(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal | float):
        return Decimal(str(value))
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dt.date):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return to_decimal(value)
        except BadValue:
            return value
    return value


def evaluate(op: str, actual: Any, expected: Any) -> bool:
    """One comparison of a condition; an unfilled value equals None and fails every order test."""
    if is_empty(actual):
        return {"eq": expected is None, "ne": expected is not None, "not_in": True}.get(op, False)
    if op in ("in", "not_in"):
        pool = [_comparable(v) for v in (expected or [])]
        items = actual if isinstance(actual, list) else [actual]
        hit = any(_comparable(a) in pool for a in items)
        return hit if op == "in" else not hit
    if op == "contains":
        if isinstance(actual, str):
            return isinstance(expected, str) and expected in actual
        return isinstance(actual, list) and _comparable(expected) in [_comparable(a) for a in actual]
    a, b = _comparable(actual), _comparable(expected)
    try:
        return {
            "eq": lambda: a == b, "ne": lambda: a != b, "gt": lambda: a > b,
            "ge": lambda: a >= b, "lt": lambda: a < b, "le": lambda: a <= b,
        }[op]()
    except TypeError:
        return False


def weekdays_between(a: dt.date, b: dt.date) -> int:
    """Monday–Friday days d with a < d <= b (no holiday calendar); same convention as WorkdayCalendar."""
    if b <= a:
        return 0
    start = a + dt.timedelta(days=1)
    full, rest = divmod((b - a).days, 7)
    count = full * 5
    for i in range(rest):
        if (start + dt.timedelta(days=full * 7 + i)).weekday() < 5:
            count += 1
    return count


def _quantize(spec: FieldSpec, value: Decimal) -> Any:
    places = spec.decimal_places
    if spec.type == "integer":
        return int(value.to_integral_value(rounding=ROUND_HALF_UP))
    if places is None:
        return value
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _typed(schema: FormSchema, key: str, values: dict[str, Any]) -> Any:
    raw = values.get(key)
    if is_empty(raw):
        return None
    try:
        return coerce(schema.field(key), raw)
    except BadValue:
        return None


def _computed(spec: FieldSpec, schema: FormSchema, values: dict[str, Any], workdays: WorkdaysFn) -> Any:
    c = spec.compute
    assert c is not None
    inputs = [_typed(schema, k, values) for k in c.fields]
    if c.op == "days_between":
        if any(i is None for i in inputs):
            return None
        first, last = inputs[0] if len(inputs) == 1 else inputs
        first = first.date() if isinstance(first, dt.datetime) else first
        last = last.date() if isinstance(last, dt.datetime) else last
        if last < first:
            return None
        if c.count == "workdays":  # both ends count: the days d with first - 1 < d <= last
            return workdays(first - dt.timedelta(days=1), last)
        return (last - first).days + 1
    if c.op == "sum":
        present = [Decimal(i) for i in inputs if i is not None]
        return _quantize(spec, sum(present, Decimal(0))) if present else None
    base = inputs[0]
    rate = c.rate if c.rate is not None else _typed(schema, c.rate_field or "", values)
    if base is None or rate is None:
        return None
    return _quantize(spec, Decimal(base) * Decimal(rate))


def compute_values(schema: FormSchema, values: dict[str, Any], *, workdays_between: WorkdaysFn | None = None) -> dict[str, Any]:
    """A copy of values with computed fields set (in form order, so one may use another)."""
    out = dict(values)
    workdays = workdays_between or weekdays_between
    for _pass in range(2):
        for spec in schema.fields:
            if spec.compute is not None:
                result = _computed(spec, schema, out, workdays)
                if result is None:
                    out.pop(spec.key, None)
                else:
                    out[spec.key] = result
    return out
