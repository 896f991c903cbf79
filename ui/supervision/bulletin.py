"""The monthly 督办通报 as a GB/T 9704 document (通报), laid out and drawn to PDF.

No Qt here: the page runs this on a worker (`ui.ops.run_op`), tests call it directly.
"""

from __future__ import annotations

from datetime import date

from docs_exchange.model import OfficialDocument, validate_document
from docs_exchange.pdf import render_pdf
from oa_client.domain.supervision_report import Bulletin, bulletin_paragraphs
from oa_client.i18n import _


def bulletin_document(b: Bulletin, *, issuer: str, main_to: str | None = None,
                      issued: date | None = None) -> OfficialDocument:
    """The 通报 as 公文 elements: 发文机关标志, title, 主送, body, 落款 and date."""
    return validate_document({
        "kind": "通报", "issuer_mark": issuer, "title": b.title,
        "main_to": main_to or _("各有关单位："), "body": bulletin_paragraphs(b),
        "issuer_name": issuer, "date": (issued or b.as_of).isoformat(),
        "seal_mode": "without_seal",
    })


def render_bulletin(b: Bulletin, *, issuer: str, issued: date | None = None) -> bytes:
    """The 通报 as PDF bytes (kept in memory; the caller decides where it goes)."""
    return render_pdf(bulletin_document(b, issuer=issuer, issued=issued)).pdf
