"""Form schemas as data: fields, types, rules, computed fields, prefill — validated without eval.

A service item's form (事项表单) is a `FormSchema` loaded from JSON. Values are a plain
dict keyed by field key; `validate` returns `Problem`s in words a clerk understands
(validation as you type: pass `field=` to get only what concerns one field).
This module is the forms API; the schema lives in `forms_schema`, reading raw input in
`forms_coerce`, computed fields in `forms_compute`, the checks in `forms_check`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from oa_client.domain.forms_check import check_form
from oa_client.domain.forms_coerce import coerce
from oa_client.domain.forms_compute import compute_values
from oa_client.domain.forms_schema import (
    FIELD_TYPES,
    PREFILL_KEYS,
    Compute,
    Condition,
    FieldSpec,
    FormRule,
    FormSchema,
    Option,
)
from oa_client.domain.forms_values import BadValue, Problem, WorkdaysFn, is_empty

__all__ = [
    "FIELD_TYPES",
    "PREFILL_KEYS",
    "Compute",
    "Condition",
    "FieldSpec",
    "FormRule",
    "FormSchema",
    "Option",
    "Problem",
    "coerce",
    "compute",
    "json_values",
    "prefill_form",
    "typed_values",
    "validate",
]


def compute(schema: FormSchema, values: dict[str, Any], *, workdays_between: WorkdaysFn | None = None) -> dict[str, Any]:
    """The values with every computed field filled in (inputs that do not parse leave it empty)."""
    return compute_values(schema, values, workdays_between=workdays_between)


def prefill_form(schema: FormSchema, *, known: dict[str, Any], values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fill fields whose `prefill` key the organisation already knows; typed values are kept."""
    out = dict(values or {})
    for f in schema.fields:
        if f.prefill and is_empty(out.get(f.key)) and not is_empty(known.get(f.prefill)):
            out[f.key] = known[f.prefill]
    return out


def validate(
    schema: FormSchema,
    values: dict[str, Any],
    *,
    field: str | None = None,
    today: dt.date | None = None,
    workdays_between: WorkdaysFn | None = None,
) -> list[Problem]:
    """Every problem with these values; with `field`, only those that concern that field."""
    values = compute(schema, values, workdays_between=workdays_between)
    problems = check_form(schema, values, today=today)
    if field is not None:
        problems = [p for p in problems if p.field == field or field in p.related]
    return problems



def typed_values(
    schema: FormSchema, values: dict[str, Any], *, workdays_between: WorkdaysFn | None = None
) -> dict[str, Any]:
    """Computed and typed values (Decimal, date, bool, lists) for flow conditions; unreadable input is left out."""
    full = compute(schema, values, workdays_between=workdays_between)
    out: dict[str, Any] = {}
    for spec in schema.fields:
        raw = full.get(spec.key)
        if is_empty(raw):
            continue
        try:
            out[spec.key] = coerce(spec, raw)
        except BadValue:
            continue
    return out


def json_values(values: dict[str, Any]) -> dict[str, Any]:
    """Typed values as JSON-ready data: Decimal and dates as text, a date range as {start, end}."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, dt.date) for v in value):
            return {"start": value[0].isoformat(), "end": value[1].isoformat()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {key: plain(value) for key, value in values.items()}
