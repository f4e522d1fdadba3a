"""foundation: users, tokens, payers, patients, caregivers, audit

Revision ID: 0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op

import models.base
from migrations.append_only import protect, unprotect

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('patient_id', sa.Uuid(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_patient_id'), ['patient_id'], unique=False)

    op.create_table('payers',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('supply_trigger', sa.String(length=20), nullable=False),
    sa.Column('review_code', sa.String(length=10), nullable=False),
    sa.Column('training_code', sa.String(length=10), nullable=False),
    sa.Column('extra_criteria', sa.JSON(), nullable=False),
    sa.Column('minimum_anticoagulation_days', sa.Integer(), nullable=False),
    sa.Column('reassessment_months', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_payers'))
    )
    op.create_table('users',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('npi', sa.String(length=10), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("role IN ('patient','caregiver','physician','trainer','biller','admin')", name=op.f('ck_users_role_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('public_id', name=op.f('uq_users_public_id'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('patients',
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('payer_code', sa.String(length=40), nullable=False),
    sa.Column('warfarin_start_date', sa.Date(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['payer_code'], ['payers.code'], name=op.f('fk_patients_payer_code_payers')),
    sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_patients_physician_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patients_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('public_id', name=op.f('uq_patients_public_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_patients_user_id'))
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patients_physician_id'), ['physician_id'], unique=False)

    op.create_table('caregiver_links',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('caregiver_id', sa.Integer(), nullable=False),
    sa.Column('relationship_to_patient', sa.String(length=100), nullable=False),
    sa.Column('starts_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['caregiver_id'], ['users.id'], name=op.f('fk_caregiver_links_caregiver_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_caregiver_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_caregiver_links_ended_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_caregiver_links_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caregiver_links')),
    sa.UniqueConstraint('public_id', name=op.f('uq_caregiver_links_public_id'))
    )
    with op.batch_alter_table('caregiver_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caregiver_links_caregiver_id'), ['caregiver_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_caregiver_links_patient_id'), ['patient_id'], unique=False)

    op.create_table('indication_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('codes', sa.JSON(), nullable=False),
    sa.Column('code_list_version', sa.String(length=40), nullable=False),
    sa.Column('effective_from', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_indication_sets_patient_id_patients')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_indication_sets_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indication_sets'))
    )
    with op.batch_alter_table('indication_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indication_sets_patient_id'), ['patient_id'], unique=False)

    op.create_table('target_ranges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('low', sa.Numeric(precision=3, scale=1), nullable=False),
    sa.Column('high', sa.Numeric(precision=3, scale=1), nullable=False),
    sa.Column('effective_from', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('low < high', name=op.f('ck_target_ranges_low_below_high')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_target_ranges_patient_id_patients')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_target_ranges_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target_ranges'))
    )
    with op.batch_alter_table('target_ranges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_ranges_patient_id'), ['patient_id'], unique=False)



    payers = sa.table(
        "payers", sa.column("code", sa.String), sa.column("name", sa.String), sa.column("supply_trigger", sa.String),
        sa.column("review_code", sa.String), sa.column("training_code", sa.String),
        sa.column("extra_criteria", sa.JSON), sa.column("minimum_anticoagulation_days", sa.Integer),
        sa.column("reassessment_months", sa.Integer),
    )
    op.bulk_insert(payers, [
        {"code": "medicare", "name": "Medicare (Noridian rules)", "supply_trigger": "fourth_test",
         "review_code": "G0250", "training_code": "93792", "extra_criteria": [],
         "minimum_anticoagulation_days": 90, "reassessment_months": 12},
        {"code": "bcbs-fl", "name": "Florida Blue (BCBS Florida)", "supply_trigger": "supply_issue",
         "review_code": "93793", "training_code": "93792",
         "extra_criteria": ["expected_long_term_anticoagulation"],
         "minimum_anticoagulation_days": 90, "reassessment_months": 12},
    ])
    for table in ("audit_events", "target_ranges", "indication_sets"):
        protect(table)


def downgrade() -> None:
    for table in ("audit_events", "target_ranges", "indication_sets"):
        unprotect(table)
    with op.batch_alter_table('target_ranges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_ranges_patient_id'))

    op.drop_table('target_ranges')
    with op.batch_alter_table('indication_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indication_sets_patient_id'))

    op.drop_table('indication_sets')
    with op.batch_alter_table('caregiver_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caregiver_links_patient_id'))
        batch_op.drop_index(batch_op.f('ix_caregiver_links_caregiver_id'))

    op.drop_table('caregiver_links')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_physician_id'))

    op.drop_table('patients')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('payers')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_patient_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
