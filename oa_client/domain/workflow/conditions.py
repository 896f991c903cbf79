"""A tiny declarative condition language over form values: data, never code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pydantic
from pydantic import model_validator

Operator = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "contains"]
OPERATORS: tuple[str, ...] = ("eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "contains")


class Condition(pydantic.BaseModel):
    """One test `{field, op, value}`, or a combinator `{all: [...]}` / `{any: [...]}` / `{not: ...}`."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str | None = None
    op: Operator | None = None
    value: Any = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = pydantic.Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [self.field is not None or self.op is not None, self.all is not None,
                 self.any is not None, self.not_ is not None]
        if sum(forms) != 1:
            raise ValueError("a condition is exactly one of {field, op, value}, all, any or not")
        if forms[0]:
            if not self.field or self.op is None:
                raise ValueError("a test needs both field and op")
            if self.op in ("in", "not_in") and not isinstance(self.value, list):
                raise ValueError(f"operator {self.op} needs a list value")
        for group in (self.all, self.any):
            if group is not None and not group:
                raise ValueError("all/any need at least one condition")
        return self

    def holds(self, values: Mapping[str, Any]) -> bool:
        """True when the condition holds for these form values (missing fields are None)."""
        return evaluate(self, values)


def _compare(op: str, left: Any, right: Any) -> bool:
    try:
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:  # None or mixed types never compare: the test simply fails
        return False


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, (list, tuple, set, frozenset)):
        return item in container
    return False


def evaluate(condition: Condition | None, values: Mapping[str, Any]) -> bool:
    """Evaluate a condition against form values; no condition means True."""
    if condition is None:
        return True
    if condition.all is not None:
        return all(evaluate(c, values) for c in condition.all)
    if condition.any is not None:
        return any(evaluate(c, values) for c in condition.any)
    if condition.not_ is not None:
        return not evaluate(condition.not_, values)
    left = values.get(condition.field or "")
    op, right = condition.op, condition.value
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if op == "in":
        return left in right
    if op == "not_in":
        return left not in right
    if op == "contains":
        return _contains(left, right)
    return _compare(op or "", left, right)


def condition_fields(condition: Condition | None) -> set[str]:
    """Every form field a condition reads."""
    if condition is None:
        return set()
    found: set[str] = {condition.field} if condition.field else set()
    for child in (condition.all or []) + (condition.any or []):
        found |= condition_fields(child)
    return found | condition_fields(condition.not_)
