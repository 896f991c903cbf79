"""Saving and deleting records from any screen: the local change and its outbox op together;
reading one live record; the time a change is stamped with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from oa_client.domain.ids import new_id
from oa_client.errors import NotFoundError
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes, Op

LOCAL_FIELDS = ("id", "rev", "deleted", "updated_at")


def now_or(now: datetime | None) -> datetime:
    """`now` (a test's or a replay's), or the current time (UTC)."""
    return now or datetime.now(UTC)


def get_live(store: LocalStore, collection: str, record_id: str, missing: str) -> dict[str, Any]:
    """A live record; NotFoundError saying `missing` when it is absent or deleted."""
    rec = store.records.get(collection, record_id)
    if rec.get("deleted"):
        raise NotFoundError(missing, id=record_id)
    return rec


def _payload(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in LOCAL_FIELDS}


def save(store: LocalStore, collection: str, record: dict) -> Changes:
    """Create or update a record offline; it syncs when the network is there."""
    record = dict(record)
    record.setdefault("id", new_id())
    return store.records.save_edit(collection, record, _payload(record))


def append_event(store: LocalStore, collection: str, record: dict) -> Changes:
    """Record an append-only action (a flow event, an opinion): never edited afterwards."""
    record = dict(record)
    record.setdefault("id", new_id())
    record["rev"] = 0
    op = Op(kind="action", entity=collection, entity_id=record["id"], payload=_payload(record))
    return store.records.write(collection, [record], ops=[op])


def delete(store: LocalStore, collection: str, record_id: str) -> Changes:
    """Delete a record offline (a tombstone that syncs; the server may refuse it as a conflict)."""
    return store.records.delete(collection, record_id, sync=True)


def attach(store: LocalStore, *, owner_kind: str, owner_id: str, name: str,
           data: bytes, mime: str | None = None) -> Changes:
    """Attach a file to a record offline; its bytes and metadata sync when online."""
    _attachment_id, changes = store.blobs.put(owner_kind=owner_kind, owner_id=owner_id,
                                              name=name, data=data, mime=mime, sync=True)
    return changes
