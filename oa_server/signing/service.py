"""Signing operations: certify an official's key from a CSR, press a unit's seal on a PDF.

A seal locks the document (nothing may change after it), carries an RFC 3161
time-stamp from the server's TSA and embeds the chain and the CA's current CRL
(PAdES B-LT), so it verifies offline for years. A unit has several seals: its
公章 and 专用章 (人事专用章 …), each with its own key, certificate and image.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy.orm import Session

from docs_exchange.signing import LongTermMaterial, PadesSigner, SealAnchor
from oa_client.errors import PermissionDenied, ValidationError
from oa_server import audit, authz, crud
from oa_server.config import Settings
from oa_server.i18n import _
from oa_server.models import Unit, User
from oa_server.roles import SEAL_KEEPER
from oa_server.signing import registry
from oa_server.signing.keystore import PUBLIC_SEAL, SigningKeys, normalise_seal_name

MAX_CSR_CHARS = 16 * 1024
_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
_MIN_RSA_BITS = 2048


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass(frozen=True)
class IssuedCertificate:
    """A personal certificate just issued, with its chain up to the root (PEM)."""

    certificate_pem: str
    chain_pem: list[str]
    serial: str
    subject: str
    unit: str
    not_before: dt.datetime
    not_after: dt.datetime


def parse_csr(csr_pem: str) -> x509.CertificateSigningRequest:
    """A PEM CSR whose self-signature verifies and whose key is strong enough (else 422)."""
    bad = ValidationError(
        _("无法识别提交的证书申请（CSR），请在本机重新生成后再提交"), field="csr_pem"
    )
    text = (csr_pem or "").strip()
    if not text or len(text) > MAX_CSR_CHARS or not text.isascii():
        raise bad
    try:
        csr = x509.load_pem_x509_csr(text.encode("ascii"))
        signature_ok = csr.is_signature_valid
        key = csr.public_key()
    except (ValueError, TypeError, x509.UnsupportedGeneralNameType):
        raise bad from None
    except Exception:  # an unsupported algorithm in an otherwise well-formed CSR
        raise bad from None
    if not signature_ok:
        raise ValidationError(
            _("证书申请（CSR）的签名无效，请在本机重新生成后再提交"), field="csr_pem"
        )
    strong = (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, _CURVES)) or (
        isinstance(key, rsa.RSAPublicKey) and key.key_size >= _MIN_RSA_BITS
    )
    if not strong:
        raise ValidationError(
            _("证书申请使用的密钥类型或强度不符合要求（须为 P-256 及以上椭圆曲线或 2048 位以上 RSA）"),
            field="csr_pem",
        )
    return csr


def issue_personal_certificate(
    session: Session, *, keys: SigningKeys, settings: Settings, user: User, csr_pem: str
) -> IssuedCertificate:
    """Certify the key in `csr_pem` for the signed-in official (name and unit from the account)."""
    authz.require_business_user(user)
    csr = parse_csr(csr_pem)
    name, unit = user.name, user.unit.name
    ca = keys.ca(session=session, settings=settings)
    session.commit()
    credential = ca.issue(name, kind="person", unit=unit, public_key=csr)
    cert = credential.certificate
    key_der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    serial = format(cert.serial_number, "x")
    registry.record_certificate(session, cert, kind="person", unit_id=user.unit_id, user_id=user.id)
    audit.append(
        session,
        actor=f"user:{user.id}",
        action="ca.certificate_issued",
        target=f"user:{user.id}",
        details={
            "serial": serial,
            "subject": name,
            "unit": unit,
            "public_key_sha256": hashlib.sha256(key_der).hexdigest(),
            "fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
            "not_after": cert.not_valid_after_utc.isoformat(),
        },
    )
    session.commit()
    return IssuedCertificate(
        certificate_pem=_pem(cert),
        chain_pem=[_pem(c) for c in credential.chain],
        serial=serial,
        subject=name,
        unit=unit,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def check_pdf(data: bytes, *, anchor: SealAnchor | None = None) -> int:
    """The page count of an unencrypted PDF; ValidationError (422) for anything else.

    With `anchor`, the seal box must lie on that page, inside its MediaBox.
    """
    not_pdf = ValidationError(_("上传的文件不是有效的 PDF，无法盖章"), field="body")
    if not data or b"%PDF-" not in data[:1024]:
        raise not_pdf
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise ValidationError(_("加密的 PDF 无法盖章，请先取消加密"), field="body")
        count = int(reader.root["/Pages"]["/Count"])
        media = None
        if anchor is not None and 0 <= anchor.page < count:
            page_ref, _resources = reader.find_page_for_modification(anchor.page)
            box = page_ref.get_object().get("/MediaBox")
            media = [float(v) for v in box] if box is not None else None
    except ValidationError:
        raise
    except Exception:  # pyHanko raises many kinds on a broken file
        raise not_pdf from None
    if count < 1:
        raise not_pdf
    if anchor is not None and media is not None and len(media) == 4:
        left, right = sorted((media[0], media[2]))
        bottom, top = sorted((media[1], media[3]))
        inside = (
            anchor.x_pt >= left - 1
            and anchor.y_pt >= bottom - 1
            and anchor.x_pt + anchor.width_pt <= right + 1
            and anchor.y_pt + anchor.height_pt <= top + 1
        )
        if not inside:
            raise ValidationError(_("盖章位置超出了页面范围，请检查用印位置"), field="anchor")
    return count


def check_reason(reason: str) -> str:
    """The 用印 reason without surrounding blanks; control characters are refused (422)."""
    text = reason.strip() or "用印"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise ValidationError(_("用印事由中含有不可显示的字符"), field="reason")
    return text


def may_use_seal(user: User, *, unit_id: uuid.UUID) -> bool:
    """Only a business user holding seal_keeper in that very unit may press its seal."""
    return (
        authz.is_business_user(user)
        and authz.has_role(user, SEAL_KEEPER)
        and user.unit_id == unit_id
    )


@dataclass(frozen=True)
class SealedPdf:
    """A PDF with the unit's seal signature appended, and the hashes that were audited."""

    pdf: bytes
    unit: Unit
    document_sha256: str
    signed_sha256: str
    seal_name: str = PUBLIC_SEAL
    certificate_serial: str = ""


