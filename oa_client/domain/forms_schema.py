"""A form's schema as data: fields, their types and rules, conditions, computed fields, prefill.

A service item's form (事项表单) is a `FormSchema` loaded from JSON; a bad reference or
an impossible field is refused when the schema is read, in words an editor understands.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oa_client.domain.forms_values import MISSING_VALUE, evaluate, localized
from oa_client.i18n import _

FieldType = Literal[
    "text", "multiline", "integer", "decimal", "money", "date", "datetime", "date_range",
    "choice", "multi_choice", "yes_no", "person", "unit", "attachment",
]
FIELD_TYPES: tuple[str, ...] = FieldType.__args__  # type: ignore[attr-defined]
NUMERIC = ("integer", "decimal", "money")
DATES = ("date", "datetime")

#: What the organisation already knows about the applicant (never ask for it again).
PREFILL_KEYS = (
    "name", "person", "unit", "department", "position", "rank", "phone", "office_phone",
    "hire_date", "annual_leave_total", "annual_leave_balance", "today",
)

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
Op = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "contains"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    """One choice: the value stored (Chinese) and its English label."""

    value: str
    en: str = ""


class Condition(_Model):
    """A test `{field, op, value}` on form values, or `{all: [...]}`, `{any: [...]}`, `{not: {...}}`.

    Same vocabulary as the workflow conditions (eq ne gt ge lt le in not_in contains);
    `{"op": "ne", "value": null}` means "filled in".
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str | None = None
    op: Op = "eq"
    value: Any = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_shape(self) -> Condition:
        shapes = sum(x is not None for x in (self.field, self.all, self.any, self.not_))
        if shapes != 1:
            raise ValueError(_("条件须且只能是 field/op/value、all、any、not 之一"))
        if self.op in ("in", "not_in") and self.field and not isinstance(self.value, list):
            raise ValueError(_("条件运算 {op} 需要一个取值列表").format(op=self.op))
        return self

    def refs(self) -> set[str]:
        """Every field key this condition reads."""
        found = {self.field} if self.field else set()
        for sub in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            found |= sub.refs()
        return found

    def holds(self, values: dict[str, Any]) -> bool:
        """Whether the condition is true for these values."""
        if self.all is not None:
            return all(c.holds(values) for c in self.all)
        if self.any is not None:
            return any(c.holds(values) for c in self.any)
        if self.not_ is not None:
            return not self.not_.holds(values)
        return evaluate(self.op, values.get(self.field or "", MISSING_VALUE), self.value)


class Compute(_Model):
    """A computed value: days between two dates, a sum of fields, or a field times a rate."""

    op: Literal["days_between", "sum", "times"]
    fields: list[str]
    count: Literal["workdays", "calendar"] = "calendar"
    rate: Decimal | None = None
    rate_field: str | None = None


class FieldSpec(_Model):
    """One field of a form: key, labels, type and its own validation."""

    key: str
    label: str
    en: str = ""
    type: FieldType
    required: bool = False
    required_when: Condition | None = None
    show_when: Condition | None = None
    help: str = ""
    help_en: str = ""
    options: list[Option] = Field(default_factory=list)
    unit: str = ""
    places: int | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: str = ""
    pattern_message_en: str = ""
    not_before: str | None = None
    not_after: str | None = None
    compute: Compute | None = None
    prefill: str | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _plain_options(cls, v: Any) -> Any:
        return [{"value": o} if isinstance(o, str) else o for o in (v or [])]

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if not _KEY.match(self.key):
            raise ValueError(
                _("字段标识“{key}”只能由小写字母、数字和下划线组成，并以字母开头").format(key=self.key)
            )
        if self.type in ("choice", "multi_choice") and not self.options:
            raise ValueError(_("选择类字段“{key}”需要给出选项").format(key=self.key))
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(
                    _("字段“{key}”的格式规则（正则表达式）无效：{error}").format(key=self.key, error=exc)
                ) from exc
        if self.compute is not None and self.type not in NUMERIC:
            raise ValueError(_("计算字段“{key}”只能是整数、小数或金额类型").format(key=self.key))
        if self.prefill is not None and self.prefill not in PREFILL_KEYS:
            raise ValueError(_("字段“{key}”使用了不认识的预填项“{prefill}”").format(key=self.key, prefill=self.prefill))
        return self

    @property
    def decimal_places(self) -> int | None:
        """Decimal places allowed: 2 for money, `places` for decimals, 0 for integers."""
        if self.type == "money":
            return 2
        if self.type == "integer":
            return 0
        return self.places

    @property
    def lower_bound(self) -> Decimal | None:
        """Smallest allowed number: money is never negative unless the schema says so."""
        if self.min is None and self.type == "money":
            return Decimal(0)
        return self.min

    def title(self) -> str:
        """The label in the current language."""
        return localized(self.label, self.en)


