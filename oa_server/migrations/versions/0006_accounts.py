"""accounts under 三员分立: forced password changes, password history, sign-in delays per
(login, source) instead of a lock, the security policy, revocable devices, session scopes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Replace the lockout columns, add the new tables and columns."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("failure_window_start")
        batch.drop_column("locked_until")
        batch.add_column(sa.Column("password_changed_at", _TS, nullable=True))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("forced_change", sa.String(16), nullable=True))
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("revoked_at", _TS, nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("final_push", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("wiped_at", _TS, nullable=True))
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("scope", sa.String(16), nullable=False, server_default="full"))
    op.create_table(
        "password_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_password_history_user_id", "password_history", ["user_id"])
    op.create_table(
        "signin_delays",
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", _TS, nullable=True),
        sa.Column("blocked_until", _TS, nullable=True),
        sa.PrimaryKeyConstraint("login", "source"),
    )
    op.create_index("ix_signin_delays_last_failure_at", "signin_delays", ["last_failure_at"])
    op.create_table(
        "security_policy",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Back to the lockout columns (sign-in delays, history and policy are dropped)."""
    op.drop_table("security_policy")
    op.drop_index("ix_signin_delays_last_failure_at", table_name="signin_delays")
    op.drop_table("signin_delays")
    op.drop_index("ix_password_history_user_id", table_name="password_history")
    op.drop_table("password_history")
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("scope")
    with op.batch_alter_table("devices") as batch:
        for name in ("wiped_at", "final_push", "revoked_by", "revoked_at"):
            batch.drop_column(name)
    with op.batch_alter_table("users") as batch:
        for name in ("forced_change", "must_change_password", "password_changed_at"):
            batch.drop_column(name)
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("failure_window_start", _TS, nullable=True))
        batch.add_column(sa.Column("locked_until", _TS, nullable=True))
