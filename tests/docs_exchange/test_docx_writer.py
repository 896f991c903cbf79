"""The DOCX writer: East-Asian fonts, grid, margins, odd/even PAGE footers, red mark, 版记 rules."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from lxml import etree

from docs_exchange.compose import layout_document
from docs_exchange.docx_writer import render_docx
from docs_exchange.model import OfficialDocument
from docs_exchange.pdf import render_pdf

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def doc() -> OfficialDocument:
    return OfficialDocument(
        issuer_mark="普宁市人民政府文件", doc_number="普府〔2022〕12号", title="关于做好数字政府建设工作的通知",
        main_to="各乡、镇人民政府", body=["现将有关事项通知如下。" * 30] * 8,
        issuer_name="普宁市人民政府", date=date(2022, 4, 6), cc_to="市委办公室",
        printer="普宁市人民政府办公室", print_date=date(2022, 4, 8),
    )


@pytest.fixture(scope="module")
def parts(doc: OfficialDocument) -> dict[str, etree._Element]:
    data = render_docx(doc)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: etree.fromstring(z.read(name)) for name in z.namelist() if name.endswith(".xml")}


def test_page_setup_is_gbt9704(parts) -> None:
    sect = parts["word/document.xml"].find(f".//{W}sectPr")
    size = sect.find(f"{W}pgSz")
    margins = sect.find(f"{W}pgMar")
    assert (size.get(f"{W}w"), size.get(f"{W}h")) == ("11906", "16838")
    twips = {k: int(margins.get(f"{W}{k}")) for k in ("top", "left", "right", "bottom")}
    assert twips == {"top": 2098, "left": 1587, "right": 1474, "bottom": 1984}  # 37/28/26/35 mm
    grid = sect.find(f"{W}docGrid")
    assert int(grid.get(f"{W}linePitch")) * 22 <= 225 / 25.4 * 1440  # 22 lines fit the body
    assert int(grid.get(f"{W}linePitch")) * 23 > 225 / 25.4 * 1440


def test_every_run_names_an_east_asian_font(parts) -> None:
    runs = parts["word/document.xml"].findall(f".//{W}r")
    assert runs
    for run in runs:
        fonts = run.find(f"{W}rPr/{W}rFonts")
        assert fonts is not None and fonts.get(f"{W}eastAsia")


def test_body_characters_are_set_28_to_a_line(parts) -> None:
    body_runs = [r for r in parts["word/document.xml"].findall(f".//{W}r")
                 if r.find(f"{W}rPr/{W}sz") is not None and r.find(f"{W}rPr/{W}sz").get(f"{W}val") == "32"
                 and r.find(f"{W}t") is not None]
    spacing = {r.find(f"{W}rPr/{W}spacing").get(f"{W}val") for r in body_runs}
    assert spacing == {"-5"}  # 16 pt - 0.25 pt = 15.75 pt; 28 × 15.75 ≤ 156 mm < 29 × 15.75


def test_red_mark_and_separator(parts) -> None:
    doc_xml = parts["word/document.xml"]
    red_runs = [r for r in doc_xml.findall(f".//{W}r") if r.find(f"{W}rPr/{W}color") is not None]
    assert "".join(r.findtext(f"{W}t") or "" for r in red_runs) == "普宁市人民政府文件"
    assert all(r.find(f"{W}rPr/{W}color").get(f"{W}val") == "FF0000" for r in red_runs)
    borders = doc_xml.findall(f".//{W}pBdr/*")
    assert any(b.get(f"{W}color") == "FF0000" for b in borders)  # separator rule
    record = [b for b in borders if b.get(f"{W}color") == "000000"]
    assert sorted(int(b.get(f"{W}sz")) for b in record) == [6, 8, 8]  # 版记: thick, thin, thick


def test_odd_and_even_footers_with_page_fields(parts) -> None:
    settings = parts["word/settings.xml"]
    assert settings.find(f"{W}evenAndOddHeaders") is not None
    sect = parts["word/document.xml"].find(f".//{W}sectPr")
    refs = {ref.get(f"{W}type") for ref in sect.findall(f"{W}footerReference")}
    assert {"default", "even"} <= refs
    footers = [root for name, root in parts.items() if name.startswith("word/footer")]
    sides = set()
    for footer in footers:
        instr = "".join(footer.itertext())
        if "PAGE" not in instr:
            continue
        assert "— " in instr and " —" in instr
        sides.add(footer.find(f".//{W}jc").get(f"{W}val"))
    assert sides == {"left", "right"}


def test_pages_break_where_the_pdf_breaks(doc: OfficialDocument, parts) -> None:
    breaks = parts["word/document.xml"].findall(f".//{W}pageBreakBefore")
    assert len(breaks) == render_pdf(doc).page_count - 1 == len(layout_document(doc).pages) - 1


def test_letter_format_hides_the_first_page_number(doc: OfficialDocument) -> None:
    data = render_docx(doc, format="信函")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        document = etree.fromstring(z.read("word/document.xml"))
    sect = document.find(f".//{W}sectPr")
    assert sect.find(f"{W}titlePg") is not None
    assert any(b.get(f"{W}val") == "thickThinSmallGap" for b in document.findall(f".//{W}pBdr/*"))


def test_huge_title_and_foreign_glyphs_still_make_a_docx() -> None:
    title = ("关于进一步加强数字政府建设推进政务服务一网通办的通知" * 400)[:10000]
    doc = OfficialDocument(title=title, body=["请核对刏字。"])
    data = render_docx(doc)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        document = etree.fromstring(z.read("word/document.xml"))
    text = "".join(t.text or "" for t in document.iter(f"{W}t"))
    assert text.count("一网通办") == title.count("一网通办")
    breaks = document.findall(f".//{W}pageBreakBefore")
    assert len(breaks) == len(layout_document(doc).pages) - 1
    rare = [r for r in document.iter(f"{W}r") if (r.findtext(f"{W}t") or "") == "刏"]
    # 刏 is not in GB2312: the GBK face of the same style, as offices set rare characters
    assert rare and rare[0].find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "仿宋"
