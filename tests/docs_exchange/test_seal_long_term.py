"""A seal that holds for years: it locks the document, carries a time-stamp and its CRL and chain.

Every change after the seal fails and says what changed; an expired seal certificate
still verifies thanks to the time-stamp; a certificate revoked before the time-stamp
fails, one revoked after it does not; the 签发 signature under the seal stays valid.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation.dss import DocumentSecurityStore

from docs_exchange.crl import RevokedEntry
from docs_exchange.signing import PadesSigner
from docs_exchange.verify import verify_pdf
from oa_client.errors import SignatureError
from tests.support import pki_fixtures as fx


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sealed_layout() -> bytes:
    return fx.seal_long_term(fx.layout_pdf(), anchor=fx.layout_anchor())


def _declared_version(pdf: bytes) -> str:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    declared = reader.root.get("/Version")
    return str(declared).lstrip("/") if declared is not None else pdf[5:8].decode()


def test_a_seal_on_the_layout_certifies_it_and_keeps_pdf_1_7() -> None:
    original = fx.layout_pdf()
    before = dt.datetime.now(dt.UTC)
    sealed = _sealed_layout()
    after = dt.datetime.now(dt.UTC)
    assert original.startswith(b"%PDF-1.7") and sealed.startswith(original)
    assert _declared_version(sealed) == "1.7"
    reader = PdfFileReader(io.BytesIO(sealed), strict=False)
    docmdp = reader.root["/Perms"]["/DocMDP"].get_object()
    assert docmdp["/Reference"][0]["/TransformParams"]["/P"] == 1  # no changes allowed
    report = verify_pdf(sealed, trust_roots=fx.trust())
    assert report.ok, report.text()
    (seal,) = report.signatures
    assert seal.locks_document and seal.covers_whole_file and report.fully_covered
    assert seal.timestamp_ok and seal.timestamp is not None
    assert before <= seal.timestamp <= after  # the TSA's clock, at sealing
    assert seal.revocation_checked and seal.revoked_at is None
    assert "锁定：加盖后文件不允许任何改动" in report.text()


def test_the_validation_material_is_inside_the_signed_revision() -> None:
    sealed = _sealed_layout()
    reader = PdfFileReader(io.BytesIO(sealed), strict=False)
    dss = DocumentSecurityStore.read_dss(reader)
    subjects = {c.subject.native["common_name"] for c in dss.load_certs()}
    assert {fx.UNIT, fx.TSA_NAME, "普宁市电子政务根证书"} <= subjects
    assert len(dss.crls) == 1
    (sig,) = reader.embedded_regular_signatures
    assert sig.signed_revision == reader.total_revisions - 1  # nothing appended after the seal


def test_sign_off_then_seal_both_verify_and_the_seal_locks() -> None:
    sealed = fx.seal_long_term(fx.signed_once())
    report = verify_pdf(sealed, trust_roots=fx.trust())
    assert report.ok, report.text()
    official, seal = report.signatures
    assert not official.locks_document and seal.locks_document
    # /Lock /P on an approval signature is PDF 2.0: the one case the version is raised
    assert _declared_version(sealed) == "2.0"
    assert _declared_version(fx.signed_once()) != "2.0"


def test_nothing_can_be_signed_after_the_seal() -> None:
    for sealed in (_sealed_layout(), fx.seal_long_term(fx.signed_once())):
        with pytest.raises(SignatureError, match="已加盖印章并锁定") as err:
            PadesSigner(fx.person()).sign_pdf(
                sealed, anchor=None, stamp_png=None, reason="签发", location=None, field_name=None
            )
        assert err.value.reason == "locked"


def _add_annotation(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref, _res = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    annot = writer.add_object(generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/FreeText"),
        generic.pdf_name("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (100, 500, 400, 540)]),
        generic.pdf_name("/Contents"): generic.TextStringObject("本文件作废"),
        generic.pdf_name("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
    }))
    annots = page.get("/Annots")
    if annots is None:
        page[generic.pdf_name("/Annots")] = generic.ArrayObject([annot])
    else:
        annots.get_object().append(annot)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_signature_field(pdf: bytes, *, signed: bool) -> bytes:
    """What the insider did: a new signature field whose box sits over the sealed body."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    spec = fields.SigFieldSpec(sig_field_name="Signature9", on_page=0, box=(90, 500, 450, 560))
    out = io.BytesIO()
    if not signed:
        fields.append_signature_field(writer, spec)
        writer.write(out)
        return out.getvalue()
    person = fx.person()
    cms_signer = PadesSigner(person)._signer  # the raw pyHanko signer: no lock check of ours
    meta = signers.PdfSignatureMetadata(field_name="Signature9", subfilter=fields.SigSeedSubFilter.PADES)
    signers.PdfSigner(meta, signer=cms_signer, new_field_spec=spec).sign_pdf(writer, output=out)
    return out.getvalue()


