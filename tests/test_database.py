"""The database layer: UTC timestamps on both engines, enforced foreign keys, append-only records,
and migrations that describe exactly the models."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from models import AuditEvent, Base, TargetRange
from service import audit, db, migrate
from service.db import AppendOnlyViolation
from tests.conftest import NOW


def test_timestamps_come_back_aware_in_utc_whatever_zone_they_were_written_in(app):
    written = datetime(2026, 3, 8, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    with app.app_context():
        session = db.session()
        event = audit.record(session, "test.clock", now=written)
        session.commit()
        session.expire_all()
        read = session.get(AuditEvent, event.id).occurred_at
    assert read.tzinfo is not None and read.utcoffset() == timedelta(0)
    assert read == written and read.hour == 6


def test_naive_timestamps_are_refused(app):
    with app.app_context():
        session = db.session()
        audit.record(session, "test.naive", now=datetime(2026, 1, 1, 12, 0))
        with pytest.raises(StatementError):
            session.commit()


def test_foreign_keys_are_enforced(app):
    with app.app_context():
        session = db.session()
        with pytest.raises(IntegrityError):
            session.execute(text("INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at) "
                                 "VALUES ('x', 999999, :t, :t)"), {"t": datetime(2026, 1, 1)})
            session.commit()


def test_append_only_records_cannot_be_changed_through_the_orm(app, clinic):
    with app.app_context():
        session = db.session()
        version = session.scalar(select(TargetRange))
        version.low = 1.5
        with pytest.raises(AppendOnlyViolation):
            session.flush()
        session.rollback()
        session.delete(session.scalar(select(AuditEvent)))
        with pytest.raises(AppendOnlyViolation):
            session.flush()


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'forged'",
                                       "DELETE FROM target_ranges", "UPDATE indication_sets SET reason = 'x'"])
def test_append_only_tables_refuse_hand_written_sql_too(app, clinic, statement):
    with app.app_context():
        session = db.session()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()


def test_the_test_database_is_at_head_and_matches_the_models(app):
    engine = app.extensions["db_engine"]
    assert migrate.is_current(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []


def test_the_app_refuses_to_start_on_an_old_schema_without_auto_migrate(tmp_path):
    from sqlalchemy import create_engine

    from service import create_app
    from service.settings import Settings

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    migrate.upgrade(engine, "0001")
    with pytest.raises(RuntimeError, match="not at the current revision"):
        create_app(Settings(database_url=url, auto_migrate=False))
    app = create_app(Settings(database_url=url, auto_migrate=True))
    assert migrate.is_current(app.extensions["db_engine"])


def test_a_caregiver_can_hold_only_one_open_link_to_a_patient_even_past_the_check(app, clinic):
    """The database itself refuses a second open link, so two staff linking at the same moment cannot
    both succeed (the loser answers 409)."""
    from models import CaregiverLink

    with app.app_context():
        session = db.session()
        session.add(CaregiverLink(patient_id=clinic.patient.id, caregiver_id=clinic.users["caregiver"].id,
                                  relationship_to_patient="twin", starts_at=NOW, created_by_id=clinic.users["admin"].id,
                                  created_at=NOW))
        with pytest.raises(IntegrityError):
            session.commit()


def test_two_clearance_decisions_cannot_take_the_same_place_in_a_patients_history(app, clinic):
    from models import ClearanceDecision

    with app.app_context():
        session = db.session()
        for _ in range(2):
            session.add(ClearanceDecision(patient_id=clinic.patient.id, sequence=1, status="cleared",
                                          effective_on=NOW.date(), decided_by_id=clinic.users["physician"].id,
                                          reason="race", evidence={}, created_at=NOW))
        with pytest.raises(IntegrityError):
            session.commit()
