"""Training and competency: checklist versions (version 1 seeded), sessions, amendments, orders, facts

Revision ID: 0003
Revises: 0002
"""

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import models.base
from migrations.append_only import protect, unprotect

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


TABLES = ('checklist_templates', 'checklist_items', 'training_sessions', 'training_item_outcomes',
          'training_amendments', 'home_testing_orders', 'eligibility_facts')
SEED_TEMPLATE_ID = uuid.UUID("5d1c3a5e-93b2-4c1e-9a11-000000000001")
# Version 1: the four elements CPT 93792 names, then the anticoagulation education topics.
SEED_ITEMS = [
    ("meter_use_and_care", "Use and care of the INR meter: set-up, strips, quality control, storage, cleaning",
     "93792"),
    ("blood_sample", "Obtaining a capillary blood sample from a fingerstick", "93792"),
    ("reporting_results", "How to report results to the clinic (app, phone) and when", "93792"),
    ("demonstration", "Trainee performs a test and reports the result, observed by the trainer", "93792"),
    ("diet_and_drug_interactions", "Warfarin: vitamin K in the diet, alcohol, drug and supplement interactions",
     "education"),
    ("bleeding_and_clot_signs", "Warning signs of bleeding and of clots, and when to call 911", "education"),
    ("high_or_low_result", "What to do with a high, low or out-of-range result", "education"),
]


def upgrade() -> None:
    op.create_table('checklist_templates',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('public_id', name=op.f('uq_checklist_templates_public_id')),
    sa.UniqueConstraint('version', name=op.f('uq_checklist_templates_version'))
    )
    op.create_table('checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklist_items_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    sa.UniqueConstraint('template_id', 'key', name='uq_checklist_items_template_key')
    )
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_items_template_id'), ['template_id'], unique=False)

    op.create_table('eligibility_facts',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_eligibility_facts_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_eligibility_facts_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_facts')),
    sa.UniqueConstraint('public_id', name=op.f('uq_eligibility_facts_public_id'))
    )
    with op.batch_alter_table('eligibility_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eligibility_facts_patient_id'), ['patient_id'], unique=False)

    op.create_table('home_testing_orders',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('ordered_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_home_testing_orders_patient_id_patients')),
    sa.ForeignKeyConstraint(['physician_id'], ['users.id'], name=op.f('fk_home_testing_orders_physician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_home_testing_orders')),
    sa.UniqueConstraint('public_id', name=op.f('uq_home_testing_orders_public_id'))
    )
    with op.batch_alter_table('home_testing_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_home_testing_orders_patient_id'), ['patient_id'], unique=False)

    op.create_table('training_sessions',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('trainee_kind', sa.String(length=10), nullable=False),
    sa.Column('trainee_caregiver_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=False),
    sa.Column('meter_serial', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('next_session_on', sa.Date(), nullable=True),
    sa.Column('test_trainee_inr', sa.Numeric(precision=3, scale=1), nullable=True),
    sa.Column('test_clinic_inr', sa.Numeric(precision=3, scale=1), nullable=True),
    sa.Column('test_tolerance', sa.Numeric(precision=3, scale=1), nullable=True),
    sa.Column('test_agree', sa.Boolean(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=False),
    sa.Column('signed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('initial', 'retraining', 'reassessment')", name=op.f('ck_training_sessions_kind_known')),
    sa.CheckConstraint("outcome IN ('competent', 'not_yet')", name=op.f('ck_training_sessions_outcome_known')),
    sa.CheckConstraint("trainee_kind IN ('patient', 'caregiver')", name=op.f('ck_training_sessions_trainee_kind_known')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_training_sessions_patient_id_patients')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_training_sessions_signed_by_id_users')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_training_sessions_template_id_checklist_templates')),
    sa.ForeignKeyConstraint(['trainee_caregiver_id'], ['users.id'], name=op.f('fk_training_sessions_trainee_caregiver_id_users')),
    sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_training_sessions_trainer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions')),
    sa.UniqueConstraint('public_id', name=op.f('uq_training_sessions_public_id'))
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_sessions_patient_id'), ['patient_id'], unique=False)

    op.create_table('training_amendments',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('amended_by_id', sa.Integer(), nullable=False),
    sa.Column('amended_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['amended_by_id'], ['users.id'], name=op.f('fk_training_amendments_amended_by_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_training_amendments_session_id_training_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_amendments')),
    sa.UniqueConstraint('public_id', name=op.f('uq_training_amendments_public_id'))
    )
    with op.batch_alter_table('training_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_amendments_session_id'), ['session_id'], unique=False)

    op.create_table('training_item_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.CheckConstraint("outcome IN ('demonstrated', 'explained', 'needs_practice')", name=op.f('ck_training_item_outcomes_outcome_known')),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_items.id'], name=op.f('fk_training_item_outcomes_item_id_checklist_items')),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_training_item_outcomes_session_id_training_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_item_outcomes')),
    sa.UniqueConstraint('session_id', 'item_id', name='uq_training_item_outcomes_session_item')
    )
    with op.batch_alter_table('training_item_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_item_outcomes_session_id'), ['session_id'], unique=False)

    _seed_version_1()
    for table in TABLES:
        protect(table)


def _seed_version_1() -> None:
    templates = sa.table("checklist_templates", sa.column("id", sa.Integer), sa.column("public_id", sa.Uuid),
                         sa.column("version", sa.Integer), sa.column("note", sa.String),
                         sa.column("created_at", models.base.UTCDateTime(timezone=True)))
    items = sa.table("checklist_items", sa.column("template_id", sa.Integer), sa.column("position", sa.Integer),
                     sa.column("key", sa.String), sa.column("text", sa.String), sa.column("category", sa.String),
                     sa.column("required", sa.Boolean))
    op.bulk_insert(templates, [{"public_id": SEED_TEMPLATE_ID, "version": 1,
                                "note": "CPT 93792 elements and anticoagulation education",
                                "created_at": datetime(2026, 11, 23, tzinfo=timezone.utc)}])
    template_id = op.get_bind().execute(sa.select(templates.c.id).where(templates.c.version == 1)).scalar_one()
    op.bulk_insert(items, [{"template_id": template_id, "position": position, "key": key, "text": text,
                            "category": category, "required": True}
                           for position, (key, text, category) in enumerate(SEED_ITEMS, start=1)])


def downgrade() -> None:
    for table in TABLES:
        unprotect(table)
    with op.batch_alter_table('training_item_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_item_outcomes_session_id'))

    op.drop_table('training_item_outcomes')
    with op.batch_alter_table('training_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_amendments_session_id'))

    op.drop_table('training_amendments')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sessions_patient_id'))

    op.drop_table('training_sessions')
    with op.batch_alter_table('home_testing_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_home_testing_orders_patient_id'))

    op.drop_table('home_testing_orders')
    with op.batch_alter_table('eligibility_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eligibility_facts_patient_id'))

    op.drop_table('eligibility_facts')
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_items_template_id'))

    op.drop_table('checklist_items')
    op.drop_table('checklist_templates')
