"""Results, billable events, clearance decisions, job runs and the notification outbox

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import models.base
from migrations.append_only import protect, unprotect

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=80), nullable=False),
    sa.Column('period', sa.String(length=80), nullable=False),
    sa.Column('claimed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=200), nullable=False),
    sa.Column('finished_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('job', 'period', name='uq_job_runs_job_period')
    )
    op.create_table('billable_events',
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('occurred_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rendering_provider_id', sa.Integer(), nullable=False),
    sa.Column('source_type', sa.String(length=40), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('result_ids', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_billable_events_patient_id_patients')),
    sa.ForeignKeyConstraint(['rendering_provider_id'], ['users.id'], name=op.f('fk_billable_events_rendering_provider_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billable_events')),
    sa.UniqueConstraint('event_key', name=op.f('uq_billable_events_event_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_billable_events_public_id'))
    )
    with op.batch_alter_table('billable_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billable_events_patient_id'), ['patient_id'], unique=False)

    op.create_table('clearance_decisions',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("status IN ('cleared', 'revoked')", name=op.f('ck_clearance_decisions_status_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_clearance_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_clearance_decisions_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance_decisions')),
    sa.UniqueConstraint('public_id', name=op.f('uq_clearance_decisions_public_id'))
    )
    with op.batch_alter_table('clearance_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_decisions_patient_id'), ['patient_id'], unique=False)

    op.create_table('inr_results',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Numeric(precision=3, scale=1), nullable=False),
    sa.Column('comparator', sa.String(length=1), nullable=True),
    sa.Column('measured_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('measured_utc_offset_minutes', sa.Integer(), nullable=False),
    sa.Column('meter_serial', sa.String(length=64), nullable=True),
    sa.Column('strip_lot', sa.String(length=64), nullable=True),
    sa.Column('qc_passed', sa.Boolean(), nullable=False),
    sa.Column('meter_error_code', sa.String(length=32), nullable=True),
    sa.Column('tested_by', sa.String(length=20), nullable=False),
    sa.Column('tested_by_caregiver_id', sa.Integer(), nullable=True),
    sa.Column('symptoms', sa.JSON(), nullable=False),
    sa.Column('symptom_note', sa.String(length=1000), nullable=True),
    sa.Column('missed_doses', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('received_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("comparator IS NULL OR comparator IN ('<', '>')", name=op.f('ck_inr_results_comparator_known')),
    sa.CheckConstraint('value >= 0.8 AND value <= 8.0', name=op.f('ck_inr_results_value_in_meter_range')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_inr_results_entered_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_inr_results_patient_id_patients')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['inr_results.id'], name=op.f('fk_inr_results_supersedes_id_inr_results')),
    sa.ForeignKeyConstraint(['tested_by_caregiver_id'], ['users.id'], name=op.f('fk_inr_results_tested_by_caregiver_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inr_results')),
    sa.UniqueConstraint('patient_id', 'client_id', name='uq_inr_results_patient_client'),
    sa.UniqueConstraint('public_id', name=op.f('uq_inr_results_public_id'))
    )
    with op.batch_alter_table('inr_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inr_results_measured_at'), ['measured_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inr_results_patient_id'), ['patient_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('recipient_user_id', sa.Integer(), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('delivered_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_outbox_messages_patient_id_patients')),
    sa.ForeignKeyConstraint(['recipient_user_id'], ['users.id'], name=op.f('fk_outbox_messages_recipient_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_messages_dedupe_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_outbox_messages_public_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_recipient_user_id'), ['recipient_user_id'], unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'], name=op.f('fk_delivery_attempts_message_id_outbox_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts'))
    )
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_attempts_message_id'), ['message_id'], unique=False)


    for table in ('inr_results', 'billable_events', 'delivery_attempts', 'clearance_decisions'):
        protect(table)


def downgrade() -> None:
    for table in ('inr_results', 'billable_events', 'delivery_attempts', 'clearance_decisions'):
        unprotect(table)
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_attempts_message_id'))

    op.drop_table('delivery_attempts')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_recipient_user_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_patient_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_next_attempt_at'))

    op.drop_table('outbox_messages')
    with op.batch_alter_table('inr_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inr_results_patient_id'))
        batch_op.drop_index(batch_op.f('ix_inr_results_measured_at'))

    op.drop_table('inr_results')
    with op.batch_alter_table('clearance_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_decisions_patient_id'))

    op.drop_table('clearance_decisions')
    with op.batch_alter_table('billable_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billable_events_patient_id'))

    op.drop_table('billable_events')
    op.drop_table('job_runs')
