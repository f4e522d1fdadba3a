"""Account lifecycle: one-time password reset codes; a trainer's eligibility fact awaits the physician's confirmation

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from migrations.append_only import protect, unprotect
from models.base import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_reset_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], name=op.f("fk_password_reset_codes_issued_by_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_reset_codes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_password_reset_codes_code_hash")),
    )
    op.create_index(op.f("ix_password_reset_codes_user_id"), "password_reset_codes", ["user_id"])
    # SQLite's batch mode rebuilds the table, which drops its triggers: take them off and put them back.
    unprotect("eligibility_facts")
    with op.batch_alter_table("eligibility_facts") as batch:
        batch.add_column(sa.Column("confirms_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_eligibility_facts_confirms_id_eligibility_facts"), "eligibility_facts",
                                 ["confirms_id"], ["id"])
    protect("eligibility_facts")


def downgrade() -> None:
    unprotect("eligibility_facts")
    with op.batch_alter_table("eligibility_facts") as batch:
        batch.drop_constraint(op.f("fk_eligibility_facts_confirms_id_eligibility_facts"), type_="foreignkey")
        batch.drop_column("confirms_id")
    protect("eligibility_facts")
    op.drop_index(op.f("ix_password_reset_codes_user_id"), table_name="password_reset_codes")
    op.drop_table("password_reset_codes")
