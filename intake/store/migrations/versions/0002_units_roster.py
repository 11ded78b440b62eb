"""units against a roster: a message's claimed unit (待确认), a unit's late flag and confirmed addresses

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - sqlmodel.sql.sqltypes.AutoString (env-facts §9)
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_unit", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("confirmed_addresses", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("confirmed_addresses")
        batch_op.drop_column("late")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("claimed_unit")
