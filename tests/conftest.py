"""Fixtures: a freshly migrated database for every test (SQLite by default, PostgreSQL when
`INR_TEST_DATABASE_URL` names one), the app, its client, and a small clinic of users to act as."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, inspect, text

from service import create_app, migrate
from service.clock import FixedClock
from service.ratelimit import limiter
from service.settings import Settings
from tests.factories import Clinic

POSTGRES_URL = os.environ.get("INR_TEST_DATABASE_URL", "")
# Tables whose rows the migrations themselves write (reference data): kept between tests.
REFERENCE_TABLES = {"alembic_version", "payers", "checklist_templates", "checklist_items"}
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate once per run; each test then starts from this migrated, empty state."""
    if POSTGRES_URL:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
        tables = [t for t in inspect(engine).get_table_names() if t not in REFERENCE_TABLES]
        engine.dispose()
        yield {"kind": "postgresql", "url": POSTGRES_URL, "tables": tables}
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        engine = create_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        engine.dispose()
        yield {"kind": "sqlite", "path": path}


@pytest.fixture
def database_url(database_template, tmp_path):
    if database_template["kind"] == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(database_template["path"], path)
        return f"sqlite:///{path}"
    engine = create_engine(database_template["url"])
    with engine.begin() as conn:
        # TRUNCATE skips the append-only row triggers, which is exactly what a clean slate needs.
        conn.execute(text(f"TRUNCATE {', '.join(database_template['tables'])} RESTART IDENTITY CASCADE"))
        # Checklist versions a test added go too; the seeded version 1 stays. Replica mode skips the
        # append-only triggers for this transaction only.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("DELETE FROM checklist_items WHERE template_id IN "
                          "(SELECT id FROM checklist_templates WHERE version > 1)"))
        conn.execute(text("DELETE FROM checklist_templates WHERE version > 1"))
    engine.dispose()
    return database_template["url"]


def settings_for_test(database_url: str, **changes) -> Settings:
    """The settings every test app runs with: its own database, cheap hashing (production cost comes from the
    environment), and a login limit no test reaches unless it lowers it."""
    return Settings(database_url=database_url, auto_migrate=False, argon2_time_cost=1, argon2_memory_cost=1024,
                    login_rate_limit="1000 per minute").replace(**changes)


@pytest.fixture
def app(database_url):
    app = create_app(settings_for_test(database_url), clock_source=FixedClock(NOW), test_config={"TESTING": True})
    limiter.reset()
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clinic(app):
    return Clinic.build(app, NOW)
