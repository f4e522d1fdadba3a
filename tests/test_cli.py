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

    factories.make_training_event(app, clinic.patient, date(2026, 11, 2))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["generate-claims"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("patients 2, unchanged 0, created 1,")
    assert runner.invoke(args=["generate-claims"]).output.startswith("patients 0, unchanged 2, created 0,")
    assert runner.invoke(args=["generate-claims", "--recheck-all"]).output.startswith(
        "patients 2, unchanged 0, created 0,")
