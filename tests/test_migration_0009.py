"""Migration 0009 on a database that already holds data: active accounts sharing an NPI stop the upgrade with a
message saying what to fix. Both engines (PostgreSQL in a schema of its own, so the suite's schema is left alone)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

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


def test_active_accounts_sharing_an_npi_stop_the_upgrade_with_what_to_fix(tmp_path):
    with database_at("0008", tmp_path) as engine:
        with engine.begin() as conn:
            add_user(conn, "a@clinic.test", "1234567893")
            add_user(conn, "b@clinic.test", "1234567893")
        with pytest.raises(RuntimeError, match=r"active accounts share an NPI \(1234567893\)"):
            migrate.upgrade(engine)
        assert migrate.current_revision(engine) == "0008"
