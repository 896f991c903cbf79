"""The wire protocol between the client's sync engine and the server (imported by both).

Every request carries `X-OA-Protocol: <PROTOCOL_VERSION>`; a server that cannot
speak it answers 426 with code `upgrade_required`.

push   POST /api/v1/sync/push    PushRequest  → PushResponse (one OpResult per op), with
       `Server-Timing: push;dur=<ms>`: the server's own time on it (optional to a client)
pull   GET  /api/v1/sync/pull    ?cursor=&limit=[&collection=] → PullResponse
digest GET  /api/v1/sync/digest  → DigestResponse (count and digest per collection)
blobs  HEAD/GET /api/v1/blobs/{sha256}, POST /api/v1/blobs/uploads, PUT …/{upload_id},
       POST …/{upload_id}/finish
live   GET  /api/v1/sync/wait?cursor=&timeout=  → WaitResponse (long-poll)
"""

from __future__ import annotations

import hashlib
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
