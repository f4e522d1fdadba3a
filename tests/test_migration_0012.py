"""Migration 0012 on a database that already holds a clinic: one practice from the INR_BILLING_* settings, every
patient in it, claim lines naming it, each discharge the end of a care episode, supply issues with a quantity that
backs one unit, the append-only guards back on every table the migration rebuilt, and the way back. Both engines."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service import migrate
from tests.test_migration_0009 import database_at

AT = datetime(2026, 11, 23, 6, 0)
DISCHARGE_ID = uuid.uuid4()


def seed_clinic(conn) -> None:
    def insert(table: str, **values):
        columns = ", ".join(values)
        conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + k for k in values)})"), values)

    insert("users", public_id=uuid.uuid4().hex, email="dr@clinic.test", full_name="Dr Who", role="physician",
           password_hash="x", active=True, npi="1234567893", created_at=AT)
    doctor = conn.execute(text("SELECT id FROM users")).scalar()
    for name, zone in (("Pat", "America/Chicago"), ("Sam", "America/Chicago"), ("Lee", "America/New_York")):
        insert("patients", public_id=uuid.uuid4().hex, full_name=name, date_of_birth=date(1950, 1, 1), time_zone=zone,
               physician_id=doctor, payer_code="medicare", created_at=AT, updated_at=AT)
    patient = conn.execute(text("SELECT MIN(id) FROM patients")).scalar()
    insert("indication_sets", patient_id=patient, codes='["I48.91"]', code_list_version="2019-10-01",
           effective_from=AT, set_by_id=doctor, reason="initial", created_at=AT)
    insert("patient_discharges", public_id=DISCHARGE_ID.hex, patient_id=patient, reason="died",
           effective_on=date(2026, 11, 1), recorded_by_id=doctor, created_at=AT)
    insert("supply_issues", public_id=uuid.uuid4().hex, patient_id=patient, issued_on=date(2026, 10, 1),
           recorded_by_id=doctor, created_at=AT)
    insert("claim_lines", public_id=uuid.uuid4().hex, claim_key="training:x", base_key="training:x", version=1,
           patient_id=patient, payer_code="medicare", code="93792", units=1, date_of_service=date(2026, 10, 2),
           diagnosis="I48.91", rendering_provider_id=doctor, billing_provider_name="Old", result_ids="[]",
           rule="training.once_at_initiation", note="", created_at=AT)


@pytest.fixture
def billing_environment(monkeypatch):
    monkeypatch.setenv("INR_BILLING_PROVIDER_NPI", "1003000126")
    monkeypatch.setenv("INR_BILLING_PROVIDER_NAME", "Sunshine Anticoagulation Clinic")
    monkeypatch.setenv("INR_BILLING_ENTITY_IS_IDTF", "1")


def test_upgrade_puts_the_clinic_in_one_practice_and_keeps_its_history(tmp_path, billing_environment):
    with database_at("0009", tmp_path) as engine:
        with engine.begin() as conn:
            seed_clinic(conn)
        migrate.upgrade(engine)
        with engine.begin() as conn:
            practice = conn.execute(text("SELECT id, name, group_npi, bills_as_idtf, time_zone FROM practices")).all()
            assert [tuple(row)[1:] for row in practice] == [
                ("Sunshine Anticoagulation Clinic", "1003000126", True, "America/Chicago")]
            practice_id = practice[0][0]
            assert set(conn.execute(text("SELECT practice_id FROM patients")).scalars()) == {practice_id}
            assert list(conn.execute(text("SELECT practice_id FROM claim_lines")).scalars()) == [practice_id]
            end = conn.execute(text("SELECT kind, reason, effective_on, sequence, public_id FROM care_episode_events"))
            [(kind, reason, effective_on, sequence, public_id)] = end.all()
            assert (kind, reason, str(effective_on), sequence) == ("end", "died", "2026-11-01", 1)
            assert uuid.UUID(str(public_id)) == DISCHARGE_ID
            assert list(conn.execute(text("SELECT tests_issued FROM supply_issues")).scalars()) == [4]
            assert list(conn.execute(text("SELECT secondary_codes FROM indication_sets")).scalars()) in (
                [[]], ["[]"])
            bcbs = conn.execute(text("SELECT review_code, policy_reference FROM payers WHERE code = 'bcbs-fl'")).one()
            assert bcbs[0] == "G0250" and "01-99000-06" in bcbs[1]
        # The tables the migration rebuilt or filled are append-only again.
        for statement in ("UPDATE claim_lines SET units = 2", "DELETE FROM supply_issues",
                          "UPDATE indication_sets SET reason = 'x'", "DELETE FROM care_episode_events"):
            with engine.connect() as conn:
                with pytest.raises(DBAPIError):
                    conn.execute(text(statement))
                conn.rollback()
        with engine.connect() as conn:  # a patient without a practice is refused from now on
            with pytest.raises(DBAPIError):
                conn.execute(text("UPDATE patients SET practice_id = NULL"))
            conn.rollback()


def test_an_npi_that_fails_the_check_is_left_for_completion(tmp_path, monkeypatch):
    monkeypatch.setenv("INR_BILLING_PROVIDER_NPI", "1234567890")
    with database_at("head", tmp_path) as engine:
        with engine.begin() as conn:
            assert conn.execute(text("SELECT name, group_npi, bills_as_idtf FROM practices")).one() == (
                "Anticoagulation Clinic", None, False)


def test_downgrade_gives_each_patient_back_their_discharge(tmp_path, billing_environment):
    with database_at("0009", tmp_path) as engine:
        with engine.begin() as conn:
            seed_clinic(conn)
        migrate.upgrade(engine)
        migrate.downgrade(engine, "0009")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT reason, effective_on FROM patient_discharges")).one()[0] == "died"
            assert "practice_id" not in {column for column in conn.execute(text("SELECT * FROM patients")).keys()}
