"""Writing worksheets the way an office's own look in Excel, WPS and LibreOffice Calc: figures
are numbers (never text) with a format — integers, two decimals, percentages —, blank cells
are left empty, header rows are frozen and bold, and columns are wide enough for Chinese
headers (a CJK character takes two columns' width).

openpyxl is imported only when a workbook is made (it costs ~130 ms, which a window's start-up
should not pay).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from oa_client.domain.reports import DataItem

__all__ = [
    "DATE",
    "INTEGER",
    "PERCENT",
    "TWO_PLACES",
    "display_width",
    "fit_columns",
    "format_for",
    "header_row",
    "number",
    "put",
    "typed",
]

INTEGER = "0"
TWO_PLACES = "0.00"
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
MIN_WIDTH, MAX_WIDTH = 8, 48


def display_width(text: str) -> int:
    """Columns a text needs on screen: wide (CJK, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def format_for(item: DataItem, *, mean: bool = False) -> str | None:
    """The number format of an item's cells: integers as integers, decimals with their places
    (two when unset, and for averages); None for text, choices and yes/no."""
    if item.type == "integer" and not mean:
        return INTEGER
    if item.type in ("integer", "decimal"):
        places = 2 if mean or item.places is None else item.places
        return "0." + "0" * places if places else INTEGER
    if item.type == "date":
        return DATE
    return None


def _decimal(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def typed(item: DataItem, raw: Any) -> Any:
    """A cell's value for the workbook: a number for numeric items (text typed there stays text so
    nothing is lost), a date for dates, 是/否 for yes/no; None for an empty cell."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if item.type in ("integer", "decimal"):
        value = _decimal(raw)
        if value is None:
            return str(raw)
        return int(value) if value == value.to_integral_value() and item.type == "integer" else float(value)
    if item.type == "date":
        try:
            return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw).strip()[:10])
        except ValueError:
            return str(raw)
    if item.type == "yes_no" and isinstance(raw, bool):
        return "是" if raw else "否"
    return str(raw)


def number(value: Decimal | int | float | None) -> int | float | None:
    """A figure as the workbook stores it (None stays an empty cell)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _box() -> Any:
    from openpyxl.styles import Border, Side

    thin = Side(style="thin")
    return Border(left=thin, right=thin, top=thin, bottom=thin)


def put(ws: Any, row: int, column: int, value: Any, *, fmt: str | None = None, bold: bool = False,
        border: bool = True) -> Any:
    """Write one cell: None leaves it empty (no empty string); numbers get `fmt`."""
    from openpyxl.styles import Font

    if isinstance(value, Decimal):
        value = number(value)
    cell = ws.cell(row=row, column=column, value=value)
    if fmt and isinstance(value, int | float | dt.date) and not isinstance(value, bool):
        cell.number_format = fmt
    if bold:
        cell.font = Font(bold=True)
    if border:
        cell.border = _box()
    return cell


def header_row(ws: Any, row: int, texts: Sequence[str], *, first_column: int = 1) -> None:
    """A bold, centred, boxed header row (wrapping inside its cell when very long)."""
    from openpyxl.styles import Alignment, Font

    for offset, text in enumerate(texts):
        cell = ws.cell(row=row, column=first_column + offset, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _box()


def fit_columns(ws: Any, *, skip_rows: int = 0) -> None:
    """Set each column's width from its widest cell (rows after `skip_rows`; a title row that
    spans the sheet is skipped so it does not widen the first column)."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=skip_rows + 1):
        for cell in row:
            if cell.value is None:
                continue
            value = cell.value
            if isinstance(value, float):
                text = f"{value:.2f}"
            elif isinstance(value, dt.date):
                text = "2026-01-01"
            else:
                text = str(value)
            widths[cell.column] = max(widths.get(cell.column, 0), display_width(text))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 3))
