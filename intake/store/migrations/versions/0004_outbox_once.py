"""receipts exactly once: the outbox row's Message-ID, its claiming process, the sending state and
unknown outcomes, the plain-body flag; senderstate (pauses of all sending ordered by 163.com's limits)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - sqlmodel.sql.sqltypes.AutoString / UTCDateTime (env-facts §9)
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("send_started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("unknown_outcomes", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("plain", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "senderstate",
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("paused_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("config_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("cleared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("sender"),
    )


def downgrade() -> None:
    op.drop_table("senderstate")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        for name in ("plain", "unknown_outcomes", "send_started_at", "claimed_at", "claimed_by", "message_id"):
            batch_op.drop_column(name)
