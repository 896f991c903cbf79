"""The auditor's filters over the audit log: who (actor), what (action or its prefix), which
record (target), when (from, until); oldest or newest first, paged by sequence number."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_server.models import AuditEntry


def _at(value: datetime) -> str:
    """A time as the log writes it (UTC, ISO 8601 with microseconds), for comparing."""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def search(
    session: Session,
    *,
    after_seq: int = 0,
    before_seq: int | None = None,
    limit: int = 100,
    actor: str | None = None,
    action: str | None = None,
    action_prefix: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    newest_first: bool = False,
) -> list[AuditEntry]:
    """Rows matching every filter given (`target` matches a part of the target)."""
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    if target:
        query = query.where(AuditEntry.target.contains(target, autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.at >= _at(since))
    if until is not None:
        query = query.where(AuditEntry.at < _at(until))
    order = AuditEntry.seq.desc() if newest_first else AuditEntry.seq
    return list(session.scalars(query.order_by(order).limit(limit)).all())
