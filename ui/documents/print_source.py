"""What 打印 and 打印预览 draw, prepared on workers (no Qt here, never on the GUI thread):
the pages of the sealed 正式文件 — or of the draft laid out per GB/T 9704 before 用印 —
drawn once as images at print resolution, the text on each page with its place (laid
invisibly under the image, so a file printed to PDF can still be searched), and where the
份号 goes on page 1. The sealed file's bytes are only read, never changed; nothing is
written to disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docs_exchange.elements import copy_no_place, layout_of
from docs_exchange.model import OfficialDocument
from docs_exchange.pdf import render_pdf
from oa_client.errors import RenderError
from oa_client.i18n import _
from oa_client.services import documents as svc
from oa_client.store.local import LocalStore
from ui.documents.data import read_attachment
from ui.documents.official import _PDFIUM

#: dots per inch of the page images a print is made of (sharp 3号 text, seal in colour)
PRINT_DPI = 200


@dataclass(frozen=True)
class PrintPage:
    """One page: an RGB image (`width` × `height` pixels, rows packed) for a page of
    `page_w` × `page_h` pt, and its text runs as (left, top, right, bottom, text) in pt from
    the top-left corner."""

    width: int
    height: int
    rgb: bytes
    page_w: float
    page_h: float
    texts: list[tuple[float, float, float, float, str]] = field(default_factory=list)


@dataclass(frozen=True)
class PrintSource:
    """A file ready to print: its pages, what it is (official / draft), its title, and the
    份号's place on page 1 as (x, baseline, size) in pt from the top-left corner."""

    kind: str
    title: str
    pages: list[PrintPage]
    copy_no_at: tuple[float, float, float]
    key: str = ""  # what it was made from (the file's SHA-256, or the draft's revision)


def _layout(store: LocalStore, doc_id: str) -> tuple[dict[str, Any], OfficialDocument]:
    doc = svc.get_document(store, doc_id)
    return doc, layout_of(doc, svc.domain_data(doc, store))


def draw_pages(pdf: bytes, *, dpi: int = PRINT_DPI) -> list[PrintPage]:
    """Every page of a PDF as an image at `dpi`, with its text runs."""
    import pypdfium2

    pages: list[PrintPage] = []
    try:
        with _PDFIUM:
            doc = pypdfium2.PdfDocument(pdf)
            doc.init_forms()  # the seal's visible stamp is a signature field's appearance
            try:
                for index in range(len(doc)):
                    page = doc[index]
                    w, h = page.get_width(), page.get_height()
                    image = page.render(scale=dpi / 72, may_draw_forms=True).to_pil()
                    image = image.convert("RGB")
                    text = page.get_textpage()
                    runs = []
                    for i in range(text.count_rects()):
                        left, bottom, right, top = text.get_rect(i)
                        words = text.get_text_bounded(left, bottom, right, top).strip()
                        if words:
                            runs.append((left, h - top, right, h - bottom, words))
                    text.close()
                    pages.append(PrintPage(width=image.width, height=image.height,
                                           rgb=image.tobytes(), page_w=w, page_h=h, texts=runs))
                    page.close()
            finally:
                doc.close()
    except pypdfium2.PdfiumError as exc:
        raise RenderError(_("正式文件无法打印，文件可能已损坏"), reason=str(exc)) from None
    return pages


def official_source(store: LocalStore, *, doc_id: str, attachment_id: str,
                    sha256: str = "") -> PrintSource:
    """The sealed 正式文件 as it is (its bytes read, decrypted in memory, never changed)."""
    doc, layout = _layout(store, doc_id)
    pdf = read_attachment(store, attachment_id)
    return PrintSource(kind="official", title=str(doc.get("title") or ""),
                       pages=draw_pages(pdf), copy_no_at=copy_no_place(layout), key=sha256)


def draft_source(store: LocalStore, *, doc_id: str, key: str = "") -> PrintSource:
    """The document as it stands, laid out per GB/T 9704 the way 用印 will lay it out."""
    doc, layout = _layout(store, doc_id)
    rendered = render_pdf(layout)
    return PrintSource(kind="draft", title=str(doc.get("title") or ""),
                       pages=draw_pages(rendered.pdf), copy_no_at=copy_no_place(layout), key=key)


def copy_number(first: int, copy: int) -> str:
    """The 份号 of the `copy`-th copy (0-based) when the first is `first`: 6 digits."""
    return f"{(first + copy) % 1_000_000:06d}"
