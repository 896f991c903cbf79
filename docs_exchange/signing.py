"""Signing official documents: the `Signer` interface, back-ends by name, PAdES with pyHanko.

A signer puts one PAdES signature on a PDF as an incremental update, so the
signatures already there stay valid (签发 by the official, then 用印 by the
unit seal). A visible signature shows the seal image at the layout's anchor
box. A seal locks the document (`lock=True`): the first signature of a file
certifies it (DocMDP, no changes allowed); after earlier signatures, the seal's
field lock says the same (/Lock /P 1, a PDF 2.0 feature — the only case where the
file's declared version is raised). With a time-stamping authority and long-term
material, the signature carries an RFC 3161 token and the file embeds, in the
signed revision itself, the certificates and CRLs a verifier needs offline years
later (PAdES B-LT), so the last signature still covers the whole file.
Algorithms are data: back-ends are looked up by name, and `sm2` (国密
SM2/SM3) has its slot ready and answers with a clear error until a component
that implements it is installed.
"""

from __future__ import annotations

import asyncio
import io
import math
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, TypeVar, runtime_checkable

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from PIL import Image
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.constants import ESIC_EXTENSION_1
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import read_certification_data
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docs_exchange.crl import crl_der
from docs_exchange.pki import Clock, Credential, PrivateKey, new_private_key, utc_now
from docs_exchange.seal import load_seal_image
from oa_client.errors import SignatureError, ValidationError
from oa_client.i18n import _

T = TypeVar("T")
DIGEST = "sha256"
STAMP_DPI = 300
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


@runtime_checkable
class SealAnchorLike(Protocol):
    """Where a seal goes: page (0-based) and a box in PDF points, bottom-left origin."""

    page: int
    x_pt: float
    y_pt: float
    width_pt: float
    height_pt: float


@dataclass(frozen=True)
class LongTermMaterial:
    """What a long-term (B-LT) signature embeds: certificates and CRLs (DER or PEM) to verify offline."""

    certificates: tuple[x509.Certificate, ...] = ()
    crls: tuple[bytes, ...] = ()


class Signer(Protocol):
    """Anything that can sign a PDF (PAdES) and a detached blob (CMS) for one certificate."""

    algorithm: str

    @property
    def certificate(self) -> x509.Certificate:
        """The signing certificate."""
        ...

    def sign_pdf(
        self,
        pdf: bytes,
        *,
        anchor: SealAnchorLike | None,
        stamp_png: bytes | None,
        reason: str,
        location: str | None,
        field_name: str | None,
        lock: bool = False,
    ) -> bytes:
        """Return `pdf` with one more signature appended as an incremental update (`lock`: the last)."""
        ...

    def sign_detached(self, data: bytes) -> bytes:
        """Return a detached CMS (DER) signature over `data` with the certificate chain."""
        ...


@dataclass(frozen=True)
class SealAnchor:
    """A concrete anchor box (the layout model provides its own with the same attributes)."""

    page: int
    x_pt: float
    y_pt: float
    width_pt: float
    height_pt: float


