"""Recompute every stored record's audience with today's rule (`oa_server.visibility`).

Run by the migration that brought the rule in (and again by any later one that changes it).
Records whose readers changed take a new revision — parents before their children — so
those who lost sight pull a tombstone and those who gained it pull the record. Plain Core
reads of the few columns the rule needs: it runs inside a migration, on that schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from oa_server import visibility
from oa_server.models import User
from oa_server.sync_models import SyncAudience, SyncCounter, SyncRecord

COUNTER = "rev"


@dataclass(frozen=True)
class _Person:
    """The part of a user the rule reads."""

    department_id: str | None


class _Facts:
    """`visibility.Facts` over the database: people by id, live records by key."""

    def __init__(self, conn: Connection, records: dict[tuple[str, str], Any]) -> None:
        users = User.__table__
        self._people = {str(uid): _Person(str(dept) if dept else None) for uid, dept in
                        conn.execute(select(users.c.id, users.c.department_id)).all()}
        self._records = records

    def person(self, user_id: str | None) -> Any:
        """A user's section (None when unknown)."""
        return self._people.get(str(user_id or ""))

    def record(self, collection: str, record_id: str) -> dict[str, Any] | None:
        """A live record's data."""
        row = self._records.get((collection, record_id))
        return None if row is None else {**json.loads(row.data), "unit_id": row.unit_id}


def refresh_audiences(conn: Connection) -> int:
    """Give every live record the audience the rule says; return how many moved."""
    records = SyncRecord.__table__
    rows = conn.execute(select(
        records.c.collection, records.c.id, records.c.rev, records.c.data, records.c.unit_id,
        records.c.parent, records.c.created_by).where(records.c.deleted.is_(False))
        .order_by(records.c.rev)).all()
    live = {(r.collection, r.id): r for r in rows}
    stored: dict[tuple[str, str], dict[str, bool]] = {}
    for collection, rid, principal, active in conn.execute(select(
            SyncAudience.collection, SyncAudience.record_id, SyncAudience.principal,
            SyncAudience.active)):
        stored.setdefault((collection, rid), {})[principal] = bool(active)
    facts = _Facts(conn, live)
    wanted: dict[tuple[str, str], set[str]] = {}
    for row in rows:  # parents first: a child takes its parent's new audience
        if row.parent is None:
            wanted[(row.collection, row.id)] = visibility.audience(
                row.collection, json.loads(row.data), unit_id=row.unit_id,
                author=row.created_by, facts=facts)
    for row in rows:
        if row.parent is not None:
            parent = tuple(row.parent.split(":", 1))
            if parent in wanted:
                wanted[(row.collection, row.id)] = wanted[parent]  # type: ignore[index]
    moved = [row for row in sorted(rows, key=lambda r: (r.parent is not None, r.rev))
             if (row.collection, row.id) in wanted and wanted[(row.collection, row.id)] != {
                 p for p, on in stored.get((row.collection, row.id), {}).items() if on}]
    if not moved:
        return 0
    top = int(conn.scalar(select(SyncCounter.value).where(SyncCounter.name == COUNTER)) or 0)
    inserts, flips, revs = [], [], []
    for offset, row in enumerate(moved, start=1):
        key = (row.collection, row.id)
        before = stored.get(key, {})
        for principal in before.keys() | wanted[key]:
            on = principal in wanted[key]
            if principal not in before:
                inserts.append({"collection": key[0], "record_id": key[1],
                                "principal": principal, "active": True})
            elif before[principal] != on:
                flips.append({"c": key[0], "r": key[1], "p": principal, "on": on})
        revs.append({"c": key[0], "r": key[1], "rev": top + offset})
    if inserts:
        conn.execute(insert(SyncAudience), inserts)
    audience = SyncAudience.__table__
    bind = {n: bindparam(n) for n in ("c", "r", "p", "on", "rev")}
    if flips:
        conn.execute(update(audience).where(
            audience.c.collection == bind["c"], audience.c.record_id == bind["r"],
            audience.c.principal == bind["p"]).values(active=bind["on"]), flips)
    conn.execute(update(records).where(records.c.collection == bind["c"],
                                       records.c.id == bind["r"]).values(rev=bind["rev"]), revs)
    conn.execute(update(SyncCounter.__table__).where(SyncCounter.name == COUNTER)
                 .values(value=top + len(moved)))
    return len(moved)

