"""Index results by patient and time (the missed-test job reads the last weeks' results in that order)

Revision ID: 0022
Revises: 0019
"""

from alembic import op

revision = "0022"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inr_results") as batch_op:
        batch_op.create_index("ix_inr_results_patient_id_measured_at", ["patient_id", "measured_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inr_results") as batch_op:
        batch_op.drop_index("ix_inr_results_patient_id_measured_at")
