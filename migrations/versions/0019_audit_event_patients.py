"""One audited read that discloses many patients' data (a panel, an alert queue) is one event linked to each patient

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

from migrations.append_only import protect, unprotect

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table: existing events keep their patient_id and nothing moves.
    op.create_table(
        "audit_event_patients",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["audit_events.id"],
                                name=op.f("fk_audit_event_patients_event_id_audit_events")),
        sa.PrimaryKeyConstraint("event_id", "patient_id", name=op.f("pk_audit_event_patients")),
    )
    op.create_index(op.f("ix_audit_event_patients_patient_id"), "audit_event_patients", ["patient_id"])
    protect("audit_event_patients")


def downgrade() -> None:
    unprotect("audit_event_patients")
    op.drop_index(op.f("ix_audit_event_patients_patient_id"), table_name="audit_event_patients")
    op.drop_table("audit_event_patients")
