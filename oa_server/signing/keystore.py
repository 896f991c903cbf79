"""Key files of the signing service: the CA and the unit seals, encrypted at rest, mode 0600.

Layout under the data directory::

    ca/ca.pem, ca/ca-key.pem                 the root (key: encrypted PKCS#8)
    seals/<unit id>/cred-<name>-<issued>/    one seal credential (cert + chain, encrypted key)
    seals/<unit id>/seal.png                 an imported seal image (else drawn from the name)

Every key is encrypted with a password derived (HKDF) from the server secret:
`OA_SERVER_SECRET_KEY` when configured, else a random key kept in the
`server_secrets` table (created once, race-safe, audited) — as the token key is.
A directory is written privately and renamed into place, so concurrent workers
never see half a key and the first one to finish wins.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from docs_exchange.pki import (
    CA_KEY_FILE,
    CertificateAuthority,
    Clock,
    Credential,
    load_pem_certificates,
    utc_now,
)
from docs_exchange.seal import draw_seal, import_seal_png
from oa_client.errors import NotFoundError, SignatureError
from oa_server import audit
from oa_server.config import Settings
from oa_server.i18n import _
from oa_server.models import Unit
from oa_server.security import new_signing_key
from oa_server.server_secrets import shared_secret

STORAGE_SECRET_NAME = "signing_storage_key"  # noqa: S105 (a row name)
_HKDF_INFO = b"oa-server signing key storage v1"
SEAL_CERT_FILE = "seal.pem"
SEAL_KEY_FILE = "seal-key.pem"
SEAL_IMAGE_FILE = "seal.png"
SEAL_VALID_DAYS = 730
RENEW_BEFORE = dt.timedelta(days=30)
DEFAULT_CA_NAME = "政务协同办公电子公文根证书"


def storage_password(session: Session, settings: Settings) -> bytes:
    """The password CA and seal keys are encrypted with, derived from the server secret."""
    if settings.secret_key:
        base = settings.secret_key.encode()
    else:
        base = bytes.fromhex(shared_secret(session, STORAGE_SECRET_NAME, make=new_signing_key,
                                           audit_action="server.storage_key_created"))
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(base)
    return derived.hex().encode()


def default_ca_name(session: Session) -> str:
    """The root's name: the top unit's name + 电子公文根证书, else a generic name."""
    top = session.scalars(
        select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.sort_order, Unit.name)
    ).first()
    if top is None:
        return DEFAULT_CA_NAME
    name = f"{top.name}电子公文根证书"
    return name if len(name) <= 64 else DEFAULT_CA_NAME


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def _publish_dir(target: Path, build: Callable[[Path], None]) -> bool:
    """Build a directory privately and rename it to `target`; False if someone else was first."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        build(tmp)
        for item in tmp.iterdir():
            os.chmod(item, 0o600)
        try:
            os.rename(tmp, target)
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) or isinstance(exc, FileExistsError):
                return False
            raise
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _name_tag(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def cert_fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint of a certificate, colon-separated hex."""
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


@lru_cache(maxsize=64)
def _drawn_seal(unit_name: str) -> bytes:
    return draw_seal(unit_name=unit_name)


class SigningKeys:
    """The CA and unit seal credentials under one data directory, loaded once per process."""

    def __init__(self, *, data_dir: Path, clock: Clock = utc_now) -> None:
        self.ca_dir = Path(data_dir) / "ca"
        self.seals_dir = Path(data_dir) / "seals"
        self.clock = clock
        self._ca: CertificateAuthority | None = None
        self._seals: dict[str, Credential] = {}
        self._lock = threading.Lock()

    def ca_exists(self) -> bool:
        """Whether the root has been created."""
        return (self.ca_dir / CA_KEY_FILE).is_file()

    def create_ca(
        self, *, session: Session, settings: Settings, name: str | None = None, actor: str = "system"
    ) -> tuple[CertificateAuthority, bool]:
        """The root, made now if there is none yet; True when this call made it (audited)."""
        if self.ca_exists():
            return self.ca(session=session, settings=settings, create=False), False
        password = storage_password(session, settings)
        ca_name = (name or "").strip() or default_ca_name(session)
        session.commit()  # nothing of ours is held while the key is made
        fresh = CertificateAuthority.create(ca_name, clock=self.clock)
        made = _publish_dir(self.ca_dir, lambda tmp: fresh.save(tmp, password=password))
        if made:
            audit.append(
                session,
                actor=actor,
                action="ca.created",
                target="ca:root",
                details={
                    "name": fresh.name,
                    "fingerprint": cert_fingerprint(fresh.certificate),
                    "not_after": fresh.certificate.not_valid_after_utc.isoformat(),
                },
            )
            session.commit()
        self._ca = None
        return self.ca(session=session, settings=settings, create=False), made

    def ca(self, *, session: Session, settings: Settings, create: bool = True) -> CertificateAuthority:
        """The root with its key (created on first use unless `create` is False)."""
        if self._ca is not None:
            return self._ca
        if not self.ca_exists():
            if not create:
                raise NotFoundError(_("服务器尚未创建根证书，请运行 oa-server ca init"))
            return self.create_ca(session=session, settings=settings)[0]
        password = storage_password(session, settings)
        try:
            loaded = CertificateAuthority.load(self.ca_dir, password=password, clock=self.clock)
        except SignatureError:
            raise SignatureError(
                _("服务器根证书无法读取：文件已损坏、权限过宽或服务器密钥已更换，请联系系统管理员")
            ) from None
        with self._lock:
            self._ca = loaded
        return loaded

    def root_certificate(self) -> x509.Certificate:
        """The root certificate (public; no key needed); NotFoundError before `ca init`."""
        try:
            return load_pem_certificates((self.ca_dir / "ca.pem").read_bytes())[0]
        except FileNotFoundError:
            raise NotFoundError(_("服务器尚未创建根证书，请运行 oa-server ca init")) from None

    def root_pem(self, *, session: Session, settings: Settings) -> bytes:
        """The root certificate as PEM, for clients' trust stores (made on first use)."""
        if not self.ca_exists():
            self.create_ca(session=session, settings=settings)
        return self.root_certificate().public_bytes(serialization.Encoding.PEM)

    # --- unit seals ------------------------------------------------------------------

    def _unit_dir(self, unit_id: uuid.UUID) -> Path:
        return self.seals_dir / str(unit_id)

    def seal_credential(self, *, session: Session, settings: Settings, unit: Unit) -> Credential:
        """The unit's seal credential (made by the CA when missing, renamed or near expiry)."""
        now = self.clock()
        cache_key = f"{unit.id}:{unit.name}"
        cached = self._seals.get(cache_key)
        if cached is not None and cached.certificate.not_valid_after_utc - now > RENEW_BEFORE:
            return cached
        password = storage_password(session, settings)
        prefix = f"cred-{_name_tag(unit.name)}-"
        self.seals_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder = self._unit_dir(unit.id)
        credential = self._latest_seal(folder, prefix, password)
        if credential is None or credential.certificate.not_valid_after_utc - now <= RENEW_BEFORE:
            ca = self.ca(session=session, settings=settings)
            session.commit()
            fresh = ca.issue(unit.name, kind="seal", valid_days=SEAL_VALID_DAYS)
            target = folder / (prefix + now.strftime("%Y%m%dT%H%M%S%f"))
            if _publish_dir(target, lambda tmp: _save_seal(tmp, fresh, password)):
                audit.append(
                    session,
                    actor="system",
                    action="seal.credential_created",
                    target=f"unit:{unit.id}",
                    details={
                        "unit": unit.name,
                        "serial": format(fresh.certificate.serial_number, "x"),
                        "not_after": fresh.certificate.not_valid_after_utc.isoformat(),
                    },
                )
                session.commit()
            credential = self._latest_seal(folder, prefix, password)
            if credential is None:
                raise SignatureError(_("单位电子印章证书无法读取，请联系系统管理员"))
        with self._lock:
            self._seals[cache_key] = credential
        return credential

    @staticmethod
    def _latest_seal(folder: Path, prefix: str, password: bytes) -> Credential | None:
        if not folder.is_dir():
            return None
        found = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith(prefix))
        if not found:
            return None
        return _load_seal(found[-1], password)

    def seal_image(self, *, unit: Unit) -> bytes:
        """The unit's seal picture: the imported PNG, else one drawn from the unit's name."""
        path = self._unit_dir(unit.id) / SEAL_IMAGE_FILE
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return _drawn_seal(unit.name)

    def has_imported_image(self, *, unit_id: uuid.UUID) -> bool:
        """Whether a PNG was imported for this unit."""
        return (self._unit_dir(unit_id) / SEAL_IMAGE_FILE).is_file()

    def set_seal_image(self, *, unit_id: uuid.UUID, png: bytes) -> bytes:
        """Check and store an imported seal PNG (replacing the previous one); return it cleaned."""
        clean = import_seal_png(png, white_to_transparent=True)
        self.seals_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder = self._unit_dir(unit_id)
        folder.mkdir(exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(clean)
            os.chmod(tmp, 0o600)
            os.replace(tmp, folder / SEAL_IMAGE_FILE)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return clean


def _save_seal(folder: Path, credential: Credential, password: bytes) -> None:
    assert credential.private_key is not None
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in credential.chain)
    _write_private(folder / SEAL_CERT_FILE, credential.cert_pem + chain)
    key = credential.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    _write_private(folder / SEAL_KEY_FILE, key)