@pytest.mark.parametrize("layout", [True, False], ids=["certified", "locked-after-sign-off"])
def test_any_change_after_the_seal_fails_and_says_what(layout: bool) -> None:
    sealed = _sealed_layout() if layout else fx.seal_long_term(fx.signed_once())
    annotated = verify_pdf(_add_annotation(sealed), trust_roots=fx.trust())
    assert not annotated.ok
    seal = annotated.signatures[-1]
    assert seal.intact and seal.trusted  # the seal's bytes are untouched ...
    assert any("第 1 页新增了 1 个批注（FreeText）" in p for p in seal.problems), seal.problems
    assert "加盖印章之后文件又被改动" in annotated.text()
    field = verify_pdf(_add_signature_field(sealed, signed=False), trust_roots=fx.trust())
    assert not field.ok
    assert any("新增了签名域：Signature9" in p for p in field.signatures[-1].problems)


def test_a_signature_added_after_the_seal_fails_though_it_is_itself_valid() -> None:
    sealed = fx.seal_long_term(fx.signed_once())
    tampered = _add_signature_field(sealed, signed=True)
    report = verify_pdf(tampered, trust_roots=fx.trust())
    assert not report.ok
    official, seal, added = report.signatures
    assert official.ok and added.intact and added.trusted
    assert not seal.ok and seal.changes_after
    assert any("新增了签名域：Signature9" in p for p in seal.problems)


def test_an_expired_seal_still_verifies_thanks_to_its_timestamp() -> None:
    short = fx.ca().issue(fx.UNIT, kind="seal", valid_days=30)
    before = dt.datetime.now(dt.UTC)
    sealed = fx.seal_long_term(fx.layout_pdf(), credential=short, anchor=fx.layout_anchor())
    years_later = before + dt.timedelta(days=3 * 365)
    assert years_later > short.certificate.not_valid_after_utc
    report = verify_pdf(sealed, trust_roots=fx.trust(), now=years_later)
    assert report.ok, report.text()
    (seal,) = report.signatures
    assert seal.timestamp is not None and before <= seal.timestamp <= dt.datetime.now(dt.UTC)
    assert seal.validated_at == seal.timestamp and seal.validated_by_timestamp
    assert "证书状态按时间戳证明的签名时间" in report.text()
    # the same seal without a time-stamp fails that day: nothing proves when it was made
    bare = fx.seal_long_term(fx.layout_pdf(), credential=short, anchor=fx.layout_anchor(),
                             with_timestamp=False)
    assert verify_pdf(bare, trust_roots=fx.trust()).ok
    report = verify_pdf(bare, trust_roots=fx.trust(), now=years_later)
    assert not report.ok
    assert re.search(r"签名证书已过期（有效期至 \d{4}-\d\d-\d\d）", report.text())


def test_the_sign_off_under_a_seal_outlives_the_officials_certificate() -> None:
    official = fx.ca().issue(fx.OFFICIAL, kind="person", unit=fx.UNIT, valid_days=30)
    once = PadesSigner(official).sign_pdf(
        fx.sample_pdf(), anchor=None, stamp_png=None, reason="签发", location=None, field_name="SignOff"
    )
    sealed = fx.seal_long_term(once)
    later = _now() + dt.timedelta(days=400)
    report = verify_pdf(sealed, trust_roots=fx.trust(), now=later)
    assert report.ok, report.text()
    sign_off, seal = report.signatures
    assert sign_off.timestamp is None and sign_off.validated_by_timestamp
    assert sign_off.validated_at == seal.timestamp
    # without the seal, the 签发 alone is judged that day and its certificate has expired
    assert not verify_pdf(once, trust_roots=fx.trust(), now=later).ok


