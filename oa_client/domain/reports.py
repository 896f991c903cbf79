"""Single-table reports (一张表): data items defined once, templates, issues and periods.

Submission values are one plain dict: a data item code → its value for the single
fields, and a table key → {row key → {column data item code → value}} for row tables.
References in rules and computed fields: `CODE` is a field (or, in a row-scoped rule,
that row's cell); `table.CODE` is the sum of a column over all rows.
Checking lives in `reports_check`, prefill/aggregation in `reports_fill`, merge in `reports_merge`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oa_client.domain.forms_values import localized
from oa_client.i18n import _

__all__ = [
    "Computed",
    "DataDictionary",
    "DataItem",
    "ItemRef",
    "ReportIssue",
    "ReportRule",
    "ReportTemplate",
    "RowSpec",
    "RowTable",
    "Section",
    "misspelt_period",
    "next_period",
    "period_key",
    "previous_period",
]

Period = Literal["monthly", "quarterly", "yearly", "one_off"]
ItemType = Literal["integer", "decimal", "text", "choice", "date", "yes_no"]
NUMERIC_ITEMS = ("integer", "decimal")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_TABLE = re.compile(r"^[a-z][a-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataItem(_Model):
    """A figure defined once (数据项): type, unit of measure, checks, period, owner office; versioned."""

    code: str
    version: int = Field(default=1, ge=1)
    name: str
    en: str = ""
    type: ItemType
    unit: str = ""
    places: int | None = Field(default=None, ge=0, le=6)
    min: Decimal | None = None
    max: Decimal | None = None
    required: bool = False
    pattern: str | None = None
    options: list[str] = Field(default_factory=list)
    period: Period = "monthly"
    owner: str = ""
    cumulative: bool = False
    carry_forward: bool = False
    #: how figures of many units (or rows) combine in a 汇总: added up, or averaged (per-head figures)
    aggregate: Literal["sum", "mean"] = "sum"
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> DataItem:
        if not _CODE.match(self.code):
            raise ValueError(_("数据项编码“{code}”只能由大写字母、数字和下划线组成").format(code=self.code))
        if self.type == "choice" and not self.options:
            raise ValueError(_("选择类数据项“{code}”需要给出选项").format(code=self.code))
        if self.cumulative and self.type not in NUMERIC_ITEMS:
            raise ValueError(_("累计数据项“{code}”必须是数字").format(code=self.code))
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(_("数据项“{code}”的格式规则无效：{error}").format(code=self.code, error=exc)) from exc
        return self

    def title(self) -> str:
        """The item's name in the current language."""
        return localized(self.name, self.en)

    def definition(self) -> dict[str, Any]:
        """Everything but the version: two versions with the same definition are the same figure."""
        return self.model_dump(exclude={"version"})

    def revise(self, **changes: Any) -> DataItem:
        """A new version with these changes (the same item when nothing changes)."""
        changed = DataItem.model_validate({**self.model_dump(), **changes, "version": self.version})
        if changed.definition() == self.definition():
            return self
        return changed.model_copy(update={"version": self.version + 1})


class DataDictionary:
    """Every version of every data item; templates snapshot the versions they use."""

    def __init__(self, items: list[DataItem] | None = None) -> None:
        self._versions: dict[str, list[DataItem]] = {}
        for item in items or []:
            self.add(item)

    def add(self, item: DataItem) -> DataItem:
        """Store an item; a changed definition of a known code becomes its next version."""
        versions = self._versions.setdefault(item.code, [])
        if versions:
            latest = versions[-1]
            if latest.definition() == item.definition():
                return latest
            item = item.model_copy(update={"version": latest.version + 1})
        versions.append(item)
        return item

    def latest(self, code: str) -> DataItem:
        """The newest version of a data item (KeyError if unknown)."""
        return self._versions[code][-1]

    def get(self, code: str, version: int) -> DataItem:
        """One exact version (KeyError if unknown)."""
        for item in self._versions[code]:
            if item.version == version:
                return item
        raise KeyError((code, version))

    def codes(self) -> list[str]:
        """Every known data item code."""
        return sorted(self._versions)


