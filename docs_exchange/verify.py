"""Verifying signed PDFs offline: who signed, when, intact since signing, trusted, whole file covered.

Validation never goes to the network: trust comes only from the root
certificates the caller passes (the server CA), revocation is not fetched.
A report is `ok` only when every signature is intact and trusted and the last
signature covers the whole file (anything after it fails loudly).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from docs_exchange.pki import SEAL_OU, load_pem_certificates, utc_now
from oa_client.errors import SignatureError
from oa_client.i18n import _

BEIJING = dt.timezone(dt.timedelta(hours=8))
_ALLOWED_LATER_CHANGES = (
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
)


def trust_roots_asn1(trust_roots: Iterable[bytes]) -> list[asn1_x509.Certificate]:
    """Parse PEM (or DER) root certificates for pyHanko."""
    roots: list[asn1_x509.Certificate] = []
    for blob in trust_roots:
        for cert in load_pem_certificates(blob):
            roots.append(asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)))
    return roots


def validation_context(
    trust_roots: Iterable[bytes], *, now: dt.datetime | None = None
) -> ValidationContext:
    """An offline validation context: only these roots, no fetching, at time `now`."""
    return ValidationContext(
        trust_roots=trust_roots_asn1(trust_roots),
        allow_fetching=False,
        moment=now or utc_now(),
        revocation_mode="soft-fail",
    )


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


@dataclass(frozen=True)
class CertificateInfo:
    """What a report says about a signing certificate."""

    name: str
    unit: str | None
    kind: str
    not_before: dt.datetime
    not_after: dt.datetime
    issuer: str

    def status_at(self, moment: dt.datetime) -> str:
        """`valid`, `expired` or `not_yet_valid` at `moment`."""
        if moment < self.not_before:
            return "not_yet_valid"
        if moment > self.not_after:
            return "expired"
        return "valid"


def describe_certificate(cert: x509.Certificate | asn1_x509.Certificate) -> CertificateInfo:
    """Name, unit, kind (seal/person) and validity period of a certificate."""
    if isinstance(cert, asn1_x509.Certificate):
        cert = x509.load_der_x509_certificate(cert.dump())
    subject = cert.subject
    kind = "seal" if _attr(subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == SEAL_OU else "person"
    return CertificateInfo(
        name=_attr(subject, NameOID.COMMON_NAME) or subject.rfc4514_string(),
        unit=_attr(subject, NameOID.ORGANIZATION_NAME),
        kind=kind,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        issuer=_attr(cert.issuer, NameOID.COMMON_NAME) or cert.issuer.rfc4514_string(),
    )


def _fmt_time(moment: dt.datetime | None) -> str:
    if moment is None:
        return _("未知")
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + _("（北京时间）")


def _fmt_day(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d")


@dataclass
class SignatureEntry:
    """One signature in a verified PDF and every finding about it."""

    field_name: str
    signer: CertificateInfo | None = None
    signing_time: dt.datetime | None = None
    reason: str | None = None
    intact: bool = False
    trusted: bool = False
    cert_status: str = "unknown"
    chain: list[str] = field(default_factory=list)
    covers_whole_file: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Intact, trusted, certificate in force and nothing else wrong."""
        return self.intact and self.trusted and self.cert_status == "valid" and not self.problems


@dataclass
class VerificationReport:
    """The result of verifying a PDF: one entry per signature plus file-level findings."""

    signatures: list[SignatureEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fully_covered: bool = False
    checked_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        """True only when there are signatures, all good, and the whole file is covered."""
        return (
            bool(self.signatures)
            and self.fully_covered
            and not self.problems
            and all(s.ok for s in self.signatures)
        )

    def raise_for_failure(self) -> None:
        """Raise SignatureError with the first finding when the report is not ok."""
        if not self.ok:
            findings = self.problems + [p for s in self.signatures for p in s.problems]
            raise SignatureError(
                findings[0] if findings else _("电子签名验证未通过"), findings=findings
            )

    def text(self) -> str:
        """A readable report in the current language."""
        lines = [
            _("电子签名验证结果：通过") if self.ok else _("电子签名验证结果：未通过"),
        ]
        if self.signatures:
            lines.append(_("文件中共有 {n} 个签名。").format(n=len(self.signatures)))
        for i, entry in enumerate(self.signatures, start=1):
            lines.extend(_entry_lines(i, entry))
        if self.problems:
            lines.append(_("文件问题："))
            lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)


