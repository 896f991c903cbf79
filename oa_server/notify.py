"""Writing reminders (collection `notifications`, see oa_client/domain/notifications.py).

A reminder's id is derived from its `key` (what it is about and for which period), so
whichever worker or manual run writes it, it is written once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from oa_client.domain.notifications import COLLECTION, MESSAGES
from oa_client.i18n import _
from oa_server.authority.context import Ctx


def notice_id(key: str) -> str:
    """The id of the reminder for `key` (the same key, the same record)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"oa:notice:{key}"))


def iso(moment: datetime) -> str:
    """A UTC timestamp as records carry it."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def notify(ctx: Ctx, *, key: str, kind: str, args: dict[str, Any], collection: str,
           record_id: str, users: Iterable[str] = (), units: Iterable[str] = (),
           expires_at: datetime | None = None, urgent: bool = False,
           checked: bool = False) -> bool:
    """Send one reminder to people and/or units unless it was sent already; True when sent.
    Who reads it follows from `to_users` and `to_units` (`oa_server.visibility`: in each unit,
    those who answer for the reminder's kind of work, not the whole unit).

    Callers that send many ask which exist first (`ctx.existing(COLLECTION, ids)`) and pass
    `checked` for the new ones."""
    to_users = sorted({u for u in users if u})
    to_units = sorted({u for u in units if u})
    if not to_users and not to_units:
        return False
    rid = notice_id(key)
    if not checked and ctx.get(COLLECTION, rid) is not None:
        return False
    msg = MESSAGES[kind]
    ctx.put(COLLECTION, rid, {
        "kind": kind, "msg": msg, "args": args, "title": _(msg).format(**args),
        "collection": collection, "record_id": record_id, "to_users": to_users,
        "to_units": to_units, "created_at": iso(ctx.now),
        "expires_at": iso(expires_at) if expires_at else None, "urgent": urgent,
    })
    return True
