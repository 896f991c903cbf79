"""What the CA issued and what it revoked: the source of its CRL.

Every certificate the server CA issues (a unit's seal, an official's personal
certificate, the TSA's) is recorded with its owner. Disabling an account revokes
its personal certificates (`revoke_user_certificates`, called by the disable
path); replacing a seal revokes the old one. Revocation is audited and takes
effect in the next CRL, which the CA signs on demand.
"""

from __future__ import annotations

import datetime as dt
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docs_exchange.crl import REASONS, RevokedEntry
from oa_server import audit
from oa_server.db import utcnow
from oa_server.models import IssuedCertificate

#: why an account's certificates are revoked when it is disabled
DISABLED_REASON = "affiliation_changed"


def serial_hex(cert: x509.Certificate) -> str:
    """A certificate's serial number as lower-case hex (how it is stored and audited)."""
    return format(cert.serial_number, "x")


def record_certificate(
    session: Session,
    cert: x509.Certificate,
    *,
    kind: str,
    unit_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    seal_name: str | None = None,
    now: dt.datetime | None = None,
) -> IssuedCertificate:
    """Record an issued certificate (once; a second call returns the row already there)."""
    serial = serial_hex(cert)
    row = session.get(IssuedCertificate, serial)
    if row is not None:
        return row
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    row = IssuedCertificate(
        serial=serial,
        kind=kind,
        subject=(str(cn[0].value) if cn else cert.subject.rfc4514_string())[:128],
        unit_id=unit_id,
        user_id=user_id,
        seal_name=seal_name,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        issued_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def is_revoked(session: Session, cert: x509.Certificate) -> bool:
    """Whether the CA has revoked this certificate."""
    row = session.get(IssuedCertificate, serial_hex(cert))
    return row is not None and row.revoked_at is not None


def revoke_certificate(
    session: Session, *, serial: str, reason: str, actor: str = "system", now: dt.datetime | None = None
) -> bool:
    """Revoke one recorded certificate (audited); False when unknown or already revoked."""
    row = session.get(IssuedCertificate, serial)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    row.revoke_reason = reason if reason in REASONS else "unspecified"
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="ca.certificate_revoked",
        target=f"certificate:{serial}",
        details={"kind": row.kind, "subject": row.subject, "reason": row.revoke_reason,
                 "user_id": str(row.user_id) if row.user_id else None,
                 "unit_id": str(row.unit_id) if row.unit_id else None, "seal_name": row.seal_name},
    )
    return True


def revoke_user_certificates(
    session: Session,
    user_id: uuid.UUID,
    reason: str = DISABLED_REASON,
    *,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> int:
    """Revoke every personal certificate of a user still in force (e.g. the account was disabled).

    Runs in the caller's transaction; returns how many were revoked. Documents the user
    signed before stay valid (their signatures were time-stamped or sealed before).
    """
    rows = session.scalars(
        select(IssuedCertificate).where(
            IssuedCertificate.user_id == user_id, IssuedCertificate.revoked_at.is_(None)
        )
    ).all()
    return sum(
        1 for row in rows if revoke_certificate(session, serial=row.serial, reason=reason, actor=actor, now=now)
    )


def revoked_entries(session: Session) -> list[RevokedEntry]:
    """Every revoked certificate, for the CRL."""
    rows = session.scalars(
        select(IssuedCertificate).where(IssuedCertificate.revoked_at.is_not(None))
        .order_by(IssuedCertificate.revoked_at)
    ).all()
    return [
        RevokedEntry(serial=int(r.serial, 16), revoked_at=r.revoked_at, reason=r.revoke_reason or "unspecified")
        for r in rows
        if r.revoked_at is not None
    ]


def revocation_state(session: Session) -> tuple[int, dt.datetime | None]:
    """How many certificates are revoked and the latest revocation (a CRL cache key)."""
    count, latest = session.execute(
        select(func.count(IssuedCertificate.serial), func.max(IssuedCertificate.revoked_at)).where(
            IssuedCertificate.revoked_at.is_not(None)
        )
    ).one()
    return int(count or 0), latest
