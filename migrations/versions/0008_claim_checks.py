"""Claim checks: what claim generation last saw of each patient, so a run skips patients with nothing new

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Working state, overwritten at every check: not protected by the append-only triggers.
    op.create_table(
        "claim_checks",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("billable_events", sa.Integer(), nullable=False),
        sa.Column("claim_lines", sa.Integer(), nullable=False),
        sa.Column("claim_line_events", sa.Integer(), nullable=False),
        sa.Column("supply_issues", sa.Integer(), nullable=False),
        sa.Column("discharges", sa.Integer(), nullable=False),
        sa.Column("clearance_decisions", sa.Integer(), nullable=False),
        sa.Column("terms", sa.String(length=300), nullable=False),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("checked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_claim_checks_patient_id_patients")),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_claim_checks")),
    )


def downgrade() -> None:
    op.drop_table("claim_checks")