class _SealImage(PdfImage):
    """The seal picture drawn with the Multiply blend, so text under the red ink shows through."""

    def render(self) -> bytes:
        """Draw the image inside a graphics state that multiplies it onto the page."""
        inner = super().render()
        self.set_resource(
            category=ResourceType.EXT_G_STATE,
            name=generic.pdf_name("/SealMultiply"),
            value=generic.DictionaryObject(
                {generic.pdf_name("/BM"): generic.pdf_name("/Multiply")}
            ),
        )
        return b"q /SealMultiply gs " + inner + b" Q"


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one pyHanko coroutine to completion from synchronous code."""
    return asyncio.run(coro)


def _algorithm_for(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return "ecdsa-sha256"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "rsa-sha256"
    raise SignatureError(_("证书使用了不支持的签名算法"))


def _to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class PadesSigner:
    """PAdES signer backed by pyHanko: B-B by default; B-T with a timestamper; B-LT with long-term material.

    The key is the credential's own, or held elsewhere (a PKCS#11 token) and reached
    through `cms_signer`, a pyHanko signer for the credential's certificate.
    """

    def __init__(
        self,
        credential: Credential,
        *,
        clock: Clock = utc_now,
        cms_signer: signers.Signer | None = None,
        timestamper: TimeStamper | None = None,
        long_term: LongTermMaterial | None = None,
    ) -> None:
        self._credential = credential
        self._clock = clock
        self._timestamper = timestamper
        self._long_term = long_term
        if cms_signer is not None:
            self.algorithm = _algorithm_for(credential.certificate.public_key())
            self._signer = cms_signer
            return
        if credential.private_key is None:
            raise SignatureError(_("本机没有这个证书的私钥，无法签名；请导入个人证书后再试"))
        self.algorithm = _algorithm_for(credential.private_key)
        key_der = credential.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        chain = [_to_asn1_cert(c) for c in credential.chain]
        self._signer = signers.SimpleSigner(
            signing_cert=_to_asn1_cert(credential.certificate),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs(chain),
            embed_roots=True,
        )

    @property
    def certificate(self) -> x509.Certificate:
        """The signing certificate."""
        return self._credential.certificate

    @property
    def signer_name(self) -> str:
        """The common name on the certificate (for the signature dictionary's /Name)."""
        attrs = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attrs[0].value) if attrs else ""

    def sign_pdf(
        self,
        pdf: bytes,
        *,
        anchor: SealAnchorLike | None = None,
        stamp_png: bytes | None = None,
        reason: str = "",
        location: str | None = None,
        field_name: str | None = None,
        lock: bool = False,
    ) -> bytes:
        """Append a PAdES signature; with `anchor` and `stamp_png` it shows the seal there.

        `lock` makes it the last change the file may take: a certification (DocMDP, no
        changes) when it is the first signature, else a field lock with the same effect.
        """
        self._check_in_force()
        if stamp_png is not None and anchor is None:
            raise ValidationError(
                _("没有指定盖章位置，无法加盖印章；请先在版式中留出用印位置"), field="anchor"
            )
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
            existing = {f[0] for f in fields.enumerate_sig_fields(writer.prev)}
            signed_before = any(True for _f in fields.enumerate_sig_fields(writer.prev, filled_status=True))
            locked = _locked(writer.prev)
        except Exception as exc:  # pyHanko raises many kinds on a broken file
            raise SignatureError(_("这个文件不是有效的 PDF，无法签名")) from exc
        if locked:
            raise SignatureError(
                _("文件已加盖印章并锁定，不能再签名或改动；如需修改，请重新起草并用印"), reason="locked"
            )
        name = field_name or _next_field_name(existing)
        if not _FIELD_NAME.match(name):
            raise ValidationError(
                _("签名域名称只能由字母、数字、下划线和连字符组成"), field="field_name"
            )
        if name in existing:
            raise SignatureError(
                _("文件中已有名为“{name}”的签名，请换一个签名域名称").format(name=name)
            )
        box = None
        style = None
        if anchor is not None:
            box, style = self._visible(writer.prev, anchor, stamp_png)
        certify = lock and not signed_before
        meta = signers.PdfSignatureMetadata(
            field_name=name,
            md_algorithm=DIGEST,
            reason=reason or None,
            location=location or None,
            name=self.signer_name or None,
            subfilter=fields.SigSeedSubFilter.PADES,
            certify=certify,
            docmdp_permissions=MDPPerm.NO_CHANGES if lock else MDPPerm.FILL_FORMS,
        )
        field_lock = MDPPerm.NO_CHANGES if lock and not certify else None
        spec = fields.SigFieldSpec(
            sig_field_name=name,
            on_page=anchor.page if anchor else 0,
            box=box,
            field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if field_lock else None,
            doc_mdp_update_value=field_lock,
        )
        if field_lock is not None:
            writer.ensure_output_version((2, 0))  # /Lock /P is PDF 2.0
        if self._long_term is not None:
            _embed_long_term(writer, self._long_term, self._credential)
        pdf_signer = _VersionKeepingPdfSigner(
            meta,
            signer=self._signer,
            timestamper=self._timestamper,
            stamp_style=style,
            new_field_spec=spec,
        )
        out = io.BytesIO()
        try:
            pdf_signer.sign_pdf(writer, output=out, bytes_reserved=self._room())
        except SigningError as exc:
            raise SignatureError(
                _("签名失败：{reason}").format(reason=str(exc)), field_name=name
            ) from exc
        return out.getvalue()

    def _room(self) -> int | None:
        """Hex digits to reserve for the CMS blob, so pyHanko need not sign twice to measure it.

        Generous: certificates in full, signer info, and the time-stamp token with its own
        certificates. None (pyHanko measures) for a time-stamper whose certificates are unknown.
        """
        certs = [self._credential.certificate, *self._credential.chain]
        size = 2048 + sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certs)
        if self._timestamper is not None:
            credential = getattr(self._timestamper, "credential", None)
            if credential is None:
                return None
            tsa_certs = [credential.certificate, *credential.chain]
            size += 2048 + sum(len(c.public_bytes(serialization.Encoding.DER)) for c in tsa_certs)
        return 2 * (size + size // 2)

    def _check_in_force(self) -> None:
        """Refuse to sign with a certificate that is expired or not yet valid."""
        now = self._clock()
        cert = self.certificate
        if now > cert.not_valid_after_utc:
            raise SignatureError(
                _("签名证书已于 {day} 过期，无法签名；请联系管理员更新证书").format(
                    day=cert.not_valid_after_utc.date().isoformat()
                ),
                reason="expired",
            )
        if now < cert.not_valid_before_utc:
            raise SignatureError(
                _("签名证书自 {day} 起才生效，现在还不能用它签名").format(
                    day=cert.not_valid_before_utc.date().isoformat()
                ),
                reason="not_yet_valid",
            )

    def _visible(
        self, reader: PdfFileReader, anchor: SealAnchorLike, stamp_png: bytes | None
    ) -> tuple[tuple[int, int, int, int], StaticStampStyle]:
        page_count = int(reader.root["/Pages"]["/Count"])
        if not 0 <= anchor.page < page_count:
            raise ValidationError(
                _("盖章位置在第 {page} 页，但文件只有 {count} 页").format(
                    page=anchor.page + 1, count=page_count
                ),
                field="anchor",
            )
        if anchor.width_pt <= 0 or anchor.height_pt <= 0:
            raise ValidationError(_("盖章区域的宽和高必须大于 0"), field="anchor")
        x1, y1 = round(anchor.x_pt), round(anchor.y_pt)
        box = (x1, y1, x1 + round(anchor.width_pt), y1 + round(anchor.height_pt))
        if stamp_png is None:  # a signature area with no picture (never pyHanko's Latin text stamp)
            return box, StaticStampStyle(border_width=0)
        side = math.ceil(max(anchor.width_pt, anchor.height_pt) / 72 * STAMP_DPI)
        image = _stamp_image(stamp_png, side)
        style = StaticStampStyle(
            background=_SealImage(image),
            background_opacity=1.0,
            border_width=0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(0),
            ),
        )
        return box, style

    def sign_detached(self, data: bytes) -> bytes:
        """Return a detached CMS (DER) signature over `data`, certificates included."""
        self._check_in_force()
        content_info = _run(self._signer.async_sign_general_data(data, DIGEST, detached=True))
        return content_info.dump()


