"""Reading a filled-in report workbook back (导入Excel), streaming (openpyxl read-only), checked
like the form: missing or extra columns, merged cells, formulas and oversized sheets are clear
errors naming where; cell values go through the same checks as typing."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

from oa_client.domain.archives import check_archive, check_file_size
from oa_client.domain.forms_values import Problem, is_empty, localized
from oa_client.domain.reports import DataItem, ReportTemplate
from oa_client.domain.reports_check import validate_submission
from oa_client.errors import ValidationError
from oa_client.i18n import _

__all__ = ["HEAD_CODE", "HEAD_NAME", "HEAD_UNIT", "HEAD_VALUE", "MAX_ROWS", "ROW_KEY", "ImportResult", "import_form"]

MAX_ROWS = 5000
MAX_ERRORS = 20
HEAD_CODE, HEAD_NAME, HEAD_UNIT, HEAD_VALUE = "编码", "指标名称", "计量单位", "本期数"
ROW_KEY = "行标识"
_HEAD_IDS = (_("编码"), _("指标名称"), _("计量单位"), _("本期数"), _("行标识"))

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


def _figure(item: DataItem, value: Any) -> str | None:
    """A cell as the clerk would have typed it: a number read from Excel gets its item's decimal
    places back (100 → 100.00); more places than allowed are kept so the check can say so."""
    text = _text(value)
    if text is None or item.type != "decimal" or not item.places or isinstance(value, str | bool):
        return text
    whole, _sep, frac = text.partition(".")
    if not whole.lstrip("-").isdigit() or len(frac) > item.places or (frac and not frac.isdigit()):
        return text
    return f"{whole}.{frac.ljust(item.places, '0')}"


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
            values[code] = _figure(template.item(code), raw)
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
                cells[wanted[name]] = _figure(template.item(wanted[name]), raw)
        rows[row_key] = cells
    if rows:
        values[key] = rows
