"""Migration 0025 adds the run that recorded each claim line (nullable: earlier lines name none), indexed; the way
back drops the column and claim lines keep their append-only triggers. Both engines."""

from __future__ import annotations

from sqlalchemy import text

from service import migrate
from tests.test_migration_0009 import database_at


def triggers_on_claim_lines(conn) -> set[str]:
    if conn.dialect.name == "postgresql":
        return {row[0] for row in conn.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'claim_lines'::regclass AND NOT tgisinternal"))}
    return {row[0] for row in conn.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'claim_lines'"))}


def test_the_run_column_comes_and_goes_and_claim_lines_stay_append_only(tmp_path):
    with database_at("0025", tmp_path) as engine:
        with engine.connect() as conn:
            assert "generation_run_id" in conn.execute(text("SELECT * FROM claim_lines")).keys()
            indexes = {"ix_claim_lines_generation_run_id"}
            if engine.dialect.name == "postgresql":
                found = {row[0] for row in conn.execute(text(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'claim_lines'"))}
            else:
                found = {row[1] for row in conn.execute(text("PRAGMA index_list('claim_lines')"))}
            assert indexes <= found
            guards = triggers_on_claim_lines(conn)
        assert guards
        migrate.downgrade(engine, "0023")
        with engine.connect() as conn:
            assert "generation_run_id" not in conn.execute(text("SELECT * FROM claim_lines")).keys()
            assert triggers_on_claim_lines(conn) == guards
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert "generation_run_id" in conn.execute(text("SELECT * FROM claim_lines")).keys()
