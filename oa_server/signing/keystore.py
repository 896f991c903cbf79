"""Key files of the signing service: the CA, the unit seals and the TSA, encrypted at rest, mode 0600.

Layout under the data directory::

    ca/ca.pem, ca/ca-key.pem                 the root (key: encrypted PKCS#8)
    seals/<unit id>/cred-<tag>-<issued>/     one seal credential (cert + chain, and the encrypted
                                             key, or only a reference to a key in a PKCS#11 token)
    seals/<unit id>/seal.png                 an imported 公章 image (else drawn from the name)
    seals/<unit id>/seal-<tag>.png           an imported 专用章 image (人事专用章 …)
    tsa/cred-<issued>/                       the time-stamping authority's credential

A unit has several seals — its 公章 and 专用章 such as 人事专用章 — each with its own
key, certificate and image (`tag` names unit and seal). Every key is encrypted with
a password derived from the server keys (oa_server.keys: outside the database).
With a PKCS#11 token configured, new seal keys are made and kept in the token. A
directory is written privately and renamed into place, so concurrent workers never
see half a key and the first one to finish wins. Every certificate issued is
recorded (oa_server.signing.registry) so it can be revoked and listed in the CRL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from docs_exchange.crl import issue_crl
from docs_exchange.pki import (
    CA_KEY_FILE,
    CertificateAuthority,
    Clock,
    Credential,
    load_pem_certificates,
    utc_now,
)
from docs_exchange.seal import draw_seal, import_seal_png
from docs_exchange.tsa import TimestampAuthority
from oa_client.errors import NotFoundError, SignatureError, ValidationError
from oa_server import audit
from oa_server.config import Settings
from oa_server.i18n import _
from oa_server.keys import load_server_keys
from oa_server.models import Unit
from oa_server.signing import registry
from oa_server.signing.hsm import KEY_REF_FILE, KeyRef, token_from_settings

SEAL_CERT_FILE = "seal.pem"
SEAL_KEY_FILE = "seal-key.pem"
SEAL_IMAGE_FILE = "seal.png"
TSA_CERT_FILE = "tsa.pem"
TSA_KEY_FILE = "tsa-key.pem"
SEAL_VALID_DAYS = 730
TSA_VALID_DAYS = 3650
RENEW_BEFORE = dt.timedelta(days=30)
DEFAULT_CA_NAME = "政务协同办公电子公文根证书"
#: the unit's official seal; a 专用章 is named for its use (人事专用章, 财务专用章, 党组章 …)
PUBLIC_SEAL = "公章"
_SEAL_ALIASES = {"单位公章": PUBLIC_SEAL, "": PUBLIC_SEAL}
_SEAL_NAME = re.compile(r"^[\u4e00-\u9fff]{1,7}章$")


def normalise_seal_name(name: str | None) -> str:
    """A seal's name as stored: 公章 (also for 单位公章 or nothing), else a 专用章's own name."""
    text = "".join((name or "").split())
    text = _SEAL_ALIASES.get(text, text)
    if not _SEAL_NAME.match(text):
        raise ValidationError(
            _("印章名称不正确：应为“公章”或以“章”结尾的专用章名称（如 人事专用章），不超过 8 个字"),
            field="seal",
        )
    return text


def storage_password(session: Session, settings: Settings) -> bytes:
    """The password CA, seal and TSA keys are encrypted with (from the keys outside the database)."""
    return load_server_keys(settings).storage_password


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
def _drawn_seal(unit_name: str, bottom_text: str | None = None) -> bytes:
    return draw_seal(unit_name=unit_name, bottom_text=bottom_text)


class SigningKeys:
    """The CA, the units' seals and the TSA under one data directory, loaded once per process."""

    def __init__(self, *, data_dir: Path, clock: Clock = utc_now) -> None:
        self.ca_dir = Path(data_dir) / "ca"
        self.seals_dir = Path(data_dir) / "seals"
        self.tsa_dir = Path(data_dir) / "tsa"
        self.clock = clock
        self._ca: CertificateAuthority | None = None
        self._seals: dict[str, _Seal] = {}
        self._tsa: TimestampAuthority | None = None
        self._crl: tuple[tuple[int, dt.datetime | None], dt.datetime, bytes] | None = None
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

    @staticmethod
    def _prefix(unit: Unit, seal_name: str) -> str:
        tag = unit.name if seal_name == PUBLIC_SEAL else f"{unit.name}|{seal_name}"
        return f"cred-{_name_tag(tag)}-"

    def seal_credential(
        self, *, session: Session, settings: Settings, unit: Unit, seal_name: str = PUBLIC_SEAL
    ) -> Credential:
        """A seal's credential (made by the CA when missing, renamed, revoked or near expiry).

        The private key is None when the seal's key lives in a PKCS#11 token.
        """
        return self._seal(session=session, settings=settings, unit=unit,
                          seal_name=normalise_seal_name(seal_name)).credential

    @contextlib.contextmanager
    def open_seal(
        self, *, session: Session, settings: Settings, unit: Unit, seal_name: str = PUBLIC_SEAL
    ) -> Iterator[SealKey]:
        """The seal ready to sign: its credential and, for a token key, a pyHanko signer."""
        seal = self._seal(session=session, settings=settings, unit=unit,
                          seal_name=normalise_seal_name(seal_name))
        if seal.ref is None:
            yield SealKey(credential=seal.credential, cms_signer=None)
            return
        token = token_from_settings(settings)
        if token is None:
            raise SignatureError(_("该印章的密钥在密码设备中，但服务器未配置密码设备（PKCS#11）"))
        with token.signer(ref=seal.ref, certificate=seal.credential.certificate,
                          chain=seal.credential.chain) as signer:
            yield SealKey(credential=seal.credential, cms_signer=signer)

    def _seal(self, *, session: Session, settings: Settings, unit: Unit, seal_name: str) -> _Seal:
        now = self.clock()
        cache_key = f"{unit.id}:{unit.name}:{seal_name}"
        cached = self._seals.get(cache_key)
        if cached is not None and self._usable(session, cached.credential, now):
            return cached
        password = storage_password(session, settings)
        prefix = self._prefix(unit, seal_name)
        self.seals_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder = self._unit_dir(unit.id)
        seal = self._latest_seal(folder, prefix, password)
        if seal is not None:
            registry.record_certificate(session, seal.credential.certificate, kind="seal",
                                        unit_id=unit.id, seal_name=seal_name)
        if seal is None or not self._usable(session, seal.credential, now):
            seal = self._issue_seal(session=session, settings=settings, unit=unit, seal_name=seal_name,
                                    folder=folder, prefix=prefix, replaces=seal)
        session.commit()
        with self._lock:
            self._seals[cache_key] = seal
        return seal

    @staticmethod
    def _usable(session: Session, credential: Credential, now: dt.datetime) -> bool:
        cert = credential.certificate
        return cert.not_valid_after_utc - now > RENEW_BEFORE and not registry.is_revoked(session, cert)

    def _issue_seal(
        self,
        *,
        session: Session,
        settings: Settings,
        unit: Unit,
        seal_name: str,
        folder: Path,
        prefix: str,
        replaces: _Seal | None,
        reason: str = "superseded",
        actor: str = "system",
    ) -> _Seal:
        """A new key (file or token) certified by the CA; the seal it replaces is revoked."""
        now = self.clock()
        password = storage_password(session, settings)
        ca = self.ca(session=session, settings=settings)
        token = token_from_settings(settings)
        session.commit()
        name = unit.name if seal_name == PUBLIC_SEAL else f"{unit.name}{seal_name}"
        stamp = now.strftime("%Y%m%dT%H%M%S%f")
        if token is not None:
            ref, public = token.generate_ec_key(label=f"oa-seal-{str(unit.id)[:8]}-{prefix[5:-1]}-{stamp}")
            fresh = ca.issue(unit.name, kind="seal", seal_name=name, public_key=public,
                             valid_days=SEAL_VALID_DAYS)

            def build(tmp: Path) -> None:
                _save_seal_ref(tmp, fresh, ref)
        else:
            fresh = ca.issue(unit.name, kind="seal", seal_name=name, valid_days=SEAL_VALID_DAYS)

            def build(tmp: Path) -> None:
                _save_seal(tmp, fresh, password)

        if _publish_dir(folder / (prefix + stamp), build):
            registry.record_certificate(session, fresh.certificate, kind="seal", unit_id=unit.id,
                                        seal_name=seal_name, now=now)
            audit.append(
                session,
                actor=actor,
                action="seal.credential_created",
                target=f"unit:{unit.id}",
                details={
                    "unit": unit.name,
                    "seal": seal_name,
                    "serial": registry.serial_hex(fresh.certificate),
                    "not_after": fresh.certificate.not_valid_after_utc.isoformat(),
                    "key_store": "pkcs11" if token is not None else "file",
                },
            )
            if replaces is not None:
                registry.revoke_certificate(session, serial=registry.serial_hex(replaces.credential.certificate),
                                            reason=reason, actor=actor, now=now)
            session.commit()
        seal = self._latest_seal(folder, prefix, password)
        if seal is None:
            raise SignatureError(_("单位电子印章证书无法读取，请联系系统管理员"))
        return seal

    def replace_seal(
        self,
        *,
        session: Session,
        settings: Settings,
        unit: Unit,
        seal_name: str = PUBLIC_SEAL,
        reason: str = "superseded",
        actor: str = "system",
    ) -> Credential:
        """A new key and certificate for a seal; the old certificate is revoked (audited)."""
        seal_name = normalise_seal_name(seal_name)
        prefix = self._prefix(unit, seal_name)
        folder = self._unit_dir(unit.id)
        self.seals_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        current = self._latest_seal(folder, prefix, storage_password(session, settings))
        if current is not None:
            registry.record_certificate(session, current.credential.certificate, kind="seal",
                                        unit_id=unit.id, seal_name=seal_name)
        seal = self._issue_seal(session=session, settings=settings, unit=unit, seal_name=seal_name,
                                folder=folder, prefix=prefix, replaces=current, reason=reason, actor=actor)
        with self._lock:
            self._seals[f"{unit.id}:{unit.name}:{seal_name}"] = seal
        return seal.credential

    @staticmethod
    def _latest_seal(folder: Path, prefix: str, password: bytes) -> _Seal | None:
        if not folder.is_dir():
            return None
        found = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith(prefix))
        if not found:
            return None
        return _load_seal(found[-1], password)

    @staticmethod
    def _image_file(seal_name: str) -> str:
        if seal_name == PUBLIC_SEAL:
            return SEAL_IMAGE_FILE
        return f"seal-{_name_tag(seal_name)}.png"

    def seal_image(self, *, unit: Unit, seal_name: str = PUBLIC_SEAL) -> bytes:
        """A seal's picture: the imported PNG, else one drawn from the unit's (and seal's) name."""
        seal_name = normalise_seal_name(seal_name)
        path = self._unit_dir(unit.id) / self._image_file(seal_name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return _drawn_seal(unit.name, None if seal_name == PUBLIC_SEAL else seal_name)

    def has_imported_image(self, *, unit_id: uuid.UUID, seal_name: str = PUBLIC_SEAL) -> bool:
        """Whether a PNG was imported for this seal."""
        return (self._unit_dir(unit_id) / self._image_file(normalise_seal_name(seal_name))).is_file()

    def set_seal_image(self, *, unit_id: uuid.UUID, png: bytes, seal_name: str = PUBLIC_SEAL) -> bytes:
        """Check and store an imported seal PNG (replacing the previous one); return it cleaned."""
        seal_name = normalise_seal_name(seal_name)
        clean = import_seal_png(png, white_to_transparent=True)
        self.seals_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder = self._unit_dir(unit_id)
        folder.mkdir(exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(clean)
            os.chmod(tmp, 0o600)
            os.replace(tmp, folder / self._image_file(seal_name))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return clean

    # --- time stamps and revocation --------------------------------------------------

    def tsa(self, *, session: Session, settings: Settings) -> TimestampAuthority:
        """The server's time-stamping authority (its certificate made by the CA on first use)."""
        now = self.clock()
        cached = self._tsa
        if cached is not None and cached.credential.certificate.not_valid_after_utc - now > RENEW_BEFORE:
            return cached
        password = storage_password(session, settings)
        credential = self._latest_tsa(password)
        if credential is None or credential.certificate.not_valid_after_utc - now <= RENEW_BEFORE:
            ca = self.ca(session=session, settings=settings)
            session.commit()
            fresh = ca.issue_tsa(f"{ca.name}时间戳服务"[:64], valid_days=TSA_VALID_DAYS)  # a name: data
            if _publish_dir(self.tsa_dir / ("cred-" + now.strftime("%Y%m%dT%H%M%S%f")),
                            lambda tmp: _save_tsa(tmp, fresh, password)):
                registry.record_certificate(session, fresh.certificate, kind="tsa", now=now)
                audit.append(session, actor="system", action="tsa.credential_created", target="ca:tsa",
                             details={"serial": registry.serial_hex(fresh.certificate),
                                      "not_after": fresh.certificate.not_valid_after_utc.isoformat()})
                session.commit()
            credential = self._latest_tsa(password)
            if credential is None:
                raise SignatureError(_("时间戳服务的证书无法读取，请联系系统管理员"))
        authority = TimestampAuthority(credential, clock=self.clock)
        with self._lock:
            self._tsa = authority
        return authority

    def _latest_tsa(self, password: bytes) -> Credential | None:
        if not self.tsa_dir.is_dir():
            return None
        found = sorted(p for p in self.tsa_dir.iterdir() if p.is_dir() and p.name.startswith("cred-"))
        if not found:
            return None
        return _load_credential(found[-1], TSA_CERT_FILE, TSA_KEY_FILE, password)

    def crl(self, *, session: Session, settings: Settings) -> bytes:
        """The CA's current CRL (DER): re-signed when a certificate was revoked or half its life passed."""
        now = self.clock()
        state = registry.revocation_state(session)
        cached = self._crl
        valid_for = dt.timedelta(hours=max(1, settings.crl_valid_hours))
        if cached is not None and cached[0] == state and now - cached[1] < valid_for / 2 and now >= cached[1]:
            return cached[2]
        entries = registry.revoked_entries(session)
        ca = self.ca(session=session, settings=settings)
        session.commit()
        this_update = now - dt.timedelta(minutes=1)
        der = issue_crl(ca, revoked=entries, number=int(now.timestamp() * 1000), this_update=this_update,
                        valid_for=valid_for)
        with self._lock:
            self._crl = (state, now, der)
        return der


@dataclass(frozen=True)
class _Seal:
    """A seal credential as stored: certificate and chain, and a file key or a token reference."""

    credential: Credential
    ref: KeyRef | None = None


@dataclass(frozen=True)
class SealKey:
    """A seal ready to sign: the credential, and a pyHanko signer when the key is in a token."""

    credential: Credential
    cms_signer: object | None


def _save_seal_ref(folder: Path, credential: Credential, ref: KeyRef) -> None:
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in credential.chain)
    _write_private(folder / SEAL_CERT_FILE, credential.cert_pem + chain)
    _write_private(folder / KEY_REF_FILE, ref.dump())


def _save_tsa(folder: Path, credential: Credential, password: bytes) -> None:
    assert credential.private_key is not None
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in credential.chain)
    _write_private(folder / TSA_CERT_FILE, credential.cert_pem + chain)
    key = credential.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    _write_private(folder / TSA_KEY_FILE, key)


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


