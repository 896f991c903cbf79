"""The server's certificate authority: a root that certifies unit seals, officials and its TSA.

The root signs three kinds of end-entity certificates: `seal` (a unit's electronic
seal: O is the unit, CN the seal's name — the unit's name for its 公章, e.g.
…人事专用章 for a 专用章 — and OU says 电子印章), `person` (an official: CN is the
name, O the unit) and `tsa` (the server's RFC 3161 time-stamping authority).
Signing certificates carry key usage digitalSignature + nonRepudiation and the
extended key usages every reader checks: id-kp-emailProtection (what NSS —
poppler's pdfsig, LibreOffice — asks of a document signer), id-kp-documentSigning
and Adobe's PDF signing. Officials' keys may be made on their own device: the CA
then certifies only the public key or a CSR.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from oa_client.errors import SignatureError, ValidationError
from oa_client.i18n import _

Clock = Callable[[], dt.datetime]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

SEAL_OU = "电子印章"
TSA_OU = "时间戳服务"
KINDS = ("seal", "person")
# RFC 9336 id-kp-documentSigning, and Adobe's PDF signing purpose for older readers.
EKU_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
EKU_ADOBE_PDF_SIGNING = ObjectIdentifier("1.2.840.113583.1.1.5")
# NSS (pdfsig, LibreOffice) validates a PDF signer for certUsageEmailSigner: with an EKU
# extension present it must list id-kp-emailProtection, else -8101 "type not approved".
SIGNING_EKUS = (ExtendedKeyUsageOID.EMAIL_PROTECTION, EKU_DOCUMENT_SIGNING, EKU_ADOBE_PDF_SIGNING)
CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
_CLOCK_SKEW = dt.timedelta(minutes=5)


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC (the default clock)."""
    return dt.datetime.now(dt.UTC)


def new_private_key(key_type: str = "ec") -> PrivateKey:
    """Make a fresh signing key: `ec` (P-256, the default) or `rsa` (2048 bits)."""
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValidationError(
        _("不支持的密钥类型：{kind}（可选 ec 或 rsa）").format(kind=key_type), field="key_type"
    )


def _name(attrs: list[tuple[ObjectIdentifier, str]]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])


def _check_name(value: str, field_name: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 64:
        raise ValidationError(
            _("名称不能为空，且不超过 64 个字"), field=field_name
        )
    return value


def _public_key_from(material: object) -> PublicKey:
    """Accept a public key, a CSR (object, PEM or DER) or a PEM/DER public key."""
    if isinstance(material, x509.CertificateSigningRequest):
        csr = material
    elif isinstance(material, bytes):
        csr = None
        for loader in (x509.load_pem_x509_csr, x509.load_der_x509_csr):
            try:
                csr = loader(material)
                break
            except ValueError:
                continue
        if csr is None:
            for key_loader in (serialization.load_pem_public_key, serialization.load_der_public_key):
                try:
                    key = key_loader(material)
                except ValueError:
                    continue
                if isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
                    return key
            raise ValidationError(
                _("无法识别提交的公钥或证书申请（CSR），请在本机重新生成后再提交"),
                field="public_key",
            )
    elif isinstance(material, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        return material
    else:
        raise ValidationError(
            _("无法识别提交的公钥或证书申请（CSR），请在本机重新生成后再提交"), field="public_key"
        )
    if not csr.is_signature_valid:
        raise ValidationError(
            _("证书申请（CSR）的签名无效，请在本机重新生成后再提交"), field="public_key"
        )
    key = csr.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValidationError(_("证书申请使用了不支持的密钥类型"), field="public_key")
    return key


@dataclass
class Credential:
    """A signing identity: certificate, its chain up to the root, and the key if held here."""

    certificate: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)
    private_key: PrivateKey | None = None

    @property
    def subject_name(self) -> str:
        """The certificate's common name (an official's name or a unit's)."""
        attrs = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attrs[0].value) if attrs else ""

    @property
    def cert_pem(self) -> bytes:
        """The certificate as PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def to_pkcs12(self, password: bytes | str) -> bytes:
        """Pack key, certificate and chain into a password-protected PKCS#12 file."""
        if self.private_key is None:
            raise SignatureError(_("这个证书的私钥不在本机，无法导出 PKCS#12 文件"))
        secret = _password_bytes(password)
        return pkcs12.serialize_key_and_certificates(
            name=self.subject_name.encode("utf-8"),
            key=self.private_key,
            cert=self.certificate,
            cas=self.chain or None,
            encryption_algorithm=serialization.BestAvailableEncryption(secret),
        )

    @classmethod
    def from_pkcs12(cls, data: bytes, password: bytes | str) -> Credential:
        """Load a credential from a PKCS#12 file; a wrong password gives a SignatureError."""
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, _password_bytes(password))
        except ValueError as exc:
            raise SignatureError(_("证书文件无法打开：密码错误或文件已损坏")) from exc
        if cert is None:
            raise SignatureError(_("证书文件中没有证书"))
        if key is not None and not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise SignatureError(_("证书文件使用了不支持的密钥类型"))
        return cls(certificate=cert, chain=list(extra), private_key=key)


