"""Signing benchmark: PAdES sign and verify a ~10-page 公文 PDF, against baselines in the same run.

Baselines: SHA-256 over the same file (what any integrity check costs) and one
raw ECDSA P-256 signature (the cryptographic floor), so the numbers read as
ratios — how much the PDF structure, CMS and certificate path cost on top.
Also the exchange package: build and verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from docs_exchange.crl import issue_crl
from docs_exchange.package import build_package, verify_package
from docs_exchange.pki import CertificateAuthority
from docs_exchange.seal import draw_seal
from docs_exchange.signing import LongTermMaterial, PadesSigner, SealAnchor
from docs_exchange.tsa import TimestampAuthority
from docs_exchange.verify import verify_pdf

UNIT = "普宁市政务服务数据管理局"
PARAGRAPH = (
    "各单位要高度重视政务数据共享工作，明确责任分工，建立健全数据共享协调机制，"
    "按照“应共享尽共享”的原则，及时梳理本单位政务数据资源目录，确保数据准确、完整、及时更新。"
)


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 3)


def _sample_pdf(paragraphs: int) -> tuple[bytes, object, str]:
    """A ~10-page 公文: the layout engine's PDF if it is there, else a plain reportlab one."""
    try:
        from docs_exchange.model import OfficialDocument
        from docs_exchange.pdf import render_pdf

        doc = OfficialDocument(
            issuer_mark=UNIT + "文件",
            doc_number="普数〔2026〕12号",
            title="关于做好2026年度政务数据共享工作的通知",
            main_to="各镇人民政府，市直各单位：",
            body=[PARAGRAPH] * paragraphs,
            issuer_name=UNIT,
            date=dt.date(2026, 11, 20),
        )
        result = render_pdf(doc)
        anchor = result.seal_anchor or SealAnchor(result.page_count - 1, 340, 480, 120, 120)
        return result.pdf, anchor, "render_pdf"
    except Exception:  # the layout engine is missing or broken: measure signing anyway
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=A4)
        for page in range(10):
            for line in range(45):
                c.drawString(80, 780 - line * 16, f"page {page + 1} line {line + 1} " + "x" * 60)
            c.showPage()
        c.save()
        return buf.getvalue(), SealAnchor(9, 340, 480, 120, 120), "reportlab"


@dataclass(frozen=True)
class Signers:
    """A throwaway CA with an official's and a unit seal's signers, and the seal picture."""

    official: PadesSigner
    stamp: PadesSigner
    seal_png: bytes
    trust: list[bytes]
    setup_ms: float
    #: the server's 用印: locks the document, RFC 3161 time-stamp from the CA's TSA, chain + CRL embedded
    long_term_stamp: PadesSigner | None = None


def make_signers() -> Signers:
    """A fresh root, a personal and a seal credential (timed as `setup_ms`)."""
    t0 = time.perf_counter()
    ca = CertificateAuthority.create("基准测试根证书")
    person = ca.issue("张三", kind="person", unit=UNIT)
    seal = ca.issue(UNIT, kind="seal")
    tsa = ca.issue_tsa("基准测试时间戳服务")
    setup_ms = round((time.perf_counter() - t0) * 1000, 3)
    crl = issue_crl(ca, revoked=[], number=1)
    long_term = PadesSigner(
        seal,
        timestamper=TimestampAuthority(tsa),
        long_term=LongTermMaterial(certificates=(tsa.certificate,), crls=(crl,)),
    )
    return Signers(
        official=PadesSigner(person),
        stamp=PadesSigner(seal),
        seal_png=draw_seal(unit_name=UNIT, bottom_text="公文专用章"),
        trust=[ca.cert_pem],
        setup_ms=setup_ms,
        long_term_stamp=long_term,
    )


