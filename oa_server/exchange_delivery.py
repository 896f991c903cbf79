"""已送达, honestly: a 收文 counts as delivered when a pull hands it to a device of someone of
the receiving unit who sees it — not when the server wrote it (that is 已发送).

The pull itself stays a read: it only spots, in the page it serves, the 收文 still marked
`delivery_pending`, and afterwards records their delivery in one server change (under the
revision lock, so two desks pulling at once record it once)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from oa_server.authority.documents_exchange import PENDING_MARK, mark_delivered, receiving_units
from oa_server.authority.documents_rules import DOCUMENTS
from oa_server.models import User
from oa_server.sync_push import server_batch


def pending_in(rows: Iterable, *, user: User) -> list[str]:
    """Ids of the 收文 in a pull page (rows of collection, id, rev, deleted, data, visible)
    that wait for their first delivery and are for the user's unit."""
    unit = str(user.unit_id)
    found = []
    for collection, rid, _rev, deleted, data, visible in rows:
        if collection != DOCUMENTS or deleted or not visible or PENDING_MARK not in data:
            continue
        record = json.loads(data)
        if record.get("direction") == "incoming" and unit in receiving_units(record):
            found.append(str(rid))
    return found


def record_deliveries(session: Session, *, user: User, device_id: str | None,
                      incoming_ids: list[str], now: datetime) -> int:
    """Mark each 收文 delivered to this user's device (and its sender's receipt 已送达);
    commits; returns how many were recorded."""
    if not incoming_ids:
        return 0
    with server_batch(session, user=user, now=now, device_id=device_id) as ctx:
        done = sum(mark_delivered(ctx, i) for i in incoming_ids)
    session.commit()
    return done
