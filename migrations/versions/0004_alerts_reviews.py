"""Alerts and their history, reviews with instructions and acknowledgements, covering physicians

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import models.base
from migrations.append_only import protect, unprotect

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

APPEND_ONLY = ('reviews', 'review_results', 'instruction_acknowledgements', 'alert_events')


def upgrade() -> None:
    op.create_table('covering_physicians',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('covering_id', sa.Integer(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('set_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['covering_id'], ['users.id'], name=op.f('fk_covering_physicians_covering_id_users')),
    sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_covering_physicians_physician_id_users')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_covering_physicians_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_covering_physicians')),
    sa.UniqueConstraint('physician_id', name=op.f('uq_covering_physicians_physician_id'))
    )
    op.create_table('reviews',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('interpretation', sa.Text(), nullable=False),
    sa.Column('instruction_kind', sa.String(length=20), nullable=False),
    sa.Column('dose_text', sa.String(length=1000), nullable=True),
    sa.Column('weekly_doses', sa.JSON(), nullable=True),
    sa.Column('hold_days', sa.Integer(), nullable=True),
    sa.Column('next_test_date', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("instruction_kind IN ('keep_dose', 'new_dose', 'hold_doses', 'go_to_emergency')", name=op.f('ck_reviews_instruction_kind_known')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_reviews_patient_id_patients')),
    sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_reviews_physician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('public_id', name=op.f('uq_reviews_public_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_reviewed_at'), ['reviewed_at'], unique=False)

    op.create_table('alerts',
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('opened_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_review_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('escalated_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_to_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("severity IN ('critical', 'out_of_range')", name=op.f('ck_alerts_severity_known')),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name=op.f('ck_alerts_status_known')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_alerts_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['escalated_to_id'], ['users.id'], name=op.f('fk_alerts_escalated_to_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_alerts_patient_id_patients')),
    sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_alerts_physician_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_review_id'], ['reviews.id'], name=op.f('fk_alerts_resolved_by_review_id_reviews')),
    sa.ForeignKeyConstraint(['result_id'], ['inr_results.id'], name=op.f('fk_alerts_result_id_inr_results')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('public_id', name=op.f('uq_alerts_public_id')),
    sa.UniqueConstraint('result_id', name=op.f('uq_alerts_result_id'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_escalated_to_id'), ['escalated_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_physician_id'), ['physician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_status'), ['status'], unique=False)

    op.create_table('instruction_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_instruction_acknowledgements_review_id_reviews')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_instruction_acknowledgements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instruction_acknowledgements')),
    sa.UniqueConstraint('review_id', 'user_id', name='uq_instruction_acknowledgements_review_user')
    )
    with op.batch_alter_table('instruction_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instruction_acknowledgements_review_id'), ['review_id'], unique=False)

    op.create_table('review_results',
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['result_id'], ['inr_results.id'], name=op.f('fk_review_results_result_id_inr_results')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_results_review_id_reviews')),
    sa.PrimaryKeyConstraint('review_id', 'result_id', name=op.f('pk_review_results'))
    )
    op.create_table('alert_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_alert_events_actor_id_users')),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_events_alert_id_alerts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_events'))
    )
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_events_alert_id'), ['alert_id'], unique=False)
    for table in APPEND_ONLY:
        protect(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        unprotect(table)
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_events_alert_id'))

    op.drop_table('alert_events')
    op.drop_table('review_results')
    with op.batch_alter_table('instruction_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instruction_acknowledgements_review_id'))

    op.drop_table('instruction_acknowledgements')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_alerts_physician_id'))
        batch_op.drop_index(batch_op.f('ix_alerts_patient_id'))
        batch_op.drop_index(batch_op.f('ix_alerts_opened_at'))
        batch_op.drop_index(batch_op.f('ix_alerts_escalated_to_id'))

    op.drop_table('alerts')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_reviewed_at'))
        batch_op.drop_index(batch_op.f('ix_reviews_patient_id'))

    op.drop_table('reviews')
    op.drop_table('covering_physicians')
