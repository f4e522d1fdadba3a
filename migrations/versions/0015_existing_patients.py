"""Existing patients brought in with their history: each patient's go-live date (billing starts on it), training
done elsewhere, imports of past results (who imported which file, and each row's outcome), and each imported result
pointing at its import

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from migrations.append_only import protect, unprotect
from models.base import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null for every patient on record: they started on this service and are billed as before.
    with op.batch_alter_table("patients") as batch_op:
        batch_op.add_column(sa.Column("go_live_on", sa.Date(), nullable=True))

    op.create_table(
        "prior_trainings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("trainee_kind", sa.String(length=10), nullable=False),
        sa.Column("caregiver_name", sa.String(length=200), nullable=True),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("trainer_name", sa.String(length=200), nullable=False),
        sa.Column("document_reference", sa.String(length=500), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('initial', 'retraining', 'reassessment')",
                           name=op.f("ck_prior_trainings_kind_known")),
        sa.CheckConstraint("trainee_kind IN ('patient', 'caregiver')", name=op.f("ck_prior_trainings_trainee_kind_known")),
        sa.CheckConstraint("trainee_kind = 'caregiver' OR caregiver_name IS NULL",
                           name=op.f("ck_prior_trainings_caregiver_name_for_caregiver")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_prior_trainings_patient_id_patients")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_prior_trainings_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prior_trainings")),
        sa.UniqueConstraint("public_id", name=op.f("uq_prior_trainings_public_id")),
    )
    op.create_index(op.f("ix_prior_trainings_patient_id"), "prior_trainings", ["patient_id"])
    protect("prior_trainings")

    op.create_table(
        "result_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=True),
        sa.Column("imported_by_id", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("already_imported", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.CheckConstraint("format IN ('fhir', 'csv')", name=op.f("ck_result_imports_format_known")),
        sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"], name=op.f("fk_result_imports_imported_by_id_users")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_result_imports_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_imports")),
        sa.UniqueConstraint("public_id", name=op.f("uq_result_imports_public_id")),
    )
    op.create_index(op.f("ix_result_imports_patient_id"), "result_imports", ["patient_id"])
    protect("result_imports")

    # SQLite's batch mode rebuilds the table, which drops its triggers: take them off and put them back.
    unprotect("inr_results")
    with op.batch_alter_table("inr_results") as batch_op:
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_inr_results_import_id_result_imports"), "result_imports", ["import_id"],
                                    ["id"])
        batch_op.create_index(op.f("ix_inr_results_import_id"), ["import_id"])
    protect("inr_results")


def downgrade() -> None:
    # The schema before this one cannot tell imported history from results reported here, nor where billing starts:
    # its claim generation would bill that history. Undoing this migration is refused while any of it is on record.
    bind = op.get_bind()
    in_use = {
        "patients with a go-live date": "SELECT COUNT(*) FROM patients WHERE go_live_on IS NOT NULL",
        "imported results": "SELECT COUNT(*) FROM inr_results WHERE import_id IS NOT NULL OR source = 'import'",
        "trainings done elsewhere": "SELECT COUNT(*) FROM prior_trainings",
    }
    found = {what: bind.execute(sa.text(query)).scalar() for what, query in in_use.items()}
    if any(found.values()):
        held = ", ".join(f"{count} {what}" for what, count in found.items() if count)
        raise RuntimeError(f"Migration 0015 cannot be undone while history brought in is on record ({held}): the "
                           "schema before it would bill that history as this service's own.")
    unprotect("inr_results")
    with op.batch_alter_table("inr_results") as batch_op:
        batch_op.drop_index(op.f("ix_inr_results_import_id"))
        batch_op.drop_constraint(op.f("fk_inr_results_import_id_result_imports"), type_="foreignkey")
        batch_op.drop_column("import_id")
    protect("inr_results")
    unprotect("result_imports")
    op.drop_index(op.f("ix_result_imports_patient_id"), table_name="result_imports")
    op.drop_table("result_imports")
    unprotect("prior_trainings")
    op.drop_index(op.f("ix_prior_trainings_patient_id"), table_name="prior_trainings")
    op.drop_table("prior_trainings")
    with op.batch_alter_table("patients") as batch_op:
        batch_op.drop_column("go_live_on")
