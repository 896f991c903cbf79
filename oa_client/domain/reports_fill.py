"""Pre-filling (免重复填报), draft migration to a new template version, and aggregation (汇总)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from oa_client.domain.forms_values import BadValue, Problem, is_empty
from oa_client.domain.reports import ReportTemplate
from oa_client.domain.reports_check import coerce_item, compute_submission
from oa_client.i18n import _

__all__ = [
    "Aggregate",
    "PrefillResult",
    "PrefillSource",
    "Prefilled",
    "aggregate",
    "mean_codes",
    "migrate_draft",
    "prefill",
    "rollup",
]


@dataclass(frozen=True)
class PrefillSource:
    """Values already known: this report's previous period, or another report of the same period."""

    kind: Literal["previous_period", "other_report"]
    label: str
    period: str
    values: Mapping[str, Any]
    report: str = ""
    versions: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Prefilled:
    """One pre-filled value and where it came from; who confirmed it (核对确认) and when, once done."""

    field: str
    row: str | None
    column: str | None
    value: Any
    source: str
    kind: str
    period: str
    report: str
    confirmed_by: str = ""
    confirmed_at: str = ""

    @property
    def confirmed(self) -> bool:
        """Whether the clerk confirmed this value."""
        return bool(self.confirmed_by)


@dataclass
class PrefillResult:
    """The values after pre-filling and a mark for each value that was pre-filled."""

    values: dict[str, Any]
    marks: list[Prefilled]

    @property
    def count(self) -> int:
        """How many fields and cells were pre-filled."""
        return len(self.marks)

    def mark(self, field: str, row: str | None = None, column: str | None = None) -> Prefilled | None:
        """The pre-fill mark of one field or cell, if it was pre-filled."""
        return next((m for m in self.marks if (m.field, m.row, m.column) == (field, row, column)), None)


def _index(source: PrefillSource) -> tuple[dict[str, Any], dict[tuple[str, str], Any], dict[str, list[str]]]:
    fields: dict[str, Any] = {}
    cells: dict[tuple[str, str], Any] = {}
    rows: dict[str, list[str]] = {}
    for key, value in source.values.items():
        if isinstance(value, dict):
            rows[key] = list(value)
            for row, row_cells in value.items():
                for code, cell in (row_cells or {}).items():
                    if not is_empty(cell):
                        cells.setdefault((row, code), cell)
        elif not is_empty(value):
            fields[key] = value
    return fields, cells, rows


def prefill(
    template: ReportTemplate, *, sources: list[PrefillSource], values: Mapping[str, Any] | None = None
) -> PrefillResult:
    """Fill empty fields and cells from known values: other reports of the same period first,
    then the previous period for figures that carry forward; never overwrite what was typed."""
    out: dict[str, Any] = {k: ({r: dict(c) for r, c in v.items()} if isinstance(v, dict) else v) for k, v in (values or {}).items()}
    marks: list[Prefilled] = []
    computed = {c.target.rpartition(".")[2] for c in template.computed}
    ordered = sorted(sources, key=lambda s: s.kind != "other_report")

    def usable(source: PrefillSource, code: str) -> bool:
        item = template.item(code)
        if code in computed or (source.versions.get(code, item.version) != item.version):
            return False
        return source.kind == "other_report" or item.carry_forward

    for source in ordered:
        fields, cells, rows = _index(source)
        for ref in template.field_refs():
            if is_empty(out.get(ref.code)) and ref.code in fields and usable(source, ref.code):
                out[ref.code] = fields[ref.code]
                marks.append(Prefilled(ref.code, None, None, fields[ref.code], source.label, source.kind, source.period, source.report))
        for table in template.tables:
            table_rows = out.setdefault(table.key, {})
            keys = [r.key for r in table.rows] or list(dict.fromkeys([*table_rows, *rows.get(table.key, [])]))
            for row in keys:
                for col in table.columns:
                    value = cells.get((row, col.code))
                    current = (table_rows.get(row) or {}).get(col.code)
                    if value is None or not is_empty(current) or not usable(source, col.code):
                        continue
                    table_rows.setdefault(row, {})[col.code] = value
                    marks.append(Prefilled(table.key, row, col.code, value, source.label, source.kind, source.period, source.report))
            if not table_rows and table.key not in (values or {}):
                out.pop(table.key)
    return PrefillResult(out, marks)


