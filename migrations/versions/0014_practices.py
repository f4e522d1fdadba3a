"""Practices hold their people: users belong to one, audit events name the actor's, export batches and their keys are
a practice's, reminders are set per practice

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from migrations.append_only import protect, unprotect

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from service.settings import Settings

    # The INR_REMINDER_* settings the process runs with become the practices' reminder day and time, read once.
    settings = Settings.from_environment()
    bind = op.get_bind()
    first = bind.execute(sa.text("SELECT MIN(id) FROM practices")).scalar()
    with op.batch_alter_table("practices") as batch_op:
        batch_op.add_column(sa.Column("reminder_weekday", sa.String(length=9), nullable=False,
                                      server_default=settings.reminder_weekday))
        batch_op.add_column(sa.Column("reminder_time", sa.String(length=5), nullable=False,
                                      server_default=settings.reminder_time.strftime("%H:%M")))
    with op.batch_alter_table("practices") as batch_op:
        batch_op.alter_column("reminder_weekday", existing_type=sa.String(length=9), server_default=None)
        batch_op.alter_column("reminder_time", existing_type=sa.String(length=5), server_default=None)

    # Everyone there is belongs to the one practice there is.
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("practice_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE users SET practice_id = :first"), {"first": first})
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("practice_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_users_practice_id_practices"), "practices", ["practice_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_users_practice_id"), ["practice_id"])

    # An export batch holds one practice's lines; its client key is that practice's.
    unprotect("export_batches")
    with op.batch_alter_table("export_batches") as batch_op:
        batch_op.add_column(sa.Column("practice_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE export_batches SET practice_id = :first"), {"first": first})
    with op.batch_alter_table("export_batches") as batch_op:
        batch_op.alter_column("practice_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_export_batches_practice_id_practices"), "practices",
                                    ["practice_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_export_batches_practice_id"), ["practice_id"])
        batch_op.drop_constraint("uq_export_batches_client_key", type_="unique")
        batch_op.create_unique_constraint("uq_export_batches_practice_id_client_key", ["practice_id", "client_key"])
    protect("export_batches")

    unprotect("audit_events")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.add_column(sa.Column("practice_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_events_practice_id"), ["practice_id"])
    bind.execute(sa.text("UPDATE audit_events SET practice_id = :first WHERE actor_id IS NOT NULL"), {"first": first})
    protect("audit_events")


def downgrade() -> None:
    unprotect("export_batches")
    with op.batch_alter_table("export_batches") as batch_op:
        batch_op.drop_constraint("uq_export_batches_practice_id_client_key", type_="unique")
        batch_op.create_unique_constraint("uq_export_batches_client_key", ["client_key"])
        batch_op.drop_index(batch_op.f("ix_export_batches_practice_id"))
        batch_op.drop_constraint(batch_op.f("fk_export_batches_practice_id_practices"), type_="foreignkey")
        batch_op.drop_column("practice_id")
    protect("export_batches")
    unprotect("audit_events")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_practice_id"))
        batch_op.drop_column("practice_id")
    protect("audit_events")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_practice_id"))
        batch_op.drop_constraint(batch_op.f("fk_users_practice_id_practices"), type_="foreignkey")
        batch_op.drop_column("practice_id")
    with op.batch_alter_table("practices") as batch_op:
        batch_op.drop_column("reminder_time")
        batch_op.drop_column("reminder_weekday")