class _VersionKeepingPdfSigner(signers.PdfSigner):
    """pyHanko's signer, minus raising the file to PDF 2.0 just because the key is ECDSA P-256.

    PAdES in a PDF 1.7 file is declared by the ESIC extension; ISO 32002's extension is
    registered only when the file is 2.0 anyway (e.g. a seal's field lock).
    """

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        """Declare PAdES; leave the version alone below 2.0."""
        if pdf_out.output_version >= (2, 0):
            super().register_extensions(pdf_out, md_algorithm=md_algorithm)
            return
        pdf_out.ensure_output_version(version=(1, 7))
        pdf_out.register_extension(ESIC_EXTENSION_1)


def _locked(reader: PdfFileReader) -> bool:
    """Whether a signature already forbids every change: a no-changes certification or field lock."""
    certification = read_certification_data(reader)
    if certification is not None and certification.permission == MDPPerm.NO_CHANGES:
        return True
    for _name, _value, ref in fields.enumerate_sig_fields(reader, filled_status=True):
        lock = ref.get_object().get("/Lock")
        if lock is not None and int(lock.get_object().get("/P", 0)) == MDPPerm.NO_CHANGES.value:
            return True
    return False


def _embed_long_term(
    writer: IncrementalPdfFileWriter, material: LongTermMaterial, credential: Credential
) -> None:
    """Put the chain and the CRLs into the document's DSS, inside the revision about to be signed."""
    seen: set[bytes] = set()
    certs = []
    for cert in (credential.certificate, *credential.chain, *material.certificates):
        der = cert.public_bytes(serialization.Encoding.DER)
        if der not in seen:
            seen.add(der)
            certs.append(asn1_x509.Certificate.load(der))
    crls = [asn1_crl.CertificateList.load(crl_der(c)) for c in material.crls]
    DocumentSecurityStore.supply_dss_in_writer(writer, None, certs=certs, crls=crls)


