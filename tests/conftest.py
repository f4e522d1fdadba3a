"""Fixtures: the app, its client and a small clinic of users to act as, on a database that every test gets
back in a known state (SQLite by default, PostgreSQL when `INR_TEST_DATABASE_URL` names one).

Building an app and a clinic through the domain code costs far more than any test, so both are built once per
run: the database is migrated once, the clinic written once, and each state is kept as a snapshot that every
test starts from (a file copy on SQLite; the rows, written again after clearing every table, on PostgreSQL).
The app is one per run too; each test gets its settings, clock and rate limits back as they were.
"""

from __future__ import annotations

import copy
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from models import Base
from service import create_app, migrate
from service.clock import FixedClock
from service.ratelimit import limiter
from service.settings import Settings
from tests.factories import Clinic

POSTGRES_URL = os.environ.get("INR_TEST_DATABASE_URL", "")
# Tables whose rows the migrations themselves write and no test changes: kept between tests. (Payers are reference
# data too, but a test may change a payer's terms: they are restored with everything else.)
REFERENCE_TABLES = {"alembic_version", "checklist_templates", "checklist_items"}
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


def settings_for_test(database_url: str, **changes) -> Settings:
    """The settings every test app runs with: its own database, cheap hashing (production cost comes from the
    environment), and a login limit no test reaches unless it lowers it."""
    return Settings(database_url=database_url, auto_migrate=False, argon2_time_cost=1, argon2_memory_cost=1024,
                    login_rate_limit="1000 per minute",
                    login_account_rate_limit="1000 per minute").replace(**changes)


class SqliteSnapshots:
    """States of one SQLite file, kept as copies beside it."""

    def __init__(self, path: Path):
        self.path = path

    def take(self, engine, name: str) -> None:
        engine.dispose()
        shutil.copyfile(self.path, self.path.with_suffix(f".{name}"))

    def restore(self, engine, name: str) -> None:
        engine.dispose()  # no connection may keep the old file (or its WAL) open
        for leftover in (self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(self.path.with_suffix(f".{name}"), self.path)


class PostgresSnapshots:
    """States of the test database, kept as the rows of every table but the reference data."""

    def __init__(self, tables: list[str]):
        order = [table.name for table in Base.metadata.sorted_tables]  # parents before children
        self.tables = [name for name in order if name in tables]
        self.states: dict[str, dict[str, list[dict]]] = {}

    def take(self, engine, name: str) -> None:
        with engine.connect() as conn:
            self.states[name] = {table: [dict(row) for row in conn.execute(
                select(Base.metadata.tables[table])).mappings()] for table in self.tables}

    def restore(self, engine, name: str) -> None:
        engine.dispose()
        with engine.begin() as conn:
            # Replica mode skips the append-only triggers (and the foreign-key checks) for this transaction
            # only. DELETE, not TRUNCATE: on tables this small it is many times faster.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(self.tables):
                conn.execute(text(f"DELETE FROM {table}"))
            # Checklist versions a test added go; the seeded version 1 stays.
            conn.execute(text("DELETE FROM checklist_items WHERE template_id IN "
                              "(SELECT id FROM checklist_templates WHERE version > 1)"))
            conn.execute(text("DELETE FROM checklist_templates WHERE version > 1"))
            for table, rows in self.states[name].items():
                model = Base.metadata.tables[table]
                if rows:
                    conn.execute(model.insert(), rows)
                if "id" in model.c:
                    # The next id is the one after the snapshot's last: ids stay what every test expects.
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n, false)"),
                                 {"n": max((row["id"] for row in rows), default=0) + 1})


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """One database for the whole run, migrated once."""
    if POSTGRES_URL:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
        engine.dispose()
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def _run(database_url):
    """The app of the run, and the snapshots of the database: "empty" (migrated) and "clinic"."""
    app = create_app(settings_for_test(database_url), clock_source=FixedClock(NOW), test_config={"TESTING": True})
    engine = app.extensions["db_engine"]
    if POSTGRES_URL:
        snapshots = PostgresSnapshots([t for t in inspect(engine).get_table_names() if t not in REFERENCE_TABLES])
    else:
        snapshots = SqliteSnapshots(Path(engine.url.database))
    snapshots.take(engine, "empty")
    clinic = Clinic.build(app, NOW)
    snapshots.take(engine, "clinic")
    yield app, snapshots, clinic
    engine.dispose()


@pytest.fixture
def app(_run, request):
    """The app, on a database holding nothing but the migrations' reference data (and the clinic, for a test
    that asks for `clinic`); its settings, clock and limits as every test starts with them."""
    app, snapshots, _clinic = _run
    snapshots.restore(app.extensions["db_engine"], "clinic" if "clinic" in request.fixturenames else "empty")
    app.extensions["settings"] = settings_for_test(app.extensions["settings"].database_url)
    app.extensions["clock"] = FixedClock(NOW)
    app.config["MAX_CONTENT_LENGTH"] = app.extensions["settings"].max_request_bytes
    limiter.reset()
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clinic(_run, app):
    """Two physicians' panels and one of each role, with tokens (see tests.factories.Clinic)."""
    built = _run[2]
    return Clinic(users=dict(built.users), headers=copy.deepcopy(built.headers), patient=built.patient,
                  other_patient=built.other_patient, elsewhere_patient=built.elsewhere_patient)


@pytest.fixture
def make_app(database_url, app):
    """More apps on the test's database (other processes, as far as the database can tell); closed after."""
    made = []

    def make(test_config: dict | None = None, **changes):
        made.append(create_app(settings_for_test(database_url, **changes), clock_source=FixedClock(NOW),
                               test_config={"TESTING": True, **(test_config or {})}))
        return made[-1]

    yield make
    for other in made:
        other.extensions["db_engine"].dispose()
