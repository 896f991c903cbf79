"""PDF writer: draws the GB/T 9704 layout with reportlab, fonts embedded and subset, in memory."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from docs_exchange.compose import layout_document
from docs_exchange.fonts import FontSet, text_width
from docs_exchange.layout import (
    MM,
    NOTE_SIZE,
    X0,
    X1,
    Y_BOTTOM,
    Layout,
    RenderResult,
    SealAnchor,
    TextRun,
)
from docs_exchange.model import OfficialDocument
from oa_client.errors import RenderError
from oa_client.i18n import _

__all__ = ["RenderResult", "SealAnchor", "render_layout", "render_pdf"]


def render_pdf(
    doc: OfficialDocument, *, format: str | None = None, fonts: FontSet | None = None
) -> RenderResult:
    """Render `doc` to a GB/T 9704 PDF (bytes in memory) and report fonts and missing glyphs."""
    layout = layout_document(doc, format=format, fonts=fonts)
    return render_layout(layout=layout)


PDF_VERSION = (1, 7)


def render_layout(*, layout: Layout) -> RenderResult:
    """Draw an already laid-out document to PDF bytes."""
    buf = io.BytesIO()
    song = layout.fonts.faces["song"]
    # PDF 1.7 (ISO 32000-1): what PAdES signatures and the seal's blend mode build on, so
    # signing and sealing never have to raise the declared version
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, initialFontName=song.pdf_name,
                      initialFontSize=NOTE_SIZE, pdfVersion=PDF_VERSION)
    c.setTitle(layout.title)
    c.setAuthor(layout.author)
    c.setSubject(layout.format)
    c.setCreator("政务协同办公客户端")
    try:
        for page in layout.pages:
            for rule in page.rules:
                c.setStrokeColorRGB(*rule.color)
                c.setLineWidth(rule.width)
                c.line(rule.x1, rule.y, rule.x2, rule.y)
            for run in page.runs:
                _draw_run(c, run)
            if page.number:
                _page_number(c, page.number, page.index, song.pdf_name)
            c.showPage()
        c.save()
    except (OSError, ValueError, KeyError) as exc:
        raise RenderError(_("生成 PDF 失败，请检查字体和公文内容"), reason=str(exc)) from None
    return RenderResult(
        pdf=buf.getvalue(),
        page_count=len(layout.pages),
        seal_anchor=layout.seal_anchor,
        seal_anchors=list(layout.seal_anchors),
        font_substitutions=list(layout.fonts.substitutions),
        missing_glyphs=list(layout.missing_glyphs),
    )


def _draw_run(c: canvas.Canvas, run: TextRun) -> None:
    """Draw a run as few text operations as possible: equal steps share one charSpace."""
    c.setFillColorRGB(*run.color)
    name, size = run.face.pdf_name, run.size
    scale = run.h_scale / 100
    widths = [text_width(run.face, ch, size) * scale for ch in run.text]
    # One Tj per group of one font subset and one spacing, each placed explicitly: readers
    # that apply Tc only between the glyphs of one string (pdfminer) then agree with viewers.
    subsets: list[int] = []
    for subset, chunk in pdfmetrics.getFont(name).splitString(run.text, c._doc):
        subsets.extend([subset] * len(chunk.decode("latin-1")))
    t = c.beginText()
    t.setFont(name, size)
    t.setHorizScale(run.h_scale)  # Tz persists across text objects: always set it
    i, n = 0, len(run.text)
    while i < n:
        j = i + 1
        gap = (run.xs[j] - run.xs[i] - widths[i]) if j < n else 0.0
        while (
            j < n
            and subsets[j] == subsets[i]
            and abs(run.xs[j] - run.xs[j - 1] - widths[j - 1] - gap) < 0.01
        ):
            j += 1
        t.setTextOrigin(run.xs[i], run.y)
        t.setCharSpace(gap if j - i > 1 else 0.0)
        t.textOut(run.text[i:j])
        i = j
    c.drawText(t)


def _page_number(c: canvas.Canvas, text: str, index: int, font: str) -> None:
    """“— N —” in 4号宋体 7 mm below the 版心: right on odd pages, left on even, one char in."""
    c.setFillColorRGB(0, 0, 0)
    width = c.stringWidth(text, font, NOTE_SIZE)
    y = Y_BOTTOM - 7 * MM - NOTE_SIZE * 0.35
    x = X1 - NOTE_SIZE - width if index % 2 == 0 else X0 + NOTE_SIZE
    c.setFont(font, NOTE_SIZE)
    c.drawString(x, y, text)
