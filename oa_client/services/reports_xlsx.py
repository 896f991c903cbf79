"""Reports and Excel: the aggregate in the shape offices use, a form to fill, and importing it back.

Import reads the workbook streaming (openpyxl read-only) and is checked like the form:
missing or extra columns, merged cells, formulas and oversized sheets are clear errors
naming where; cell values go through the same checks as typing.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import iterparse

from oa_client.domain.archives import check_archive, check_file_size
from oa_client.domain.forms_values import Problem, is_empty, localized
from oa_client.domain.reports import ReportTemplate
from oa_client.domain.reports_check import validate_submission
from oa_client.errors import ValidationError
from oa_client.i18n import _

__all__ = ["MAX_ROWS", "ImportResult", "export_aggregate", "export_form", "import_form"]

MAX_ROWS = 5000
MAX_ERRORS = 20
if TYPE_CHECKING:
    from openpyxl import Workbook


def _box() -> Any:
    """A thin border on every side (openpyxl is imported only when a workbook is made:
    it costs ~130 ms, which the window's start-up should not pay)."""
    from openpyxl.styles import Border, Side

    thin = Side(style="thin")
    return Border(left=thin, right=thin, top=thin, bottom=thin)
HEAD_CODE, HEAD_NAME, HEAD_UNIT, HEAD_VALUE = "编码", "指标名称", "计量单位", "本期数"
ROW_KEY = "行标识"
_HEAD_IDS = (_("编码"), _("指标名称"), _("计量单位"), _("本期数"), _("行标识"), _("合计"), _("填报单位"))


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _label(template: ReportTemplate, code: str, table: str | None = None, *, summary: bool = False) -> str:
    item = template.item(code)
    label = template.label(code, table)
    if item.unit:
        label = _("{label}（{unit}）").format(label=label, unit=item.unit)
    return _("{label}（平均）").format(label=label) if summary and item.aggregate == "mean" else label


def _style_header(ws: Any, row: int, ncols: int) -> None:
    from openpyxl.styles import Alignment, Font

    box = _box()
    for col in range(1, ncols + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = box


def export_aggregate(summary: Any, path: Path) -> Path:
    """The 汇总表: one row per unit, a 合计 row; a second sheet per row table (unit × row)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    box = _box()
    template: ReportTemplate = summary.template
    result = summary.result
    wb = Workbook()
    ws = wb.active
    ws.title = _("汇总")
    numeric = [r.code for r in template.field_refs() if template.item(r.code).type in ("integer", "decimal")]
    columns = numeric + [f"{t.key}.{c.code}" for t in template.tables for c in t.columns
                         if template.item(c.code).type in ("integer", "decimal")]
    ws.cell(row=1, column=1, value=_("{name}汇总表").format(name=template.name)).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=_("所属期：{period}    已汇总单位：{n}个").format(period=summary.period, n=len(result.by_unit)))
    headers = [_("填报单位")]
    for key in columns:
        table, _sep, code = key.rpartition(".")
        prefix = localized(template.table(table).title, template.table(table).en) + "·" if table else ""
        headers.append(prefix + _label(template, code, table or None, summary=True))
    for col, text in enumerate(headers, start=1):
        ws.cell(row=3, column=col, value=text)
    _style_header(ws, 3, len(headers))
    row = 4
    for unit in sorted(result.by_unit, key=lambda u: summary.names.get(u, u)):
        ws.cell(row=row, column=1, value=summary.names.get(unit, unit)).border = box
        for col, key in enumerate(columns, start=2):
            value = result.by_unit[unit].get(key)
            cell = ws.cell(row=row, column=col, value=_number(value) if value is not None else None)
            cell.border = box
        row += 1
    ws.cell(row=row, column=1, value=_("合计")).font = Font(bold=True)
    for col, key in enumerate(columns, start=2):
        total = result.totals.get(key)
        cell = ws.cell(row=row, column=col, value=_number(total) if total is not None else None)
        cell.font, cell.border = Font(bold=True), box
    ws.column_dimensions["A"].width = 24
    for col in range(2, len(headers) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 14
    ws.freeze_panes = "B4"
    for table in template.tables:
        _table_sheet(wb, template, table.key, summary)
    path = Path(path)
    wb.save(path)
    return path


def _table_sheet(wb: Workbook, template: ReportTemplate, key: str, summary: Any) -> None:
    table = template.table(key)
    ws = wb.create_sheet(localized(table.title, table.en)[:31])
    cols = [c for c in table.columns if template.item(c.code).type in ("integer", "decimal")]
    headers = [_("填报单位"), table.row_label] + [_label(template, c.code, key) for c in cols]
    for col, text in enumerate(headers, start=1):
        ws.cell(row=1, column=col, value=text)
    _style_header(ws, 1, len(headers))
    for name, rows in summary.table_rows(key):
        for row_key, cells in rows.items():
            ws.append([name, table.row_title(row_key)] + [_number(cells[c.code]) if c.code in cells else None for c in cols])


def export_form(template: ReportTemplate, values: dict[str, Any], path: Path, *, unit_name: str = "", period: str = "") -> Path:
    """A workbook to fill in Excel/WPS: one sheet of fields, one sheet per row table (no merged cells)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _("一张表")
    ws.append([template.name])
    ws.append([_("填报单位：{unit}    所属期：{period}").format(unit=unit_name, period=period)])
    ws.append([HEAD_CODE, HEAD_NAME, HEAD_UNIT, HEAD_VALUE])
    _style_header(ws, 3, 4)
    for ref in template.field_refs():
        item = template.item(ref.code)
        ws.append([ref.code, template.label(ref.code), item.unit, values.get(ref.code)])
    for col, width in zip("ABCD", (16, 30, 10, 18), strict=True):
        ws.column_dimensions[col].width = width
    for table in template.tables:
        sheet = wb.create_sheet(localized(table.title, table.en)[:31])
        sheet.append([ROW_KEY, table.row_label] + [template.label(c.code, table.key) for c in table.columns])
        _style_header(sheet, 1, 2 + len(table.columns))
        rows = values.get(table.key) or {}
        keys = [r.key for r in table.rows] or list(rows)
        for key in keys:
            cells = rows.get(key) or {}
            sheet.append([key, table.row_title(key)] + [cells.get(c.code) for c in table.columns])
    path = Path(path)
    wb.save(path)
    return path


@dataclass
class ImportResult:
    """Values read from a workbook and the problems they have (like the form would show)."""

    values: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


def _merged_ranges(path: Path) -> dict[str, list[str]]:
    """Merged ranges per sheet file, read streaming from the workbook's XML."""
    out: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if not re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
                continue
            with zf.open(name) as fh:
                # only element tags are read; expat (>= 2.4.1) refuses entity expansion bombs
                for _event, elem in iterparse(fh):  # noqa: S314
                    if elem.tag.endswith("}mergeCell"):
                        out.setdefault(name, []).append(elem.get("ref", ""))
                    elem.clear()
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    text = str(value).strip()
    return text or None


def import_form(template: ReportTemplate, path: Path, *, previous: dict[str, Any] | None = None,
                max_rows: int = MAX_ROWS) -> ImportResult:
    """Read a filled workbook back (streaming); structural errors raise ValidationError listing each."""
    from openpyxl import load_workbook

    path = Path(path)
    try:
        check_file_size(path.stat().st_size, kind="Excel")
        with zipfile.ZipFile(path) as package:
            check_archive(package, kind="Excel")  # before openpyxl unpacks anything
        merged = _merged_ranges(path)
        wb = load_workbook(path, read_only=True, data_only=False)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValidationError(_("无法读取Excel文件：{error}").format(error=exc), field="xlsx") from exc
    errors: list[str] = []
    if merged:
        ranges = "、".join(r for refs in merged.values() for r in refs[:5])
        errors.append(_("表格中有合并单元格（{ranges}），请取消合并后再导入").format(ranges=ranges))
    values: dict[str, Any] = {}
    try:
        sheets = wb.worksheets
        _read_fields(template, sheets[0], values, errors, max_rows)
        by_title = {ws.title: ws for ws in sheets[1:]}
        for table in template.tables:
            title = localized(table.title, table.en)[:31]
            ws = by_title.get(title) or by_title.get(table.title[:31])
            if ws is None:
                errors.append(_("缺少工作表“{sheet}”").format(sheet=title))
                continue
            _read_table(template, table.key, ws, values, errors, max_rows)
    finally:
        wb.close()
    if errors:
        if len(errors) > MAX_ERRORS:
            errors = [*errors[:MAX_ERRORS], _("……另有{n}处问题").format(n=len(errors) - MAX_ERRORS)]
        raise ValidationError("\n".join(errors), field="xlsx", problems=errors)
    return ImportResult(values, validate_submission(template, values, previous=previous))


def _formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _too_many(ws: Any, max_rows: int, errors: list[str]) -> bool:
    try:
        rows = int(ws.max_row or 0)  # from the sheet's dimension, without reading the rows
    except (TypeError, ValueError):
        rows = 0
    if rows > max_rows:
        errors.append(_("工作表“{sheet}”有{n}行，超过{max}行的上限，请核对是否选错了文件").format(
            sheet=ws.title, n=rows, max=max_rows))
        return True
    return False


def _read_fields(template: ReportTemplate, ws: Any, values: dict[str, Any], errors: list[str], max_rows: int) -> None:
    if _too_many(ws, max_rows, errors):
        return
    codes = {r.code for r in template.field_refs()}
    labels = {template.label(r.code): r.code for r in template.field_refs()}
    header: list[str] | None = None
    seen: set[str] = set()
    for index, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if index > max_rows:
            errors.insert(0, _("工作表“{sheet}”超过{max}行的上限，请核对是否选错了文件").format(sheet=ws.title, max=max_rows))
            return
        cells = [_text(c) if not _formula(c) else c for c in row]
        if header is None:
            if HEAD_CODE in cells and HEAD_VALUE in cells:
                header = [c or "" for c in cells]
                extra = [c for c in header if c and c not in (HEAD_CODE, HEAD_NAME, HEAD_UNIT, HEAD_VALUE)]
                if extra:
                    errors.append(_("工作表“{sheet}”有多余的列：{cols}").format(sheet=ws.title, cols="、".join(extra)))
            continue
        code = cells[header.index(HEAD_CODE)] if header.index(HEAD_CODE) < len(cells) else None
        name = cells[header.index(HEAD_NAME)] if HEAD_NAME in header and header.index(HEAD_NAME) < len(cells) else None
        code = code if code in codes else labels.get(name or "")
        if code is None:
            if any(c for c in cells):
                errors.append(_("第{row}行“{name}”不是这份报表的项目").format(row=index, name=name or cells[0]))
            continue
        raw = row[header.index(HEAD_VALUE)] if header.index(HEAD_VALUE) < len(row) else None
        if _formula(raw):
            errors.append(_("第{row}行“{name}”是公式（{formula}），请粘贴为数值后再导入").format(
                row=index, name=template.label(code), formula=raw))
            continue
        seen.add(code)
        if not is_empty(_text(raw)):
            values[code] = _text(raw)
    if header is None:
        errors.append(_("工作表“{sheet}”缺少表头（编码、指标名称、本期数）").format(sheet=ws.title))
        return
    missing = [template.label(c) for c in [r.code for r in template.field_refs()] if c not in seen]
    if missing:
        errors.append(_("缺少项目：{items}").format(items="、".join(missing)))


def _read_table(template: ReportTemplate, key: str, ws: Any, values: dict[str, Any], errors: list[str], max_rows: int) -> None:
    if _too_many(ws, max_rows, errors):
        return
    table = template.table(key)
    wanted = {template.label(c.code, key): c.code for c in table.columns}
    wanted.update({c.code: c.code for c in table.columns})
    header: list[str | None] = []
    rows: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if index > max_rows:
            errors.insert(0, _("工作表“{sheet}”超过{max}行的上限，请核对是否选错了文件").format(sheet=ws.title, max=max_rows))
            return
        if index == 1:
            header = [_text(c) for c in row]
            extra = [h for h in header[2:] if h and h not in wanted]
            missing = [template.label(c.code, key) for c in table.columns
                       if template.label(c.code, key) not in header and c.code not in header]
            if extra:
                errors.append(_("工作表“{sheet}”有多余的列：{cols}").format(sheet=ws.title, cols="、".join(extra)))
            if missing:
                errors.append(_("工作表“{sheet}”缺少列：{cols}").format(sheet=ws.title, cols="、".join(missing)))
            if extra or missing:
                return
            continue
        row_key = _text(row[0]) if row else None
        if not row_key:
            continue
        cells: dict[str, Any] = {}
        for col, raw in enumerate(row[2:], start=2):
            name = header[col] if col < len(header) else None
            if name is None:
                continue
            if _formula(raw):
                errors.append(_("工作表“{sheet}”第{row}行“{col}”是公式（{formula}），请粘贴为数值后再导入").format(
                    sheet=ws.title, row=index, col=name, formula=raw))
                continue
            if not is_empty(_text(raw)):
                cells[wanted[name]] = _text(raw)
        rows[row_key] = cells
    if rows:
        values[key] = rows
