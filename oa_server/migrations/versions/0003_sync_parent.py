"""sync: a child record (flow event, revision, attachment) knows its parent record

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add sync_records.parent ('collection:id') and index it."""
    with op.batch_alter_table("sync_records") as batch:
        batch.add_column(sa.Column("parent", sa.String(140), nullable=True))
    op.create_index("sync_records_parent", "sync_records", ["parent"])


def downgrade() -> None:
    """Drop the parent column."""
    op.drop_index("sync_records_parent", table_name="sync_records")
    with op.batch_alter_table("sync_records") as batch:
        batch.drop_column("parent")
