"""GB/T 9704 geometry read back from the PDF of the real fixture documents, page after page."""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from docs_exchange.importer import import_file
from docs_exchange.layout import MM
from docs_exchange.linebreak import NO_LINE_END, NO_LINE_START, is_full_width
from docs_exchange.pdf import render_pdf

RED = (1.0, 0.0, 0.0)
BODY_TOP, BODY_BOTTOM = 37 * MM, (37 + 225) * MM
BODY_LEFT, BODY_RIGHT = 28 * MM, (28 + 156) * MM
NAMES = ("puning", "huangyan")


@pytest.fixture(scope="module")
def rendered(fixtures_dir: Path) -> dict[str, tuple]:
    """Each fixture imported and rendered once: name → (document, RenderResult, pdfplumber PDF)."""
    out = {}
    for name in NAMES:
        doc = import_file(path=fixtures_dir / "documents" / f"{name}-digital-gov-plan.txt").document
        result = render_pdf(doc)
        out[name] = (doc, result, pdfplumber.open(io.BytesIO(result.pdf)))
    yield out
    for _doc, _result, pdf in out.values():
        pdf.close()


def body_lines(page) -> list[list[dict]]:
    """The 版心 text of a page as lines (chars grouped by baseline, left to right)."""
    rows: dict[float, list[dict]] = defaultdict(list)
    for ch in page.chars:
        if ch["top"] < BODY_BOTTOM and not ch["text"].isspace():
            rows[round(ch["matrix"][5], 1)].append(ch)
    return [sorted(rows[y], key=lambda c: c["x0"]) for y in sorted(rows, reverse=True)]


def _pages(rendered):
    for name in NAMES:
        _doc, _result, pdf = rendered[name]
        for page in pdf.pages:
            yield name, page


def test_fixtures_render_to_many_pages(rendered) -> None:
    assert rendered["puning"][1].page_count >= 30
    assert rendered["huangyan"][1].page_count >= 20


def test_margins_are_gbt9704_within_1mm(rendered) -> None:
    checked = 0
    for name, page in _pages(rendered):
        lines = body_lines(page)
        if len(lines) < 5:
            continue
        chars = [c for line in lines for c in line]
        left = min(c["x0"] for c in chars)
        assert left == pytest.approx(BODY_LEFT, abs=1 * MM), (name, page.page_number)
        # a hanging closing mark (标点溢出) may pass the edge; the text itself may not
        ends = [max(c["x1"] for c in line if c["x0"] < BODY_RIGHT - 3) for line in lines]
        assert max(ends) == pytest.approx(BODY_RIGHT, abs=1 * MM), (name, page.page_number)
        assert min(c["top"] for c in chars) >= BODY_TOP - 1 * MM
        assert max(c["bottom"] for c in chars) <= BODY_BOTTOM + 1 * MM
        checked += 1
    assert checked > 40


def test_full_body_pages_hold_22_lines_of_28_characters(rendered) -> None:
    full = 0
    exact28 = 0
    for _name, page in _pages(rendered):
        lines = body_lines(page)
        assert len(lines) <= 22
        if len(lines) != 22:
            continue
        full += 1
        for line in lines:
            text = "".join(c["text"] for c in line)
            core = text[:-1] if len(text) > 28 and text[-1] in NO_LINE_START else text
            if all(is_full_width(ch) for ch in core):
                assert len(core) <= 28
                exact28 += len(core) == 28
    assert full >= 30
    assert exact28 >= 300


def test_line_pitch_fills_the_225mm_body(rendered) -> None:
    _doc, _result, pdf = rendered["puning"]
    page = pdf.pages[5]
    ys = sorted({round(c["matrix"][5], 2) for line in body_lines(page) for c in line}, reverse=True)
    pitches = {round(a - b, 1) for a, b in itertools.pairwise(ys)}
    assert pitches == {round(225 * MM / 22, 1)}


def test_header_mark_is_red_and_the_rule_4mm_below_the_number(rendered) -> None:
    doc, _result, pdf = rendered["huangyan"]
    page = pdf.pages[0]
    mark = [c for c in page.chars if c["non_stroking_color"] == RED]
    assert "".join(c["text"] for c in mark) == doc.issuer_mark
    assert min(c["top"] for c in mark) == pytest.approx(BODY_TOP + 35 * MM, abs=1.5 * MM)
    number = next(c for c in page.chars if c["text"] == "〔")
    rules = [r for r in page.lines if r["stroking_color"] == RED]
    assert len(rules) == 1
    rule = rules[0]
    assert rule["x1"] - rule["x0"] == pytest.approx(156 * MM, abs=0.5)
    assert rule["top"] - number["bottom"] == pytest.approx(4 * MM, abs=1 * MM)
    title = next(c for c in page.chars if c["text"] == "关")
    assert title["top"] - rule["top"] > 1.5 * 225 * MM / 22  # two lines below the rule
    assert title["size"] == pytest.approx(22)


def test_page_numbers_sit_outside_7mm_below_the_body(rendered) -> None:
    for _name, page in _pages(rendered):
        marks = [c for c in page.chars if c["top"] > BODY_BOTTOM and not c["text"].isspace()]
        assert "".join(c["text"] for c in marks) == f"—{page.page_number}—"
        left, right = min(c["x0"] for c in marks), max(c["x1"] for c in marks)
        if page.page_number % 2:  # odd: right side, one character in
            assert right == pytest.approx(BODY_RIGHT - 14, abs=1 * MM)
        else:
            assert left == pytest.approx(BODY_LEFT + 14, abs=1 * MM)
        assert all(c["size"] == pytest.approx(14) for c in marks)
        dash = marks[0]
        middle = (dash["top"] + dash["bottom"]) / 2
        assert BODY_BOTTOM + 4 * MM < middle < BODY_BOTTOM + 11 * MM


def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(rendered) -> None:
    count = 0
    for name, page in _pages(rendered):
        for line in body_lines(page):
            text = "".join(c["text"] for c in line)
            assert text[0] not in NO_LINE_START, (name, page.page_number, text)
            assert text[-1] not in NO_LINE_END, (name, page.page_number, text)
            count += 1
    assert count > 1000


def test_fonts_are_embedded_subset_truetype_and_metadata_set(rendered) -> None:
    doc, result, _pdf = rendered["puning"]
    reader = PdfReader(io.BytesIO(result.pdf))
    fonts = set()
    for page in reader.pages[:3]:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor  # embedded TrueType
    assert fonts and all("+" in f for f in fonts)  # subset prefix
    assert reader.metadata.title == doc.title
    assert reader.metadata.author == doc.issuer_name
