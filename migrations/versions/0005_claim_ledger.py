"""Claim ledger: claim lines and their status events, supply issues, patient discharges

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import models.base
from migrations.append_only import protect, unprotect

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PROTECTED = ('claim_lines', 'claim_line_events', 'supply_issues', 'patient_discharges')


def upgrade() -> None:
    op.create_table('claim_lines',
    sa.Column('claim_key', sa.String(length=220), nullable=False),
    sa.Column('base_key', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('payer_code', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('modifier', sa.String(length=2), nullable=True),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('date_of_service', sa.Date(), nullable=False),
    sa.Column('diagnosis', sa.String(length=8), nullable=False),
    sa.Column('rendering_provider_id', sa.Integer(), nullable=False),
    sa.Column('rendering_provider_npi', sa.String(length=10), nullable=True),
    sa.Column('billing_provider_npi', sa.String(length=10), nullable=True),
    sa.Column('billing_provider_name', sa.String(length=200), nullable=False),
    sa.Column('result_ids', sa.JSON(), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('tests_done', sa.Integer(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("code NOT IN ('99363', '99364')", name=op.f('ck_claim_lines_code_not_retired')),
    sa.CheckConstraint('units >= 1', name=op.f('ck_claim_lines_units_positive')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_claim_lines_version_positive')),
    sa.ForeignKeyConstraint(['corrects_id'], ['claim_lines.id'], name=op.f('fk_claim_lines_corrects_id_claim_lines')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_claim_lines_patient_id_patients')),
    sa.ForeignKeyConstraint(['rendering_provider_id'], ['users.id'], name=op.f('fk_claim_lines_rendering_provider_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_lines')),
    sa.UniqueConstraint('claim_key', name=op.f('uq_claim_lines_claim_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_claim_lines_public_id'))
    )
    with op.batch_alter_table('claim_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_lines_base_key'), ['base_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_lines_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_lines_date_of_service'), ['date_of_service'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_lines_patient_id'), ['patient_id'], unique=False)

    op.create_table('patient_discharges',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("reason IN ('discharged', 'died', 'left_coverage')", name=op.f('ck_patient_discharges_reason_known')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_discharges_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_patient_discharges_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_discharges')),
    sa.UniqueConstraint('patient_id', name=op.f('uq_patient_discharges_patient_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_patient_discharges_public_id'))
    )
    op.create_table('supply_issues',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_supply_issues_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_supply_issues_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_issues')),
    sa.UniqueConstraint('public_id', name=op.f('uq_supply_issues_public_id'))
    )
    with op.batch_alter_table('supply_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_issues_patient_id'), ['patient_id'], unique=False)

    op.create_table('claim_line_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_line_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('export_batch_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('rebill', sa.Boolean(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('exported', 'void')", name=op.f('ck_claim_line_events_kind_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_claim_line_events_actor_id_users')),
    sa.ForeignKeyConstraint(['claim_line_id'], ['claim_lines.id'], name=op.f('fk_claim_line_events_claim_line_id_claim_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_line_events')),
    sa.UniqueConstraint('claim_line_id', 'kind', name='uq_claim_line_events_line_kind')
    )
    with op.batch_alter_table('claim_line_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_line_events_claim_line_id'), ['claim_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_line_events_export_batch_id'), ['export_batch_id'], unique=False)
    for table in PROTECTED:
        protect(table)


def downgrade() -> None:
    for table in PROTECTED:
        unprotect(table)
    with op.batch_alter_table('claim_line_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_line_events_export_batch_id'))
        batch_op.drop_index(batch_op.f('ix_claim_line_events_claim_line_id'))

    op.drop_table('claim_line_events')
    with op.batch_alter_table('supply_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_issues_patient_id'))

    op.drop_table('supply_issues')
    op.drop_table('patient_discharges')
    with op.batch_alter_table('claim_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_lines_patient_id'))
        batch_op.drop_index(batch_op.f('ix_claim_lines_date_of_service'))
        batch_op.drop_index(batch_op.f('ix_claim_lines_code'))
        batch_op.drop_index(batch_op.f('ix_claim_lines_base_key'))

    op.drop_table('claim_lines')
