"""Tables of the sync service: records at revisions, who sees them, applied ops, blobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oa_server.db import Base, UTCDateTime


class SyncCounter(Base):
    """The tenant's one monotonic revision; taken under a row lock so commits stay in order."""

    __tablename__ = "sync_counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncRecord(Base):
    """A business record as the server (the authority) holds it; deleted = tombstone."""

    __tablename__ = "sync_records"
    __table_args__ = (Index("sync_records_rev", "rev"), Index("sync_records_parent", "parent"))

    collection: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rev: Mapped[int] = mapped_column(BigInteger)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[str] = mapped_column(Text, default="{}")
    unit_id: Mapped[str | None] = mapped_column(String(64))
    parent: Mapped[str | None] = mapped_column(String(140))  # "collection:id" of the owner
    created_by: Mapped[str] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SyncAudience(Base):
    """Who sees a record: a principal (oa_server.visibility) per row; inactive = lost sight."""

    __tablename__ = "sync_audience"
    __table_args__ = (Index("sync_audience_principal", "principal", "collection", "record_id"),)

    collection: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[str] = mapped_column(String(80), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SyncOp(Base):
    """An op a user's device sent and what became of it: a resent op gets this result again
    (keyed by the user too: a device id is the client's own choice)."""

    __tablename__ = "sync_ops"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    op_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Blob(Base):
    """A content-addressed attachment (SHA-256), stored whole once finished."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BlobUpload(Base):
    """A resumable chunked upload: bytes so far live in a spool file under the data dir."""

    __tablename__ = "blob_uploads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    user_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)


class BlobOwner(Base):
    """Who uploaded a blob's bytes: each uploader may attach them (the same bytes uploaded
    by two people are stored once and owned by both); others read them only through a
    record they see."""

    __tablename__ = "blob_owners"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeetingSpan(Base):
    """When a live meeting can be busy: its first start and last end (NULL: a series with no
    end), so free/busy and conflict checks read only the meetings near their window."""

    __tablename__ = "meeting_spans"

    meeting_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_start: Mapped[str] = mapped_column(String(32), index=True)
    last_end: Mapped[str | None] = mapped_column(String(32), nullable=True)