def apply_seal(
    session: Session,
    *,
    keys: SigningKeys,
    settings: Settings,
    unit: Unit,
    pdf: bytes,
    anchor: SealAnchor | None,
    reason: str,
    clock: Callable[[], dt.datetime],
    seal_name: str = PUBLIC_SEAL,
    lock: bool = True,
) -> tuple[bytes, str]:
    """Press a seal of `unit` (no permission check: callers decide who may); return PDF and serial.

    The seal locks the document (`lock`; a 联合发文's seals before the last one leave it open
    for the next unit's seal), is time-stamped by the server's TSA and embeds the chain and
    the CA's current CRL. No database lock is held while signing. Without `anchor` the seal
    signs without a visible impression (a 纪要 bears none, GB/T 9704).
    """
    stamp = keys.seal_image(unit=unit, seal_name=seal_name) if anchor is not None else None
    tsa = keys.tsa(session=session, settings=settings)
    crl = keys.crl(session=session, settings=settings)
    material = LongTermMaterial(certificates=(tsa.credential.certificate,), crls=(crl,))
    with keys.open_seal(session=session, settings=settings, unit=unit, seal_name=seal_name) as seal:
        session.commit()  # hold no database lock while signing
        signer = PadesSigner(seal.credential, clock=clock, cms_signer=seal.cms_signer,  # type: ignore[arg-type]
                             timestamper=tsa, long_term=material)
        signed = signer.sign_pdf(pdf, anchor=anchor, stamp_png=stamp, reason=reason, location=None,
                                 field_name=None, lock=lock)
    return signed, registry.serial_hex(seal.credential.certificate)


def seal_pdf(
    session: Session,
    *,
    keys: SigningKeys,
    settings: Settings,
    user: User,
    unit_id: uuid.UUID,
    pdf: bytes,
    anchor: SealAnchor | None,
    reason: str,
    clock: Callable[[], dt.datetime],
    seal_name: str = PUBLIC_SEAL,
    record: str | None = None,
    lock: bool = True,
) -> SealedPdf:
    """Press `unit_id`'s seal (`seal_name`: 公章 by default, or a 专用章) over `anchor` (None: a
    digital signature with no impression); audited, seal keepers only. `record` (e.g. "documents:<id>") names what the seal was applied for."""
    document_sha256 = hashlib.sha256(pdf).hexdigest()
    seal_name = normalise_seal_name(seal_name)
    if not may_use_seal(user, unit_id=unit_id):
        audit.append(
            session,
            actor=f"user:{user.id}",
            action="seal.use_denied",
            target=f"unit:{unit_id}",
            details={"document_sha256": document_sha256, "seal": seal_name, "record": record},
        )
        session.commit()
        raise PermissionDenied(_("只有本单位的印章管理员可以使用本单位的电子印章"))
    unit = crud.get_unit(session, unit_id=unit_id)
    if not unit.active:
        raise PermissionDenied(_("该单位已停用，其电子印章不能再使用"))
    check_pdf(pdf, anchor=anchor)
    reason = check_reason(reason)
    signed, serial = apply_seal(session, keys=keys, settings=settings, unit=unit, pdf=pdf, anchor=anchor,
                                reason=reason, clock=clock, seal_name=seal_name, lock=lock)
    signed_sha256 = hashlib.sha256(signed).hexdigest()
    audit.append(
        session,
        actor=f"user:{user.id}",
        action="seal.used",
        target=record or f"unit:{unit.id}",
        details={
            "unit": unit.name,
            "unit_id": str(unit.id),
            "seal": seal_name,
            "record": record,
            "document_sha256": document_sha256,
            "signed_sha256": signed_sha256,
            "reason": reason,
            "page": anchor.page + 1 if anchor is not None else None,
            "visible": anchor is not None,
            "certificate_serial": serial,
        },
    )
    session.commit()
    return SealedPdf(pdf=signed, unit=unit, document_sha256=document_sha256, signed_sha256=signed_sha256,
                     seal_name=seal_name, certificate_serial=serial)