@lru_cache(maxsize=8)
def _stamp_image(png: bytes, side: int) -> Image.Image:
    """The checked seal image, no larger than print resolution needs (same seal: cached)."""
    image = load_seal_image(png)
    if max(image.size) > side:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def _next_field_name(existing: set[str]) -> str:
    n = len(existing) + 1
    while f"Signature{n}" in existing:
        n += 1
    return f"Signature{n}"


SignerFactory = Callable[[Credential], Signer]
_BACKENDS: dict[str, SignerFactory] = {}
# algorithm name → back-end name; the names are data, new ones are registered, not coded in
ALGORITHMS: dict[str, str] = {
    "ecdsa-sha256": "pades",
    "rsa-sha256": "pades",
    "sm2": "sm2",
    "sm2-sm3": "sm2",
}


def register_backend(name: str, factory: SignerFactory, *, algorithms: tuple[str, ...] = ()) -> None:
    """Make a signer back-end available by name (and for the algorithm names it implements)."""
    _BACKENDS[name] = factory
    for algorithm in algorithms:
        ALGORITHMS[algorithm] = name


def _sm2_unavailable(credential: Credential) -> Signer:
    raise SignatureError(
        _("本机未安装国密算法组件（SM2/SM3），暂时无法使用国密签名；请联系信息中心安装国密签名组件后再试，或改用默认签名算法"),
        algorithm="sm2",
    )


register_backend("pades", PadesSigner)
register_backend("sm2", _sm2_unavailable)


def make_signer(credential: Credential, *, algorithm: str | None = None) -> Signer:
    """The signer for `credential`; `algorithm` picks a back-end (default: from the key)."""
    name = (algorithm or "").strip().lower()
    if not name:
        name = _algorithm_for(credential.private_key or credential.certificate.public_key())
    backend = ALGORITHMS.get(name, name)
    factory = _BACKENDS.get(backend)
    if factory is None:
        raise SignatureError(
            _("不支持的签名算法：{name}").format(name=name), algorithm=name
        )
    return factory(credential)


@dataclass(frozen=True)
class PersonalKey:
    """A key pair made on an official's device and the CSR to send to the server CA."""

    private_key: PrivateKey
    csr_pem: bytes

    @property
    def public_key_pem(self) -> bytes:
        """The public key as PEM (an alternative to the CSR)."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def generate_personal_key(*, name: str, unit: str, key_type: str = "ec") -> PersonalKey:
    """Make an official's key pair and a CSR for the server CA to certify."""
    from cryptography.hazmat.primitives import hashes

    key = new_private_key(key_type)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, unit),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return PersonalKey(private_key=key, csr_pem=csr.public_bytes(serialization.Encoding.PEM))


def serialize_private_key(key: PrivateKey, *, password: bytes | str) -> bytes:
    """The private key as password-encrypted PKCS#8 PEM (for the keyring or a backup)."""
    secret = password.encode("utf-8") if isinstance(password, str) else password
    if not secret:
        raise ValidationError(_("请设置保护私钥的密码"), field="password")
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret),
    )


def load_private_key(data: bytes, *, password: bytes | str) -> PrivateKey:
    """Load a key written by `serialize_private_key`; a wrong password gives a SignatureError."""
    secret = password.encode("utf-8") if isinstance(password, str) else password
    try:
        key = serialization.load_pem_private_key(data, password=secret or None)
    except (ValueError, TypeError) as exc:
        raise SignatureError(_("私钥无法打开：密码错误或私钥文件已损坏")) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SignatureError(_("私钥使用了不支持的算法"))
    return key
