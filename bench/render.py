"""Render benchmark: a 10-page 通知 (built from the shared fixture text) to PDF and DOCX,
then 签发 + 用印 on that PDF and verification of both signatures (measured by bench.sign).

Baseline in the same run: LibreOffice headless converting our own DOCX to PDF.
Targets: PDF under 300 ms; at least 5× faster than LibreOffice; the server's 用印 — lock,
RFC 3161 time-stamp, chain and CRL embedded — under 300 ms (`seal_with_timestamp_ms`).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.sign import measure_sign_verify
from docs_exchange.compose import layout_document
from docs_exchange.docx_writer import render_docx
from docs_exchange.importer import import_file
from docs_exchange.model import Attachment, OfficialDocument
from docs_exchange.pdf import render_pdf

FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "documents"
PAGES = 10


def ten_page_notice() -> OfficialDocument:
    """The 普宁 notice with as much of its attached plan as fills exactly 10 pages."""
    path = FIXTURE / "puning-digital-gov-plan.txt"
    if not path.is_file():
        raise SystemExit(f"fixture not found: {path} (the shared fixtures sit beside the repo)")
    doc = import_file(path=path).document
    plan = doc.attachments[0]
    lo, hi = 1, len(plan.body)
    while lo < hi:  # the most paragraphs that still fit in PAGES pages
        mid = (lo + hi + 1) // 2
        trial = doc.model_copy(update={"attachments": [Attachment(name=plan.name, body=plan.body[:mid])]})
        if len(layout_document(trial).pages) <= PAGES:
            lo = mid
        else:
            hi = mid - 1
    return doc.model_copy(update={
        "attachments": [Attachment(name=plan.name, body=plan.body[:lo])],
        "doc_number": "普府〔2022〕12号", "cc_to": "市委各部委办，市人大常委会办公室，市政协办公室",
        "printer": "普宁市人民政府办公室", "print_date": doc.date,
    })


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _libreoffice_ms(docx: bytes, runs: int) -> float | None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="oa-bench-lo-") as tmp:
            work = Path(tmp)
            (work / "doc.docx").write_bytes(docx)
            argv = [soffice, "--headless", "--norestore",
                    f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(work), str(work / "doc.docx")]
            t0 = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, timeout=300)
            times.append((time.perf_counter() - t0) * 1000)
            if not (work / "doc.pdf").is_file():
                return None
    return statistics.median(times)


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Measure PDF and DOCX rendering of a 10-page 通知 and LibreOffice's conversion of our DOCX."""
    doc = ten_page_notice()
    render_pdf(doc)  # warm up: fonts parsed and registered once per process
    rendered = render_pdf(doc)
    page_count = rendered.page_count
    runs = 3 if quick else 9
    pdf_ms = _median_ms(lambda: render_pdf(doc), runs)
    docx_ms = _median_ms(lambda: render_docx(doc), runs)
    signing, _signed = measure_sign_verify(rendered.pdf, rendered.seal_anchor, runs=runs)
    lo_ms = _libreoffice_ms(render_docx(doc), 1 if quick else 3)
    metrics = {
        "pages": page_count,
        "pdf_ms": round(pdf_ms, 1),
        "docx_ms": round(docx_ms, 1),
        "sign_ms": round(signing["sign_ms"], 1),
        "sign_seal_ms": round(signing["sign_seal_ms"], 1),
        "seal_with_timestamp_ms": round(signing["seal_with_timestamp_ms"], 1),
        "verify_ms": round(signing["verify_ms"], 1),
        "verify_ltv_ms": round(signing["verify_ltv_ms"], 1),
        "libreoffice_ms": round(lo_ms, 1) if lo_ms else None,
        "speedup_vs_libreoffice": round(lo_ms / pdf_ms, 1) if lo_ms else None,
    }
    if verbose:
        print(f"10-page 通知 ({page_count} pages): PDF {pdf_ms:.0f} ms, DOCX {docx_ms:.0f} ms")
        print(
            f"签发 {signing['sign_ms']:.0f} ms, 用印 {signing['sign_seal_ms']:.0f} ms, "
            f"verify both {signing['verify_ms']:.0f} ms"
        )
        print(
            f"用印 with time-stamp, lock, chain and CRL {signing['seal_with_timestamp_ms']:.0f} ms, "
            f"verify 签发 + that seal (time-stamp, revocation) {signing['verify_ltv_ms']:.0f} ms"
        )
        if lo_ms:
            print(f"LibreOffice DOCX→PDF {lo_ms:.0f} ms: ours is {lo_ms / pdf_ms:.1f}× faster")
        else:
            print("LibreOffice not available: no baseline")
    return metrics
