"""The spreadsheet behind the report editor (no Qt): sheets of cells, paste from Excel, fill down.

Sheet 0 holds the single fields (one row each, the value in column 0); each row table is one
more sheet (a row per village/household, a column per data item). Computed figures are
read-only. Pasting a tab-separated block checks every cell like typing: text in a number
cell is refused for that cell only, the rest goes in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oa_client.domain.forms_values import localized
from oa_client.domain.reports import ReportTemplate
from oa_client.domain.reports_records import cell_of, set_cell
from oa_client.i18n import _
from oa_client.services.reports import Form, check_cell

__all__ = ["Address", "PasteResult", "Sheet", "fill_down", "paste", "sheets", "write_cell"]

Address = tuple[str, str | None, str | None]  # (field or table, row, column)


@dataclass
class Sheet:
    """One grid: its title, row keys/labels, column codes/labels, and which cells are computed."""

    key: str | None  # None: the single fields; else a row table key
    title: str
    rows: list[str]
    row_labels: list[str]
    columns: list[str]
    column_labels: list[str]
    computed: set[str] = field(default_factory=set)

    def address(self, r: int, c: int) -> Address | None:
        """The cell at grid position (r, c), None outside."""
        if not (0 <= r < len(self.rows) and 0 <= c < len(self.columns)):
            return None
        if self.key is None:
            return (self.rows[r], None, None)
        return (self.key, self.rows[r], self.columns[c])

    def editable(self, r: int, c: int) -> bool:
        """Whether the clerk types into this cell (computed figures are not typed)."""
        addr = self.address(r, c)
        if addr is None:
            return False
        code = addr[2] if addr[1] is not None else addr[0]
        return code not in self.computed


def sheets(form: Form) -> list[Sheet]:
    """The fields sheet and one sheet per row table (dynamic tables get a blank row to add to)."""
    t: ReportTemplate = form.template
    computed = {c.target.rpartition(".")[2] for c in t.computed}
    refs = t.field_refs()
    def with_unit(code: str, table: str | None = None) -> str:
        unit = t.item(code).unit
        return _("{label}（{unit}）").format(label=t.label(code, table), unit=unit) if unit else t.label(code, table)

    out = [Sheet(None, _("基本情况"), [r.code for r in refs], [with_unit(r.code) for r in refs], ["value"],
                 [_("本期数")], computed)]
    for table in t.tables:
        keys = [r.key for r in table.rows] or list(form.values.get(table.key) or {})
        labels = [table.row_title(k) for k in keys]
        if not table.fixed():
            n = len(keys) + 1
            keys.append(f"r{n}")
            labels.append(_("（新增一行）"))
        out.append(Sheet(table.key, localized(table.title, table.en), keys, labels, [c.code for c in table.columns],
                         [with_unit(c.code, table.key) for c in table.columns], computed))
    return out


def value_at(form: Form, sheet: Sheet, r: int, c: int) -> Any:
    """The value shown at (r, c) (computed figures included)."""
    addr = sheet.address(r, c)
    if addr is None:
        return None
    code = addr[2] if addr[1] is not None else addr[0]
    source = form.computed() if code in sheet.computed else form.values
    return cell_of(source, *addr)


def write_cell(form: Form, sheet: Sheet, r: int, c: int, raw: str) -> str | None:
    """Type into one cell: store it, or return why it is refused (the old value stays)."""
    addr = sheet.address(r, c)
    if addr is None or not sheet.editable(r, c):
        return _("这一格由系统计算，不能填写")
    text = raw.strip()
    problem = check_cell(form, *addr, text) if text else None
    if problem is not None:
        return problem
    set_cell(form.values, *addr, text or None)
    return None


@dataclass
class PasteResult:
    """What a paste did: how many cells went in, and each refused cell with its reason."""

    accepted: int = 0
    refused: list[tuple[int, int, str]] = field(default_factory=list)
    outside: int = 0


def parse_block(text: str) -> list[list[str]]:
    """Tab-separated rows as Excel/WPS put them on the clipboard (a trailing newline ignored)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.split("\t") for line in lines]


def paste(form: Form, sheet: Sheet, r0: int, c0: int, text: str) -> PasteResult:
    """Paste a block at (r0, c0): each cell checked like typing; bad cells refused one by one."""
    result = PasteResult()
    for dr, cells in enumerate(parse_block(text)):
        for dc, raw in enumerate(cells):
            r, c = r0 + dr, c0 + dc
            if sheet.address(r, c) is None:
                result.outside += 1
                continue
            if not sheet.editable(r, c):
                continue
            problem = write_cell(form, sheet, r, c, raw)
            if problem is None:
                result.accepted += 1
            else:
                result.refused.append((r, c, problem))
    return result


def fill_down(form: Form, sheet: Sheet, r0: int, r1: int, columns: list[int]) -> int:
    """Copy the top cell of each selected column into the cells below it (Ctrl+D); return cells filled."""
    filled = 0
    for c in columns:
        value = value_at(form, sheet, r0, c)
        for r in range(r0 + 1, r1 + 1):
            if sheet.editable(r, c) and write_cell(form, sheet, r, c, "" if value is None else str(value)) is None:
                filled += 1
    return filled
