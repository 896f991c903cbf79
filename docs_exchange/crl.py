"""Certificate revocation lists: the CA publishes one, verifiers read it, signed PDFs embed it.

One CRL covers every certificate the root issued (seals, officials, the TSA). It
lists each revoked serial with the moment of revocation and a reason; a signature
made (time-stamped) before that moment stays valid, one made after fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from docs_exchange.pki import CertificateAuthority
from oa_client.errors import ValidationError
from oa_client.i18n import _

DEFAULT_VALIDITY = dt.timedelta(days=7)
#: reason names (stored by the server) → RFC 5280 reason codes
REASONS: dict[str, x509.ReasonFlags] = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
}


@dataclass(frozen=True)
class RevokedEntry:
    """One revoked certificate: its serial, since when, and why (a key of REASONS)."""

    serial: int
    revoked_at: dt.datetime
    reason: str = "unspecified"


def issue_crl(
    ca: CertificateAuthority,
    *,
    revoked: Iterable[RevokedEntry],
    number: int,
    this_update: dt.datetime | None = None,
    valid_for: dt.timedelta = DEFAULT_VALIDITY,
) -> bytes:
    """A CRL (DER) signed by `ca` listing `revoked`, valid from `this_update` for `valid_for`."""
    start = this_update or ca.clock()
    ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(start)
        .next_update(start + valid_for)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    )
    for entry in revoked:
        item = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(entry.revoked_at)
        )
        code = REASONS.get(entry.reason, x509.ReasonFlags.unspecified)
        if code is not x509.ReasonFlags.unspecified:
            item = item.add_extension(x509.CRLReason(code), critical=False)
        builder = builder.add_revoked_certificate(item.build())
    crl = builder.sign(ca.private_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL from DER or PEM bytes; ValidationError when it is neither."""
    try:
        if b"-----BEGIN" in data[:64]:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise ValidationError(_("无法读取证书吊销列表（CRL）文件"), field="crl") from exc


def crl_der(data: bytes) -> bytes:
    """A CRL as DER, whether given as DER or PEM."""
    return load_crl(data).public_bytes(serialization.Encoding.DER)


def revoked_at(
    crls: Iterable[x509.CertificateRevocationList], cert: x509.Certificate
) -> dt.datetime | None:
    """When `cert` was revoked according to any of `crls` issued by its issuer (None: not listed)."""
    found: list[dt.datetime] = []
    for crl in crls:
        if crl.issuer != cert.issuer:
            continue
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            found.append(entry.revocation_date_utc)
    return min(found) if found else None
