"""The wire protocol between the client's sync engine and the server (imported by both).

Every request carries `X-OA-Protocol: <PROTOCOL_VERSION>`; a server that cannot
speak it answers 426 with code `upgrade_required`. Bodies go in zstd or gzip (the
codings section at the end): every answer names the codings the server reads in a request body
(`Accept-Encoding: zstd, gzip`, RFC 7694; none named: gzip only), a body in another
coding is 415 `unsupported_encoding`, and answers come in the coding the request's
`Accept-Encoding` prefers.

push   POST /api/v1/sync/push    PushRequest  → PushResponse (one OpResult per op), with
       `Server-Timing: push;dur=<ms>`: the server's own time on it (optional to a client)
pull   GET  /api/v1/sync/pull    ?cursor=&limit=[&collection=] → PullResponse
digest GET  /api/v1/sync/digest  → DigestResponse (count and digest per collection)
blobs  HEAD/GET /api/v1/blobs/{sha256}, POST /api/v1/blobs/uploads, PUT …/{upload_id},
       POST …/{upload_id}/finish
live   GET  /api/v1/sync/wait?cursor=&timeout=  → WaitResponse (long-poll)
"""

from __future__ import annotations

import gzip
import hashlib
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1
MIN_PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-OA-Protocol"
#: ops a push may carry (500 on servers before 2026-12: a client that meets such a server's
#: 422 on `ops` halves its batches, see `sync.engine`)
MAX_OPS_PER_PUSH = 1000
MAX_PULL_LIMIT = 5000
MAX_PAYLOAD_BYTES = 1_000_000

#: collections that travel through sync (the client's record tables)
SYNC_COLLECTIONS = (
    "units", "users", "documents", "document_events", "document_revisions", "rooms", "meetings",
    "service_items", "requests", "data_items", "report_templates", "submissions",
    "supervision_tasks", "attachments",
    # v5: flow events and replies of the modules, personal settings, the holiday calendar
    "meeting_replies", "checkins", "request_events", "task_events", "task_progress",
    "phrases", "delegations", "calendars",
    # reminders the server's jobs send, the server's policy records (supervision …)
    "notifications", "settings",
)
#: what kind of record owns an attachment (attachments are seen by whoever sees the owner)
ATTACHMENT_OWNERS = {
    "document": "documents", "meeting": "meetings", "request": "requests",
    "submission": "submissions", "supervision_task": "supervision_tasks",
}
#: records everyone signed in may read (the org chart); only admins write them
ORG_COLLECTIONS = ("units", "users")
#: records only the server writes (calendars, reminders, policies); clients read them
SERVER_COLLECTIONS = ("calendars", "notifications", "settings")
#: child collection → (parent collection, field naming the parent); a child is seen by
#: whoever sees its parent
CHILD_COLLECTIONS = {
    "document_events": ("documents", "document_id"),
    "document_revisions": ("documents", "document_id"),
    "meeting_replies": ("meetings", "meeting_id"),
    "checkins": ("meetings", "meeting_id"),
    "request_events": ("requests", "request_id"),
    "task_events": ("supervision_tasks", "task_id"),
    "task_progress": ("supervision_tasks", "task_id"),
}

