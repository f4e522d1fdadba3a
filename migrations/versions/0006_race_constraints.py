"""Race-proof uniqueness: one open caregiver link per pair, numbered clearance decisions

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from migrations.append_only import protect, unprotect

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("caregiver_links") as batch_op:
        batch_op.create_index("uq_caregiver_links_open", ["patient_id", "caregiver_id"], unique=True,
                              postgresql_where=sa.text("ends_at IS NULL"), sqlite_where=sa.text("ends_at IS NULL"))
    # Number existing decisions in the order they were made; the append-only guard is lifted for this
    # one-time backfill of a new column and restored at once.
    unprotect("clearance_decisions")
    with op.batch_alter_table("clearance_decisions") as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE clearance_decisions SET sequence = (SELECT COUNT(*) FROM clearance_decisions AS earlier "
        "WHERE earlier.patient_id = clearance_decisions.patient_id AND earlier.id <= clearance_decisions.id)"
    )
    with op.batch_alter_table("clearance_decisions") as batch_op:
        batch_op.alter_column("sequence", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint("uq_clearance_decisions_patient_sequence", ["patient_id", "sequence"])
    protect("clearance_decisions")


def downgrade() -> None:
    unprotect("clearance_decisions")
    with op.batch_alter_table("clearance_decisions") as batch_op:
        batch_op.drop_constraint("uq_clearance_decisions_patient_sequence", type_="unique")
        batch_op.drop_column("sequence")
    protect("clearance_decisions")
    with op.batch_alter_table("caregiver_links") as batch_op:
        batch_op.drop_index("uq_caregiver_links_open")
