"""Reading our workbooks back the way LibreOffice Calc sees them: one headless soffice run converts
every .xlsx to flat ODS XML (.fods: each cell's `office:value-type`, value, shown text, number
format, column widths), another to CSV as shown on screen (every sheet, UTF-8)."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
}
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
_EMPTY_RUN = 64  # a longer run of repeated empty cells/rows is Calc's padding to the sheet's end


def _q(tag: str) -> str:
    prefix, _sep, name = tag.partition(":")
    return f"{{{NS[prefix]}}}{name}"


@dataclass(frozen=True)
class Cell:
    """One cell as Calc holds it: `kind` is office:value-type (float, percentage, date, string) or None."""

    kind: str | None
    value: str | None
    text: str
    format: str | None  # the data style: "0.00", "0.0%", …  (None: General)


@dataclass
class Sheet:
    """A sheet's cells by (row, column), 0-based, and its column widths in centimetres."""

    name: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    widths: list[float] = field(default_factory=list)
    csv: list[list[str]] = field(default_factory=list)

    def at(self, row: int, column: int) -> Cell:
        """The cell at (row, column) (an empty one when Calc holds nothing there)."""
        return self.cells.get((row, column), Cell(None, None, "", None))

    def row(self, row: int) -> list[Cell]:
        """A row's cells up to its last non-empty one."""
        last = max((c for (r, c) in self.cells if r == row), default=-1)
        return [self.at(row, c) for c in range(last + 1)]

    def rows(self) -> int:
        """How many rows hold something."""
        return max((r for (r, _c) in self.cells), default=-1) + 1


def _length_cm(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(in|cm|mm|pt)", text).groups()
    return float(number) * {"in": 2.54, "cm": 1.0, "mm": 0.1, "pt": 2.54 / 72}[unit]


def _data_styles(root: ET.Element) -> dict[str, str]:
    """number style name → a short format code: 0 / 0.00 / 0.0% / yyyy-mm-dd."""
    out: dict[str, str] = {}
    for kind in ("number:number-style", "number:percentage-style", "number:date-style"):
        for el in root.iter(_q(kind)):
            name = el.get(_q("style:name"))
            if kind == "number:date-style":
                out[name] = "date"
                continue
            num = el.find(_q("number:number"))
            places = int(num.get(_q("number:decimal-places"), "0")) if num is not None else 0
            code = "0" + ("." + "0" * places if places else "")
            out[name] = code + "%" if kind == "number:percentage-style" else code
    return out


def _cell_formats(root: ET.Element, data: dict[str, str]) -> tuple[dict[str, str | None], dict[str, float]]:
    cells: dict[str, str | None] = {}
    columns: dict[str, float] = {}
    for el in root.iter(_q("style:style")):
        name = el.get(_q("style:name"))
        if el.get(_q("style:family")) == "table-cell":
            cells[name] = data.get(el.get(_q("style:data-style-name")) or "")
        props = el.find(_q("style:table-column-properties"))
        if props is not None and props.get(_q("style:column-width")):
            columns[name] = _length_cm(props.get(_q("style:column-width")))
    return cells, columns


def _read_fods(path: Path) -> dict[str, Sheet]:
    root = ET.parse(path).getroot()  # noqa: S314 - a file LibreOffice just wrote from ours
    formats, column_widths = _cell_formats(root, _data_styles(root))
    sheets: dict[str, Sheet] = {}
    for table in root.iter(_q("table:table")):
        sheet = Sheet(table.get(_q("table:name")))
        for col in table.iter(_q("table:table-column")):
            repeat = min(int(col.get(_q("table:number-columns-repeated"), "1")), _EMPTY_RUN)
            sheet.widths += [column_widths.get(col.get(_q("table:style-name")), 0.0)] * repeat
        r = 0
        for row in table.iter(_q("table:table-row")):
            c = 0
            for cell in row:
                if cell.tag not in (_q("table:table-cell"), _q("table:covered-table-cell")):
                    continue
                repeat = int(cell.get(_q("table:number-columns-repeated"), "1"))
                kind = cell.get(_q("office:value-type"))
                text = "\n".join("".join(p.itertext()) for p in cell.findall(_q("text:p")))
                if kind is not None or text:
                    value = cell.get(_q("office:value")) or cell.get(_q("office:date-value"))
                    found = Cell(kind, value, text, formats.get(cell.get(_q("table:style-name")) or ""))
                    for i in range(min(repeat, _EMPTY_RUN)):
                        sheet.cells[(r, c + i)] = found
                c += repeat
            r += min(int(row.get(_q("table:number-rows-repeated"), "1")), _EMPTY_RUN)
        sheets[sheet.name] = sheet
    return sheets


def calc_read(paths: list[Path], work: Path) -> dict[str, dict[str, Sheet]]:
    """file stem → sheet name → the sheet as LibreOffice Calc reads our .xlsx (cells, widths, CSV)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.fail("LibreOffice (soffice, with Calc) is not installed; it is needed for the xlsx check")
    profile = (work / "lo-profile").as_uri()  # a profile of our own: never the user's, never shared
    for target, out in (("fods", work / "fods"), (CSV_FILTER, work / "csv")):
        done = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile}",
                               "--convert-to", target, "--outdir", str(out), *map(str, paths)],
                              capture_output=True, timeout=240, check=False)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
    books: dict[str, dict[str, Sheet]] = {}
    for path in paths:
        fods = work / "fods" / f"{path.stem}.fods"
        assert fods.exists(), f"LibreOffice could not read {path.name} (is libreoffice-calc installed?)"
        sheets = _read_fods(fods)
        for name, sheet in sheets.items():
            csv_path = work / "csv" / f"{path.stem}-{name}.csv"
            if len(sheets) == 1 and not csv_path.exists():
                csv_path = work / "csv" / f"{path.stem}.csv"
            with csv_path.open(encoding="utf-8", newline="") as fh:
                sheet.csv = list(csv.reader(fh))
        books[path.stem] = sheets
    return books
