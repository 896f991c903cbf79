"""The cross-period view (历期趋势): every numeric item of a report, per unit, over its last
periods, and the area's total of each period (added up, or averaged for per-head items).

Codes are field codes, and `table.CODE` for a row table's column (its rows added up, or
averaged for per-head items) as in `reports_fill.aggregate`. A period a unit did not
submit, or a figure it left empty, is None (a gap in the line, never a zero).

A figure is followed when it is first asked for (the screen shows one at a time; the export
asks for all): 1,000 units over 8 periods is 8,000 submissions, and each figure costs one
pass over them. Submitted values were checked when filled, so they are read as numbers
directly; computed figures are computed from those numbers with the template's own rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from oa_client.domain.reports import NUMERIC_ITEMS, ReportTemplate
from oa_client.domain.reports_check import calculate, fit_to_item

__all__ = ["Trend", "numeric_codes", "trend"]

Series = list[Decimal | None]


def numeric_codes(template: ReportTemplate) -> list[str]:
    """The figures a trend can follow: numeric fields, then numeric table columns (`table.CODE`)."""
    codes = [r.code for r in template.field_refs() if template.item(r.code).type in NUMERIC_ITEMS]
    for table in template.tables:
        codes += [f"{table.key}.{c.code}" for c in table.columns if template.item(c.code).type in NUMERIC_ITEMS]
    return codes


def _number(raw: Any) -> Decimal | None:
    if isinstance(raw, str) and raw:
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        return Decimal(raw)
    return None


def _column(rows: Any, code: str) -> list[Decimal]:
    if not isinstance(rows, dict):
        return []
    return [n for cells in rows.values() if isinstance(cells, dict) for n in [_number(cells.get(code))] if n is not None]


def _with_computed(template: ReportTemplate, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values with every computed figure filled in (as numbers), in the template's order."""
    out: dict[str, Any] = dict(values)
    for comp in template.computed:
        item = template.item(comp.target.rpartition(".")[2])

        def arg(ref: str, cells: Mapping[str, Any] | None) -> Decimal | None:
            owner, _sep, code = ref.rpartition(".")
            if owner:
                found = _column(out.get(owner), code)
                return sum(found, Decimal(0)) if found else None
            return _number((cells if cells is not None else out).get(code))

        if comp.table:
            rows = out.get(comp.table)
            if isinstance(rows, dict):
                rows = out[comp.table] = {k: dict(c) for k, c in rows.items() if isinstance(c, dict)}
                for cells in rows.values():
                    result = calculate(comp.op, [arg(a, cells) for a in comp.args], comp.rate)
                    if result is not None:
                        cells[comp.target] = fit_to_item(item, result)
        else:
            result = calculate(comp.op, [arg(a, None) for a in comp.args], comp.rate)
            if result is not None:
                out[comp.target] = fit_to_item(item, result)
    return out


@dataclass
class Trend:
    """Figures per code, per unit, one per period (oldest first), and each period's total."""

    template: ReportTemplate
    periods: list[str]
    units: list[str]
    codes: list[str]
    submissions: Mapping[str, Mapping[str, Mapping[str, Any]]]
    reported: list[int] = field(default_factory=list)
    values: dict[str, dict[str, Series]] = field(default_factory=dict)
    totals: dict[str, Series] = field(default_factory=dict)
    _computed: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def series(self, code: str, unit: str | None = None) -> Series:
        """One unit's line for a figure (the total's line when `unit` is None)."""
        if code not in self.totals:
            self._follow(code)
        if unit is None:
            return list(self.totals[code])
        return list(self.values[code].get(unit) or [None] * len(self.periods))

    def label(self, code: str) -> str:
        """A code's label with its unit of measure: 户籍人口（人）, 分村情况·人口（人）."""
        table, _sep, item_code = code.rpartition(".")
        item = self.template.item(item_code)
        text = self.template.label(item_code, table or None)
        if table:
            text = f"{self.template.table(table).title}·{text}"
        return f"{text}（{item.unit}）" if item.unit else text

    def _source(self, period: str, unit: str, raw: Mapping[str, Any], computed: bool) -> Mapping[str, Any]:
        if not computed:
            return raw
        key = (period, unit)
        if key not in self._computed:
            self._computed[key] = _with_computed(self.template, raw)
        return self._computed[key]

    def _follow(self, code: str) -> None:
        """One pass over the submissions for one figure."""
        table, _sep, item_code = code.rpartition(".")
        mean = self.template.item(item_code).aggregate == "mean"
        computed = item_code in {c.target.rpartition(".")[2] for c in self.template.computed}
        n = len(self.periods)
        lines: dict[str, Series] = {}
        totals: Series = [None] * n
        for index, period in enumerate(self.periods):
            by_unit = self.submissions.get(period) or {}
            total, count = Decimal(0), 0
            for unit in self.units:
                raw = by_unit.get(unit)
                if raw is None:
                    continue
                values = self._source(period, unit, raw, computed)
                if table:
                    found = _column(values.get(table), item_code)
                    number = (sum(found, Decimal(0)) / (len(found) if mean else 1)) if found else None
                else:
                    number = _number(values.get(code))
                if number is None:
                    continue
                lines.setdefault(unit, [None] * n)[index] = number
                total += number
                count += 1
            if count:
                totals[index] = total / count if mean else total
        self.values[code], self.totals[code] = lines, totals


def trend(template: ReportTemplate, *, periods: Sequence[str], units: Sequence[str],
          submissions: Mapping[str, Mapping[str, Mapping[str, Any]]], codes: Sequence[str] | None = None) -> Trend:
    """Follow `codes` (every numeric figure by default) over `periods` (oldest first) for `units`
    (in the order shown); `submissions[period][unit]` holds a unit's submitted values."""
    units = list(units)
    reported = [sum(1 for u in units if u in (submissions.get(p) or {})) for p in periods]
    return Trend(template, list(periods), units, list(codes) if codes is not None else numeric_codes(template),
                 submissions, reported)