OpKind = Literal["upsert", "delete", "action"]
OpStatus = Literal["applied", "rejected", "conflict", "superseded"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Op(_Wire):
    """One operation from a device's outbox."""

    op_id: str = Field(min_length=1, max_length=64)
    kind: OpKind
    entity: str = Field(min_length=1, max_length=64)
    entity_id: str = Field(min_length=1, max_length=64)
    base_rev: int = Field(default=0, ge=0)
    payload: dict[str, Any] = Field(default_factory=dict)


class PushRequest(_Wire):
    """A batch of outbox operations from one device."""

    device_id: str = Field(min_length=1, max_length=64)
    ops: list[Op] = Field(max_length=MAX_OPS_PER_PUSH)


class Record(_Wire):
    """A record as the server holds it at a revision (deleted = tombstone)."""

    collection: str
    id: str
    rev: int
    deleted: bool = False
    data: dict[str, Any] = Field(default_factory=dict)


class OpResult(_Wire):
    """What became of one op; the same op sent again gets the same result."""

    op_id: str
    status: OpStatus
    rev: int | None = None  # the record's revision after an applied op
    code: str | None = None  # why it was rejected: forbidden, validation, unknown_kind …
    message: str | None = None
    server_record: Record | None = None  # the server's copy on conflict


class PushResponse(_Wire):
    """One result per op, in order."""

    results: list[OpResult]
    server_id: str
    server_time: str


class PullResponse(_Wire):
    """Changes after `cursor` in revision order; `has_more` until caught up."""

    server_id: str
    changes: list[Record]
    next_cursor: int
    has_more: bool
    high_water: int
    server_time: str


class CollectionDigest(_Wire):
    """How many live records of a collection the user sees, and a digest of (id, rev)."""

    count: int
    digest: str


class DigestResponse(_Wire):
    """Per-collection counts and digests, compared by the client after a sync."""

    server_id: str
    high_water: int
    collections: dict[str, CollectionDigest]


class WaitResponse(_Wire):
    """Long-poll answer: whether anything newer than the cursor that this user may see is there.

    `quiet_until`, sent only to a desk that asked (`quiet=1`) and only with `changed` false:
    nothing the user may see changed after the cursor up to this revision, so the desk may
    move its pull cursor there without pulling (its next pull then reads only what came
    after, not everyone's writes since its last pull)."""

    changed: bool
    high_water: int
    quiet_until: int | None = None


class UploadStart(_Wire):
    """Begin (or resume) a chunked upload of a blob with a known hash and size."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class UploadState(_Wire):
    """Where an upload stands: bytes received so far (resume from there)."""

    upload_id: str
    sha256: str
    size: int
    received: int
    complete: bool = False


def digest_of(pairs: list[tuple[str, int]]) -> str:
    """The digest of a collection: SHA-256 over its sorted (id, rev) pairs."""
    h = hashlib.sha256()
    for rid, rev in sorted(pairs):
        h.update(f"{rid}:{rev}\n".encode())
    return h.hexdigest()


# -- content codings of bodies, both ways ------------------------------------------------
# zstd where both ends have it, gzip otherwise. A push of 667 edits (314 KB of JSON) is 57 KB
# in zstd, made in 0.4 ms; gzip at level 5 made 66 KB of it in 4 ms. zstd is Python's own
# from 3.14 (`compression.zstd`) and the `backports.zstd` wheel before that; a platform with
# neither keeps to gzip.

zstd: ModuleType | None
try:
    from compression import zstd  # type: ignore[import-not-found,no-redef]  # Python 3.14+
except ImportError:
    try:
        from backports import zstd  # type: ignore[no-redef]
    except ImportError:  # pragma: no cover - a platform without the wheel
        zstd = None

#: the codings this side reads in a body, preferred first
CODINGS: tuple[str, ...] = ("zstd", "gzip") if zstd is not None else ("gzip",)
#: what any server reads (one that names nothing in its answers)
FALLBACK = ("gzip",)
ZSTD_LEVEL = 1
GZIP_LEVEL = 5


def accepted(header: str | None) -> tuple[str, ...]:
    """The codings an `Accept-Encoding` header names, lower-case, in order (`;q=0`: refused)."""
    found = []
    for item in (header or "").split(","):
        name, *params = (part.strip() for part in item.split(";"))
        if name and _weight(params) != 0:
            found.append(name.lower())
    return tuple(found)


def _weight(params: list[str]) -> float:
    """The `q` among an `Accept-Encoding` item's parameters (1 when absent or unreadable)."""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 1.0
    return 1.0


def request_coding(server: tuple[str, ...]) -> str:
    """The coding for a request body to a server that reads `server` (zstd when both can)."""
    return "zstd" if "zstd" in server and "zstd" in CODINGS else "gzip"


def compress(data: bytes, coding: str) -> bytes:
    """`data` in `coding` ("zstd" only where this side has it)."""
    if coding == "zstd":
        if zstd is None:
            raise ValueError("zstd is not available here")
        return zstd.compress(data, level=ZSTD_LEVEL)
    if coding == "gzip":
        return gzip.compress(data, compresslevel=GZIP_LEVEL)
    raise ValueError(f"unknown coding: {coding}")
