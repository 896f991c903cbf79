"""Checking and computing report submissions: per-cell checks, cross-field rules, computed figures."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from oa_client.domain.forms_check import op_word
from oa_client.domain.forms_values import (
    BadValue,
    Problem,
    date_refusal,
    evaluate,
    is_empty,
    localized,
    to_date,
    to_decimal,
    too_large,
)
from oa_client.domain.reports import DataItem, ReportRule, ReportTemplate
from oa_client.i18n import _

__all__ = ["calculate", "coerce_item", "compute_submission", "fit_to_item", "validate_submission"]


def _show(value: Decimal | int, unit: str = "") -> str:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        with contextlib.suppress(InvalidOperation):  # past 28 digits (kept before the bound)
            value = value.quantize(Decimal(1))
    return f"{value}{unit}"


def coerce_item(item: DataItem, raw: Any, *, label: str) -> Any:
    """The typed value of a non-empty raw input for a data item; BadValue with a clerk's message if not."""
    if item.type in ("integer", "decimal"):
        try:
            number = to_decimal(raw)
        except BadValue as exc:
            msg = _("{label}应填整数") if item.type == "integer" else _("{label}应填数字")
            raise BadValue(msg.format(label=label)) from exc
        if too_large(number):
            raise BadValue(_("{label}数值过大，请核对").format(label=label))
        if item.type == "integer":
            if number != number.to_integral_value():
                raise BadValue(_("{label}应填整数").format(label=label))
            number = Decimal(int(number))
        elif item.places is not None and -number.as_tuple().exponent > item.places:  # type: ignore[operator]
            raise BadValue(_("{label}最多保留{places}位小数").format(label=label, places=item.places))
        if item.min is not None and number < item.min:
            raise BadValue(_("{label}不能小于{min}").format(label=label, min=_show(item.min, item.unit)))
        if item.max is not None and number > item.max:
            raise BadValue(_("{label}不能大于{max}").format(label=label, max=_show(item.max, item.unit)))
        return int(number) if item.type == "integer" else number
    if item.type == "date":
        try:
            return to_date(raw)
        except BadValue as exc:
            raise date_refusal(label, exc) from exc
    if item.type == "yes_no":
        if isinstance(raw, bool) or raw in ("是", "否"):
            return raw if isinstance(raw, bool) else raw == "是"
        raise BadValue(_("{label}应选择“是”或“否”").format(label=label))
    text = raw if isinstance(raw, str) else str(raw)
    if item.type == "choice" and text not in item.options:
        raise BadValue(_("{label}只能从“{options}”中选择").format(label=label, options="、".join(item.options)))
    if item.pattern is not None and not re.fullmatch(item.pattern, text.strip()):
        raise BadValue(_("{label}的格式不正确").format(label=label))
    return text


def _quiet(item: DataItem, raw: Any) -> Any:
    if is_empty(raw):
        return None
    try:
        return coerce_item(item, raw, label=item.code)
    except BadValue:
        return None


def _rows(values: Mapping[str, Any], key: str) -> dict[str, Any]:
    rows = values.get(key)
    return rows if isinstance(rows, dict) else {}


class _Reader:
    """Typed numbers by reference, for one set of values."""

    def __init__(self, template: ReportTemplate, values: Mapping[str, Any]) -> None:
        self.t, self.values = template, values

    def cell(self, table: str, row: str, code: str) -> Any:
        cells = _rows(self.values, table).get(row)
        return _quiet(self.t.item(code), cells.get(code)) if isinstance(cells, dict) else None

    def num(self, ref: str, row: tuple[str, str] | None = None) -> Decimal | None:
        owner, _sep, code = ref.rpartition(".")
        if owner:
            found = [self.cell(owner, r, code) for r in _rows(self.values, owner)]
            present = [Decimal(v) for v in found if isinstance(v, int | Decimal) and not isinstance(v, bool)]
            return sum(present, Decimal(0)) if present else None
        value = self.cell(row[0], row[1], code) if row else _quiet(self.t.item(code), self.values.get(code))
        return Decimal(value) if isinstance(value, int | Decimal) and not isinstance(value, bool) else None


def fit_to_item(item: DataItem, value: Decimal) -> Any:
    """A computed figure rounded as its item holds it (integers whole, decimals to their places)."""
    if item.type == "integer":
        return int(value.to_integral_value(rounding=ROUND_HALF_UP))
    places = 4 if item.places is None else item.places
    try:
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # a figure past 28 digits (kept before the bound) stays as it is
        return value


