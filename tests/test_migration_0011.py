"""Migration 0011 on a database that already holds data: existing alerts become result alerts under their natural
key, each patient's zone becomes their first zone version, payers' 90 days become 3 calendar months, and the
append-only guards survive the rebuilt tables. Both engines (PostgreSQL in a schema of its own)."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service import migrate
from tests.test_migration_0009 import add_user, database_at, migrate_down

AT = datetime(2026, 11, 23, 15, 0)


def seed(conn, alert: bool = True) -> dict:
    """A physician, a patient, a critical result and (as 0009 stored it) its alert."""
    add_user(conn, "dr@clinic.test", "1234567893")
    physician = conn.execute(text("SELECT id FROM users")).scalar()
    ids = {"patient": uuid.uuid4(), "result": uuid.uuid4(), "alert": uuid.uuid4()}
    conn.execute(text("INSERT INTO patients (public_id, full_name, date_of_birth, time_zone, physician_id, payer_code, "
                      "warfarin_start_date, created_at, updated_at) VALUES (:pid, 'Pat', '1950-01-01', "
                      "'America/Denver', :dr, 'medicare', '2025-01-10', :at, :at)"),
                 {"pid": ids["patient"].hex, "dr": physician, "at": AT})
    patient = conn.execute(text("SELECT id FROM patients")).scalar()
    conn.execute(text("INSERT INTO inr_results (public_id, patient_id, client_id, value, measured_at, "
                      "measured_utc_offset_minutes, qc_passed, tested_by, symptoms, source, entered_by_id, "
                      "received_at) VALUES (:pid, :patient, 'c1', 1.2, :at, -420, true, 'patient', '[]', 'app', :dr, "
                      ":at)"), {"pid": ids["result"].hex, "patient": patient, "dr": physician, "at": AT})
    result = conn.execute(text("SELECT id FROM inr_results")).scalar()
    if not alert:
        return ids
    conn.execute(text("INSERT INTO alerts (public_id, result_id, patient_id, physician_id, severity, level, opened_at, "
                      "status, escalation_level) VALUES (:pid, :result, :patient, :dr, 'critical', 'critical_low', "
                      ":at, 'open', 0)"),
                 {"pid": ids["alert"].hex, "result": result, "patient": patient, "dr": physician, "at": AT})
    return ids


def test_existing_rows_get_their_keys_zone_versions_and_months_and_stay_append_only(tmp_path):
    with database_at("0009", tmp_path) as engine:
        with engine.begin() as conn:
            ids = seed(conn)
        migrate.upgrade(engine, "0011")
        with engine.connect() as conn:
            kind, key, result_id = conn.execute(text("SELECT kind, alert_key, result_id FROM alerts")).one()
            assert (kind, key) == ("result", f"result:{ids['result']}") and result_id is not None
            zone, reason, set_by = conn.execute(text("SELECT time_zone, reason, set_by_id FROM time_zone_versions")).one()
            assert (zone, set_by) == ("America/Denver", None) and "versioned" in reason
            months = dict(conn.execute(text("SELECT code, minimum_anticoagulation_months FROM payers")).all())
            assert months == {"medicare": 3, "bcbs-fl": 3}
            assert conn.execute(text("SELECT caregiver_demonstration_counts FROM payers WHERE code = 'medicare'"))\
                .scalar() in (False, 0)
        with engine.begin() as conn:  # a suspension by the scheduler: no user
            conn.execute(text("INSERT INTO clearance_decisions (public_id, patient_id, sequence, status, effective_on, "
                              "decided_by_id, reason, evidence, created_at) SELECT :pid, id, 1, 'suspended', "
                              "'2026-11-23', NULL, 'overdue', '{}', :at FROM patients"),
                         {"pid": uuid.uuid4().hex, "at": AT})
        for statement in ("UPDATE inr_results SET value = 2.0", "DELETE FROM time_zone_versions",
                          "UPDATE clearance_decisions SET reason = 'x'"):
            with pytest.raises(DBAPIError), engine.begin() as conn:
                conn.execute(text(statement))
        with pytest.raises(RuntimeError, match="suspended clearance decisions exist"):
            migrate_down(engine, "0009")


def test_a_downgrade_keeps_result_alerts_and_payer_days(tmp_path):
    with database_at("0009", tmp_path) as engine:
        with engine.begin() as conn:
            seed(conn)
        migrate.upgrade(engine, "0011")
        migrate_down(engine, "0009")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT level FROM alerts")).scalar() == "critical_low"
            assert conn.execute(text("SELECT minimum_anticoagulation_days FROM payers WHERE code = 'medicare'"))\
                .scalar() == 90


def test_a_second_correction_of_one_result_is_refused_by_the_database(tmp_path):
    with database_at("0011", tmp_path) as engine:
        with engine.begin() as conn:
            seed(conn, alert=False)
            original, patient, user = conn.execute(text("SELECT id, patient_id, entered_by_id FROM inr_results")).one()
        insert = text("INSERT INTO inr_results (public_id, patient_id, client_id, value, measured_at, "
                      "measured_utc_offset_minutes, qc_passed, tested_by, symptoms, source, entered_by_id, received_at, "
                      "supersedes_id) VALUES (:pid, :patient, :client, 2.1, :at, -420, true, 'patient', '[]', 'app', "
                      ":user, :at, :original)")
        values = {"patient": patient, "user": user, "at": AT, "original": original}
        with engine.begin() as conn:
            conn.execute(insert, {**values, "pid": uuid.uuid4().hex, "client": "fix-1"})
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(insert, {**values, "pid": uuid.uuid4().hex, "client": "fix-2"})


def test_a_reading_needs_a_number_unless_the_meter_reported_an_error(tmp_path):
    with database_at("0011", tmp_path) as engine:
        with engine.begin() as conn:
            seed(conn, alert=False)
            patient, user = conn.execute(text("SELECT patient_id, entered_by_id FROM inr_results")).one()
        insert = text("INSERT INTO inr_results (public_id, patient_id, client_id, value, measured_at, "
                      "measured_utc_offset_minutes, qc_passed, meter_error_code, tested_by, symptoms, source, "
                      "entered_by_id, received_at) VALUES (:pid, :patient, :client, NULL, :at, -420, false, :error, "
                      "'patient', '[]', 'app', :user, :at)")
        with engine.begin() as conn:
            conn.execute(insert, {"pid": uuid.uuid4().hex, "patient": patient, "client": "e1", "error": "E-406",
                                  "user": user, "at": AT})
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(insert, {"pid": uuid.uuid4().hex, "patient": patient, "client": "e2", "error": None,
                                  "user": user, "at": AT})
