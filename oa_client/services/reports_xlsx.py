"""Reports and Excel: a form to fill in, the aggregate (汇总表) and the cross-period view
(历期趋势) in the shape offices use — figures as numbers with formats, units in the org's order,
header rows frozen, columns wide enough for Chinese (see `xlsx_sheet`). Reading a filled form
back lives in `reports_xlsx_import`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oa_client.domain.forms_values import localized
from oa_client.domain.reports import NUMERIC_ITEMS, ReportTemplate
from oa_client.i18n import _
from oa_client.services.reports_xlsx_import import (
    HEAD_CODE,
    HEAD_NAME,
    HEAD_UNIT,
    HEAD_VALUE,
    MAX_ROWS,
    ROW_KEY,
    ImportResult,
    import_form,
)
from oa_client.services.xlsx_sheet import (
    PERCENT,
    fit_columns,
    format_for,
    header_row,
    number,
    put,
    typed,
)

if TYPE_CHECKING:
    from openpyxl import Workbook

    from oa_client.services.reports_trend import TrendView

__all__ = ["MAX_ROWS", "ImportResult", "export_aggregate", "export_form", "export_trend", "import_form"]

_IDS = (_("合计"), _("填报单位"))


def _label(template: ReportTemplate, code: str, table: str | None = None, *, summary: bool = False) -> str:
    item = template.item(code)
    label = template.label(code, table)
    if item.unit:
        label = _("{label}（{unit}）").format(label=label, unit=item.unit)
    return _("{label}（平均）").format(label=label) if summary and item.aggregate == "mean" else label


def _title(ws: Any, text: str, info: str) -> None:
    from openpyxl.styles import Font

    ws.cell(row=1, column=1, value=text).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=info)


def _sheet_name(text: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts (31 characters, none of []:*?/\\), unique in the book."""
    base = re.sub(r"[\[\]:*?/\\]", "_", text)[:31] or "Sheet"
    name, n = base, 2
    while name in taken:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def export_aggregate(summary: Any, path: Path) -> Path:
    """The 汇总表: one row per unit in the org's order, a 合计 row; a sheet per row table (unit × row)."""
    from openpyxl import Workbook

    template: ReportTemplate = summary.template
    result = summary.result
    wb = Workbook()
    ws = wb.active
    ws.title = _("汇总")
    columns = [r.code for r in template.field_refs() if template.item(r.code).type in NUMERIC_ITEMS]
    columns += [f"{t.key}.{c.code}" for t in template.tables for c in t.columns
                if template.item(c.code).type in NUMERIC_ITEMS]
    _title(ws, _("{name}汇总表").format(name=template.name),
           _("所属期：{period}    已汇总单位：{n}个").format(period=summary.period, n=len(result.by_unit)))
    headers = [_("填报单位")]
    formats = [None]
    for key in columns:
        table, _sep, code = key.rpartition(".")
        prefix = localized(template.table(table).title, template.table(table).en) + "·" if table else ""
        headers.append(prefix + _label(template, code, table or None, summary=True))
        formats.append(format_for(template.item(code), mean=template.item(code).aggregate == "mean"))
    header_row(ws, 3, headers)
    row = 4
    order = summary.in_order(result.by_unit) if hasattr(summary, "in_order") else list(result.by_unit)
    for unit in order:
        put(ws, row, 1, summary.names.get(unit, unit))
        for col, key in enumerate(columns, start=2):
            put(ws, row, col, result.by_unit[unit].get(key), fmt=formats[col - 1])
        row += 1
    put(ws, row, 1, _("合计"), bold=True)
    for col, key in enumerate(columns, start=2):
        put(ws, row, col, result.totals.get(key), fmt=formats[col - 1], bold=True)
    ws.freeze_panes = "B4"
    fit_columns(ws, skip_rows=2)
    taken = {ws.title}
    for table in template.tables:
        _table_sheet(wb, template, table.key, summary, taken)
    path = Path(path)
    wb.save(path)
    return path


def _table_sheet(wb: Workbook, template: ReportTemplate, key: str, summary: Any, taken: set[str]) -> None:
    table = template.table(key)
    ws = wb.create_sheet(_sheet_name(localized(table.title, table.en), taken))
    cols = [c for c in table.columns if template.item(c.code).type in NUMERIC_ITEMS]
    header_row(ws, 1, [_("填报单位"), table.row_label] + [_label(template, c.code, key) for c in cols])
    formats = [format_for(template.item(c.code)) for c in cols]
    row = 2
    for name, rows in summary.table_rows(key):
        for row_key, cells in rows.items():
            put(ws, row, 1, name)
            put(ws, row, 2, table.row_title(row_key))
            for col, c in enumerate(cols, start=3):
                put(ws, row, col, cells.get(c.code), fmt=formats[col - 3])
            row += 1
    ws.freeze_panes = "C2"
    fit_columns(ws)


