"""Reading a pull page: a tuple per record instead of a pydantic model per record.

A first sync reads 100,000s of records. Validating each into a `Record` model took
twice as long as parsing the JSON, on the thread that fetches the next page while the
engine stores this one (both want the interpreter). A page the server wrote in its usual
shape (sync_service.PullPage.to_json: every field, exact JSON types) is read with orjson
and checked here, field by field, to the same types `PullResponse` asks for; anything
else — a missing or extra field, a string where a number belongs, a number out of range —
is read by `PullResponse` itself, which accepts or refuses it exactly as it always did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sync.protocol import PullResponse, Record

try:
    import orjson
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    orjson = None

_PAGE_KEYS = frozenset(PullResponse.model_fields)
_RECORD_KEYS = frozenset(Record.model_fields)


class PulledRecord(NamedTuple):
    """A record of a pull page: `Record`'s fields, read the same way."""

    collection: str
    id: str
    rev: int
    deleted: bool
    data: dict[str, Any]

    def model_dump_json(self) -> str:
        """The record as `Record` writes it (kept as is when the local store refuses it)."""
        return Record(**self._asdict()).model_dump_json()


@dataclass(frozen=True)
class PulledPage:
    """A pull page: `PullResponse`'s fields, its changes as `PulledRecord`s."""

    server_id: str
    changes: list[PulledRecord]
    next_cursor: int
    has_more: bool
    high_water: int
    server_time: str


def read_pull(raw: bytes) -> PulledPage | PullResponse:
    """The page in `raw`; raises ValueError (pydantic's ValidationError) for one that is not."""
    page = _read_usual(raw) if orjson is not None else None
    return page if page is not None else PullResponse.model_validate_json(raw)


def _read_usual(raw: bytes) -> PulledPage | None:
    """The page when it has the server's usual shape, else None (left to `PullResponse`)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(doc) is not dict or doc.keys() != _PAGE_KEYS:
        return None
    server_id, changes, server_time = doc["server_id"], doc["changes"], doc["server_time"]
    next_cursor, has_more, high_water = doc["next_cursor"], doc["has_more"], doc["high_water"]
    if not (type(server_id) is str and type(server_time) is str and type(changes) is list
            and type(next_cursor) is int and type(high_water) is int and type(has_more) is bool):
        return None
    records: list[PulledRecord] = []
    append = records.append
    for change in changes:
        if type(change) is not dict or change.keys() != _RECORD_KEYS:
            return None
        collection, rid, rev = change["collection"], change["id"], change["rev"]
        deleted, data = change["deleted"], change["data"]
        if not (type(collection) is str and type(rid) is str and type(rev) is int
                and type(deleted) is bool and type(data) is dict):
            return None
        append(PulledRecord(collection, rid, rev, deleted, data))
    return PulledPage(server_id, records, next_cursor, has_more, high_water, server_time)
