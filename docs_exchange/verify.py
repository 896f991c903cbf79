"""Verifying signed PDFs offline: who signed, when, intact since signing, trusted, whole file covered.

Validation never goes to the network: trust comes only from the root
certificates the caller passes (the server CA), revocation from the CRLs the
file embeds and those the caller passes. Each signature is judged as of the time
a time-stamp proves (its own, or a later seal's), so a seal verifies after its
certificate expired and a certificate revoked after signing does not undo it.
A report is `ok` only when every signature is intact and trusted, the last
signature covers the whole file, and nothing changed after a signature that
locks the document (a seal): anything after it fails loudly, saying what.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Iterable

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from docs_exchange.pki import load_pem_certificates, utc_now
from docs_exchange.verify_changes import describe_later_changes
from docs_exchange.verify_ltv import (
    CLOCK_SKEW,
    Evidence,
    context_at,
    gather_evidence,
    proof_times,
    revocation_time,
    signer_certificate,
    signer_issuer,
)
from docs_exchange.verify_report import (
    BEIJING,
    CertificateInfo,
    SignatureEntry,
    VerificationReport,
    describe_certificate,
    fmt_day,
    fmt_time,
)
from oa_client.i18n import _

__all__ = [
    "BEIJING",
    "CertificateInfo",
    "SignatureEntry",
    "VerificationReport",
    "describe_certificate",
    "trust_roots_asn1",
    "validation_context",
    "verify_pdf",
]

_ALLOWED_LATER_CHANGES = (
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
)
_REVOKED = (AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE)


def _root_certs(trust_roots: Iterable[bytes]) -> list[x509.Certificate]:
    return [cert for blob in trust_roots for cert in load_pem_certificates(blob)]


def trust_roots_asn1(trust_roots: Iterable[bytes]) -> list[asn1_x509.Certificate]:
    """Parse PEM (or DER) root certificates for pyHanko."""
    return [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in _root_certs(trust_roots)]


def validation_context(
    trust_roots: Iterable[bytes], *, now: dt.datetime | None = None, crls: Iterable[bytes] = ()
) -> ValidationContext:
    """An offline validation context: only these roots, no fetching, at time `now`.

    With CRLs (signed by one of the roots) revocation is checked against them.
    """
    roots = list(trust_roots)
    evidence = gather_evidence(None, crls, _root_certs(roots))
    context, _checked = context_at(trust_roots_asn1(roots), evidence, moment=now or utc_now(), issuer=None)
    return context


def _coverage_end(sig: object) -> int:
    byte_range = sig.byte_range  # type: ignore[attr-defined]
    return int(byte_range[-2]) + int(byte_range[-1])


def _read_identity(entry: SignatureEntry, sig: object) -> None:
    try:
        reason = sig.sig_object.get("/Reason")  # type: ignore[attr-defined]
        entry.reason = str(reason) if reason else None
        entry.signer = describe_certificate(sig.signer_cert)  # type: ignore[attr-defined]
    except Exception:  # a mangled CMS blob: reported below by validation
        entry.signer = None


def _validate(sig: object, vc: ValidationContext, entry: SignatureEntry) -> object | None:
    with contextlib.suppress(Exception):
        return validate_pdf_signature(sig, vc, ts_validation_context=vc)  # type: ignore[arg-type]
    try:  # the later revisions may be unreadable; the digest itself can still be checked
        status = validate_pdf_signature(sig, vc, ts_validation_context=vc, skip_diff=True)  # type: ignore[arg-type]
    except Exception:
        entry.problems.append(_("签名数据已损坏，无法验证"))
        return None
    entry.problems.append(_("签名之后文件结构被改动，无法读取改动的内容"))
    return status


def _judge_time(entry: SignatureEntry, status: object, proof: dt.datetime | None, now: dt.datetime) -> None:
    """Record the time-stamp's verdict and the moment the certificate was judged at."""
    tst = getattr(status, "timestamp_validity", None)
    if tst is not None:
        entry.timestamp = tst.timestamp
        entry.timestamp_ok = bool(tst.intact and tst.valid and tst.trusted)
        if not entry.timestamp_ok:
            entry.problems.append(_("签名所带的时间戳无效或不是由受信任的时间戳服务签发"))
    entry.validated_at = proof or now
    entry.validated_by_timestamp = proof is not None


def _judge_certificate(
    entry: SignatureEntry, status: object, evidence: Evidence, sig: object, revocation_checked: bool
) -> None:
    moment = entry.validated_at or utc_now()
    entry.revocation_checked = revocation_checked
    if entry.signer is not None:
        entry.cert_status = entry.signer.status_at(moment)
        if entry.cert_status == "expired":
            entry.problems.append(
                _("签名证书已过期（有效期至 {day}）").format(day=fmt_day(entry.signer.not_after))
            )
        elif entry.cert_status == "not_yet_valid":
            entry.problems.append(
                _("签名证书尚未生效（自 {day} 起生效）").format(day=fmt_day(entry.signer.not_before))
            )
    indic = getattr(status, "trust_problem_indic", None)
    revoked = revocation_time(evidence, signer_certificate(sig))
    if revoked is not None and revoked <= moment:
        entry.revoked_at = revoked
    if entry.trusted or entry.cert_status != "valid" or not entry.intact:
        return
    if entry.revoked_at is not None or indic in _REVOKED:
        entry.problems.append(
            _("签名证书已于 {time} 被吊销，早于签名时间 {signed}，签名无效").format(
                time=fmt_time(entry.revoked_at), signed=fmt_time(moment)
            )
        )
    elif indic in (AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND, None) or getattr(
        status, "validation_path", None
    ) is None:
        entry.problems.append(_("签名证书不是由受信任的根证书签发，无法确认签名人身份"))
    else:
        entry.problems.append(
            _("签名证书未通过校验（{why}）").format(why=getattr(indic, "name", str(indic)))
        )


