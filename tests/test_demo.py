"""The demo clinic: its physician and caregiver use the pages on a few weeks of care, seeded once."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Alert, InrResult, Review, TrainingSession
from service import db

DEMO = {"email": "dr.rivera@demo.clinic", "password": "demo-password-1"}


def counts(app) -> dict:
    with app.app_context():
        session = db.session()
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (InrResult, Alert, Review, TrainingSession)}


def test_the_demo_patient_has_weeks_of_care_to_show_and_seeding_again_adds_nothing(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    seeded = counts(app)
    assert seeded == {"inr_results": 10, "alerts": 3, "reviews": 2, "training_sessions": 3}
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "/dashboard/" in again.output
    assert counts(app) == seeded

    token = client.post("/auth/login", json=DEMO).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    queue = client.get("/alerts", headers=headers).json
    assert [(a["patient"]["full_name"], a["reading"], a["status"]) for a in queue["items"]] == \
        [("Pat Jones", "1.7", "open")]
    patient_id = queue["items"][0]["patient"]["id"]
    summary = client.get(f"/patients/{patient_id}/summary", headers=headers).json
    assert summary["ttr"]["percent"] is not None and summary["adherence"]["weeks_tested"] >= 8
    assert client.get(f"/patients/{patient_id}/clearance", headers=headers).json["status"] == "cleared"

    caregiver = client.post("/auth/login", json={**DEMO, "email": "sam.jones@demo.clinic"}).json["token"]
    headers = {"Authorization": f"Bearer {caregiver}"}
    instructions = client.get(f"/patients/{patient_id}/instructions", headers=headers).json
    assert instructions["current"]["instruction_kind"] == "new_dose" and instructions["acknowledgements"] == []
    progress = client.get(f"/patients/{patient_id}/training-progress", headers=headers).json
    assert progress["competent"] and progress["next_session_on"] is not None


def test_the_demo_physician_states_whatever_else_the_payer_asks_before_clearing(app, client):
    from sqlalchemy import update

    from models import Payer

    def medicare_asks(criteria):
        with app.app_context():
            db.session().execute(update(Payer).where(Payer.code == "medicare").values(extra_criteria=criteria))
            db.session().commit()

    medicare_asks(["expected_long_term_anticoagulation"])
    try:  # payers are reference data, kept between tests: put medicare back whatever happens
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    finally:
        medicare_asks([])
    token = client.post("/auth/login", json=DEMO).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    patient_id = client.get("/patients", headers=headers).json["items"][0]["id"]
    assert client.get(f"/patients/{patient_id}/clearance", headers=headers).json["status"] == "cleared"
    facts = client.get(f"/patients/{patient_id}/eligibility-facts", headers=headers).json
    assert facts["current"] == {"expected_long_term_anticoagulation": True}