def measure_sign_verify(
    pdf: bytes, anchor: object, *, runs: int, signers: Signers | None = None
) -> tuple[dict, bytes]:
    """签发 (invisible) and 用印 (seal at `anchor`) on `pdf`, then verify both: medians in ms.

    Returns the metrics (`sign_ms`, `sign_seal_ms`, `verify_ms`; and the server's long-term seal:
    `seal_with_timestamp_ms` — lock, time-stamp, chain and CRL — and `verify_ltv_ms`, verifying
    签发 + that seal) and the twice-signed PDF.
    """
    s = signers or make_signers()

    def sign_invisible() -> bytes:
        return s.official.sign_pdf(pdf, anchor=None, stamp_png=None, reason="签发", location=None, field_name=None)

    once = sign_invisible()

    def sign_with_seal() -> bytes:
        return s.stamp.sign_pdf(
            once, anchor=anchor, stamp_png=s.seal_png, reason="用印", location="普宁", field_name=None
        )

    twice = sign_with_seal()
    report = verify_pdf(twice, trust_roots=s.trust)
    if not report.ok:
        raise RuntimeError(report.text())
    metrics = {
        "sign_ms": _median_ms(sign_invisible, runs),
        "sign_seal_ms": _median_ms(sign_with_seal, runs),
        "verify_ms": _median_ms(lambda: verify_pdf(twice, trust_roots=s.trust), runs),
    }
    if s.long_term_stamp is not None:
        stamp = s.long_term_stamp

        def seal_long_term() -> bytes:
            return stamp.sign_pdf(once, anchor=anchor, stamp_png=s.seal_png, reason="用印", location=None,
                                  field_name=None, lock=True)

        sealed = seal_long_term()
        report = verify_pdf(sealed, trust_roots=s.trust)
        if not report.ok or not report.signatures[-1].timestamp_ok:
            raise RuntimeError(report.text())
        metrics["seal_with_timestamp_ms"] = _median_ms(seal_long_term, runs)
        metrics["verify_ltv_ms"] = _median_ms(lambda: verify_pdf(sealed, trust_roots=s.trust), runs)
    return metrics, twice


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Measure signing and verification; return the metrics."""
    runs = 5 if quick else 21
    signers = make_signers()
    setup_ms = signers.setup_ms
    pdf, anchor, source = _sample_pdf(paragraphs=68)
    from pyhanko.pdf_utils.reader import PdfFileReader

    pages = int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
    stamp, trust = signers.stamp, signers.trust
    timed, twice = measure_sign_verify(pdf, anchor, runs=runs, signers=signers)
    sign_ms, sign_seal_ms, verify_ms = timed["sign_ms"], timed["sign_seal_ms"], timed["verify_ms"]
    key = ec.generate_private_key(ec.SECP256R1())
    digest_input = hashlib.sha256(pdf).digest()

    sha256_ms = _median_ms(lambda: hashlib.sha256(twice).digest(), runs * 5)
    raw_sign_ms = _median_ms(lambda: key.sign(digest_input, ec.ECDSA(hashes.SHA256())), runs * 5)
    attachments = {"附件1.txt": PARAGRAPH.encode() * 200, "附件2.bin": bytes(range(256)) * 400}
    package = build_package(pdf=twice, attachments=attachments, metadata={"title": "通知"}, signer=stamp)
    package_build_ms = _median_ms(
        lambda: build_package(pdf=twice, attachments=attachments, metadata={"title": "通知"}, signer=stamp),
        runs,
    )
    package_verify_ms = _median_ms(lambda: verify_package(package, trust_roots=trust), runs)
    metrics = {
        "pdf_source": source,
        "pages": pages,
        "pdf_kb": round(len(pdf) / 1024, 1),
        "signed_kb": round(len(twice) / 1024, 1),
        "runs": runs,
        "setup_ms": setup_ms,
        "sha256_ms": sha256_ms,
        "raw_ecdsa_ms": raw_sign_ms,
        "sign_ms": sign_ms,
        "sign_seal_ms": sign_seal_ms,
        "verify_ms": verify_ms,
        "sign_vs_sha256_ms": round(sign_ms / max(sha256_ms, 1e-6), 1),
        "sign_vs_raw_ecdsa": round(sign_ms / max(raw_sign_ms, 1e-6), 1),
        "verify_vs_sha256_ms": round(verify_ms / max(sha256_ms, 1e-6), 1),
        "package_build_ms": package_build_ms,
        "package_verify_ms": package_verify_ms,
    }
    if verbose:
        print(f"PDF: {pages} pages ({source}), {metrics['pdf_kb']} KB → signed twice {metrics['signed_kb']} KB")
        print(f"sign (签发, invisible)   {sign_ms:9.2f} ms  = {metrics['sign_vs_sha256_ms']}× SHA-256 of the file")
        print(f"sign (用印, seal stamp)  {sign_seal_ms:9.2f} ms")
        print(f"verify (2 signatures)    {verify_ms:9.2f} ms  = {metrics['verify_vs_sha256_ms']}× SHA-256")
        print(f"baselines: SHA-256 {sha256_ms:.3f} ms, raw ECDSA {raw_sign_ms:.3f} ms")
        print(f"package: build {package_build_ms:.2f} ms, verify {package_verify_ms:.2f} ms")
    return metrics
