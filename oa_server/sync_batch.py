"""What one push (or one server-initiated change) holds in memory: the records it read and
made, who sees them, and the revisions it owes.

Who sees a record is never taken from a caller: every write asks `oa_server.visibility`
(top-level records) or copies the parent's audience (children), and a parent whose
audience moved takes its children along.

Records and their audience are read in bulk (plain rows, no ORM objects) and kept here;
ops and authorities change them in memory; `oa_server.sync_push` takes the revisions and
writes everything back in a few statements. Authorities reach a batch only through
`oa_server.authority.context.Ctx`.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

try:  # reads a record's stored JSON several times faster than the json module
    import orjson
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    orjson = None

from oa_client.domain.ids import new_id
from oa_server import visibility
from oa_server.errors import NeedsLock
from oa_server.models import User
from oa_server.org_view import OrgView
from oa_server.sync_rows import (
    RECORDS,
    StoredRecord,
    audience_by_ids,
    read_by_ids,
    read_records,
    select_records,
)
from oa_server.visibility import parent_of
from sync.protocol import OpResult

__all__ = ["Batch", "chunks", "dumps", "envelope", "finite", "finite_json", "parent_of"]

log = logging.getLogger(__name__)


#: fields of a client's copy that are never stored inside a record's data (sets: asked of
#: every field of every op)
LOCAL_FIELDS = frozenset(("id", "rev", "deleted", "updated_at"))
#: envelope fields `Ctx.get` adds to a record's data (never stored inside it)
ENVELOPE = ("created_by",)
#: what is never stored inside a record's data
NOT_STORED = LOCAL_FIELDS | frozenset(ENVELOPE)
CHUNK = 400


def loads(text: str) -> Any:
    """Stored record data as Python values (orjson where it reads the text; the json module
    for what orjson refuses: NaN or an infinity an older server kept, a number past a
    float's range). orjson reads an integer past 64 bits as a float: an op holding one is
    refused (`dumps_exact`), so only data stored before that holds one."""
    if orjson is not None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def envelope(rec: StoredRecord) -> dict:
    """A stored record's data with its envelope (id, rev, unit_id, created_by)."""
    data = loads(rec.data)
    data.update(id=rec.id, rev=rec.rev, unit_id=rec.unit_id, created_by=rec.created_by)
    return data


_canonical = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def dumps(obj: Any) -> str:
    """Canonical JSON for stored record data: keys sorted, no spaces, text as it is.

    orjson writes it about ten times faster than the json module, byte for byte the same
    but for a float's exponent (1e-7 for 1e-07: the same number). The json module writes
    what orjson does not: integers past 64 bits (an op holding one is refused:
    `dumps_exact`), lone surrogates, keys that are not text. Numbers are finite (an op with
    NaN or an infinity is refused: `finite_json`); orjson would write those as null."""
    text = _orjson_text(obj)
    return text if text is not None else _canonical(obj)


#: the integers stored data holds: what orjson (the server's and the desks' fast reader)
#: writes and reads back exactly; one past them it reads as a float, losing digits
INT_RANGE = (-(2**63), 2**64 - 1)


def dumps_exact(obj: Any) -> str | None:
    """`dumps`, or None when `obj` holds an integer outside `INT_RANGE` (see `wide_int`).
    orjson refuses such a value, so the walk runs only when it does (or is missing)."""
    text = _orjson_text(obj)
    if text is not None:
        return text
    return None if wide_int(obj) is not None else _canonical(obj)


def _orjson_text(obj: Any) -> str | None:
    if orjson is None:
        return None
    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:
        return None


def wide_int(value: Any) -> int | None:
    """The first integer in a JSON-like value outside `INT_RANGE`, or None."""
    low, high = INT_RANGE
    return next((x for x in _scalars(value) if type(x) is int and not low <= x <= high), None)


def finite_json(text: bytes) -> bool:
    """Whether JSON text surely holds no NaN, infinity or number past a float's range
    (orjson reads it). False may be wrong (orjson is missing, or refused the text for
    something else): then look at the values (`finite`)."""
    if orjson is None:
        return False
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


def finite(value: Any) -> bool:
    """Whether every number in a JSON-like value is finite (no NaN, no infinity)."""
    return all(math.isfinite(x) for x in _scalars(value) if isinstance(x, float))


def _scalars(value: Any) -> Iterator[Any]:
    """Every value inside a JSON-like value that is not an object or an array."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    """`items` in lists of at most `size` (bound parameters per statement stay few)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class Batch:
    """What one push reads once and writes once."""

    session: Session
    user: User
    now: datetime
    principals: set[str]
    #: the pushing device (None for a server-initiated change)
    device_id: str | None = None
    records: dict[tuple[str, str], StoredRecord] = field(default_factory=dict)
    audience: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)
    stored_audience: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)
    audience_dirty: set[tuple[str, str]] = field(default_factory=set)
    new_audience: set[tuple[str, str]] = field(default_factory=set)
    needs_rev: list[tuple[StoredRecord, OpResult]] = field(default_factory=list)
    #: the records in hand by parent ("collection:id"): children without a query each time
    by_parent: dict[str, list[StoredRecord]] = field(default_factory=dict)
    #: keys looked up and not found (the revision lock keeps them absent): not asked again
    absent: set[tuple[str, str]] = field(default_factory=set)
    #: records queued for a revision (by identity), so a derived write queues once cheaply
    queued: set[int] = field(default_factory=set)
    #: the org chart, read once per batch (rules and authorities share it)
    org: OrgView = field(init=False)
    #: `user.id` as records hold it (made once: every op and rule asks for it)
    user_id: str = field(init=False)
    #: a first pass without the revision lock (`oa_server.sync_push`): reads by key only
    unlocked: bool = False
    #: the revision of every record read from the database (checked under the lock)
    read_revs: dict[tuple[str, str], int] = field(default_factory=dict)
    #: records the server made in this batch (`put`): a fresh write may replace only these
    made: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.org = OrgView(self.session)
        self.user_id = str(self.user.id)

    def needs_lock(self) -> None:
        """Raise `NeedsLock` in a first pass without the lock (what comes next is safe only
        under it: a read of a range of records, or a write)."""
        if self.unlocked:
            raise NeedsLock()

    def load(self, keys: set[tuple[str, str]]) -> None:
        """Read the records and their audience for every key the batch touches (those in
        hand already are kept as they are: the batch may have changed them)."""
        by_collection: dict[str, list[str]] = {}
        wanted = {k for k in keys if k not in self.records and k not in self.absent}
        for collection, rid in sorted(wanted):
            by_collection.setdefault(collection, []).append(rid)
        # one collection at a time: `collection = ? AND id IN (…)` uses the primary key
        for collection, ids in by_collection.items():
            for part in chunks(ids):
                for rec in read_by_ids(self.session, collection, part):
                    self.read_revs[(collection, rec.id)] = rec.rev
                    self.keep(rec)
                for row in audience_by_ids(self.session, collection, part):
                    key = (collection, row[0])
                    self.audience.setdefault(key, {})[row[1]] = bool(row[2])
                    self.stored_audience.setdefault(key, {})[row[1]] = bool(row[2])
        self.absent |= {k for k in wanted if k not in self.records}

    def keep(self, rec: StoredRecord) -> None:
        """Hold a record in the batch (read from the database or made by it)."""
        self.records[(rec.collection, rec.id)] = rec
        if rec.parent is not None:
            self.by_parent.setdefault(rec.parent, []).append(rec)

    def visible(self, key: tuple[str, str]) -> bool:
        """Whether the pushing user sees the record now."""
        return any(
            active and p in self.principals for p, active in self.audience.get(key, {}).items()
        )

    def active(self, key: tuple[str, str]) -> set[str]:
        """The principals that see the record now."""
        return {p for p, on in self.audience.get(key, {}).items() if on}

    def person(self, user_id: str | None) -> User | None:
        """`visibility.Facts`: a user of the org chart."""
        return self.org.user(user_id)

    def record(self, collection: str, record_id: str) -> dict | None:
        """`visibility.Facts`: a live record's data."""
        return self.get(collection, record_id) if record_id else None

    def audience_for(self, rec: StoredRecord, payload: dict) -> set[str]:
        """Who sees `rec` holding `payload`: the parent's audience for a child, else the rule."""
        parent_key = parent_of(rec.collection, payload)
        if parent_key is not None:
            self.get(*parent_key)
            return self.active(parent_key)
        return visibility.audience(rec.collection, payload, unit_id=rec.unit_id,
                                   author=rec.created_by, facts=self)

    def set_audience(self, key: tuple[str, str], principals: set[str]) -> None:
        """Make `principals` the record's audience; those dropped lose sight (tombstones)."""
        current = self.audience.setdefault(key, {})
        for p in list(current):
            current[p] = p in principals
        for p in principals:
            current[p] = True
        self.audience_dirty.add(key)

    def take_rev(self, rec: StoredRecord, result: OpResult) -> None:
        """Queue a record for the next revision (assigned in order at the end)."""
        if not result.op_id and id(rec) in self.queued:
            return  # already moving in this batch: one revision is enough for a derived write
        self.queued.add(id(rec))
        self.needs_rev.append((rec, result))

    # -- what authorities use (through Ctx) ---------------------------------------------

    def get(self, collection: str, record_id: str) -> dict | None:
        """A live record's data with its envelope, loading it on first use."""
        key = (collection, record_id)
        if key not in self.records and key not in self.absent:
            self.load({key})
        rec = self.records.get(key)
        if rec is None or rec.deleted:
            return None
        return envelope(rec)

    def children(self, collection: str, parent_collection: str, parent_id: str) -> list[dict]:
        """Live children of a parent in revision order; those new in this batch last, in order."""
        self.needs_lock()
        parent = f"{parent_collection}:{parent_id}"
        self.adopt(read_records(self.session, select_records(
            RECORDS.c.parent == parent, RECORDS.c.collection == collection)))
        pending = {id(r): i for i, (r, _res) in enumerate(self.needs_rev)}
        found = [r for r in self.by_parent.get(parent, ())
                 if r.collection == collection and not r.deleted]
        found.sort(key=lambda r: (1, pending[id(r)]) if id(r) in pending else (0, r.rev))
        return [envelope(r) for r in found]

    def adopt(self, recs: Iterable[StoredRecord]) -> None:
        """Take records a query read into the batch together with their stored audience, so
        a later audience change updates those rows instead of inserting them again."""
        fresh = [r for r in recs if (r.collection, r.id) not in self.records]
        by_collection: dict[str, list[str]] = {}
        for rec in fresh:
            self.keep(rec)
            by_collection.setdefault(rec.collection, []).append(rec.id)
        for collection, ids in by_collection.items():
            for part in chunks(ids):
                for row in audience_by_ids(self.session, collection, part):
                    key = (collection, row[0])
                    self.audience.setdefault(key, {}).setdefault(row[1], bool(row[2]))
                    self.stored_audience.setdefault(key, {})[row[1]] = bool(row[2])

    def put(self, collection: str, record_id: str, data: dict, *, unit_id: str | None,
            fresh: bool = False) -> str:
        """Write a record as the server (create or replace) and queue its revision; who sees
        it follows from what it now holds (children: from their parent). Return the id written.

        `fresh`: the caller makes a new record at an id it derived (from public facts, so a
        desk can make one there first). A record the server did not make in this batch at that
        id, or a child of another parent there, is never taken over: the write goes to a new
        id (`_spare`), which the caller keeps."""
        key = (collection, record_id)
        if key not in self.records and key not in self.absent:
            self.load({key})
        rec = self.records.get(key)
        payload = {k: v for k, v in data.items() if k not in NOT_STORED}
        parent_key = parent_of(collection, payload)
        parent = f"{parent_key[0]}:{parent_key[1]}" if parent_key else None
        if rec is not None and self._not_ours(rec, parent, fresh=fresh):
            record_id, rec = self._spare(collection, record_id), None
            key = (collection, record_id)
        if rec is None:
            unit = unit_id or (self.records[parent_key].unit_id if parent_key
                               and parent_key in self.records else str(self.user.unit_id))
            rec = StoredRecord(collection, record_id, 0, False, "{}", unit, parent,
                               self.user_id, self.user_id, self.now, stored=False)
            self.keep(rec)
            self.new_audience.add(key)
            self.made.add(key)
        elif unit_id is not None:
            rec.unit_id = unit_id
        payload["unit_id"] = rec.unit_id
        rec.deleted = False
        rec.data = dumps(payload)
        rec.updated_by, rec.updated_at = self.user_id, self.now
        self.take_rev(rec, OpResult(op_id="", status="applied"))
        self.settle_audience(rec, payload)
        return record_id

    def _not_ours(self, rec: StoredRecord, parent: str | None, *, fresh: bool) -> bool:
        """Whether a server write must not take `rec` over: a child of another parent (a
        record never changes parent), or, for a `fresh` record, one this batch did not make."""
        if rec.parent is not None and rec.parent != parent:
            return True
        return fresh and (rec.collection, rec.id) not in self.made

    def _spare(self, collection: str, taken: str) -> str:
        """A new id for a server record whose derived id `taken` is held by someone else's
        record (logged: a desk made a record where the server was going to)."""
        while True:
            record_id = new_id()
            key = (collection, record_id)
            self.load({key})
            if key not in self.records:
                log.warning("%s:%s is another's record; the server wrote %s instead",
                            collection, taken, record_id)
                return record_id

    def settle_audience(self, rec: StoredRecord, payload: dict) -> None:
        """Give a record written by this batch its audience; if that moved, its children
        move with it (after the record's revision: readers get the parent first)."""
        key = (rec.collection, rec.id)
        audience = self.audience_for(rec, payload)
        before = self.active(key)
        self.set_audience(key, audience)
        if audience != before:
            self.follow_parent(key, audience, stored=key not in self.new_audience)

    def follow_parent(self, key: tuple[str, str], audience: set[str], *, stored: bool = True
                      ) -> None:
        """Children (flow events, revisions, attachments) are seen by whoever sees the parent:
        give them the new audience and a new revision, so gainers get them and losers get
        tombstones on their next pull (a parent new in this batch has only this batch's)."""
        parent = f"{key[0]}:{key[1]}"
        if stored:
            self.needs_lock()
            self.adopt(read_records(self.session, select_records(RECORDS.c.parent == parent)))
        # the stored children, and those this batch made (not written yet)
        for child in list(self.by_parent.get(parent, ())):
            child_key = (child.collection, child.id)
            self.set_audience(child_key, set(audience))
            self.take_rev(child, OpResult(op_id="", status="applied"))
