"""Migration 0009 on a database that already holds data: claims get a lease, waiting alerts a priority, and active
accounts sharing an NPI stop the upgrade with a message saying what to fix. Both engines (PostgreSQL in a schema
of its own, so the suite's schema is left alone)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from service import migrate
from tests.conftest import POSTGRES_URL

CLAIMED = datetime(2026, 11, 23, 6, 0)


@contextmanager
def database_at(revision: str, tmp_path):
    if POSTGRES_URL:
        schema = f"m0009_{uuid.uuid4().hex[:8]}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'm0009.sqlite3'}")
    try:
        migrate.upgrade(engine, revision)
        yield engine
    finally:
        engine.dispose()
        if POSTGRES_URL:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def add_user(conn, email: str, npi: str | None, active: bool = True) -> None:
    conn.execute(text("INSERT INTO users (public_id, email, full_name, role, password_hash, active, npi, created_at) "
                      "VALUES (:pid, :email, :email, 'physician', 'x', :active, :npi, :at)"),
                 {"pid": uuid.uuid4().hex, "email": email, "active": active, "npi": npi, "at": CLAIMED})


def add_message(conn, key: str, kind: str, payload: str, delivered: bool = False) -> None:
    conn.execute(text("INSERT INTO outbox_messages (public_id, dedupe_key, kind, payload, created_at, "
                      "next_attempt_at, attempts, delivered_at) VALUES (:pid, :key, :kind, :payload, :at, :at, 0, "
                      ":delivered)"),
                 {"pid": uuid.uuid4().hex, "key": key, "kind": kind, "payload": payload, "at": CLAIMED,
                  "delivered": CLAIMED if delivered else None})


def test_existing_claims_get_an_expired_lease_and_waiting_alerts_their_priority(tmp_path):
    with database_at("0008", tmp_path) as engine:
        with engine.begin() as conn:
            add_user(conn, "a@clinic.test", "1234567893")
            add_user(conn, "b@clinic.test", "1234567893", active=False)  # a deactivated account keeps its NPI
            add_user(conn, "c@clinic.test", "1003000126")
            conn.execute(text("INSERT INTO job_runs (job, period, claimed_at, claimed_by) "
                              "VALUES ('claims.generate', '2026-11-23', :at, 'gone:1')"), {"at": CLAIMED})
            add_message(conn, "critical", "alert.opened", '{"severity": "critical"}')
            add_message(conn, "low", "alert.opened", '{"severity": "out_of_range"}')
            add_message(conn, "missed", "alert.missed_tests", '{"weeks": []}')
            add_message(conn, "reminder", "reminder.weekly_test", '{"week": "2026-11-22"}')
            add_message(conn, "sent", "alert.opened", '{"severity": "critical"}', delivered=True)
        migrate.upgrade(engine)
        assert migrate.is_current(engine)
        with engine.connect() as conn:
            lease, attempt, claimed = conn.execute(
                text("SELECT lease_expires_at, attempt, claimed_at FROM job_runs")).one()
            assert (lease, attempt) == (claimed, 1)
            priorities = dict(conn.execute(text("SELECT dedupe_key, priority FROM outbox_messages")).all())
            assert priorities == {"critical": 0, "low": 1, "missed": 1, "reminder": 2, "sent": 2}
            assert conn.execute(text("SELECT COUNT(*) FROM outbox_messages WHERE body IS NOT NULL")).scalar() == 0
        migrate_down(engine, "0008")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM job_runs")).scalar() == 1


def test_active_accounts_sharing_an_npi_stop_the_upgrade_with_what_to_fix(tmp_path):
    with database_at("0008", tmp_path) as engine:
        with engine.begin() as conn:
            add_user(conn, "a@clinic.test", "1234567893")
            add_user(conn, "b@clinic.test", "1234567893")
        with pytest.raises(RuntimeError, match=r"active accounts share an NPI \(1234567893\)"):
            migrate.upgrade(engine)
        assert migrate.current_revision(engine) == "0008"


def migrate_down(engine, revision: str) -> None:
    migrate.downgrade(engine, revision)


def test_a_claim_made_after_the_upgrade_needs_a_lease(tmp_path):
    with database_at("head", tmp_path) as engine:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO job_runs (job, period, claimed_at, claimed_by, attempt) "
                              "VALUES ('x', 'y', :at, 'me', 1)"), {"at": CLAIMED + timedelta(hours=1)})
