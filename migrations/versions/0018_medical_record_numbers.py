"""Patients carry their practice's medical record number, unique within the practice, so staff find them by it

Revision ID: 0018
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column and a unique index: no table rebuild, existing patients simply have none yet.
    op.add_column("patients", sa.Column("mrn", sa.String(length=30), nullable=True))
    op.create_index("uq_patients_practice_id_mrn", "patients", ["practice_id", "mrn"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_patients_practice_id_mrn", table_name="patients")
    with op.batch_alter_table("patients") as batch_op:
        batch_op.drop_column("mrn")
