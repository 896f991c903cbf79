"""Computed fields of a form (days between dates, sums, a field times a rate), without eval."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from oa_client.domain.forms_coerce import coerce
from oa_client.domain.forms_schema import FieldSpec, FormSchema
from oa_client.domain.forms_values import BadValue, WorkdaysFn, is_empty, weekdays_between


def _quantize(spec: FieldSpec, value: Decimal) -> Any:
    places = spec.decimal_places
    if spec.type == "integer":
        return int(value.to_integral_value(rounding=ROUND_HALF_UP))
    if places is None:
        return value
    try:
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # a product past 28 digits: kept as computed, not rounded
        return value


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