class ItemRef(_Model):
    """A data item placed in a template, optionally relabelled or made required there."""

    code: str
    label: str = ""
    en: str = ""
    required: bool | None = None


class Section(_Model):
    """A titled group of single fields."""

    key: str
    title: str
    en: str = ""
    items: list[ItemRef]


class RowSpec(_Model):
    """A fixed row of a row table (e.g. one village)."""

    key: str
    label: str


class RowTable(_Model):
    """A table with one row per village/household and data items as columns."""

    key: str
    title: str
    en: str = ""
    row_label: str = "行"
    rows: list[RowSpec] = Field(default_factory=list)
    columns: list[ItemRef]
    min_rows: int = 0

    def fixed(self) -> bool:
        """Whether the rows are a fixed list (otherwise the clerk adds rows)."""
        return bool(self.rows)

    def row_title(self, key: str) -> str:
        """The row's label (its key when it is not a fixed row)."""
        return next((r.label for r in self.rows if r.key == key), key)


class ReportRule(_Model):
    """A cross-field rule as data: sum_equals, not_decrease, ratio_between or compare."""

    kind: Literal["sum_equals", "not_decrease", "ratio_between", "compare"]
    table: str | None = None
    parts: list[str] = Field(default_factory=list)
    total: str | None = None
    fields: list[str] = Field(default_factory=list)
    numerator: str | None = None
    denominator: str | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    left: str | None = None
    op: Literal["eq", "ne", "gt", "ge", "lt", "le"] = "le"
    right: str | None = None
    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    message: str = ""
    en: str = ""

    @model_validator(mode="after")
    def _shape(self) -> ReportRule:
        ok = {
            "sum_equals": bool(self.parts) and self.total is not None,
            "not_decrease": bool(self.fields),
            "ratio_between": bool(self.numerator and self.denominator) and (self.min is not None or self.max is not None),
            "compare": self.left is not None and (self.right is not None or self.value is not None),
        }[self.kind]
        if not ok:
            raise ValueError(_("规则“{kind}”缺少必要的参数").format(kind=self.kind))
        return self

    def refs(self) -> list[str]:
        """Every reference the rule reads."""
        single = [self.total, self.numerator, self.denominator, self.left, self.right]
        return [*self.parts, *self.fields, *[r for r in single if r]]


class Computed(_Model):
    """A computed figure: sum, difference, ratio of two, or one times a rate; per row when `table` is set."""

    target: str
    op: Literal["sum", "difference", "ratio", "times"]
    args: list[str] = Field(min_length=1)
    rate: Decimal | None = None
    table: str | None = None


