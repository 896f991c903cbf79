"""GB/T 9704 §7.3.5: no page holds only 附件说明, 署名 and 成文日期 — a body line comes along,
or, where the 落款 alone is longer than a page, the page says 此页无正文."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from docs_exchange.compose import layout_document
from docs_exchange.docx_writer import render_docx
from docs_exchange.importer import import_file
from docs_exchange.layout import ROWS
from docs_exchange.model import Attachment
from docs_exchange.pdf import render_pdf
from tests.support.closing_pages import (
    NO_BODY_TEXT,
    _notice,
    body_ends_at_page_end,
    long_closing,
    pages_without_body,
)
from tests.support.pdf_pages import body_lines

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _pages_of(layout, kind: str) -> set[int]:
    return {line[0] for b in layout.blocks if b.kind == kind for line in b.lines}


@pytest.mark.parametrize("name", ["puning", "huangyan"])
def test_fixture_documents_have_body_text_on_the_signature_page(fixtures_dir: Path, name: str) -> None:
    doc = import_file(path=fixtures_dir / "documents" / f"{name}-digital-gov-plan.txt").document
    pages = body_lines(render_pdf(doc).pdf)
    assert pages_without_body(pages, doc) == []
    layout = layout_document(doc)
    (page,) = _pages_of(layout, "signature")
    assert page in _pages_of(layout, "body")  # the last body line came over with the 落款
    assert layout.seal_anchor is not None and layout.seal_anchor.page == page


def test_body_ending_on_the_page_end_pulls_its_last_line_over() -> None:
    doc = body_ends_at_page_end()
    layout = layout_document(doc)
    body = [b for b in layout.blocks if b.kind == "body"]
    assert body[-1].lines[-1][:2] == (2, 0)  # the last body line opens page 3 …
    assert body[-2].lines[-1][:2] == (1, ROWS - 2)  # … the one before stays on page 2
    assert _pages_of(layout, "attachment_note") == _pages_of(layout, "signature") == {2}
    assert _pages_of(layout, "date") == {2} and layout.seal_anchor.page == 2
    pages = body_lines(render_pdf(doc).pdf)
    assert pages_without_body(pages, doc) == []
    assert pages[2][0] == doc.body[-1]


@pytest.mark.parametrize("mode", ["with_seal", "without_seal", "signature_stamp"])
@pytest.mark.parametrize("attachments", [0, 1, 3])
def test_wherever_the_body_ends_the_signature_page_has_body_text(mode: str, attachments: int) -> None:
    names = [f"附件名称{i + 1}" for i in range(attachments)]
    for n in range(14, 40):  # the body ends on every row of page 1 and 2 in turn
        doc = _notice(n, seal_mode=mode, signer_title="区长",
                      attachments=[Attachment(name=x) for x in names])
        layout = layout_document(doc)
        sign = _pages_of(layout, "date")
        assert len(sign) == 1, n
        assert sign <= _pages_of(layout, "body"), (n, mode, attachments)
        if attachments:
            assert _pages_of(layout, "attachment_note") == sign, n


def test_a_closing_longer_than_a_page_says_no_body_text() -> None:
    doc = long_closing()
    layout = layout_document(doc)
    (sign,) = _pages_of(layout, "signature")
    assert sign not in _pages_of(layout, "body")
    notes = [b for b in layout.blocks if b.kind == "no_body_text"]
    assert [b.lines[0][:2] for b in notes] == [(sign, 0)]
    assert sorted(_pages_of(layout, "attachment_note")) == [sign - 1, sign]
    pages = body_lines(render_pdf(doc).pdf)
    assert pages[sign][0] == NO_BODY_TEXT
    assert pages_without_body(pages, doc) == []


def _docx_paragraphs(data: bytes) -> list[tuple[str, etree._Element]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    body = root.find(f"{W}body")
    return [("".join(t.text or "" for t in p.iter(f"{W}t")), p) for p in body.findall(f"{W}p")]


def test_docx_keeps_the_last_body_line_with_the_closing() -> None:
    doc = body_ends_at_page_end()
    paras = _docx_paragraphs(render_docx(doc))
    texts = [t for t, _p in paras]
    last_body = max(i for i, t in enumerate(texts) if t == doc.body[-1])
    date_at = texts.index("2021年9月29日")
    keep = [p.find(f"{W}pPr/{W}keepNext") is not None for _t, p in paras]
    assert all(keep[last_body:date_at]) and not keep[date_at]
    assert not any(keep[:last_body])  # nothing before the last body paragraph is tied
    brk = paras[last_body][1].find(f"{W}pPr/{W}pageBreakBefore")
    assert brk is not None  # the page starts with that body line, as in the PDF


def test_docx_writes_no_body_text_where_the_pdf_does() -> None:
    doc = long_closing()
    paras = _docx_paragraphs(render_docx(doc))
    texts = [t for t, _p in paras]
    assert texts.count(NO_BODY_TEXT) == 1
    at = texts.index(NO_BODY_TEXT)
    assert paras[at][1].find(f"{W}pPr/{W}pageBreakBefore") is not None  # first row of its page
    assert texts[at + 1].startswith(tuple(f"{i}." for i in range(2, 23)))  # 附件说明 goes on
