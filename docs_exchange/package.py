"""公文交换包: a zip with the signed PDF, attachments, metadata and a signed manifest.

Layout: `document.pdf`, `attachments/<name>`, `metadata.json` (the sending
unit, the 公文 elements plus size and SHA-256 of every file), `manifest.json`
(SHA-256 of every other file) and `manifest.sig` (a detached CMS signature over
manifest.json carrying the signer's certificate chain). A received package is
checked before anything is unpacked: zip structure and sizes, names (no paths
out of the package), the manifest signature and trust, that the signer is the
sending unit's seal (a certificate of another unit of the same CA is refused),
every hash, and the signatures inside the PDF.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any, Protocol

from asn1crypto import cms
from cryptography import x509
from pyhanko.sign.validation import async_validate_detached_cms

from docs_exchange.pki import utc_now
from docs_exchange.verify import (
    CertificateInfo,
    VerificationReport,
    describe_certificate,
    validation_context,
    verify_pdf,
)
from oa_client.errors import ValidationError
from oa_client.i18n import _

PACKAGE_FORMAT = "oa-exchange-package/1"
DOCUMENT = "document.pdf"
METADATA = "metadata.json"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
ATTACHMENTS = "attachments/"
_FIXED = (DOCUMENT, METADATA, MANIFEST, SIGNATURE)
_BAD_NAME_CHARS = set('/\\:*?"<>|')
_SMALL_FILE_BYTES = 1024 * 1024
_MAX_JSON_BYTES = 4 * 1024 * 1024


class ManifestSigner(Protocol):
    """What building a package needs from a signer: a certificate and a detached CMS."""

    @property
    def certificate(self) -> x509.Certificate:
        """The signing certificate."""
        ...

    def sign_detached(self, data: bytes) -> bytes:
        """A detached CMS (DER) signature over `data`."""
        ...


@dataclass(frozen=True)
class PackageLimits:
    """Size limits a received package must respect (zip-bomb guard)."""

    max_package_bytes: int = 512 * 1024 * 1024
    max_file_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    max_files: int = 500
    max_ratio: int = 200


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_attachment_name(name: str) -> str:
    clean = unicodedata.normalize("NFC", name or "")
    if (
        not clean
        or len(clean) > 120
        or clean != clean.strip(" .")
        or clean in (".", "..")
        or any(ch in _BAD_NAME_CHARS or ord(ch) < 32 for ch in clean)
    ):
        raise ValidationError(
            _("附件名称“{name}”不合适：不能为空、不能含有 / \\ : * ? \" < > | 等字符，且不超过 120 个字").format(
                name=name
            ),
            field="attachments",
        )
    return clean


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")


def build_package(
    *,
    pdf: bytes,
    attachments: dict[str, bytes],
    metadata: dict[str, Any],
    signer: ManifestSigner,
    created_at: dt.datetime | None = None,
    sender_unit: str | None = None,
) -> bytes:
    """Build a signed exchange package (zip bytes) from the signed PDF, attachments and 公文 elements.

    `sender_unit` names the sending unit (default: the unit on the signer's certificate).
    """
    if not pdf.startswith(b"%PDF-"):
        raise ValidationError(_("交换包的正文必须是 PDF 文件"), field="pdf")
    files: dict[str, bytes] = {DOCUMENT: pdf}
    for name, content in attachments.items():
        path = ATTACHMENTS + _check_attachment_name(name)
        if path in files:
            raise ValidationError(
                _("附件名称“{name}”重复").format(name=name), field="attachments"
            )
        files[path] = bytes(content)
    try:
        elements = json.loads(json.dumps(metadata, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            _("公文要素只能包含文字、数字、列表等普通数据"), field="metadata"
        ) from exc
    moment = (created_at or utc_now()).astimezone(dt.UTC)
    described = {p: {"size": len(b), "sha256": _sha256(b)} for p, b in files.items()}
    named = named_issuers(elements)
    sender = (sender_unit or (named[0] if named else describe_certificate(signer.certificate).unit) or "").strip()
    if not sender:
        raise ValidationError(_("交换包必须写明发文单位"), field="sender_unit")
    files[METADATA] = _json_bytes(
        {"format": PACKAGE_FORMAT, "sender": {"unit": sender}, "elements": elements, "files": described}
    )
    manifest = _json_bytes(
        {
            "format": PACKAGE_FORMAT,
            "created_at": moment.isoformat(),
            "files": {p: _sha256(b) for p, b in files.items()},
        }
    )
    files[MANIFEST] = manifest
    files[SIGNATURE] = signer.sign_detached(manifest)
    out = io.BytesIO()
    stamp = moment.astimezone(dt.timezone(dt.timedelta(hours=8))).timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files, key=lambda p: (p not in _FIXED, p)):
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.flag_bits |= 0x800  # names are UTF-8
            zf.writestr(info, files[path])
    return out.getvalue()


@dataclass
class PackageReport:
    """The verdict on a received package; contents are filled only when it verifies."""

    problems: list[str] = field(default_factory=list)
    signer: CertificateInfo | None = None
    sender_unit: str | None = None
    signature_valid: bool = False
    signer_trusted: bool = False
    metadata: dict[str, Any] | None = None
    document_report: VerificationReport | None = None
    pdf: bytes | None = None
    attachments: dict[str, bytes] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the package is intact, signed by a trusted signer, and its PDF verifies."""
        return (
            not self.problems
            and self.signature_valid
            and self.signer_trusted
            and (self.document_report is None or self.document_report.ok)
        )

    def text(self) -> str:
        """A readable report in the current language."""
        lines = [_("公文交换包验证结果：通过") if self.ok else _("公文交换包验证结果：未通过，已拒收")]
        if self.sender_unit is not None:
            lines.append(_("发文单位：{unit}").format(unit=self.sender_unit))
        if self.signer is not None:
            lines.append(
                _("清单签名人：{name}（{unit}）").format(
                    name=self.signer.name, unit=self.signer.unit or _("单位未知")
                )
            )
        lines.extend(f"  - {p}" for p in self.problems)
        if self.document_report is not None:
            lines.append(_("正文 PDF 的电子签名："))
            lines.extend("  " + line for line in self.document_report.text().splitlines())
        return "\n".join(lines)


class _Refused(Exception):
    """Internal: stop checking, the package is refused for the given reason."""


def _is_safe_member(name: str) -> bool:
    name = name.removesuffix("/")  # a directory entry
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return False
    if len(name) > 1 and name[1] == ":":
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _read_members(data: bytes, limits: PackageLimits) -> dict[str, bytes]:
    if len(data) > limits.max_package_bytes:
        raise _Refused(
            _("交换包过大（{mb} MB），超过 {limit} MB 的上限").format(
                mb=len(data) // (1024 * 1024), limit=limits.max_package_bytes // (1024 * 1024)
            )
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _Refused(_("这不是公文交换包：文件不是有效的 zip 压缩包")) from exc
    if len(infos) > limits.max_files:
        raise _Refused(_("交换包中的文件过多（{n} 个），已拒收").format(n=len(infos)))
    total = 0
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if not _is_safe_member(name):
            raise _Refused(
                _("交换包中含有非法路径“{name}”（可能试图写到包外），已拒收").format(name=name)
            )
        if name in seen:
            raise _Refused(_("交换包中有重名文件“{name}”，已拒收").format(name=name))
        seen.add(name)
        if info.flag_bits & 0x1:
            raise _Refused(_("交换包中的文件“{name}”被加密，无法检查，已拒收").format(name=name))
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _Refused(_("交换包中的“{name}”是链接文件，已拒收").format(name=name))
        ratio = info.file_size / max(info.compress_size, 1)
        total += info.file_size
        if (
            info.file_size > limits.max_file_bytes
            or total > limits.max_total_bytes
            or (info.file_size > _SMALL_FILE_BYTES and ratio > limits.max_ratio)
        ):
            raise _Refused(
                _("交换包中的“{name}”解压后过大（疑似压缩炸弹），已拒收").format(name=name)
            )
    members: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        try:
            with zf.open(info) as f:
                content = f.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise _Refused(
                _("交换包中的“{name}”已损坏（校验失败），已拒收").format(name=info.filename)
            ) from exc
        if len(content) != info.file_size:
            raise _Refused(
                _("交换包中的“{name}”大小与记录不符，已拒收").format(name=info.filename)
            )
        members[info.filename] = content
    return members


def _load_json(members: dict[str, bytes], name: str) -> dict[str, Any]:
    raw = members[name]
    try:
        if len(raw) > _MAX_JSON_BYTES:
            raise ValueError(name)
        value = json.loads(raw.decode("utf-8"))
        if not isinstance(value, dict):
            raise ValueError(name)
        return value
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Refused(_("交换包中的“{name}”已损坏，无法读取").format(name=name)) from exc


def _check_signature(
    report: PackageReport,
    manifest: bytes,
    sig: bytes,
    trust_roots: list[bytes],
    now: dt.datetime,
    crls: tuple[bytes, ...],
) -> None:
    try:
        signed_data = cms.ContentInfo.load(sig)["content"]
        has_certs = len(signed_data["certificates"]) > 0
        status = asyncio.run(
            async_validate_detached_cms(
                manifest,
                signed_data,
                signer_validation_context=validation_context(trust_roots, now=now, crls=crls),
            )
        )
    except Exception as exc:
        raise _Refused(_("清单签名（manifest.sig）已损坏，无法验证，已拒收")) from exc
    if not has_certs or status.signing_cert is None:
        raise _Refused(_("清单签名中没有签名人证书，已拒收"))
    report.signer = describe_certificate(status.signing_cert)
    report.signature_valid = bool(status.intact and status.valid)
    report.signer_trusted = bool(status.trusted)
    if not report.signature_valid:
        raise _Refused(_("清单签名无效：清单（manifest.json）在签名后被改动，已拒收"))
    cert_status = report.signer.status_at(now)
    if cert_status == "expired":
        report.problems.append(_("清单签名人的证书已过期"))
    elif cert_status == "not_yet_valid":
        report.problems.append(_("清单签名人的证书尚未生效"))
    elif not report.signer_trusted:
        report.problems.append(_("清单签名人的证书不是由受信任的根证书签发，无法确认发文单位"))


def _check_files(report: PackageReport, members: dict[str, bytes], manifest: dict[str, Any]) -> None:
    listed = manifest.get("files")
    if manifest.get("format") != PACKAGE_FORMAT or not isinstance(listed, dict):
        raise _Refused(_("交换包格式不受支持（清单版本不符），已拒收"))
    present = {n for n in members if n not in (MANIFEST, SIGNATURE)}
    for name in sorted(set(listed) - present):
        report.problems.append(_("清单中的文件“{name}”在包中不存在（被删除）").format(name=name))
    for name in sorted(present - set(listed)):
        report.problems.append(_("包中多出了清单中没有的文件“{name}”").format(name=name))
    for name in sorted(present & set(listed)):
        if _sha256(members[name]) == listed[name]:
            continue
        if name == METADATA:
            report.problems.append(_("公文元数据（metadata.json）与清单不符：元数据被改动"))
        elif name == DOCUMENT:
            report.problems.append(_("正文 PDF（document.pdf）与清单不符：正文被改动"))
        else:
            report.problems.append(
                _("附件“{name}”与清单不符：附件被改动").format(name=name.removeprefix(ATTACHMENTS))
            )
    for name in (DOCUMENT, METADATA):
        if name not in listed:
            report.problems.append(_("交换包缺少必需的文件“{name}”").format(name=name))
    for name in sorted(present & set(listed)):
        if name not in (DOCUMENT, METADATA) and not name.startswith(ATTACHMENTS):
            report.problems.append(_("交换包中含有不允许的文件“{name}”").format(name=name))


def _check_metadata(report: PackageReport, members: dict[str, bytes]) -> None:
    metadata = _load_json(members, METADATA)
    described = metadata.get("files")
    if not isinstance(described, dict):
        report.problems.append(_("公文元数据中缺少文件摘要"))
        return
    actual = {n for n in members if n not in (MANIFEST, SIGNATURE, METADATA)}
    for name in sorted(actual | set(described)):
        entry = described.get(name)
        content = members.get(name)
        if (
            not isinstance(entry, dict)
            or content is None
            or entry.get("sha256") != _sha256(content)
            or entry.get("size") != len(content)
        ):
            report.problems.append(
                _("公文元数据中记录的文件“{name}”与实际文件不符").format(name=name)
            )
    report.metadata = metadata.get("elements") if isinstance(metadata.get("elements"), dict) else {}
    sender = metadata.get("sender")
    unit = sender.get("unit") if isinstance(sender, dict) else None
    report.sender_unit = unit.strip() if isinstance(unit, str) and unit.strip() else None


ISSUER_KEYS = ("issuer", "issuer_name", "issuers", "issuer_names")


def named_issuers(elements: Any) -> list[str]:
    """The issuing units the 公文 elements name (发文机关; several for 联合发文)."""
    if not isinstance(elements, dict):
        return []
    names: list[str] = []
    for key in ISSUER_KEYS:
        value = elements.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str):
                names.extend(p.strip() for p in item.replace("，", "、").split("、") if p.strip())
    return names


def _check_sender(
    report: PackageReport, *, expected_sender: str | None, accept_personal_signers: bool
) -> None:
    """The manifest's signer must be the sending unit named in the metadata (its seal)."""
    sender, signer = report.sender_unit, report.signer
    if sender is None:
        report.problems.append(_("交换包没有写明发文单位，无法确认来源，已拒收"))
        return
    named = named_issuers(report.metadata)
    if named and sender not in named:
        report.problems.append(
            _("交换包写明的发文单位“{unit}”不是公文的发文机关（{named}），已拒收").format(
                unit=sender, named="、".join(named)
            )
        )
    if expected_sender is not None and sender != expected_sender:
        report.problems.append(
            _("交换包写明的发文单位“{named}”与交换记录中的发文单位“{expected}”不符，已拒收").format(
                named=sender, expected=expected_sender
            )
        )
    if signer is None:
        return
    if signer.kind != "seal" and not accept_personal_signers:
        report.problems.append(
            _("清单由个人证书（{name}）签名，交换包须由发文单位“{unit}”的电子印章签名，已拒收").format(
                name=signer.name, unit=sender
            )
        )
    elif signer.unit != sender:
        report.problems.append(
            _("交换包写明的发文单位是“{named}”，但清单是由“{signer}”的证书签名的，已拒收").format(
                named=sender, signer=signer.unit or signer.name
            )
        )


def _check_document_seal(report: PackageReport) -> None:
    """Seals on the PDF must include the sending unit's (联合发文: one of them)."""
    document = report.document_report
    if document is None or report.sender_unit is None:
        return
    seals = [s.signer for s in document.signatures if s.signer is not None and s.signer.kind == "seal"]
    if seals and all(s.unit != report.sender_unit for s in seals):
        report.problems.append(
            _("正文 PDF 上没有发文单位“{unit}”的电子印章，已拒收").format(unit=report.sender_unit)
        )


def verify_package(
    data: bytes,
    *,
    trust_roots: list[bytes],
    now: dt.datetime | None = None,
    limits: PackageLimits | None = None,
    check_pdf_signatures: bool = True,
    expected_sender: str | None = None,
    crls: tuple[bytes, ...] = (),
    accept_personal_signers: bool = False,
) -> PackageReport:
    """Check a received package completely; the report says why it is refused, if it is.

    The manifest must be signed by the seal of the sending unit the metadata names
    (with `accept_personal_signers`, an official of that unit will do), and that unit
    must be `expected_sender` when the caller knows who sent it. `crls` (the CA's
    latest) join those the PDF embeds.
    """
    moment = now or utc_now()
    report = PackageReport()
    try:
        members = _read_members(data, limits or PackageLimits())
        for name in (MANIFEST, SIGNATURE):
            if name not in members:
                raise _Refused(
                    _("交换包缺少“{name}”，无法确认来源，已拒收").format(name=name)
                )
        _check_signature(report, members[MANIFEST], members[SIGNATURE], trust_roots, moment, crls)
        _check_files(report, members, _load_json(members, MANIFEST))
        if METADATA in members:
            _check_metadata(report, members)
            _check_sender(
                report,
                expected_sender=expected_sender,
                accept_personal_signers=accept_personal_signers,
            )
    except _Refused as refused:
        report.problems.append(str(refused))
        return report
    if check_pdf_signatures and DOCUMENT in members and not report.problems:
        report.document_report = verify_pdf(
            members[DOCUMENT], trust_roots=trust_roots, now=moment, crls=crls
        )
        if not report.document_report.ok:
            report.problems.append(_("正文 PDF 的电子签名验证未通过"))
        _check_document_seal(report)
    if report.ok:
        report.pdf = members[DOCUMENT]
        report.attachments = {
            n.removeprefix(ATTACHMENTS): b for n, b in members.items() if n.startswith(ATTACHMENTS)
        }
    return report
