"""Migration 0018 on a database that already holds patients: they keep everything and have no medical record
number yet; two patients of one practice cannot share a number; the way back drops the column. Both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from service import migrate
from tests.test_migration_0009 import database_at
from tests.test_migration_0015 import seed


def test_patients_keep_their_record_and_numbers_are_unique_per_practice(tmp_path):
    with database_at("0013", tmp_path) as engine:
        # A second public id: PostgreSQL stores a uuid, SQLite its 32 hex digits as text.
        new_public_id = "gen_random_uuid()" if engine.dialect.name == "postgresql" else "'b' || public_id"
        with engine.begin() as conn:
            seed(conn)
            conn.execute(text(f"INSERT INTO patients (public_id, full_name, date_of_birth, time_zone, physician_id, "
                              f"payer_code, practice_id, created_at, updated_at) SELECT {new_public_id}, 'Second', "
                              "date_of_birth, time_zone, physician_id, payer_code, practice_id, created_at, updated_at "
                              "FROM patients"))
        migrate.upgrade(engine, "0015")
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT full_name, mrn FROM patients ORDER BY id")).all() == [
                ("Pat", None), ("Second", None)]
        with engine.begin() as conn:
            conn.execute(text("UPDATE patients SET mrn = '42' WHERE full_name = 'Pat'"))
        with engine.connect() as conn:
            with pytest.raises(IntegrityError):
                conn.execute(text("UPDATE patients SET mrn = '42' WHERE full_name = 'Second'"))
            conn.rollback()
        migrate.downgrade(engine, "0015")
        with engine.connect() as conn:
            assert "mrn" not in conn.execute(text("SELECT * FROM patients")).keys()
            assert conn.execute(text("SELECT count(*) FROM patients")).scalar() == 2
