"""Command-line tasks a newcomer and an operator run."""

from __future__ import annotations

from sqlalchemy import select

from models import Patient, User
from service import db


def test_seed_demo_creates_a_clinic_once_and_its_logins_work(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "seeded" in first.output and "dr.rivera@demo.clinic" in first.output
    again = runner.invoke(args=["seed-demo"])
    assert "already present" in again.output
    with app.app_context():
        assert len(list(db.session().scalars(select(Patient)))) == 1
    token = client.post("/auth/login", json={"email": "pat.jones@demo.clinic", "password": "demo-password-1"})
    assert token.status_code == 200
    me = client.get("/me", headers={"Authorization": f"Bearer {token.json['token']}"}).json
    assert [p["full_name"] for p in me["patients"]] == ["Pat Jones"]


def test_create_admin_makes_an_admin_who_can_log_in(app, client):
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "Boss@Clinic.Example",
                                                "--password", "a very long password"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session().scalar(select(User.role).where(User.email == "boss@clinic.example")) == "admin"
    assert client.post("/auth/login", json={"email": "boss@clinic.example",
                                            "password": "a very long password"}).status_code == 200


def test_db_upgrade_reports_the_head_revision(app):
    result = app.test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0 and "database at revision" in result.output


def test_generate_claims_checks_changed_patients_or_with_recheck_all_everyone(app, clinic):
    from datetime import date

    from tests import factories

    factories.make_order(app, clinic.patient, date(2026, 11, 1))
    factories.make_training_event(app, clinic.patient, date(2026, 11, 2))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["generate-claims"])
    assert first.exit_code == 0, first.output
    # Generation covers the server: the clinic's two patients and the second practice's one.
    assert first.output.startswith("patients 3, unchanged 0, created 1,")
    assert runner.invoke(args=["generate-claims"]).output.startswith("patients 0, unchanged 3, created 0,")
    assert runner.invoke(args=["generate-claims", "--recheck-all"]).output.startswith(
        "patients 3, unchanged 0, created 0,")


def _flask(*args, env=None, cwd=None):
    """`flask --app service ...` as a new user runs it, in its own process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    environment = {key: value for key, value in os.environ.items() if not key.startswith("INR_")}
    environment.update(env or {})
    environment["PYTHONPATH"] = str(root)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "service", *args], cwd=cwd or root,
                          env=environment, capture_output=True, text=True, timeout=120)


def test_help_prints_only_help_and_touches_no_database(tmp_path):
    done = _flask("--help", cwd=tmp_path, env={"INR_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0
    assert "db-upgrade" in done.stdout and "seed-demo" in done.stdout
    assert "alembic" not in (done.stdout + done.stderr).lower() and "INFO" not in done.stderr
    assert list(tmp_path.iterdir()) == [], "no folder or database may be created just to print help"


def test_create_admin_refuses_what_the_api_refuses_in_one_line_with_a_failing_exit_code(app):
    runner = app.test_cli_runner()
    for args, field in ((["--email", "not an email", "--password", "a very long password"], "email"),
                        (["--email", "ok@clinic.example", "--password", "abc"], "password")):
        result = runner.invoke(args=["create-admin", *args])
        assert result.exit_code == 1, result.output
        assert field in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert runner.invoke(args=["create-admin", "--email", "boss@clinic.example", "--password",
                               "a very long password"]).exit_code == 0
    again = runner.invoke(args=["create-admin", "--email", "BOSS@clinic.example", "--password",
                                "another long password"])
    assert again.exit_code == 1 and "already" in again.output and "Traceback" not in again.output


def test_db_upgrade_runs_on_an_old_schema_even_when_auto_migrate_is_off(tmp_path):
    from sqlalchemy import create_engine

    from service import migrate

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(create_engine(url), "0001")
    refused = _flask("seed-demo", env={"INR_DATABASE_URL": url, "INR_AUTO_MIGRATE": "0"})
    assert refused.returncode == 1 and "db-upgrade" in refused.stderr and "Traceback" not in refused.stderr
    upgraded = _flask("db-upgrade", env={"INR_DATABASE_URL": url, "INR_AUTO_MIGRATE": "0"})
    assert upgraded.returncode == 0, upgraded.stderr
    assert migrate.is_current(create_engine(url))


def test_a_database_that_cannot_be_reached_is_one_clear_line(tmp_path):
    # A PostgreSQL URL on a port where nothing listens: the same answer a missing server or database gets.
    done = _flask("db-upgrade", env={"INR_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/nowhere"})
    assert done.returncode == 1
    assert "Cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:1/nowhere" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_missing_postgresql_database_says_to_create_it():
    import pytest

    from tests.conftest import POSTGRES_URL

    if not POSTGRES_URL:
        pytest.skip("needs the PostgreSQL server")
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/no_such_inr_database"
    done = _flask("db-upgrade", env={"INR_DATABASE_URL": url})
    assert done.returncode == 1
    assert "does not exist: create it first" in done.stderr and "Traceback" not in done.stderr
