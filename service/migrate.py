"""Bringing a database to the schema this code expects, and checking that it is there."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same in every process that migrates.
PG_MIGRATION_LOCK = 7_351_902


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision`; on PostgreSQL under an advisory lock, so several workers starting together
    migrate once and the others wait, then find nothing to do."""
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate back down to `revision` (what an operator does to undo a release)."""
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step, revision: str) -> None:
    config = alembic_config(engine)
    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine, config, step, revision)
        return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
        config.attributes["connection"] = conn
        step(config, revision)


def _migrate_sqlite(engine: Engine, config: Config, step, revision: str) -> None:
    """SQLite rebuilds a table to alter it (batch mode): with foreign keys enforced, dropping the old copy of a
    table that other rows refer to would fail. They are switched off for the migration (the pragma only works
    outside a transaction), checked as a whole before the commit, and switched back on."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                step(config, revision)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows whose foreign key has no target: {broken[:5]}")
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)


def ensure_current(engine: Engine, auto_migrate: bool) -> None:
    """At start (web app and scheduler alike): migrate when allowed, otherwise refuse to run on an old schema."""
    if is_current(engine):
        return
    if not auto_migrate:
        raise RuntimeError("The database schema is not at the current revision; run `flask --app service db-upgrade`.")
    upgrade(engine)
