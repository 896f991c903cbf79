"""Sign a release manifest: a one-off key certified by the server CA for code signing."""

from __future__ import annotations

import base64
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy.orm import Session

from oa_server.config import Settings
from oa_server.signing.keystore import SigningKeys

SIGNER_NAME = "客户端发布签名"
_SKEW = dt.timedelta(minutes=5)


def release_certificate(ca_cert: x509.Certificate, ca_key, public_key, *,
                        now: dt.datetime) -> x509.Certificate:
    """A code-signing certificate for `public_key`, issued by the CA, valid as long as it."""
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SIGNER_NAME),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, ca_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)]))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _SKEW)
        .not_valid_after(ca_cert.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def sign_manifest(manifest: bytes, *, keys: SigningKeys, session: Session,
                  settings: Settings) -> tuple[str, str]:
    """(base64 signature, certificate PEM) over `manifest`, by a key the CA certifies now."""
    ca = keys.ca(session=session, settings=settings)
    session.commit()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = release_certificate(ca.certificate, ca.private_key, key.public_key(),
                               now=dt.datetime.now(dt.UTC))
    signature = key.sign(manifest, ec.ECDSA(hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return base64.b64encode(signature).decode("ascii"), pem