def _load_seal(folder: Path, password: bytes) -> Credential:
    try:
        certs = load_pem_certificates((folder / SEAL_CERT_FILE).read_bytes())
        key = serialization.load_pem_private_key(
            (folder / SEAL_KEY_FILE).read_bytes(), password=password
        )
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(
            _("单位电子印章证书无法读取：文件已损坏或服务器密钥已更换，请联系系统管理员")
        ) from exc
    except Exception as exc:  # ValidationError from a mangled PEM bundle
        raise SignatureError(_("单位电子印章证书无法读取，请联系系统管理员")) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SignatureError(_("单位电子印章证书无法读取，请联系系统管理员"))
    return Credential(certificate=certs[0], chain=certs[1:], private_key=key)


def root_summary(cert: x509.Certificate, *, folder: Path) -> list[str]:
    """Readable lines about the root certificate: name, fingerprint, validity, where it is."""
    name = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return [
        _("根证书：{name}").format(name=str(name[0].value) if name else cert.subject.rfc4514_string()),
        _("SHA-256 指纹：{fp}").format(fp=cert_fingerprint(cert)),
        _("有效期：{start} 至 {end}（UTC）").format(
            start=cert.not_valid_before_utc.strftime("%Y-%m-%d %H:%M"),
            end=cert.not_valid_after_utc.strftime("%Y-%m-%d %H:%M"),
        ),
        _("存放位置：{path}（私钥已加密，仅服务器账号可读）").format(path=folder),
    ]