def _password_bytes(password: bytes | str) -> bytes:
    secret = password.encode("utf-8") if isinstance(password, str) else password
    if not secret:
        raise ValidationError(_("请设置保护私钥的密码"), field="password")
    return secret


class CertificateAuthority:
    """The server's root CA: issues seal and personal certificates for document signing."""

    def __init__(
        self, *, certificate: x509.Certificate, private_key: PrivateKey, clock: Clock = utc_now
    ) -> None:
        self.certificate = certificate
        self.private_key = private_key
        self.clock = clock

    @classmethod
    def create(
        cls,
        name: str,
        *,
        valid_days: int = 3650,
        key_type: str = "ec",
        clock: Clock = utc_now,
    ) -> CertificateAuthority:
        """Make a new self-signed root named `name` (key certSign/cRLSign, CA:true)."""
        name = _check_name(name, "name")
        key = new_private_key(key_type)
        now = clock()
        subject = _name([(NameOID.COMMON_NAME, name), (NameOID.ORGANIZATION_NAME, name)])
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _CLOCK_SKEW)
            .not_valid_after(now + dt.timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(certificate=cert, private_key=key, clock=clock)

    @property
    def cert_pem(self) -> bytes:
        """The root certificate as PEM (what verifiers trust)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        """The root's private key as unencrypted PKCS#8 PEM; keep it only in 0600 files."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def name(self) -> str:
        """The CA's common name."""
        return str(self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)

    def save(self, directory: str | os.PathLike[str], *, password: bytes | str | None = None) -> Path:
        """Write ca.pem and ca-key.pem (mode 0600, encrypted if `password`); return the key path."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / CA_CERT_FILE).write_bytes(self.cert_pem)
        key_path = folder / CA_KEY_FILE
        key_pem = self.key_pem
        if password is not None:
            key_pem = self.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(_password_bytes(password)),
            )
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem)
        os.chmod(key_path, 0o600)
        return key_path

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        *,
        password: bytes | str | None = None,
        clock: Clock = utc_now,
    ) -> CertificateAuthority:
        """Load a CA saved by `save`; refuses a key file others can read."""
        folder = Path(directory)
        key_path = folder / CA_KEY_FILE
        secret = None if password is None else _password_bytes(password)
        try:
            mode = key_path.stat().st_mode & 0o077
            cert = x509.load_pem_x509_certificate((folder / CA_CERT_FILE).read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=secret)
        except FileNotFoundError as exc:
            raise SignatureError(
                _("找不到根证书文件（ca.pem / ca-key.pem），请检查证书目录"), path=str(folder)
            ) from exc
        except (ValueError, TypeError) as exc:
            raise SignatureError(
                _("根证书文件无法读取：文件已损坏或密码不对"), path=str(folder)
            ) from exc
        if mode:
            raise SignatureError(
                _("根证书私钥文件的权限过宽，请改为仅本人可读写（chmod 600）"), path=str(key_path)
            )
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise SignatureError(_("根证书使用了不支持的密钥类型"), path=str(folder))
        return cls(certificate=cert, private_key=key, clock=clock)

    def issue(
        self,
        subject_name: str,
        *,
        kind: str,
        unit: str | None = None,
        public_key: PublicKey | x509.CertificateSigningRequest | bytes | None = None,
        valid_days: int = 730,
        not_before: dt.datetime | None = None,
        key_type: str = "ec",
        seal_name: str | None = None,
    ) -> Credential:
        """Certify a unit seal (`kind="seal"`) or an official (`kind="person"`, needs `unit`).

        A seal's certificate names the unit (O) and the seal (CN: `seal_name`, by
        default the unit's name — its 公章). Without `public_key` a key pair is made
        here and returned in the credential; with one (a public key or a CSR from the
        official's device, or a key held in a token) only the certificate is returned.
        """
        if kind not in KINDS:
            raise ValidationError(
                _("证书类型只能是 seal（单位印章）或 person（个人）"), field="kind"
            )
        subject_name = _check_name(subject_name, "subject_name")
        if kind == "seal":
            attrs = [
                (NameOID.COMMON_NAME, _check_name(seal_name or subject_name, "seal_name")),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, SEAL_OU),
                (NameOID.ORGANIZATION_NAME, subject_name),
            ]
        else:
            if not unit:
                raise ValidationError(_("个人证书必须写明所在单位"), field="unit")
            attrs = [
                (NameOID.COMMON_NAME, subject_name),
                (NameOID.ORGANIZATION_NAME, _check_name(unit, "unit")),
            ]
        if valid_days <= 0:
            raise ValidationError(_("证书有效期必须大于 0 天"), field="valid_days")
        private_key = None
        if public_key is None:
            private_key = new_private_key(key_type)
            key = private_key.public_key()
        else:
            key = _public_key_from(public_key)
        cert = self._certify(
            _name(attrs),
            key,
            valid_days=valid_days,
            not_before=not_before,
            ekus=SIGNING_EKUS,
            eku_critical=False,
        )
        return Credential(certificate=cert, chain=[self.certificate], private_key=private_key)

    def issue_tsa(
        self, name: str, *, valid_days: int = 3650, key_type: str = "ec"
    ) -> Credential:
        """Certify a time-stamping authority (EKU timeStamping, critical as RFC 3161 asks)."""
        name = _check_name(name, "name")
        private_key = new_private_key(key_type)
        subject = _name(
            [
                (NameOID.COMMON_NAME, name),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, TSA_OU),
                (NameOID.ORGANIZATION_NAME, self.name),
            ]
        )
        cert = self._certify(
            subject,
            private_key.public_key(),
            valid_days=valid_days,
            not_before=None,
            ekus=(ExtendedKeyUsageOID.TIME_STAMPING,),
            eku_critical=True,
        )
        return Credential(certificate=cert, chain=[self.certificate], private_key=private_key)

    def _certify(
        self,
        subject: x509.Name,
        key: PublicKey,
        *,
        valid_days: int,
        not_before: dt.datetime | None,
        ekus: tuple[ObjectIdentifier, ...],
        eku_critical: bool,
    ) -> x509.Certificate:
        """An end-entity certificate for `key`: signing key usages, the given EKUs, ≤ the root's life."""
        start = not_before or (self.clock() - _CLOCK_SKEW)
        end = start + dt.timedelta(days=valid_days)
        if end > self.certificate.not_valid_after_utc:
            end = self.certificate.not_valid_after_utc
        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage(list(ekus)), critical=eku_critical)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False,
            )
            .sign(self.private_key, hashes.SHA256())
        )


def load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle (or one DER certificate)."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise ValidationError(_("无法读取根证书文件，请确认是 PEM 格式的证书"), field="trust") from exc
