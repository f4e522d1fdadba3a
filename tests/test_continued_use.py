"""Continued correct use (NCD 190.11 criterion 3) and the eligibility edges, through the API and the daily job
(domain.md, "Continued correct use"; issue 12 parts 5 and 6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from models import ClaimLine, OutboxMessage
from schedules.jobs import Job, day, run_job
from schedules.reassessments import check_reassessments
from service import claim_generation, db
from tests import factories
from tests.conftest import NOW
from tests.factories import post_result
from tests.test_training import criteria, session_body, sign

SIGNED = datetime(2025, 10, 1, 15, 0, tzinfo=timezone.utc)  # the competent initial training: 11:00 in New York


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def cleared_patient(app, client, clinic, *, signed=SIGNED):
    """A patient enrolled before `signed`, trained (competent) and cleared that day through the API."""
    patient = factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], signed - timedelta(days=30),
                                     full_name="Reese Reassess", user=clinic.users.get("unlinked_patient"))
    pid = str(patient.public_id)
    factories.set_now(app, signed)
    assert sign(client, clinic, patient_id=pid, occurred_at=(signed - timedelta(hours=2)).isoformat()).status_code \
        == 201
    local = (signed - timedelta(hours=5)).date()
    assert client.post(f"/patients/{pid}/home-testing-orders", json={"ordered_on": local.isoformat()},
                       headers=clinic.headers["physician"]).status_code == 201
    cleared = client.post(f"/patients/{pid}/clearance", json={"status": "cleared", "reason": "trained"},
                          headers=clinic.headers["physician"])
    assert cleared.status_code == 201, cleared.json
    return patient, pid


def reassess(app, now):
    with app.app_context():
        return check_reassessments(db.session(), now, settings=app.extensions["settings"])


def clearance(client, clinic, pid):
    return client.get(f"/patients/{pid}/clearance", headers=clinic.headers["physician"]).json


def kind_alerts(client, clinic, kind, status="open"):
    return client.get("/alerts", query_string={"kind": kind, "status": status},
                      headers=clinic.headers["physician"]).json["items"]


def test_an_overdue_reassessment_alerts_then_suspends_after_its_grace_and_billing_stops(app, client, clinic):
    patient, pid = cleared_patient(app, client, clinic)
    # Due by 2026-10-01 (12 calendar months); overdue from 2 Oct; suspended from 1 Nov (30 days' grace).
    assert reassess(app, utc(2026, 10, 1, 16))["alerted"] == 0
    assert reassess(app, utc(2026, 10, 2, 16)) == {"checked": 1, "alerted": 1, "suspended": 0, "no_sign_off": 0,
                                                   "conflicts": 0}
    assert reassess(app, utc(2026, 10, 3, 16))["alerted"] == 0  # one alert per due day, not per run
    factories.set_now(app, utc(2026, 10, 3, 16))
    [alert] = kind_alerts(client, clinic, "reassessment_overdue")
    assert (alert["severity"], alert["reason"], alert["detail"]) == (
        "routine", "reassessment_overdue", {"due_by": "2026-10-01", "suspends_on": "2026-11-01"})
    assert clearance(client, clinic, pid)["status"] == "cleared"

    assert reassess(app, utc(2026, 11, 1, 3, 59))["suspended"] == 0  # 31 Oct 23:59 in New York
    assert reassess(app, utc(2026, 11, 1, 4, 0))["suspended"] == 1  # 1 Nov 00:00 in New York
    assert reassess(app, utc(2026, 11, 2, 4, 0))["checked"] == 0  # suspended: no longer in home testing
    factories.set_now(app, utc(2026, 11, 5, 15))
    history = clearance(client, clinic, pid)
    assert history["status"] == "suspended"
    suspension = history["decisions"][-1]
    assert (suspension["status"], suspension["effective_on"], suspension["decided_by"]) == ("suspended",
                                                                                            "2026-11-01", None)

    # Still recorded and still alerting, never counted: nothing is billed while suspended.
    response = client.post(f"/patients/{pid}/results", headers=clinic.headers["physician"],
                           json=factories.result_body(client_id="s1", value=1.3,
                                                      measured_at="2026-11-05T09:00:00-05:00"))
    assert response.status_code == 201
    assert response.json["alert"]["severity"] == "critical"
    assert response.json["billing"]["reason"] == "not_cleared"
    assert "paused until your use of the meter is checked again" in response.json["message"]
    with app.app_context():
        claim_generation.generate_claims(db.session(), utc(2026, 11, 6), patient_ids=[patient.id])
        assert list(db.session().scalars(select(ClaimLine.code).where(ClaimLine.patient_id == patient.id,
                                                                      ClaimLine.code != "93792"))) == []

    # A competent reassessment closes the alert; the physician clears the patient again.
    reassessed = sign(client, clinic, patient_id=pid, kind="reassessment",
                      occurred_at=utc(2026, 11, 5, 14).isoformat())
    assert reassessed.status_code == 201
    assert kind_alerts(client, clinic, "reassessment_overdue") == []
    [closed] = kind_alerts(client, clinic, "reassessment_overdue", status="resolved")
    assert closed["resolution"] == "reassessed"
    again = client.post(f"/patients/{pid}/clearance", json={"status": "cleared", "reason": "reassessed"},
                        headers=clinic.headers["physician"])
    assert again.status_code == 201 and clearance(client, clinic, pid)["status"] == "cleared"


def test_the_reassessment_interval_and_grace_are_the_clinics(app, client, clinic):
    cleared_patient(app, client, clinic)
    factories.reconfigure(app, reassessment_months=6, reassessment_grace=timedelta(days=0))
    assert reassess(app, utc(2026, 4, 1, 16))["alerted"] == 0  # due by 1 Apr
    assert reassess(app, utc(2026, 4, 2, 16)) == {"checked": 1, "alerted": 1, "suspended": 1, "no_sign_off": 0,
                                                  "conflicts": 0}


def test_a_reassessment_signed_not_yet_competent_suspends_at_once_and_the_patient_is_told(app, client, clinic):
    patient, pid = cleared_patient(app, client, clinic)
    factories.set_now(app, utc(2026, 3, 2, 15))
    failed = sign(client, clinic, patient_id=pid, kind="reassessment", outcome="not_yet",
                  occurred_at=utc(2026, 3, 2, 14).isoformat(), items=[])
    assert failed.status_code == 201, failed.json
    history = clearance(client, clinic, pid)
    assert history["status"] == "suspended"
    assert history["decisions"][-1]["decided_by"]["id"] == clinic.id("trainer")
    assert history["decisions"][-1]["effective_on"] == "2026-03-02"
    status, evidence = criteria(client, clinic, patient_id=pid)["continued_correct_use"]
    assert status == "not_met" and "reassessment on 2026-03-02 was signed not yet competent" in evidence
    refused = client.post(f"/patients/{pid}/clearance", json={"status": "cleared", "reason": "try again"},
                          headers=clinic.headers["physician"])
    assert refused.status_code == 409 and "continued_correct_use" in refused.json["errors"]
    with app.app_context():
        [told] = db.session().scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "reminder.home_testing_suspended"))
        assert told.patient_id == patient.id and "contact your clinic" in told.payload["message"]
    # A suspended patient may also be revoked for good.
    assert client.post(f"/patients/{pid}/clearance", json={"status": "revoked", "reason": "stopped"},
                       headers=clinic.headers["admin"]).status_code == 201


def test_the_daily_job_runs_once_per_day_whichever_scheduler_claims_it(app, client, clinic):
    cleared_patient(app, client, clinic)
    factory = app.extensions["db_sessionmaker"]
    job = Job("reassessments.check", lambda session, now: check_reassessments(session, now,
                                                                              settings=app.extensions["settings"]),
              day, "cron")
    first = run_job(factory, job, utc(2026, 10, 2, 16))
    again = run_job(factory, job, utc(2026, 10, 2, 17))
    assert (first.status, first.outcome["alerted"], again.status) == ("ran", 1, "done_elsewhere")
    assert run_job(factory, job, utc(2026, 10, 3, 16)).outcome["alerted"] == 0


# --- eligibility edges ------------------------------------------------------------------------------------------


def test_results_before_training_or_phoned_in_early_never_block_clearance(app, client, clinic):
    # Tested at home before training, and a value phoned in by staff: kept, shown, not counted, blocking nothing.
    factories.set_now(app, NOW - timedelta(days=10))
    assert post_result(client, clinic, client_id="early", measured_at="2026-11-13T09:00:00-05:00").status_code == 201
    assert post_result(client, clinic, who="physician", client_id="phoned",
                       measured_at="2026-11-13T10:00:00-05:00").status_code == 201
    factories.set_now(app, NOW)
    assert sign(client, clinic).status_code == 201  # trained today
    client.post(f"/patients/{clinic.patient_id}/home-testing-orders", json={"ordered_on": "2026-11-20"},
                headers=clinic.headers["physician"])
    found = criteria(client, clinic)
    assert found["face_to_face_training"][0] == "met"
    cleared = client.post(f"/patients/{clinic.patient_id}/clearance", json={"status": "cleared", "reason": "ok"},
                          headers=clinic.headers["physician"])
    assert cleared.status_code == 201, cleared.json
    listing = client.get(f"/patients/{clinic.patient_id}/results", headers=clinic.headers["physician"]).json["items"]
    assert {(r["client_id"], r["billing"]["reason"]) for r in listing} == {("early", "not_cleared"),
                                                                           ("phoned", "not_cleared")}
    # Home use now starts at the first home test on or after clearance.
    post_result(client, clinic, client_id="home", measured_at="2026-11-23T09:30:00-05:00")
    assert "the first home test after clearance (2026-11-23)" in criteria(client, clinic)["anticoagulated_3_months"][1]


def test_three_months_of_warfarin_are_calendar_months(app, client, clinic):
    for start, status in [("2026-08-23", "met"), ("2026-08-24", "not_met")]:
        patient = factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW,
                                         warfarin_start_date=date.fromisoformat(start))
        found = criteria(client, clinic, patient_id=str(patient.public_id))["anticoagulated_3_months"]
        assert found[0] == status, found


def test_a_payer_that_accepts_a_caregivers_demonstration_says_so(app, client, clinic):
    from models import Payer

    with app.app_context():
        session = db.session()
        session.add(Payer(code="caregivers-ok", name="Caregivers OK", supply_trigger="fourth_test",
                          review_code="G0250", training_code="93792", extra_criteria=[],
                          minimum_anticoagulation_months=3, reassessment_months=12,
                          caregiver_demonstration_counts=True))
        session.commit()
    client.patch(f"/patients/{clinic.patient_id}", json={"payer": "caregivers-ok"}, headers=clinic.headers["admin"])
    assert sign(client, clinic, **session_body(trainee="caregiver", caregiver_id=clinic.id("caregiver"))) \
        .status_code == 201
    status, evidence = criteria(client, clinic)["face_to_face_training"]
    assert status == "met" and "Caregivers OK accepts a trained caregiver's demonstration" in evidence