def calculate(op: str, args: list[Decimal | None], rate: Decimal | None) -> Decimal | None:
    """One computed figure from its arguments (None when it cannot be computed yet)."""
    if op == "sum":
        present = [a for a in args if a is not None]
        return sum(present, Decimal(0)) if present else None
    if args[0] is None:
        return None
    if op == "difference":
        return args[0] - sum((a for a in args[1:] if a is not None), Decimal(0))
    if op == "ratio":
        if len(args) < 2 or not args[1]:
            return None
        try:
            return args[0] / args[1]
        except InvalidOperation:
            return None
    return args[0] * (rate if rate is not None else Decimal(1))


def compute_submission(template: ReportTemplate, values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the values with every computed figure (fields and row cells) filled in."""
    out: dict[str, Any] = {k: ({r: dict(c) for r, c in v.items()} if isinstance(v, dict) else v) for k, v in values.items()}
    for comp in template.computed:
        item = template.item(comp.target.rpartition(".")[2])
        reader = _Reader(template, out)
        if comp.table:
            for row_key, cells in _rows(out, comp.table).items():
                result = calculate(comp.op, [reader.num(a, (comp.table, row_key)) for a in comp.args], comp.rate)
                if isinstance(cells, dict):
                    if result is None:
                        cells.pop(comp.target, None)
                    else:
                        cells[comp.target] = fit_to_item(item, result)
        else:
            result = calculate(comp.op, [reader.num(a) for a in comp.args], comp.rate)
            if result is None:
                out.pop(comp.target, None)
            else:
                out[comp.target] = fit_to_item(item, result)
    return out


def _cell_problems(template: ReportTemplate, values: Mapping[str, Any]) -> Iterator[Problem]:
    for ref in template.field_refs():
        item, label = template.item(ref.code), template.label(ref.code)
        raw = values.get(ref.code)
        required = item.required if ref.required is None else ref.required
        if is_empty(raw):
            if required:
                yield Problem(ref.code, _("请填写{label}").format(label=label))
            continue
        try:
            coerce_item(item, raw, label=label)
        except BadValue as exc:
            yield Problem(ref.code, str(exc))
    for table in template.tables:
        rows = values.get(table.key, {})
        title = localized(table.title, table.en)
        if not isinstance(rows, dict):
            yield Problem(table.key, _("{table}的内容无法识别").format(table=title))
            continue
        fixed = [r.key for r in table.rows]
        for key in rows:
            if fixed and key not in fixed:
                yield Problem(table.key, _("“{row}”不在{table}的名单中").format(row=key, table=title), row=key)
        if len(rows) < table.min_rows:
            yield Problem(table.key, _("{table}至少要填{n}行").format(table=title, n=table.min_rows))
        for key in fixed or list(rows):
            cells = rows.get(key) or {}
            row_title = table.row_title(key)
            for col in table.columns:
                item, label = template.item(col.code), template.label(col.code, table.key)
                raw = cells.get(col.code) if isinstance(cells, dict) else None
                required = item.required if col.required is None else col.required
                message = None
                if is_empty(raw):
                    message = _("请填写{label}").format(label=label) if required else None
                else:
                    try:
                        coerce_item(item, raw, label=label)
                    except BadValue as exc:
                        message = str(exc)
                if message:
                    yield Problem(table.key, _("{row}：{message}").format(row=row_title, message=message), row=key, column=col.code)


def _ref_label(template: ReportTemplate, ref: str, table: str | None) -> str:
    owner, _sep, code = ref.rpartition(".")
    if owner:
        return _("{table}{label}合计").format(table=localized(template.table(owner).title, template.table(owner).en), label=template.label(code, owner))
    return template.label(code, table)


def _where(template: ReportTemplate, ref: str, row: tuple[str, str] | None, rule: ReportRule) -> Problem:
    owner, _sep, code = ref.rpartition(".")
    related = tuple(sorted({r.rpartition(".")[2] for r in rule.refs()}))
    if row:
        return Problem(row[0], "", row=row[1], column=code, related=related)
    return Problem(owner or code, "", related=related)


def _rule_problems(template: ReportTemplate, values: Mapping[str, Any], previous: Mapping[str, Any] | None) -> Iterator[Problem]:
    now = _Reader(template, values)
    before = _Reader(template, previous) if previous is not None else None
    for rule in template.rules:
        scopes: list[tuple[str, str] | None] = [None]
        if rule.table:
            scopes = [(rule.table, r) for r in _rows(values, rule.table)]
        for scope in scopes:
            found = _one_rule(template, rule, scope, now, before)
            if found is None:
                continue
            anchor, default = found
            prefix = _("{row}：").format(row=template.table(scope[0]).row_title(scope[1])) if scope else ""
            where = _where(template, anchor, scope, rule)
            message = prefix + (localized(rule.message, rule.en) or default)
            yield Problem(where.field, message, row=where.row, column=where.column, related=where.related)


def _one_rule(template: ReportTemplate, rule: ReportRule, scope: tuple[str, str] | None, now: _Reader, before: _Reader | None) -> tuple[str, str] | None:
    label = lambda ref: _ref_label(template, ref, rule.table)  # noqa: E731
    if rule.kind == "sum_equals":
        assert rule.total is not None
        parts = [now.num(p, scope) for p in rule.parts]
        total = now.num(rule.total, scope)
        if total is None or all(p is None for p in parts):
            return None
        got = sum((p for p in parts if p is not None), Decimal(0))
        if abs(got - total) <= rule.tolerance:
            return None
        return rule.total, _("{parts}之和为{sum}，与{total}（{value}）不相等").format(
            parts="、".join(label(p) for p in rule.parts), sum=_show(got), total=label(rule.total), value=_show(total))
    if rule.kind == "not_decrease":
        for ref in rule.fields:
            cur, old = now.num(ref, scope), before.num(ref, scope) if before else None
            if cur is not None and old is not None and cur < old:
                return ref, _("{label}是累计数，本期{now}不应小于上期{before}").format(label=label(ref), now=_show(cur), before=_show(old))
        return None
    if rule.kind == "ratio_between":
        assert rule.numerator is not None and rule.denominator is not None
        num, den = now.num(rule.numerator, scope), now.num(rule.denominator, scope)
        if num is None or not den:
            return None
        ratio = num / den
        if (rule.min is None or ratio >= rule.min) and (rule.max is None or ratio <= rule.max):
            return None
        low = _show(rule.min) if rule.min is not None else "-"
        high = _show(rule.max) if rule.max is not None else "-"
        return rule.numerator, _("{num}与{den}之比为{ratio}，应在{low}至{high}之间").format(
            num=label(rule.numerator), den=label(rule.denominator), ratio=_show(ratio.quantize(Decimal("0.0001"))), low=low, high=high)
    assert rule.left is not None
    left = now.num(rule.left, scope)
    right = now.num(rule.right, scope) if rule.right else rule.value
    if left is None or right is None or evaluate(rule.op, left, right):
        return None
    other = label(rule.right) if rule.right else _show(right)
    return rule.left, _("{left}应{op}{right}").format(left=label(rule.left), op=op_word(rule.op), right=other)


def _cumulative(template: ReportTemplate, values: Mapping[str, Any], previous: Mapping[str, Any]) -> Iterator[Problem]:
    now, before = _Reader(template, values), _Reader(template, previous)
    for ref in template.field_refs():
        if not template.item(ref.code).cumulative:
            continue
        cur, old = now.num(ref.code), before.num(ref.code)
        if cur is not None and old is not None and cur < old:
            yield Problem(ref.code, _("{label}是累计数，本期{now}不应小于上期{before}").format(
                label=template.label(ref.code), now=_show(cur), before=_show(old)))
    for table in template.tables:
        for col in table.columns:
            if not template.item(col.code).cumulative:
                continue
            for row in _rows(values, table.key):
                cur, old = now.num(col.code, (table.key, row)), before.num(col.code, (table.key, row))
                if cur is not None and old is not None and cur < old:
                    text = _("{label}是累计数，本期{now}不应小于上期{before}").format(
                        label=template.label(col.code, table.key), now=_show(cur), before=_show(old))
                    yield Problem(table.key, _("{row}：{message}").format(row=table.row_title(row), message=text), row=row, column=col.code)


def validate_submission(
    template: ReportTemplate,
    values: Mapping[str, Any],
    *,
    previous: Mapping[str, Any] | None = None,
    field: str | None = None,
    row: str | None = None,
) -> list[Problem]:
    """Every problem in a submission (computed figures first); `previous` is the last period of the same year.

    With `field` (and `row`), only the problems on that field/table (row) or rules reading it.
    """
    full = compute_submission(template, values)
    problems = list(_cell_problems(template, full)) + list(_rule_problems(template, full, previous))
    if previous is not None:
        problems.extend(_cumulative(template, full, previous))
    problems = list(dict.fromkeys(problems))
    if field is not None:
        problems = [p for p in problems if (p.field == field or field in p.related) and (row is None or p.row in (None, row))]
    return problems
