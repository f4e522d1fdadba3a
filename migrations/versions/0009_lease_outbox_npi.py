"""Leases on job run claims, outbox priority and the body delivered, one active account per NPI

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ACTIVE_NPI = "active AND npi IS NOT NULL"
WAITING = "delivered_at IS NULL"
# service.rules.notifications as it stood when this migration was written: 0 critical alerts, 1 other alerts,
# 2 the rest (the column's default). Only messages still waiting need it.
CRITICAL, ALERT = 0, 1


def upgrade() -> None:
    bind = op.get_bind()
    shared = bind.execute(sa.text(f"SELECT npi FROM users WHERE {ACTIVE_NPI} GROUP BY npi HAVING COUNT(*) > 1"))
    shared = [row[0] for row in shared]
    if shared:
        raise RuntimeError(f"active accounts share an NPI ({', '.join(shared)}): deactivate the duplicate accounts "
                           "or correct their NPI, then upgrade again")
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_index("uq_users_active_npi", ["npi"], unique=True, postgresql_where=sa.text(ACTIVE_NPI),
                              sqlite_where=sa.text(ACTIVE_NPI))

    # Working state, not protected by the append-only triggers. A claim made before leases existed counts as
    # expired: if it is unfinished, its scheduler is long gone.
    with op.batch_alter_table("job_runs") as batch_op:
        batch_op.add_column(sa.Column("lease_expires_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default=sa.text("1")))
    op.execute("UPDATE job_runs SET lease_expires_at = claimed_at")
    with op.batch_alter_table("job_runs") as batch_op:
        batch_op.alter_column("lease_expires_at", existing_type=UTCDateTime(timezone=True), nullable=False)
        batch_op.alter_column("attempt", existing_type=sa.Integer(), server_default=None)

    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("priority", sa.SmallInteger(), nullable=False, server_default=sa.text("2")))
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
    messages = sa.table("outbox_messages", sa.column("id", sa.Integer()), sa.column("kind", sa.String()),
                        sa.column("payload", sa.JSON()), sa.column("priority", sa.SmallInteger()),
                        sa.column("delivered_at", UTCDateTime(timezone=True)))
    waiting_alerts = bind.execute(sa.select(messages.c.id, messages.c.payload).where(
        messages.c.delivered_at.is_(None), messages.c.kind.like("alert.%")))
    for message_id, payload in list(waiting_alerts):
        priority = CRITICAL if (payload or {}).get("severity") == "critical" else ALERT
        bind.execute(sa.update(messages).where(messages.c.id == message_id).values(priority=priority))
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.create_index("ix_outbox_messages_waiting", ["priority", "next_attempt_at", "id"], unique=False,
                              postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index("ix_outbox_messages_waiting")
        batch_op.drop_column("body")
        batch_op.drop_column("priority")
    with op.batch_alter_table("job_runs") as batch_op:
        batch_op.drop_column("attempt")
        batch_op.drop_column("lease_expires_at")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index("uq_users_active_npi")
