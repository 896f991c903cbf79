"""What verifying a signed PDF found: one entry per signature, file-level findings, readable text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import NameOID

from docs_exchange.pki import SEAL_OU
from oa_client.errors import SignatureError
from oa_client.i18n import _

BEIJING = dt.timezone(dt.timedelta(hours=8))


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


def fmt_time(moment: dt.datetime | None) -> str:
    """A moment in Beijing time for reports."""
    if moment is None:
        return _("未知")
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + _("（北京时间）")


def fmt_day(moment: dt.datetime) -> str:
    """A day in Beijing time for reports."""
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
    #: the time-stamp authority's time for this signature (None: it carries no token)
    timestamp: dt.datetime | None = None
    timestamp_ok: bool | None = None
    #: the moment certificate validity and revocation were judged at
    validated_at: dt.datetime | None = None
    validated_by_timestamp: bool = False
    revocation_checked: bool = False
    revoked_at: dt.datetime | None = None
    #: the signature forbids every later change (a seal's certification or field lock)
    locks_document: bool = False
    changes_after: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Intact, trusted, certificate in force when it counted, and nothing else wrong."""
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


def _who(signer: CertificateInfo | None) -> str:
    if signer is None:
        return _("无法识别签名人")
    if signer.kind == "seal":
        return _("{unit}（电子印章）").format(unit=signer.name or signer.unit)
    return _("{name}（{unit}）").format(name=signer.name, unit=signer.unit or _("单位未知"))


def _entry_lines(i: int, entry: SignatureEntry) -> list[str]:
    signer = entry.signer
    head = f"{i}. {_who(signer)}"
    if entry.reason:
        head += _("，事由：{reason}").format(reason=entry.reason)
    lines = [head, "   " + _("签名时间（签名方声明）：{time}").format(time=fmt_time(entry.signing_time))]
    if entry.timestamp is not None:
        lines.append(
            "   "
            + (
                _("时间戳：{time}（时间戳服务签发，有效）")
                if entry.timestamp_ok
                else _("时间戳：{time}（无法确认）")
            ).format(time=fmt_time(entry.timestamp))
        )
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
                start=fmt_day(signer.not_before), end=fmt_day(signer.not_after)
            )
        )
    lines.extend("   " + line for line in _time_lines(entry))
    if entry.locks_document:
        lines.append("   " + _("锁定：加盖后文件不允许任何改动"))
    lines.extend(f"   - {p}" for p in entry.problems)
    return lines


def _time_lines(entry: SignatureEntry) -> list[str]:
    lines: list[str] = []
    if entry.validated_at is not None and entry.validated_by_timestamp:
        lines.append(
            _("证书状态按时间戳证明的签名时间 {time} 核验").format(time=fmt_time(entry.validated_at))
        )
    if entry.revoked_at is not None:
        lines.append(_("吊销状态：证书已于 {time} 被吊销").format(time=fmt_time(entry.revoked_at)))
    elif entry.revocation_checked:
        lines.append(_("吊销状态：未被吊销（依据根证书机构的吊销列表）"))
    else:
        lines.append(_("吊销状态：未核验（没有可用的证书吊销列表）"))
    return lines
