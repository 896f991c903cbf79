"""sync: records at revisions, audience, applied ops, revision counter, blobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the sync tables and the revision counter row."""
    op.create_table(
        "sync_counter",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO sync_counter (name, value) VALUES ('rev', 0)")
    op.create_table(
        "sync_records",
        sa.Column("collection", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("rev", sa.BigInteger, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("unit_id", sa.String(64)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("sync_records_rev", "sync_records", ["rev"])
    op.create_table(
        "sync_audience",
        sa.Column("collection", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(64), primary_key=True),
        sa.Column("principal", sa.String(80), primary_key=True),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index(
        "sync_audience_principal", "sync_audience", ["principal", "collection", "record_id"]
    )
    op.create_table(
        "sync_ops",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("op_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "blob_uploads",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("chunk_count", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop the sync tables."""
    for table in (
        "blob_uploads",
        "blobs",
        "sync_ops",
        "sync_audience",
        "sync_records",
        "sync_counter",
    ):
        op.drop_table(table)