def _entry_lines(i: int, entry: SignatureEntry) -> list[str]:
    signer = entry.signer
    if signer is None:
        who = _("无法识别签名人")
    elif signer.kind == "seal":
        who = _("{unit}（电子印章）").format(unit=signer.unit or signer.name)
    else:
        who = _("{name}（{unit}）").format(name=signer.name, unit=signer.unit or _("单位未知"))
    head = f"{i}. {who}"
    if entry.reason:
        head += _("，事由：{reason}").format(reason=entry.reason)
    lines = [head, "   " + _("签名时间（签名方声明）：{time}").format(time=_fmt_time(entry.signing_time))]
    lines.append(
        "   "
        + (
            _("完整性：自签名以来未被修改")
            if entry.intact
            else _("完整性：签名之后文件已被改动，签名无效")
        )
    )
    if entry.trusted:
        lines.append("   " + _("证书：受信任（{chain}）").format(chain=" → ".join(entry.chain)))
    else:
        lines.append("   " + _("证书：不受信任"))
    if signer is not None:
        lines.append(
            "   "
            + _("证书有效期：{start} 至 {end}").format(
                start=_fmt_day(signer.not_before), end=_fmt_day(signer.not_after)
            )
        )
    lines.extend(f"   - {p}" for p in entry.problems)
    return lines


def _coverage_end(sig: object) -> int:
    byte_range = sig.byte_range  # type: ignore[attr-defined]
    return int(byte_range[-2]) + int(byte_range[-1])


def _check_one(sig: object, vc: ValidationContext, moment: dt.datetime, *, last: bool) -> SignatureEntry:
    entry = SignatureEntry(field_name=str(getattr(sig, "field_name", "") or ""))
    try:
        reason = sig.sig_object.get("/Reason")  # type: ignore[attr-defined]
        entry.reason = str(reason) if reason else None
        entry.signer = describe_certificate(sig.signer_cert)  # type: ignore[attr-defined]
    except Exception:  # a mangled CMS blob: reported below by validation
        entry.signer = None
    try:
        status = validate_pdf_signature(sig, vc)  # type: ignore[arg-type]
    except Exception:
        try:  # the later revisions may be unreadable; the digest itself can still be checked
            status = validate_pdf_signature(sig, vc, skip_diff=True)  # type: ignore[arg-type]
        except Exception:
            entry.problems.append(_("签名数据已损坏，无法验证"))
            return entry
        entry.problems.append(_("签名之后文件结构被改动，无法读取改动的内容"))
    entry.intact = bool(status.intact and status.valid)
    entry.trusted = bool(status.trusted)
    entry.signing_time = status.signer_reported_dt
    if status.validation_path is not None:
        entry.chain = [describe_certificate(c).name for c in reversed(list(status.validation_path))]
    if not status.intact:
        entry.problems.append(_("签名之后文件内容被改动：摘要与签名不符"))
    elif not status.valid:
        entry.problems.append(_("签名值无效：签名数据被篡改或与证书不匹配"))
    if entry.signer is not None:
        entry.cert_status = entry.signer.status_at(moment)
        if entry.cert_status == "expired":
            entry.problems.append(
                _("签名证书已过期（有效期至 {day}）").format(day=_fmt_day(entry.signer.not_after))
            )
        elif entry.cert_status == "not_yet_valid":
            entry.problems.append(
                _("签名证书尚未生效（自 {day} 起生效）").format(day=_fmt_day(entry.signer.not_before))
            )
    indic = status.trust_problem_indic
    if not entry.trusted and entry.cert_status == "valid" and entry.intact:
        if indic in (AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND, None) or status.validation_path is None:
            entry.problems.append(_("签名证书不是由受信任的根证书签发，无法确认签名人身份"))
        elif indic in (AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE):
            entry.problems.append(_("签名证书已被吊销"))
        else:
            entry.problems.append(
                _("签名证书未通过校验（{why}）").format(why=getattr(indic, "name", str(indic)))
            )
    coverage = status.coverage
    entry.covers_whole_file = coverage == SignatureCoverageLevel.ENTIRE_FILE
    if not last:
        level = status.modification_level
        if coverage != SignatureCoverageLevel.ENTIRE_REVISION or level not in _ALLOWED_LATER_CHANGES:
            entry.problems.append(_("这个签名之后文件被修改过，改动不只是追加签名"))
    return entry


def verify_pdf(
    pdf: bytes, *, trust_roots: list[bytes], now: dt.datetime | None = None
) -> VerificationReport:
    """Verify every signature in `pdf` against `trust_roots` (PEM) at `now`, offline."""
    moment = now or utc_now()
    report = VerificationReport(checked_at=moment)
    if b"%PDF-" not in pdf[:1024]:
        report.problems.append(_("这不是 PDF 文件，无法验证签名"))
        return report
    try:
        vc = validation_context(trust_roots, now=moment)
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
    for index, sig in enumerate(signatures):
        last = index == len(signatures) - 1
        report.signatures.append(_check_one(sig, vc, moment, last=last))
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
