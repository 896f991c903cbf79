"""who sees what: blob owners, and every record's audience by the one rule

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add blob_owners (each blob's first uploader kept as its owner), then recompute every
    record's audience (oa_server.visibility): nobody sees a colleague's draft by being in the
    same unit any more, and those who lose sight pull tombstones."""
    op.create_table(
        "blob_owners",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute("INSERT INTO blob_owners (sha256, user_id, created_at) "
               "SELECT sha256, created_by, created_at FROM blobs")
    from oa_server.visibility_refresh import refresh_audiences

    refresh_audiences(op.get_bind())


def downgrade() -> None:
    """Drop blob_owners (the recomputed audiences stay: the older rule read them as well)."""
    op.drop_table("blob_owners")
