"""Each claim line names the generation run that recorded it; the run record's list of created lines is gathered from
them by the database when the run ends (a run no longer holds millions of line ids in memory)

Revision ID: 0025
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

from migrations.append_only import protect, unprotect

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: lines recorded before it name no run (their runs keep their own lists); nothing moves.
    op.add_column("claim_lines", sa.Column("generation_run_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_claim_lines_generation_run_id"), "claim_lines", ["generation_run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_claim_lines_generation_run_id"), table_name="claim_lines")
    # SQLite drops a column by copying the table, which loses its append-only triggers: set them again after.
    unprotect("claim_lines")
    with op.batch_alter_table("claim_lines") as batch_op:
        batch_op.drop_column("generation_run_id")
    protect("claim_lines")
