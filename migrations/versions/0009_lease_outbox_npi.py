"""One active account per NPI (the revision goes on to leases on job run claims and outbox priority)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ACTIVE_NPI = "active AND npi IS NOT NULL"


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


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index("uq_users_active_npi")
