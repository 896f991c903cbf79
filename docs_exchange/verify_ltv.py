"""Long-term verification material: when a signature is judged, and with which revocation data.

A signature is judged at the time its own RFC 3161 time-stamp proves, else at the
earliest time-stamp of a later signature that covers it (the seal's token proves
the 签发 signature under it existed then), else now. Revocation is checked against
the CRLs embedded in the file's DSS and any the caller passes (the CA's latest),
as of that time: a certificate revoked after it still counts, one revoked before
it does not. CRLs are required whenever one from the signer's CA is at hand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from docs_exchange.crl import load_crl

CLOCK_SKEW = dt.timedelta(minutes=5)
_CHECK_CRL = CertRevTrustPolicy(
    RevocationCheckingPolicy(RevocationCheckingRule.CRL_REQUIRED, RevocationCheckingRule.NO_CHECK),
    retroactive_revinfo=True,
)
_NO_CHECK = CertRevTrustPolicy(
    RevocationCheckingPolicy(RevocationCheckingRule.NO_CHECK, RevocationCheckingRule.NO_CHECK)
)


@dataclass
class Evidence:
    """Certificates and CRLs a verifier may use: from the file's DSS and from the caller."""

    certificates: list[asn1_x509.Certificate] = field(default_factory=list)
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)

    def crls_usable_at(
        self, moment: dt.datetime, issuer: x509.Name | None
    ) -> list[x509.CertificateRevocationList]:
        """The CRLs of `issuer` (None: of any root) still in force at `moment` (next update not passed)."""
        usable = []
        for crl in self.crls:
            if issuer is not None and crl.issuer != issuer:
                continue
            next_update = crl.next_update_utc
            if next_update is None or next_update >= moment:
                usable.append(crl)
        return usable


def _der(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(Encoding.DER)


def _signature_ok(crl: x509.CertificateRevocationList, root: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]
    except Exception:  # a key type the CRL was not made with
        return False


def _signed_by_a_root(crl: x509.CertificateRevocationList, roots: list[x509.Certificate]) -> bool:
    return any(root.subject == crl.issuer and _signature_ok(crl, root) for root in roots)


def _embedded_crl(ref: object) -> x509.CertificateRevocationList | None:
    try:
        return load_crl(ref.get_object().read_data(DecodePurpose.CRL))  # type: ignore[attr-defined]
    except Exception:  # an unreadable entry is no evidence
        return None


def gather_evidence(
    reader: PdfFileReader | None, extra_crls: Iterable[bytes], roots: list[x509.Certificate]
) -> Evidence:
    """The DSS's certificates and CRLs plus the caller's: only CRLs a trusted root signed count."""
    evidence = Evidence()
    crls: list[x509.CertificateRevocationList] = []
    try:
        dss = DocumentSecurityStore.read_dss(reader) if reader is not None else None
    except Exception:  # no DSS, or a mangled one: nothing embedded to use
        dss = None
    if dss is not None:
        with contextlib.suppress(Exception):
            evidence.certificates.extend(dss.load_certs())
        crls.extend(c for c in (_embedded_crl(ref) for ref in dss.crls) if c is not None)
    crls.extend(load_crl(blob) for blob in extra_crls)
    evidence.crls = [c for c in crls if _signed_by_a_root(c, roots)]
    return evidence


def timestamp_claim(sig: object) -> dt.datetime | None:
    """The genTime of a signature's own time-stamp token (checked later by pyHanko), if it has one."""
    try:
        for signed_data in extract_tst_data_iter(sig.signer_info, signed=False):  # type: ignore[attr-defined]
            info = signed_data["encap_content_info"]["content"].parsed
            return info["gen_time"].native
    except Exception:  # a mangled token: validation reports it
        return None
    return None


def proof_times(signatures: list[object]) -> list[dt.datetime | None]:
    """For each signature (oldest first): its own time-stamp, else the earliest of a later one."""
    claims = [timestamp_claim(s) for s in signatures]
    out: list[dt.datetime | None] = []
    for i, own in enumerate(claims):
        if own is not None:
            out.append(own)
            continue
        later = [c for c in claims[i + 1 :] if c is not None]
        out.append(min(later) if later else None)
    return out


def signer_issuer(sig: object) -> x509.Name | None:
    """The issuer name of a signature's signing certificate (None when unreadable)."""
    try:
        der = sig.signer_cert.dump()  # type: ignore[attr-defined]
        return x509.load_der_x509_certificate(der).issuer
    except Exception:
        return None


def signer_certificate(sig: object) -> x509.Certificate | None:
    """A signature's signing certificate as a cryptography object."""
    try:
        return x509.load_der_x509_certificate(sig.signer_cert.dump())  # type: ignore[attr-defined]
    except Exception:
        return None


def context_at(
    roots: list[asn1_x509.Certificate],
    evidence: Evidence,
    *,
    moment: dt.datetime,
    issuer: x509.Name | None,
) -> tuple[ValidationContext, bool]:
    """An offline validation context at `moment`; True when revocation is checked (a CRL is at hand).

    `issuer` is the signer's CA (None: any root's CRL counts).
    """
    crls = evidence.crls_usable_at(moment, issuer)
    context = ValidationContext(
        trust_roots=roots,
        other_certs=evidence.certificates,
        allow_fetching=False,
        moment=moment,
        crls=[asn1_crl.CertificateList.load(_der(c)) for c in crls],
        revinfo_policy=_CHECK_CRL if crls else _NO_CHECK,
    )
    return context, bool(crls)


def revocation_time(evidence: Evidence, cert: x509.Certificate | None) -> dt.datetime | None:
    """When `cert` was revoked according to any CRL at hand signed by its issuer (None: not listed)."""
    if cert is None:
        return None
    found = []
    for crl in evidence.crls:
        if crl.issuer != cert.issuer:
            continue
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            found.append(entry.revocation_date_utc)
    return min(found) if found else None
