"""Text lines of a GB/T 9704 PDF's 版心, page by page (for comparing our PDF with LibreOffice's)."""

from __future__ import annotations

import io
from collections import defaultdict

import pdfplumber

from docs_exchange.layout import MM

BODY_BOTTOM = (37 + 225) * MM  # the 版心's lower edge, from the page top (page numbers are below)


def body_rows(pdf_bytes: bytes) -> list[list[tuple[str, float]]]:
    """Per page, the text lines of the 版心 from top to bottom with their baseline y (points)."""
    pages = []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            rows: dict[float, list[dict]] = defaultdict(list)
            for ch in page.chars:
                if ch["top"] < BODY_BOTTOM and not ch["text"].isspace():
                    rows[round(ch["matrix"][5] / 3)].append(ch)
            pages.append([
                ("".join(c["text"] for c in sorted(rows[y], key=lambda c: c["x0"])),
                 min(c["matrix"][5] for c in rows[y]))
                for y in sorted(rows, reverse=True)
            ])
    return pages


def body_lines(pdf_bytes: bytes) -> list[list[str]]:
    """Per page, the text lines of the 版心 from top to bottom (spaces dropped)."""
    return [[text for text, _y in page] for page in body_rows(pdf_bytes)]
