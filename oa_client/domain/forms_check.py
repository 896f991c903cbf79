"""Checking form values against a schema: per-field rules, then cross-field rules."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from oa_client.domain.forms_coerce import coerce, label_of
from oa_client.domain.forms_schema import FieldSpec, FormRule, FormSchema
from oa_client.domain.forms_values import BadValue, Problem, evaluate, is_empty, localized
from oa_client.i18n import _


def op_word(op: str) -> str:
    """A comparison in words a clerk reads (translated)."""
    return {
        "eq": _("等于"), "ne": _("不等于"), "gt": _("大于"),
        "ge": _("不小于"), "lt": _("小于"), "le": _("不大于"),
    }[op]


def _show_number(value: Decimal, unit: str) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return f"{text}{unit}"


def _missing_message(spec: FieldSpec) -> str:
    if spec.type == "attachment":
        return _("请上传{label}").format(label=label_of(spec))
    if spec.type in ("choice", "multi_choice", "yes_no", "person", "unit"):
        return _("请选择{label}").format(label=label_of(spec))
    return _("请填写{label}").format(label=label_of(spec))


def _edge(value: Any, *, end: bool) -> Any:
    if isinstance(value, tuple):
        return value[1] if end else value[0]
    return value


def _as_day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _order(spec: FieldSpec, value: Any, typed: dict[str, Any], schema: FormSchema, today: dt.date) -> list[Problem]:
    problems = []
    for ref, later in ((spec.not_before, True), (spec.not_after, False)):
        if not ref:
            continue
        mine = _edge(value, end=not later)
        other = today if ref == "today" else _edge(typed.get(ref), end=later)
        if other is None:
            continue
        if not (isinstance(mine, dt.datetime) and isinstance(other, dt.datetime)):
            mine, other = _as_day(mine), _as_day(other)
        if (later and mine < other) or (not later and mine > other):
            if ref == "today":
                msg = _("{label}不能早于今天") if later else _("{label}不能晚于今天")
                problems.append(Problem(spec.key, msg.format(label=label_of(spec))))
            else:
                msg = _("{label}不能早于{other}") if later else _("{label}不能晚于{other}")
                text = msg.format(label=label_of(spec), other=label_of(schema.field(ref)))
                problems.append(Problem(spec.key, text, related=(ref,)))
    return problems


def _limits(spec: FieldSpec, value: Any) -> list[Problem]:
    label = label_of(spec)
    out: list[str] = []
    if spec.type in ("integer", "decimal", "money"):
        number = Decimal(value)
        low = spec.lower_bound
        if low is not None and number < low:
            if low == 0:
                out.append(_("{label}不能为负数").format(label=label))
            else:
                out.append(_("{label}不能小于{min}").format(label=label, min=_show_number(low, spec.unit)))
        if spec.max is not None and number > spec.max:
            out.append(_("{label}不能大于{max}").format(label=label, max=_show_number(spec.max, spec.unit)))
    elif spec.type in ("text", "multiline") and isinstance(value, str):
        if spec.min_length is not None and len(value.strip()) < spec.min_length:
            out.append(_("{label}至少要写{n}个字").format(label=label, n=spec.min_length))
        if spec.max_length is not None and len(value) > spec.max_length:
            out.append(_("{label}最多{n}个字，现在有{count}个字").format(label=label, n=spec.max_length, count=len(value)))
        if spec.pattern is not None:
            if not re.fullmatch(spec.pattern, value.strip()):
                custom = localized(spec.pattern_message, spec.pattern_message_en)
                out.append(custom or _("{label}的格式不正确").format(label=label))
    elif spec.type in ("attachment", "multi_choice") and isinstance(value, list):
        if spec.min is not None and len(value) < spec.min:
            msg = _("{label}至少需要{n}个附件") if spec.type == "attachment" else _("{label}至少选择{n}项")
            out.append(msg.format(label=label, n=int(spec.min)))
        if spec.max is not None and len(value) > spec.max:
            msg = _("{label}最多{n}个附件") if spec.type == "attachment" else _("{label}最多选择{n}项")
            out.append(msg.format(label=label, n=int(spec.max)))
    return [Problem(spec.key, m) for m in out]


def _number(typed: dict[str, Any], key: str | None) -> Decimal | None:
    value = typed.get(key or "")
    return None if value is None else Decimal(value)


def _rule_problem(rule: FormRule, schema: FormSchema, typed: dict[str, Any]) -> Problem | None:
    names = lambda keys: "、".join(label_of(schema.field(k)) for k in keys)  # noqa: E731
    parts = [_number(typed, k) for k in rule.fields]
    total_parts = sum((p for p in parts if p is not None), Decimal(0))
    default = ""
    if rule.kind == "sum_equals":
        total = _number(typed, rule.total)
        if total is None or all(p is None for p in parts) or total_parts == total:
            return None
        default = _("{parts}之和为{sum}，应等于{total}（{value}）").format(
            parts=names(rule.fields), sum=total_parts, total=names([rule.total]), value=total
        )
    elif rule.kind == "sum_max":
        assert rule.limit is not None
        if total_parts <= rule.limit:
            return None
        default = _("{parts}合计{sum}，不能超过{limit}").format(parts=names(rule.fields), sum=total_parts, limit=rule.limit)
    else:
        left = typed.get(rule.left or "")
        right = typed.get(rule.right) if rule.right else rule.value
        if left is None or right is None:
            return None
        left, right = _edge(left, end=False), _edge(right, end=False)
        if evaluate(rule.op, left, right):
            return None
        other = names([rule.right]) if rule.right else str(rule.value)
        default = _("{left}应{op}{right}").format(left=names([rule.left]), op=op_word(rule.op), right=other)
    message = localized(rule.message, rule.en) or default
    return Problem(rule.anchor(), message, related=tuple(sorted(rule.refs())))


def _readable(schema: FormSchema, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in schema.fields:
        raw = values.get(spec.key)
        if is_empty(raw):
            continue
        try:
            out[spec.key] = coerce(spec, raw)
        except BadValue:
            out[spec.key] = raw
    return out


def check_form(schema: FormSchema, values: dict[str, Any], *, today: dt.date | None = None) -> list[Problem]:
    """Every problem in these (already computed) values, fields first in form order."""
    today = today or dt.date.today()
    facts = _readable(schema, values)  # conditions test typed values: "是" is True, "3" is 3
    problems: list[Problem] = []
    typed: dict[str, Any] = {}
    visible = []
    for spec in schema.fields:
        if spec.show_when is not None and not spec.show_when.holds(facts):
            continue
        visible.append(spec)
        raw = values.get(spec.key)
        if is_empty(raw):
            required = spec.required or (spec.required_when is not None and spec.required_when.holds(facts))
            if required and spec.compute is None:
                related = tuple(sorted(spec.required_when.refs())) if spec.required_when else ()
                problems.append(Problem(spec.key, _missing_message(spec), related=related))
            continue
        try:
            typed[spec.key] = coerce(spec, raw)
        except BadValue as exc:
            problems.append(Problem(spec.key, str(exc)))
            continue
        problems.extend(_limits(spec, typed[spec.key]))
    for spec in visible:
        if spec.key in typed:
            problems.extend(_order(spec, typed[spec.key], typed, schema, today))
    for rule in schema.rules:
        if rule.when is not None and not rule.when.holds(facts):
            continue
        found = _rule_problem(rule, schema, typed)
        if found is not None:
            problems.append(found)
    return problems