def migrate_draft(old: ReportTemplate, new: ReportTemplate, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Carry a draft of the old template version into the new one by data item; list what was dropped."""
    kept: dict[str, Any] = {}
    dropped: list[Problem] = []
    new_fields = {r.code for r in new.field_refs()}

    def fits(code: str, value: Any) -> bool:
        try:
            coerce_item(new.item(code), value, label=code)
        except BadValue:
            return False
        return True

    for ref in old.field_refs():
        value = values.get(ref.code)
        if is_empty(value):
            continue
        if ref.code in new_fields and fits(ref.code, value):
            kept[ref.code] = value
        else:
            dropped.append(Problem(ref.code, _("新版报表不再包含“{label}”（或其要求已改变），原填的“{value}”未带入").format(label=old.label(ref.code), value=value)))
    new_tables = {t.key: t for t in new.tables}
    for table in old.tables:
        rows = values.get(table.key) or {}
        target = new_tables.get(table.key)
        columns = {c.code for c in target.columns} if target else set()
        fixed = {r.key for r in target.rows} if target else set()
        for row, cells in rows.items():
            for code, value in (cells or {}).items():
                if is_empty(value):
                    continue
                if target and code in columns and (not fixed or row in fixed) and fits(code, value):
                    kept.setdefault(table.key, {}).setdefault(row, {})[code] = value
                else:
                    text = _("{row}：新版报表不再包含“{label}”（或其要求已改变），原填的“{value}”未带入").format(
                        row=table.row_title(row), label=old.label(code, table.key), value=value)
                    dropped.append(Problem(table.key, text, row=row, column=code))
    return kept, dropped


@dataclass
class Aggregate:
    """Sums across units: totals, per-unit figures, per-row sums and counts of choices."""

    totals: dict[str, Decimal]
    by_unit: dict[str, dict[str, Decimal]]
    rows: dict[str, dict[str, dict[str, Decimal]]]
    counts: dict[str, dict[str, int]]

    def breakdown(self, code: str) -> dict[str, Decimal]:
        """One figure per unit (units that did not fill it are left out)."""
        return {unit: figures[code] for unit, figures in self.by_unit.items() if code in figures}


def aggregate(template: ReportTemplate, submissions: Mapping[str, Mapping[str, Any]]) -> Aggregate:
    """Sum the numeric figures of many units' submissions; `table.CODE` keys hold column totals."""
    totals: dict[str, Decimal] = {}
    by_unit: dict[str, dict[str, Decimal]] = {}
    rows: dict[str, dict[str, dict[str, Decimal]]] = {}
    counts: dict[str, dict[str, int]] = {}

    items = {i.code: i for i in template.data_items}

    def number(code: str, raw: Any) -> Decimal | None:
        item = items[code]
        if item.type in ("integer", "decimal") and isinstance(raw, int | Decimal) and not isinstance(raw, bool):
            return Decimal(raw)  # already a number: submissions were checked when they were filled
        if item.type in ("integer", "decimal") and isinstance(raw, str):
            try:  # the usual case: the digits a clerk typed (checked when filled)
                fast = Decimal(raw)
            except ArithmeticError:
                fast = None
            if fast is not None and fast.is_finite():
                return fast
        if is_empty(raw):
            return None
        try:
            typed = coerce_item(item, raw, label=code)
        except BadValue:
            return None
        if item.type in ("choice", "yes_no"):
            option = typed if item.type == "choice" else ("是" if typed else "否")
            counts.setdefault(code, {}).setdefault(option, 0)
            counts[code][option] += 1
            return None
        return Decimal(typed) if item.type in ("integer", "decimal") else None

    means = {code for code, item in items.items() if item.aggregate == "mean"}
    seen: dict[str, int] = {}  # how many units have each mean figure
    row_seen: dict[tuple[str, str, str], int] = {}
    for unit, raw_values in submissions.items():
        values = compute_submission(template, raw_values)
        mine = by_unit.setdefault(unit, {})
        for ref in template.field_refs():
            value = number(ref.code, values.get(ref.code))
            if value is not None:
                mine[ref.code] = value
        for table in template.tables:
            filled: dict[str, int] = {}
            for row, cells in (values.get(table.key) or {}).items():
                for col in table.columns:
                    value = number(col.code, (cells or {}).get(col.code))
                    if value is None:
                        continue
                    key = f"{table.key}.{col.code}"
                    mine[key] = mine.get(key, Decimal(0)) + value
                    filled[key] = filled.get(key, 0) + 1
                    bucket = rows.setdefault(table.key, {}).setdefault(row, {})
                    bucket[col.code] = bucket.get(col.code, Decimal(0)) + value
                    row_seen[(table.key, row, col.code)] = row_seen.get((table.key, row, col.code), 0) + 1
            for key, n in filled.items():
                if key.rpartition(".")[2] in means:
                    mine[key] = mine[key] / n
        for code, value in mine.items():
            totals[code] = totals.get(code, Decimal(0)) + value
            seen[code] = seen.get(code, 0) + 1
    for code in totals:
        if code.rpartition(".")[2] in means:
            totals[code] = totals[code] / seen[code]
    for (table_key, row, code), n in row_seen.items():
        if code in means:
            rows[table_key][row][code] = rows[table_key][row][code] / n
    return Aggregate(totals, by_unit, rows, counts)


def rollup(by_unit: Mapping[str, Mapping[str, Decimal]], *, parent_of: Mapping[str, str | None],
           means: set[str] | frozenset[str] = frozenset()) -> dict[str, dict[str, Decimal]]:
    """Each unit's figures plus those of every unit below it (county → township → village drill-down);
    codes in `means` (per-head figures, `table.CODE` or `CODE`) are averaged instead of added."""
    out: dict[str, dict[str, Decimal]] = {}
    counts: dict[tuple[str, str], int] = {}
    for unit, figures in by_unit.items():
        seen: set[str] = set()
        node: str | None = unit
        while node is not None and node not in seen:
            seen.add(node)
            bucket = out.setdefault(node, {})
            for code, value in figures.items():
                bucket[code] = bucket.get(code, Decimal(0)) + value
                counts[(node, code)] = counts.get((node, code), 0) + 1
            node = parent_of.get(node)
    for (node, code), n in counts.items():
        if n > 1 and code.rpartition(".")[2] in means:
            out[node][code] = out[node][code] / n
    return out


def mean_codes(template: ReportTemplate) -> set[str]:
    """The data items averaged, not added, in a 汇总 (for `rollup`)."""
    return {i.code for i in template.data_items if i.aggregate == "mean"}