def _judge_changes(
    entry: SignatureEntry, status: object, sig: object, reader: PdfFileReader, *, last: bool
) -> None:
    coverage = getattr(status, "coverage", None)
    entry.covers_whole_file = coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = getattr(sig, "docmdp_level", None)
    entry.locks_document = level == MDPPerm.NO_CHANGES
    later = describe_later_changes(reader, sig.signed_revision)  # type: ignore[attr-defined]
    if entry.locks_document and (later or not getattr(status, "docmdp_ok", True)):
        entry.changes_after = later or [_("签名之后文件被改动")]
        what = "；".join(entry.changes_after)
        if entry.signer is not None and entry.signer.kind == "seal":
            entry.problems.append(_("加盖印章之后文件又被改动，印章已失效：{what}").format(what=what))
        else:
            entry.problems.append(_("锁定签名之后文件又被改动，签名已失效：{what}").format(what=what))
        return
    if last:
        return
    modification = getattr(status, "modification_level", None)
    if coverage != SignatureCoverageLevel.ENTIRE_REVISION or modification not in _ALLOWED_LATER_CHANGES:
        entry.problems.append(_("这个签名之后文件被修改过，改动不只是追加签名"))


def _check_one(
    sig: object,
    reader: PdfFileReader,
    roots: list[asn1_x509.Certificate],
    evidence: Evidence,
    *,
    proof: dt.datetime | None,
    now: dt.datetime,
    last: bool,
) -> SignatureEntry:
    entry = SignatureEntry(field_name=str(getattr(sig, "field_name", "") or ""))
    _read_identity(entry, sig)
    if proof is not None and proof > now + CLOCK_SKEW:
        entry.problems.append(_("时间戳晚于当前时间，请检查本机时钟"))
        proof = None
    moment = proof or now
    vc, checked = context_at(roots, evidence, moment=moment, issuer=signer_issuer(sig))
    status = _validate(sig, vc, entry)
    if status is None:
        return entry
    entry.intact = bool(status.intact and status.valid)  # type: ignore[attr-defined]
    entry.trusted = bool(status.trusted)  # type: ignore[attr-defined]
    entry.signing_time = status.signer_reported_dt  # type: ignore[attr-defined]
    path = status.validation_path  # type: ignore[attr-defined]
    if path is not None:
        entry.chain = [describe_certificate(c).name for c in reversed(list(path))]
    if not status.intact:  # type: ignore[attr-defined]
        entry.problems.append(_("签名之后文件内容被改动：摘要与签名不符"))
    elif not status.valid:  # type: ignore[attr-defined]
        entry.problems.append(_("签名值无效：签名数据被篡改或与证书不匹配"))
    _judge_time(entry, status, proof, now)
    _judge_certificate(entry, status, evidence, sig, checked)
    _judge_changes(entry, status, sig, reader, last=last)
    return entry


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots: list[bytes],
    now: dt.datetime | None = None,
    crls: Iterable[bytes] = (),
) -> VerificationReport:
    """Verify every signature in `pdf` against `trust_roots` (PEM) at `now`, offline.

    `crls` (DER or PEM, e.g. the CA's latest) join the CRLs the file embeds.
    """
    moment = now or utc_now()
    report = VerificationReport(checked_at=moment)
    if b"%PDF-" not in pdf[:1024]:
        report.problems.append(_("这不是 PDF 文件，无法验证签名"))
        return report
    try:
        roots = _root_certs(trust_roots)
    except Exception as exc:
        report.problems.append(str(exc))
        return report
    if not trust_roots:
        report.problems.append(_("没有指定受信任的根证书，无法确认签名人身份"))
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = sorted(reader.embedded_regular_signatures, key=_coverage_end)
    except Exception:
        report.problems.append(_("PDF 文件已损坏，无法读取其中的签名"))
        return report
    if not signatures:
        report.problems.append(_("文件中没有电子签名或电子印章"))
        return report
    try:
        evidence = gather_evidence(reader, crls, roots)
    except Exception as exc:  # a CRL the caller passed is unreadable
        report.problems.append(str(exc))
        return report
    roots_asn1 = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in roots]
    proofs = proof_times(signatures)
    for index, sig in enumerate(signatures):
        report.signatures.append(
            _check_one(
                sig, reader, roots_asn1, evidence,
                proof=proofs[index], now=moment, last=index == len(signatures) - 1,
            )
        )
    last_end = _coverage_end(signatures[-1])
    report.fully_covered = report.signatures[-1].covers_whole_file and last_end == len(pdf)
    if not report.fully_covered:
        if last_end < len(pdf):
            report.problems.append(
                _("最后一个签名之后文件又被追加或修改了 {n} 字节，这部分内容未经签名").format(
                    n=len(pdf) - last_end
                )
            )
        else:
            report.problems.append(_("签名没有覆盖整个文件"))
    return report