def export_form(template: ReportTemplate, values: dict[str, Any], path: Path, *, unit_name: str = "", period: str = "") -> Path:
    """A workbook to fill in Excel/WPS: one sheet of fields, one sheet per row table (no merged cells);
    figures already filled are numbers in their item's format, empty cells stay empty."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _("一张表")
    _title(ws, template.name, _("填报单位：{unit}    所属期：{period}").format(unit=unit_name, period=period))
    header_row(ws, 3, [HEAD_CODE, HEAD_NAME, HEAD_UNIT, HEAD_VALUE])
    for row, ref in enumerate(template.field_refs(), start=4):
        item = template.item(ref.code)
        put(ws, row, 1, ref.code)
        put(ws, row, 2, template.label(ref.code))
        put(ws, row, 3, item.unit or None)
        put(ws, row, 4, typed(item, values.get(ref.code)), fmt=format_for(item))
    ws.freeze_panes = "A4"
    fit_columns(ws, skip_rows=2)
    taken = {ws.title}
    for table in template.tables:
        sheet = wb.create_sheet(_sheet_name(localized(table.title, table.en), taken))
        header_row(sheet, 1, [ROW_KEY, table.row_label] + [template.label(c.code, table.key) for c in table.columns])
        rows = values.get(table.key) or {}
        keys = [r.key for r in table.rows] or list(rows)
        for row, key in enumerate(keys, start=2):
            cells = rows.get(key) or {}
            put(sheet, row, 1, key)
            put(sheet, row, 2, table.row_title(key))
            for col, c in enumerate(table.columns, start=3):
                item = template.item(c.code)
                put(sheet, row, col, typed(item, cells.get(c.code)), fmt=format_for(item))
        sheet.freeze_panes = "C2"
        fit_columns(sheet)
    path = Path(path)
    wb.save(path)
    return path


def _change(series: list[Decimal | None]) -> float | None:
    """The last period against the one before, as a fraction (None without both, or from zero)."""
    if len(series) < 2 or series[-1] is None or not series[-2]:
        return None
    return float((series[-1] - series[-2]) / series[-2])


def export_trend(view: TrendView, path: Path, *, codes: list[str] | None = None) -> Path:
    """历期趋势: a sheet of the area's totals per figure and period, then a sheet per figure with one
    row per unit (org order), one column per period and the change on the period before (%)."""
    from openpyxl import Workbook

    trend = view.trend
    codes = codes or trend.codes
    wb = Workbook()
    ws = wb.active
    ws.title = _("历期趋势")
    span = f"{trend.periods[0]}—{trend.periods[-1]}" if trend.periods else ""
    _title(ws, _("{name}历期趋势").format(name=view.name),
           _("所属期：{span}    共{n}期（已上报、已通过的数据）").format(span=span, n=len(trend.periods)))
    change = _("较上期增减")
    header_row(ws, 3, [_("指标"), *trend.periods, change])
    for row, code in enumerate(codes, start=4):
        item = trend.template.item(code.rpartition(".")[2])
        fmt = format_for(item, mean=item.aggregate == "mean")
        label = trend.label(code) + (_("（平均）") if item.aggregate == "mean" else "")
        put(ws, row, 1, label)
        series = trend.series(code)
        for col, value in enumerate(series, start=2):
            put(ws, row, col, number(value), fmt=fmt)
        put(ws, row, len(series) + 2, _change(series), fmt=PERCENT)
    ws.freeze_panes = "B4"
    fit_columns(ws, skip_rows=2)
    taken = {ws.title}
    for code in codes:
        _trend_sheet(wb, view, code, taken, change)
    path = Path(path)
    wb.save(path)
    return path


def _trend_sheet(wb: Workbook, view: TrendView, code: str, taken: set[str], change: str) -> None:
    trend = view.trend
    item = trend.template.item(code.rpartition(".")[2])
    fmt = format_for(item, mean=code.count(".") == 1 and item.aggregate == "mean")
    ws = wb.create_sheet(_sheet_name(trend.label(code), taken))
    header_row(ws, 1, [_("填报单位"), *trend.periods, change])
    row = 2
    for unit in trend.units:
        series = trend.series(code, unit)
        put(ws, row, 1, view.unit_name(unit))
        for col, value in enumerate(series, start=2):
            put(ws, row, col, number(value), fmt=fmt)
        put(ws, row, len(series) + 2, _change(series), fmt=PERCENT)
        row += 1
    totals = trend.series(code)
    put(ws, row, 1, _("合计") if item.aggregate != "mean" else _("平均"), bold=True)
    for col, value in enumerate(totals, start=2):
        put(ws, row, col, number(value), fmt=format_for(item, mean=item.aggregate == "mean"), bold=True)
    put(ws, row, len(totals) + 2, _change(totals), fmt=PERCENT, bold=True)
    ws.freeze_panes = "B2"
    fit_columns(ws)
