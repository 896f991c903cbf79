"""Server-wide secrets kept in the database, created once however many workers start at once."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oa_server import audit
from oa_server.models import ServerSecret


def shared_secret(session: Session, name: str, *, make: Callable[[], str],
                  audit_action: str | None = None) -> str:
    """The value stored under `name`, made (and audited) by whichever worker comes first."""
    row = session.get(ServerSecret, name)
    if row is None:
        try:
            session.add(ServerSecret(name=name, value=make()))
            if audit_action:
                audit.append(session, actor="system", action=audit_action,
                             target=f"secret:{name}")
            session.commit()
        except IntegrityError:  # another worker created it first
            session.rollback()
        row = session.get(ServerSecret, name)
    assert row is not None
    return row.value
