"""jobs: the runs of the server's scheduled jobs (one row per job and period)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create job_runs: (job, slot) unique, so each period is claimed by one worker."""
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(64), nullable=False),
        sa.Column("node", sa.String(128), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("lease_until", _TS, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("touched", sa.Integer(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "slot"),
    )
    with op.batch_alter_table("job_runs") as batch:
        batch.create_index(batch.f("ix_job_runs_job"), ["job"], unique=False)


def downgrade() -> None:
    """Drop job_runs."""
    with op.batch_alter_table("job_runs") as batch:
        batch.drop_index(batch.f("ix_job_runs_job"))
    op.drop_table("job_runs")