def test_a_certificate_revoked_before_the_timestamp_fails() -> None:
    cred = fx.ca().issue(fx.UNIT, kind="seal")
    sealed = fx.seal_long_term(fx.layout_pdf(), credential=cred, anchor=fx.layout_anchor())
    revoked = RevokedEntry(serial=cred.certificate.serial_number,
                           revoked_at=_now() - dt.timedelta(hours=1), reason="key_compromise")
    report = verify_pdf(sealed, trust_roots=fx.trust(), crls=[fx.crl(revoked)])
    assert not report.ok
    (seal,) = report.signatures
    assert seal.intact and not seal.trusted and seal.revoked_at is not None
    assert any("被吊销，早于签名时间" in p for p in seal.problems), seal.problems
    # the same revocation embedded by whoever sealed with the stolen key fails as well
    embedded = fx.seal_long_term(fx.layout_pdf(), credential=cred, anchor=fx.layout_anchor(),
                                 crls=(fx.crl(revoked),))
    assert not verify_pdf(embedded, trust_roots=fx.trust()).ok


def test_a_certificate_revoked_after_the_timestamp_still_holds() -> None:
    cred = fx.ca().issue(fx.UNIT, kind="seal")
    sealed = fx.seal_long_term(fx.layout_pdf(), credential=cred, anchor=fx.layout_anchor())
    later = RevokedEntry(serial=cred.certificate.serial_number,
                         revoked_at=_now() + dt.timedelta(days=2), reason="superseded")
    at = _now() + dt.timedelta(days=10)
    report = verify_pdf(sealed, trust_roots=fx.trust(), now=at,
                        crls=[fx.crl(later, at=at - dt.timedelta(hours=1))])
    assert report.ok, report.text()
    assert report.signatures[0].revocation_checked and report.signatures[0].revoked_at is None


def test_a_crl_not_signed_by_the_root_is_ignored() -> None:
    cred = fx.ca().issue(fx.UNIT, kind="seal")
    sealed = fx.seal_long_term(fx.layout_pdf(), credential=cred, anchor=fx.layout_anchor())
    fake = fx.crl(RevokedEntry(serial=cred.certificate.serial_number,
                               revoked_at=_now() - dt.timedelta(days=1)), authority=fx.other_ca())
    assert verify_pdf(sealed, trust_roots=fx.trust(), crls=[fake]).ok


def test_a_timestamp_from_an_untrusted_authority_fails() -> None:
    rogue_tsa = fx.other_ca().issue_tsa(fx.TSA_NAME)
    sealed = fx.seal_long_term(fx.layout_pdf(), anchor=fx.layout_anchor(), timestamp_by=rogue_tsa)
    report = verify_pdf(sealed, trust_roots=fx.trust())
    assert not report.ok
    assert report.signatures[0].timestamp_ok is False
    assert "时间戳无效或不是由受信任的时间戳服务签发" in report.text()


def test_an_rsa_seal_with_an_rsa_time_stamp_fits_the_room_reserved_for_it() -> None:
    from docs_exchange.pki import CertificateAuthority

    ca = CertificateAuthority.create("RSA 根证书", key_type="rsa")
    seal = ca.issue(fx.UNIT, kind="seal", key_type="rsa")
    tsa = ca.issue_tsa("RSA 时间戳服务", key_type="rsa")
    sealed = fx.seal_long_term(fx.layout_pdf(), credential=seal, anchor=fx.layout_anchor(), timestamp_by=tsa,
                               crls=(fx.crl(authority=ca),))
    report = verify_pdf(sealed, trust_roots=[ca.cert_pem])
    assert report.ok, report.text()
    assert report.signatures[0].timestamp_ok and report.signatures[0].revocation_checked