class FormRule(_Model):
    """A rule across fields: sum of parts equals/caps a total, or a comparison."""

    kind: Literal["sum_equals", "sum_max", "compare"]
    fields: list[str] = Field(default_factory=list)
    total: str | None = None
    limit: Decimal | None = None
    left: str | None = None
    op: Literal["eq", "ne", "gt", "ge", "lt", "le"] = "le"
    right: str | None = None
    value: Decimal | None = None
    when: Condition | None = None
    message: str = ""
    en: str = ""

    @model_validator(mode="after")
    def _shape(self) -> FormRule:
        ok = {
            "sum_equals": bool(self.fields) and self.total is not None,
            "sum_max": bool(self.fields) and self.limit is not None,
            "compare": self.left is not None and (self.right is not None or self.value is not None),
        }[self.kind]
        if not ok:
            raise ValueError(_("规则“{kind}”缺少必要的参数").format(kind=self.kind))
        return self

    def refs(self) -> set[str]:
        """Every field key this rule reads."""
        keys = set(self.fields) | {k for k in (self.total, self.left, self.right) if k}
        return keys | (self.when.refs() if self.when else set())

    def anchor(self) -> str:
        """The field a broken rule is shown on."""
        return self.total or self.left or self.fields[-1]


class FormSchema(_Model):
    """A whole form: ordered fields and cross-field rules. Bad references are refused."""

    fields: list[FieldSpec]
    rules: list[FormRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> FormSchema:
        keys: dict[str, FieldSpec] = {}
        for f in self.fields:
            if f.key in keys:
                raise ValueError(_("字段标识“{key}”重复").format(key=f.key))
            keys[f.key] = f
        for f in self.fields:
            refs: set[str] = set()
            for cond in (f.required_when, f.show_when):
                refs |= cond.refs() if cond else set()
            refs |= {r for r in (f.not_before, f.not_after) if r and r != "today"}
            if f.compute:
                refs |= set(f.compute.fields) | ({f.compute.rate_field} if f.compute.rate_field else set())
            for ref in sorted(refs):
                if ref not in keys:
                    raise ValueError(_("字段“{key}”引用了不存在的字段“{ref}”").format(key=f.key, ref=ref))
            for ref in (f.not_before, f.not_after):
                if ref and ref != "today" and keys[ref].type not in (*DATES, "date_range"):
                    raise ValueError(_("字段“{key}”只能与日期字段比较先后，“{ref}”不是日期").format(key=f.key, ref=ref))
            if f.compute:
                _check_compute(f, keys)
        for rule in self.rules:
            for ref in sorted(rule.refs()):
                if ref not in keys:
                    raise ValueError(_("规则引用了不存在的字段“{ref}”").format(ref=ref))
            for ref in rule.fields + [k for k in (rule.total, rule.left, rule.right) if k]:
                if keys[ref].type not in NUMERIC and rule.kind != "compare":
                    raise ValueError(_("求和规则只能用于数字字段，“{ref}”不是数字").format(ref=ref))
        return self

    def field(self, key: str) -> FieldSpec:
        """The field with this key (KeyError if none)."""
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def keys(self) -> list[str]:
        """Field keys in form order."""
        return [f.key for f in self.fields]


def _check_compute(f: FieldSpec, keys: dict[str, FieldSpec]) -> None:
    c = f.compute
    assert c is not None
    types = [keys[k].type for k in c.fields]
    if c.op == "days_between":
        ok = (len(types) == 2 and all(t in DATES for t in types)) or types == ["date_range"]
        if not ok or f.type != "integer":
            raise ValueError(
                _("计算字段“{key}”的天数须由两个日期字段或一个日期区间算出，且为整数").format(key=f.key)
            )
    elif c.op == "sum":
        if not all(t in NUMERIC for t in types):
            raise ValueError(_("计算字段“{key}”只能对数字字段求和").format(key=f.key))
    else:
        rate_ok = (c.rate is None) != (c.rate_field is None)
        if len(types) != 1 or types[0] not in NUMERIC or not rate_ok:
            raise ValueError(_("计算字段“{key}”须为一个数字字段乘以一个费率").format(key=f.key))
