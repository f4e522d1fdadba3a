"""Index results by the result they supersede (every "is this result corrected?" check reads it)

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inr_results") as batch_op:
        batch_op.create_index("ix_inr_results_supersedes_id", ["supersedes_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inr_results") as batch_op:
        batch_op.drop_index("ix_inr_results_supersedes_id")
