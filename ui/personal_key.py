"""An official's personal signing key: made on this device, certified by the server's CA,
kept in the OS keyring (the private key never leaves the desk), used to sign a 签发."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from docs_exchange.pki import Credential
from docs_exchange.signing import PadesSigner, generate_personal_key
from oa_client.errors import SignatureError
from oa_client.i18n import _
from sync.transport import Transport

SERVICE = "zhengwu-oa-client"
RENEW_BEFORE = timedelta(days=30)


def _entries(profile_id: str) -> tuple[str, str]:
    return f"{profile_id}:signing-key", f"{profile_id}:signing-cert"


def _stored(keyring_backend, profile_id: str) -> Credential | None:
    key_name, cert_name = _entries(profile_id)
    key_pem = keyring_backend.get_password(SERVICE, key_name)
    certs = keyring_backend.get_password(SERVICE, cert_name)
    if not key_pem or not certs:
        return None
    pems = json.loads(certs)
    chain = [x509.load_pem_x509_certificate(p.encode()) for p in pems]
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    return Credential(certificate=chain[0], chain=chain[1:], private_key=key)


def ensure_personal_credential(*, transport: Transport, profile_id: str, keyring_backend,
                               name: str, unit: str) -> Credential:
    """The official's credential from the keyring, or a new key certified by the server."""
    credential = _stored(keyring_backend, profile_id)
    if credential is not None and (
        credential.certificate.not_valid_after_utc - datetime.now(UTC) > RENEW_BEFORE
    ):
        return credential
    personal = generate_personal_key(name=name, unit=unit)
    resp = transport.request("POST", "/ca/certificates", expect=(201,),
                             json_body={"csr_pem": personal.csr_pem.decode("ascii")})
    issued = resp.json()
    pems = [issued["certificate_pem"], *issued["chain_pem"]]
    key_pem = personal.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),  # the keyring protects it at rest
    ).decode("ascii")
    key_name, cert_name = _entries(profile_id)
    keyring_backend.set_password(SERVICE, key_name, key_pem)
    keyring_backend.set_password(SERVICE, cert_name, json.dumps(pems))
    stored = _stored(keyring_backend, profile_id)
    if stored is None:
        raise SignatureError(_("系统密钥环未能保存签名私钥，无法签发。"))
    return stored


def sign_off(pdf: bytes, credential: Credential) -> bytes:
    """The official's 签发 signature on a rendered 公文 (invisible; the seal comes later)."""
    return PadesSigner(credential).sign_pdf(pdf, anchor=None, stamp_png=None, reason="签发",
                                            location=None, field_name="SignOff")
