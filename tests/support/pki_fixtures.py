"""Shared test material for seals, signatures and exchange packages (cached per test run)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from functools import cache

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from docs_exchange.crl import RevokedEntry, issue_crl
from docs_exchange.pki import CertificateAuthority, Credential
from docs_exchange.seal import draw_seal
from docs_exchange.signing import PadesSigner, SealAnchor

UNIT = "普宁市政务服务数据管理局"
OFFICIAL = "张三"
SEAL_ANCHOR = SealAnchor(page=1, x_pt=360, y_pt=300, width_pt=120, height_pt=120)


@cache
def ca() -> CertificateAuthority:
    """The server CA everyone trusts in these tests."""
    return CertificateAuthority.create("普宁市电子政务根证书")


@cache
def other_ca() -> CertificateAuthority:
    """A CA nobody trusts (same name as the real one, different key)."""
    return CertificateAuthority.create("普宁市电子政务根证书")


@cache
def person() -> Credential:
    """An official's signing credential (签发)."""
    return ca().issue(OFFICIAL, kind="person", unit=UNIT)


@cache
def seal() -> Credential:
    """The unit's seal credential (用印)."""
    return ca().issue(UNIT, kind="seal")


@cache
def seal_png() -> bytes:
    """The unit's drawn seal image."""
    return draw_seal(unit_name=UNIT, bottom_text="公文专用章", size_px=300)


@cache
def sample_pdf(pages: int = 2) -> bytes:
    """A small unsigned PDF with `pages` pages."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    for i in range(pages):
        c.setFont("Helvetica", 14)
        c.drawString(90, 760, f"Test document, page {i + 1}")
        c.drawString(90, 740, "Lorem ipsum dolor sit amet. " * 2)
        c.showPage()
    c.save()
    return buf.getvalue()


@cache
def signed_once() -> bytes:
    """The sample PDF with the official's invisible 签发 signature."""
    return PadesSigner(person()).sign_pdf(
        sample_pdf(), anchor=None, stamp_png=None, reason="签发", location=None, field_name="SignOff"
    )


@cache
def signed_twice() -> bytes:
    """签发 by the official, then 用印 by the unit seal with its visible stamp."""
    return PadesSigner(seal()).sign_pdf(
        signed_once(),
        anchor=SEAL_ANCHOR,
        stamp_png=seal_png(),
        reason="用印",
        location="普宁",
        field_name="Seal",
    )


def trust() -> list[bytes]:
    """The trust roots for the good CA."""
    return [ca().cert_pem]


def flip(data: bytes, pos: int) -> bytes:
    """`data` with one bit changed at `pos`."""
    out = bytearray(data)
    out[pos] ^= 0x01
    return bytes(out)


def clock_at(moment: dt.datetime):
    """A fixed clock for a CA (to make certificates that are expired today)."""
    return lambda: moment


def rezip(
    data: bytes,
    *,
    replace: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    add: dict[str, bytes] | None = None,
) -> bytes:
    """Rewrite a zip with some members replaced, dropped or added (for tampering tests)."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info, replace.get(info.filename, src.read(info)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


# --- long-term seals: the CA's time-stamping authority, CRLs, a GB/T 9704 layout PDF ----------

TSA_NAME = "普宁市电子政务时间戳服务"


@cache
def tsa() -> Credential:
    """The CA's time-stamping authority."""
    return ca().issue_tsa(TSA_NAME)


def crl(*revoked: RevokedEntry, at: dt.datetime | None = None, authority: CertificateAuthority | None = None) -> bytes:
    """A CRL (DER) of the good CA (or `authority`) listing `revoked`, issued at `at` (default now)."""
    return issue_crl(authority or ca(), revoked=revoked, number=1, this_update=at)


@cache
def layout_pdf() -> bytes:
    """A short 通知 as the GB/T 9704 layout writes it (PDF 1.7, with a seal anchor)."""
    return _layout().pdf


@cache
def _layout():  # type: ignore[no-untyped-def]
    from docs_exchange.model import OfficialDocument
    from docs_exchange.pdf import render_pdf

    doc = OfficialDocument(
        issuer_mark=UNIT + "文件", doc_number="普数〔2026〕12号", title="关于做好政务数据共享工作的通知",
        main_to="各镇人民政府：", body=["请按要求做好数据共享工作。"], issuer_name=UNIT,
        date=dt.date(2026, 11, 20),
    )
    return render_pdf(doc)


def layout_anchor() -> object:
    """Where the layout wants the seal."""
    return _layout().seal_anchor


def seal_long_term(
    pdf: bytes,
    *,
    credential: Credential | None = None,
    anchor: object | None = None,
    clock=None,  # type: ignore[no-untyped-def]
    timestamp_by: Credential | None = None,
    crls: tuple[bytes, ...] | None = None,
    with_timestamp: bool = True,
) -> bytes:
    """用印 as the server does it: lock the document, RFC 3161 time-stamp, chain and CRL embedded."""
    from docs_exchange.pki import utc_now
    from docs_exchange.signing import LongTermMaterial
    from docs_exchange.tsa import TimestampAuthority

    clock = clock or utc_now
    cred = credential or seal()
    stamper = TimestampAuthority(timestamp_by or tsa(), clock=clock) if with_timestamp else None
    material = LongTermMaterial(
        certificates=((timestamp_by or tsa()).certificate,),
        crls=crls if crls is not None else (crl(at=clock() - dt.timedelta(minutes=1)),),
    )
    return PadesSigner(cred, clock=clock, timestamper=stamper, long_term=material).sign_pdf(
        pdf, anchor=anchor or SEAL_ANCHOR, stamp_png=seal_png(), reason="用印", location=None,
        field_name="Seal", lock=True,
    )
