"""Clinical rules for real practice: alerts of four kinds, readings without a number, corrections once, device clocks
that run ahead, suspended clearance, calendar-month and caregiver payer terms, and each patient's time zone history

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from migrations.append_only import protect, unprotect
from models.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ALERT_KINDS = "kind IN ('result', 'missed_tests', 'no_valid_result', 'reassessment_overdue')"


def upgrade() -> None:
    bind = op.get_bind()

    # Payers: "at least 3 months" of anticoagulation in calendar months; whether a caregiver's demonstration of
    # correct use satisfies the payer (Medicare: the patient's own).
    with op.batch_alter_table("payers") as batch_op:
        batch_op.add_column(sa.Column("minimum_anticoagulation_months", sa.Integer(), nullable=False,
                                      server_default=sa.text("3")))
        batch_op.add_column(sa.Column("caregiver_demonstration_counts", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    payers = sa.table("payers", sa.column("code", sa.String()), sa.column("minimum_anticoagulation_days", sa.Integer()),
                      sa.column("minimum_anticoagulation_months", sa.Integer()))
    for code, days in list(bind.execute(sa.select(payers.c.code, payers.c.minimum_anticoagulation_days))):
        # 90 days was written for "3 months": whole months, rounded up, never below one.
        months = max(1, -(-int(days) // 30))
        bind.execute(sa.update(payers).where(payers.c.code == code).values(minimum_anticoagulation_months=months))
    with op.batch_alter_table("payers") as batch_op:
        batch_op.drop_column("minimum_anticoagulation_days")
        batch_op.alter_column("minimum_anticoagulation_months", existing_type=sa.Integer(), server_default=None)
        batch_op.alter_column("caregiver_demonstration_counts", existing_type=sa.Boolean(), server_default=None)

    # Each patient's time zone, versioned like the target range: the zone on record is the first version, in force
    # from the patient's creation.
    op.create_table(
        "time_zone_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("effective_from", UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_time_zone_versions_patient_id_patients")),
        sa.ForeignKeyConstraint(["set_by_id"], ["users.id"], name=op.f("fk_time_zone_versions_set_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_zone_versions")),
    )
    with op.batch_alter_table("time_zone_versions") as batch_op:
        batch_op.create_index(batch_op.f("ix_time_zone_versions_patient_id"), ["patient_id"], unique=False)
    op.execute("INSERT INTO time_zone_versions (patient_id, time_zone, effective_from, set_by_id, reason, created_at) "
               "SELECT id, time_zone, created_at, NULL, 'the zone on record when zones began to be versioned', "
               "created_at FROM patients")
    protect("time_zone_versions")

    # Results: a meter error may carry no number; a device clock running ahead keeps its stated time aside; a
    # result is corrected once (a later correction corrects the correction). The append-only guard is lifted for
    # the table's rebuild only (SQLite batch mode copies the rows into a new table).
    unprotect("inr_results")
    with op.batch_alter_table("inr_results") as batch_op:
        batch_op.add_column(sa.Column("device_measured_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column("value", existing_type=sa.Numeric(precision=3, scale=1), nullable=True)
        batch_op.create_check_constraint("value_or_meter_error", "value IS NOT NULL OR meter_error_code IS NOT NULL")
        batch_op.create_check_constraint("comparator_needs_value", "comparator IS NULL OR value IS NOT NULL")
        batch_op.drop_index("ix_inr_results_supersedes_id")
        batch_op.create_index("ix_inr_results_supersedes_id", ["supersedes_id"], unique=True)
    protect("inr_results")

    # Alerts: of a result, of a gap of missed weeks, of an episode without a valid INR, of an overdue reassessment;
    # each under its natural key. Existing alerts are result alerts, keyed by their result.
    with op.batch_alter_table("alerts") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=30), nullable=False, server_default="result"))
        batch_op.add_column(sa.Column("alert_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("detail", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.String(length=500), nullable=True))
        batch_op.alter_column("result_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("level", existing_type=sa.String(length=20), nullable=True)
        batch_op.drop_constraint("uq_alerts_result_id", type_="unique")
        batch_op.create_index(batch_op.f("ix_alerts_result_id"), ["result_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("ck_alerts_severity_known"), type_="check")
        batch_op.create_check_constraint("severity_known", "severity IN ('critical', 'out_of_range', 'routine')")
        batch_op.create_check_constraint("kind_known", ALERT_KINDS)
        batch_op.create_check_constraint("result_alert_has_result", "kind <> 'result' OR result_id IS NOT NULL")
    alerts = sa.table("alerts", sa.column("id", sa.Integer()), sa.column("result_id", sa.Integer()),
                      sa.column("alert_key", sa.String()))
    results = sa.table("inr_results", sa.column("id", sa.Integer()), sa.column("public_id", sa.Uuid()))
    keyed = bind.execute(sa.select(alerts.c.id, results.c.public_id).join(results, results.c.id == alerts.c.result_id))
    for alert_id, result_public_id in list(keyed):
        bind.execute(sa.update(alerts).where(alerts.c.id == alert_id).values(alert_key=f"result:{result_public_id}"))
    with op.batch_alter_table("alerts") as batch_op:
        batch_op.alter_column("alert_key", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column("kind", existing_type=sa.String(length=30), server_default=None)
        batch_op.create_unique_constraint(batch_op.f("uq_alerts_alert_key"), ["alert_key"])

    # Clearance: suspended (NCD criterion 3), by a signer or by the scheduler (no user).
    unprotect("clearance_decisions")
    with op.batch_alter_table("clearance_decisions") as batch_op:
        batch_op.alter_column("decided_by_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(batch_op.f("ck_clearance_decisions_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", "status IN ('cleared', 'revoked', 'suspended')")
    protect("clearance_decisions")


def downgrade() -> None:
    bind = op.get_bind()
    unprotect("clearance_decisions")
    if bind.execute(sa.text("SELECT COUNT(*) FROM clearance_decisions WHERE status = 'suspended' "
                            "OR decided_by_id IS NULL")).scalar():
        raise RuntimeError("suspended clearance decisions exist: 0009 cannot hold them")
    with op.batch_alter_table("clearance_decisions") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_clearance_decisions_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", "status IN ('cleared', 'revoked')")
        batch_op.alter_column("decided_by_id", existing_type=sa.Integer(), nullable=False)
    protect("clearance_decisions")

    if bind.execute(sa.text("SELECT COUNT(*) FROM alerts WHERE kind <> 'result'")).scalar():
        raise RuntimeError("alerts of other kinds than 'result' exist: 0009 cannot hold them")
    with op.batch_alter_table("alerts") as batch_op:
        batch_op.drop_constraint("uq_alerts_alert_key", type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_alerts_result_alert_has_result"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_alerts_kind_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_alerts_severity_known"), type_="check")
        batch_op.create_check_constraint("severity_known", "severity IN ('critical', 'out_of_range')")
        batch_op.drop_index(batch_op.f("ix_alerts_result_id"))
        batch_op.create_unique_constraint("uq_alerts_result_id", ["result_id"])
        batch_op.alter_column("level", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("result_id", existing_type=sa.Integer(), nullable=False)
        for column in ("resolution_note", "resolution", "detail", "reason", "alert_key", "kind"):
            batch_op.drop_column(column)

    unprotect("inr_results")
    with op.batch_alter_table("inr_results") as batch_op:
        batch_op.drop_index("ix_inr_results_supersedes_id")
        batch_op.create_index("ix_inr_results_supersedes_id", ["supersedes_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("ck_inr_results_comparator_needs_value"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_inr_results_value_or_meter_error"), type_="check")
        batch_op.alter_column("value", existing_type=sa.Numeric(precision=3, scale=1), nullable=False)
        batch_op.drop_column("device_measured_at")
    protect("inr_results")

    unprotect("time_zone_versions")
    with op.batch_alter_table("time_zone_versions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_time_zone_versions_patient_id"))
    op.drop_table("time_zone_versions")

    with op.batch_alter_table("payers") as batch_op:
        batch_op.add_column(sa.Column("minimum_anticoagulation_days", sa.Integer(), nullable=False,
                                      server_default=sa.text("90")))
    op.execute("UPDATE payers SET minimum_anticoagulation_days = 30 * minimum_anticoagulation_months")
    with op.batch_alter_table("payers") as batch_op:
        batch_op.alter_column("minimum_anticoagulation_days", existing_type=sa.Integer(), server_default=None)
        batch_op.drop_column("caregiver_demonstration_counts")
        batch_op.drop_column("minimum_anticoagulation_months")
