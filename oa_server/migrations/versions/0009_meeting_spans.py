"""meeting_spans: each live meeting's first start and last end, for bounded free/busy queries

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create meeting_spans and fill it from the stored meetings."""
    op.create_table(
        "meeting_spans",
        sa.Column("meeting_id", sa.String(64), nullable=False),
        sa.Column("first_start", sa.String(32), nullable=False),
        sa.Column("last_end", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("meeting_id"),
    )
    with op.batch_alter_table("meeting_spans") as batch:
        batch.create_index(batch.f("ix_meeting_spans_first_start"), ["first_start"], unique=False)
    from oa_server.meeting_spans import write_spans  # the same rule as every later write

    class _Row:
        def __init__(self, rid: str, data: str, deleted: bool) -> None:
            self.id, self.data, self.deleted = rid, data, deleted

    session = Session(bind=op.get_bind())
    records = sa.table("sync_records", sa.column("collection"), sa.column("id"),
                       sa.column("data"), sa.column("deleted"))
    rows = session.execute(sa.select(records.c.id, records.c.data, records.c.deleted)
                           .where(records.c.collection == "meetings")).all()
    for lo in range(0, len(rows), 1000):
        write_spans(session, [_Row(*row) for row in rows[lo:lo + 1000]])


def downgrade() -> None:
    """Drop meeting_spans (free/busy then reads every meeting again)."""
    op.drop_table("meeting_spans")
