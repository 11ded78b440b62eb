"""reminders (one per unit per day) and staff alerts (one per incident), sent through the outbox

The outbox row of a receipt keeps its unique ``message_pk`` (exactly one receipt per message);
``message_pk`` becomes nullable so a row can instead belong to a reminder (unique ``reminder_pk``)
or an alert (``alert_pk``), and a check constraint keeps exactly one of the three set.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - sqlmodel.sql.sqltypes.AutoString (env-facts §9)
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OWNER = ("(CASE WHEN message_pk IS NULL THEN 0 ELSE 1 END) + (CASE WHEN reminder_pk IS NULL THEN 0 ELSE 1 END)"
             " + (CASE WHEN alert_pk IS NULL THEN 0 ELSE 1 END) = 1")


def upgrade() -> None:
    op.create_table("reminder",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column("to_addr", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("unit", "day", name="uq_reminder_unit_day"),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_unit"), ["unit"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_state"), ["state"], unique=False)

    op.create_table("alert",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column("notified", sa.Boolean(), nullable=False),
    sa.Column("notified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column("recovery_notified", sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_source"), ["source"], unique=False)

    # SQLite cannot ALTER a column or add a constraint: batch mode copies the table (rows kept)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("message_pk", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("reminder_pk", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("alert_pk", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_reminder_pk"), ["reminder_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_alert_pk"), ["alert_pk"], unique=False)
        batch_op.create_unique_constraint("uq_outbox_reminder", ["reminder_pk"])
        batch_op.create_foreign_key("fk_outbox_reminder_pk", "reminder", ["reminder_pk"], ["id"])
        batch_op.create_foreign_key("fk_outbox_alert_pk", "alert", ["alert_pk"], ["id"])
        batch_op.create_check_constraint("ck_outbox_one_owner", ONE_OWNER)


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE message_pk IS NULL")  # reminders and alerts have no place in 0002
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("ck_outbox_one_owner", type_="check")
        batch_op.drop_constraint("fk_outbox_alert_pk", type_="foreignkey")
        batch_op.drop_constraint("fk_outbox_reminder_pk", type_="foreignkey")
        batch_op.drop_constraint("uq_outbox_reminder", type_="unique")
        batch_op.drop_index(batch_op.f("ix_outbox_alert_pk"))
        batch_op.drop_index(batch_op.f("ix_outbox_reminder_pk"))
        batch_op.drop_column("alert_pk")
        batch_op.drop_column("reminder_pk")
        batch_op.alter_column("message_pk", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_source"))
    op.drop_table("alert")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_state"))
        batch_op.drop_index(batch_op.f("ix_reminder_unit"))
    op.drop_table("reminder")