class ReportTemplate(_Model):
    """A report (报表) a unit issues to its subordinates: sections, row tables, rules, computed figures."""

    code: str
    version: int = Field(default=1, ge=1)
    name: str
    en: str = ""
    issuer: str = ""
    period: Period = "monthly"
    late_policy: Literal["allow", "refuse"] = "allow"
    data_items: list[DataItem]
    sections: list[Section] = Field(default_factory=list)
    tables: list[RowTable] = Field(default_factory=list)
    rules: list[ReportRule] = Field(default_factory=list)
    computed: list[Computed] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> ReportTemplate:
        items = {i.code: i for i in self.data_items}
        if len(items) != len(self.data_items):
            raise ValueError(_("报表“{code}”中有重复的数据项").format(code=self.code))
        fields = [ref.code for s in self.sections for ref in s.items]
        for code in fields + [c.code for t in self.tables for c in t.columns]:
            if code not in items:
                raise ValueError(_("报表引用了未定义的数据项“{code}”").format(code=code))
        if len(set(fields)) != len(fields):
            raise ValueError(_("同一数据项在报表中只能填一次"))
        tables = {t.key: t for t in self.tables}
        for t in self.tables:
            if not _TABLE.match(t.key) or t.key in items:
                raise ValueError(_("表格标识“{key}”只能由小写字母、数字和下划线组成").format(key=t.key))
            if len({c.code for c in t.columns}) != len(t.columns) or len({r.key for r in t.rows}) != len(t.rows):
                raise ValueError(_("表格“{key}”中有重复的列或行").format(key=t.key))
        for table, refs, numeric in [(r.table, r.refs(), r.kind != "compare") for r in self.rules] + [
            (c.table, [c.target, *c.args], True) for c in self.computed
        ]:
            if table is not None and table not in tables:
                raise ValueError(_("规则引用了不存在的表格“{ref}”").format(ref=table))
            for ref in refs:
                code = self._resolve(ref, table, fields, tables)
                if numeric and items[code].type not in NUMERIC_ITEMS:
                    raise ValueError(_("“{ref}”不是数字，不能用于求和或比较").format(ref=ref))
        return self

    def _resolve(self, ref: str, table: str | None, fields: list[str], tables: dict[str, RowTable]) -> str:
        owner, _sep, code = ref.rpartition(".")
        scope = tables.get(owner or table or "")
        ok = code in [c.code for c in scope.columns] if scope else code in fields
        if not ok or (owner and owner not in tables):
            raise ValueError(_("规则引用了报表中不存在的“{ref}”").format(ref=ref))
        return code

    def item(self, code: str) -> DataItem:
        """The data item (in the version this template uses)."""
        for item in self.data_items:
            if item.code == code:
                return item
        raise KeyError(code)

    def table(self, key: str) -> RowTable:
        """The row table with this key."""
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def field_refs(self) -> list[ItemRef]:
        """The single fields in section order."""
        return [ref for s in self.sections for ref in s.items]

    def label(self, code: str, table: str | None = None) -> str:
        """A field's or column's label in the current language."""
        refs = self.table(table).columns if table else self.field_refs()
        ref = next((r for r in refs if r.code == code), None)
        if ref is not None and ref.label:
            return localized(ref.label, ref.en)
        return self.item(code).title()


def period_key(kind: str, day: dt.date) -> str:
    """The period a date falls in: 2026-03, 2026-Q1, 2026, or `once`."""
    if kind == "monthly":
        return f"{day.year}-{day.month:02d}"
    if kind == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if kind == "yearly":
        return str(day.year)
    return "once"


#: how `period_key` writes a period of each kind, with an example (one-off reports: any name)
_PERIOD_FORMS = {
    "monthly": (re.compile(r"\d{4}-(0[1-9]|1[0-2])"), "2026-03"),
    "quarterly": (re.compile(r"\d{4}-Q[1-4]"), "2026-Q1"),
    "yearly": (re.compile(r"\d{4}"), "2026"),
}


def misspelt_period(kind: str, key: str) -> str | None:
    """When `key` is not written as `period_key` writes this kind's periods (every desk counts
    the periods before and after it): an example of how it is; None when it is."""
    form = _PERIOD_FORMS.get(kind)
    if form is None or form[0].fullmatch(key):
        return None
    return form[1]


def previous_period(kind: str, key: str) -> str | None:
    """The period before this one (None for one-off reports)."""
    if kind == "monthly":
        year, month = (int(p) for p in key.split("-"))
        return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    if kind == "quarterly":
        year, quarter = key.split("-Q")
        return f"{int(year) - 1}-Q4" if quarter == "1" else f"{year}-Q{int(quarter) - 1}"
    if kind == "yearly":
        return str(int(key) - 1)
    return None


def next_period(kind: str, key: str) -> str | None:
    """The period after this one (None for one-off reports)."""
    if kind == "monthly":
        year, month = (int(p) for p in key.split("-"))
        return f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"
    if kind == "quarterly":
        year, quarter = key.split("-Q")
        return f"{int(year) + 1}-Q1" if quarter == "4" else f"{year}-Q{int(quarter) + 1}"
    if kind == "yearly":
        return str(int(key) + 1)
    return None


class ReportIssue(_Model):
    """One issuance of a template: who issued it to whom, for which period, due when."""

    template: str
    template_version: int = 1
    issuer: str
    recipients: list[str]
    period: str
    deadline: dt.date

    def is_late(self, submitted: dt.date) -> bool:
        """Whether a submission on this date is after the deadline."""
        return submitted > self.deadline
