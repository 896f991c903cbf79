"""The 正式文件 on this device: checking its seal on arrival and drawing its pages for the
document window. No Qt here: these run on workers (ui/ops.py), never on the GUI thread, and
keep everything in memory (no PDF or preview ever touches the disk in the clear)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from oa_client.errors import RenderError
from oa_client.i18n import _
from oa_client.services import seals
from oa_client.store.local import LocalStore

#: pdfium is one library state per process: one page is drawn at a time
_PDFIUM = threading.Lock()


def seal_verdict(pdf: bytes, *, trust_roots: list[bytes], now: datetime | None = None
                 ) -> dict[str, Any]:
    """Check a sealed PDF offline against the synced CA root: the verdict as plain data
    (通过 only when every signature is intact and trusted and covers the whole file)."""
    from docs_exchange.verify import verify_pdf  # pyHanko: imported on the worker that checks

    report = verify_pdf(pdf, trust_roots=trust_roots, now=now)
    entries = report.signatures
    seal = next((e for e in reversed(entries) if e.signer and e.signer.kind == "seal"),
                entries[-1] if entries else None)
    problems = [*report.problems, *(p for e in entries for p in e.problems)]
    if not report.ok and not problems:
        problems.append(_("签名人证书不受信任或已失效"))
    return {
        "ok": report.ok,
        "signer": seal.signer.name if seal and seal.signer else "",
        "unit": (seal.signer.unit or "") if seal and seal.signer else "",
        "signed_at": seal.signing_time.isoformat() if seal and seal.signing_time else "",
        "reason": (seal.reason or "") if seal else "",
        "signatures": len(entries),
        "problems": problems,
        "checked_at": (report.checked_at or datetime.now().astimezone()).isoformat(),
    }


def arrival_checker(store: LocalStore) -> Callable[[list[bytes]], int]:
    """What the sync engine calls after the attachments came down: check every 正式文件 that
    arrived against the trust roots the profile holds, and keep the verdicts."""

    def check_arrivals(trust_roots: list[bytes]) -> int:
        return seals.check_arrivals(
            store, check=lambda pdf: seal_verdict(pdf, trust_roots=trust_roots))

    return check_arrivals


def check_now(store: LocalStore, *, attachment_id: str, trust_roots: list[bytes]
              ) -> dict[str, Any]:
    """Check one 正式文件 again now (the window's 重新验证) and keep the verdict."""
    return seals.check_file(store, attachment_id=attachment_id,
                            check=lambda pdf: seal_verdict(pdf, trust_roots=trust_roots))


def render_pages(pdf: bytes, *, pages: int = 1, width_px: int = 560) -> list[bytes]:
    """The first `pages` pages as PNG images `width_px` wide (in memory)."""
    import pypdfium2

    out: list[bytes] = []
    try:
        with _PDFIUM:
            doc = pypdfium2.PdfDocument(pdf)
            doc.init_forms()  # the seal's visible stamp is a signature field's appearance
            try:
                for index in range(min(pages, len(doc))):
                    page = doc[index]
                    scale = width_px / page.get_width()
                    image = page.render(scale=scale, may_draw_forms=True).to_pil()
                    buf = io.BytesIO()
                    image.save(buf, format="PNG", compress_level=1)  # fast: drawn at once, never kept
                    out.append(buf.getvalue())
                    page.close()
            finally:
                doc.close()
    except pypdfium2.PdfiumError as exc:
        raise RenderError(_("正式文件无法显示预览，文件可能已损坏"), reason=str(exc)) from None
    return out
