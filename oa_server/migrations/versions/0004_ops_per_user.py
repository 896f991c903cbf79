"""sync: an op's stored result is keyed by who sent it too (user, device, op)

A device id is the client's own choice at sign-in, so two users may send the same
(device, op) pair: keyed without the user, the second got the first one's stored
result (and its op was never applied).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _rekey(key: list[str]) -> None:
    """Copy sync_ops into a table with `key` as its primary key, and put it in place
    (the portable way: SQLite cannot change a primary key in place, and the old one's
    constraint name differs by database)."""
    op.create_table(
        "sync_ops_new",
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("op_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )
    op.execute("INSERT INTO sync_ops_new (device_id, op_id, user_id, result, created_at)"
               " SELECT device_id, op_id, user_id, result, created_at FROM sync_ops")
    op.drop_table("sync_ops")
    op.rename_table("sync_ops_new", "sync_ops")


def upgrade() -> None:
    """Make (user_id, device_id, op_id) the primary key of sync_ops."""
    _rekey(["user_id", "device_id", "op_id"])


def downgrade() -> None:
    """Back to (device_id, op_id) (of a clashing pair, the lower user id's row is kept)."""
    op.execute("DELETE FROM sync_ops WHERE EXISTS (SELECT 1 FROM sync_ops o WHERE"
               " o.device_id = sync_ops.device_id AND o.op_id = sync_ops.op_id"
               " AND o.user_id < sync_ops.user_id)")
    _rekey(["device_id", "op_id"])