def _load_credential(folder: Path, cert_file: str, key_file: str, password: bytes) -> Credential:
    try:
        certs = load_pem_certificates((folder / cert_file).read_bytes())
        key = serialization.load_pem_private_key((folder / key_file).read_bytes(), password=password)
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(
            _("单位电子印章证书无法读取：文件已损坏或服务器密钥已更换，请联系系统管理员")
        ) from exc
    except Exception as exc:  # ValidationError from a mangled PEM bundle
        raise SignatureError(_("单位电子印章证书无法读取，请联系系统管理员")) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SignatureError(_("单位电子印章证书无法读取，请联系系统管理员"))
    return Credential(certificate=certs[0], chain=certs[1:], private_key=key)


def _load_seal(folder: Path, password: bytes) -> _Seal:
    if (folder / KEY_REF_FILE).is_file():
        try:
            certs = load_pem_certificates((folder / SEAL_CERT_FILE).read_bytes())
            ref = KeyRef.load((folder / KEY_REF_FILE).read_bytes())
        except Exception as exc:  # a mangled file: no seal to use
            raise SignatureError(_("单位电子印章证书无法读取，请联系系统管理员")) from exc
        return _Seal(credential=Credential(certificate=certs[0], chain=certs[1:]), ref=ref)
    return _Seal(credential=_load_credential(folder, SEAL_CERT_FILE, SEAL_KEY_FILE, password))


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
