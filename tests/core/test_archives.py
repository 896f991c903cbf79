"""Zip packages users bring in (DOCX 公文, filled-in report workbooks): a zip bomb, a package of
thousands of parts or an oversized file is refused with a clear message before python-docx or
openpyxl unpack anything."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from docs_exchange.docx_writer import render_docx
from docs_exchange.importer import import_docx, import_file
from docs_exchange.model import OfficialDocument
from oa_client.domain.archives import MAX_FILE_BYTES, check_archive
from oa_client.errors import ValidationError
from oa_client.services import reports_xlsx as rx
from tests.core.test_reports_io import TOWN_Q, _good


def _with_part(package: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(name, data)
    return out.getvalue()


def _docx() -> bytes:
    return render_docx(OfficialDocument(title="测试通知", body=["正文。"]))


def test_a_docx_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = _with_part(_docx(), "word/media/zeros.bin", b"\0" * (210 * 1024 * 1024))
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(ValidationError) as err:
        import_docx(data=bomb)
    assert "DOCX" in err.value.message and "超过 200 MB" in err.value.message


def test_a_part_that_unpacks_far_beyond_its_size_is_refused() -> None:
    odd = _with_part(_docx(), "customXml/item9.xml", b"<a/>" * (5 * 1024 * 1024))  # 20 MB of one tag
    with pytest.raises(ValidationError) as err:
        import_docx(data=odd)
    assert "压缩比异常" in err.value.message and "customXml/item9.xml" in err.value.message


def test_a_package_of_thousands_of_parts_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(6000):
            zf.writestr(f"word/p{i}.xml", b"")
    with pytest.raises(ValidationError, match="部件过多"):
        import_docx(data=out.getvalue())


def test_an_oversized_file_is_refused_by_its_size(tmp_path: Path) -> None:
    big = tmp_path / "大文件.docx"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ValidationError, match="超过 50 MB"):
        import_file(path=big)


def test_an_ordinary_docx_still_imports() -> None:
    assert import_docx(data=_docx()).document.title == "测试通知"
    with zipfile.ZipFile(io.BytesIO(_docx())) as package:
        check_archive(package, kind="DOCX")  # well within every limit


def test_an_xlsx_bomb_is_refused_before_openpyxl_reads_it(tmp_path: Path) -> None:
    good = rx.export_form(TOWN_Q, _good(), tmp_path / "good.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(_with_part(good.read_bytes(), "xl/media/zeros.bin", b"\0" * (210 * 1024 * 1024)))
    with pytest.raises(ValidationError) as err:
        rx.import_form(TOWN_Q, bomb)
    assert "Excel" in err.value.message and "超过 200 MB" in err.value.message
    assert rx.import_form(TOWN_Q, good).values  # the untouched workbook reads back
