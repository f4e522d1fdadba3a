"""Migration 0015 on a database that already holds a clinic: every patient keeps being billed from enrolment (no
go-live date), every result keeps being this service's own (no import), the rebuilt results table and the new tables
are append-only; the way back works while no history was brought in, and is refused once some was (the schema
before it would bill that history). Both engines."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service import migrate
from tests.test_migration_0009 import add_user, database_at

AT = datetime(2026, 11, 23, 15, 0)


def seed(conn) -> None:
    """A physician, a patient in the first practice, and a result they reported."""
    add_user(conn, "dr@clinic.test", "1234567893")
    physician = conn.execute(text("SELECT id FROM users")).scalar()
    practice = conn.execute(text("SELECT MIN(id) FROM practices")).scalar()
    conn.execute(text("INSERT INTO patients (public_id, full_name, date_of_birth, time_zone, physician_id, payer_code, "
                      "practice_id, warfarin_start_date, created_at, updated_at) VALUES (:pid, 'Pat', '1950-01-01', "
                      "'America/Denver', :dr, 'medicare', :practice, '2025-01-10', :at, :at)"),
                 {"pid": uuid.uuid4().hex, "dr": physician, "practice": practice, "at": AT})
    patient = conn.execute(text("SELECT id FROM patients")).scalar()
    conn.execute(text("INSERT INTO inr_results (public_id, patient_id, client_id, value, measured_at, "
                      "measured_utc_offset_minutes, qc_passed, tested_by, symptoms, source, entered_by_id, "
                      "received_at) VALUES (:pid, :patient, 'c1', 2.4, :at, -420, true, 'patient', '[]', 'app', :dr, "
                      ":at)"), {"pid": uuid.uuid4().hex, "patient": patient, "dr": physician, "at": AT})


def refused(engine, statement: str) -> None:
    with engine.connect() as conn:
        with pytest.raises(DBAPIError):
            conn.execute(text(statement))
        conn.rollback()


def test_existing_patients_and_results_stay_as_they_were_and_append_only(tmp_path):
    with database_at("0013", tmp_path) as engine:
        with engine.begin() as conn:
            seed(conn)
        migrate.upgrade(engine, "0014")  # 0014 puts the seeded physician in the first practice
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT go_live_on FROM patients")).one() == (None,)
            assert conn.execute(text("SELECT client_id, source, import_id FROM inr_results")).one() == (
                "c1", "app", None)
        with engine.begin() as conn:
            patient, user = conn.execute(text("SELECT id, physician_id FROM patients")).one()
            conn.execute(text("INSERT INTO result_imports (public_id, patient_id, format, file_name, imported_by_id, "
                              "imported_at, imported, already_imported, refused, rows) VALUES (:pid, :patient, "
                              "'csv', 'acme.csv', :user, :at, 0, 0, 0, '[]')"),
                         {"pid": uuid.uuid4().hex, "patient": patient, "user": user, "at": AT})
            conn.execute(text("INSERT INTO prior_trainings (public_id, patient_id, kind, trainee_kind, trained_on, "
                              "organization, trainer_name, document_reference, recorded_by_id, recorded_at) VALUES "
                              "(:pid, :patient, 'initial', 'patient', '2025-06-01', 'Acme', 'R. Nurse', 'doc-1', "
                              ":user, :at)"), {"pid": uuid.uuid4().hex, "patient": patient, "user": user, "at": AT})
        for statement in ("UPDATE inr_results SET value = 2.0", "DELETE FROM inr_results",
                          "UPDATE result_imports SET refused = 1", "DELETE FROM result_imports",
                          "UPDATE prior_trainings SET organization = 'x'", "DELETE FROM prior_trainings"):
            refused(engine, statement)
        refused(engine, "UPDATE patients SET go_live_on = '2026-12-01', practice_id = NULL")  # patients keep their constraints
        with engine.begin() as conn:  # a caregiver's name is only for a caregiver's training
            with pytest.raises(DBAPIError):
                conn.execute(text("INSERT INTO prior_trainings (public_id, patient_id, kind, trainee_kind, "
                                  "caregiver_name, trained_on, organization, trainer_name, document_reference, "
                                  "recorded_by_id, recorded_at) VALUES (:pid, :patient, 'initial', 'patient', 'Sam', "
                                  "'2025-06-01', 'Acme', 'R. Nurse', 'doc-2', :user, :at)"),
                             {"pid": uuid.uuid4().hex, "patient": patient, "user": user, "at": AT})


def test_the_way_back_works_without_history_brought_in(tmp_path):
    with database_at("0013", tmp_path) as engine:
        with engine.begin() as conn:
            seed(conn)
        migrate.upgrade(engine, "0014")  # 0014 puts the seeded physician in the first practice
        migrate.upgrade(engine)
        migrate.downgrade(engine, "0014")
        assert migrate.current_revision(engine) == "0014"
        with engine.connect() as conn:
            assert "go_live_on" not in conn.execute(text("SELECT * FROM patients")).keys()
            assert conn.execute(text("SELECT client_id FROM inr_results")).scalars().all() == ["c1"]
        refused(engine, "DELETE FROM inr_results")  # still append-only after the rebuild back


def test_the_way_back_is_refused_once_history_was_brought_in(tmp_path):
    with database_at("0013", tmp_path) as engine:
        with engine.begin() as conn:
            seed(conn)
        migrate.upgrade(engine, "0014")  # 0014 puts the seeded physician in the first practice
        # To 0015, not the head: a refused way back rolls back every step of it, so from the head it stays there.
        migrate.upgrade(engine, "0015")
        with engine.begin() as conn:
            conn.execute(text("UPDATE patients SET go_live_on = '2026-12-01'"))
        with pytest.raises(RuntimeError, match="1 patients with a go-live date"):
            migrate.downgrade(engine, "0014")
        assert migrate.current_revision(engine) == "0015"
