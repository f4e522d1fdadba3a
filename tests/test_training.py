"""Training and competency through the API, as the trainer and the checklist client use it."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from models import AuditEvent, BillableEvent, Payer
from models.training import TrainingSession
from service import db
from service.db import AppendOnlyViolation
from tests import factories
from tests.conftest import NOW
from tests.factories import make_patient, token_for

V1_KEYS = ["meter_use_and_care", "blood_sample", "reporting_results", "demonstration",
           "diet_and_drug_interactions", "bleeding_and_clot_signs", "high_or_low_result"]
BILLED = V1_KEYS[:4]


def items(keys=V1_KEYS, outcome=None, **overrides):
    """Every key covered: the 93792 elements demonstrated, the education topics explained."""
    chosen = []
    for key in keys:
        value = outcome or ("demonstrated" if key in BILLED else "explained")
        chosen.append({"key": key, "outcome": overrides.get(key, value), "note": None})
    return chosen


def session_body(**fields):
    body = {"kind": "initial", "trainee": "patient", "occurred_at": (NOW - timedelta(hours=3)).isoformat(),
            "place": "Anticoagulation clinic, room 2", "meter_serial": "UUU1234567", "outcome": "competent",
            "items": items(), "supervised_test": {"trainee_inr": 2.6, "clinic_inr": 2.4}}
    body.update(fields)
    return body


def sign(client, clinic, who="trainer", patient_id=None, **fields):
    return client.post(f"/patients/{patient_id or clinic.patient_id}/training-sessions", json=session_body(**fields),
                       headers=clinic.headers[who])


def training_events(app, patient_id=None):
    with app.app_context():
        return list(db.session().scalars(select(BillableEvent).where(BillableEvent.kind == "training")))


def criteria(client, clinic, who="physician", patient_id=None):
    response = client.get(f"/patients/{patient_id or clinic.patient_id}/eligibility", headers=clinic.headers[who])
    assert response.status_code == 200, response.json
    return {c["name"]: (c["status"], c["evidence"]) for c in response.json["criteria"]}


# ---- checklist versions ----

def test_seeded_checklist_names_the_four_93792_elements_and_the_education_topics(client, clinic):
    response = client.get("/checklist-templates", headers=clinic.headers["caregiver"])
    assert response.status_code == 200
    [v1] = response.json["items"]
    assert v1["version"] == 1 and v1["created_by"] is None
    assert [i["key"] for i in v1["items"]] == V1_KEYS
    assert {i["key"] for i in v1["items"] if i["category"] == "93792"} == set(BILLED)
    assert all(i["required"] for i in v1["items"])


def test_a_new_checklist_version_adds_items_and_earlier_sessions_keep_their_version(client, clinic):
    first = sign(client, clinic, outcome="not_yet", items=items(["blood_sample"]))
    assert first.status_code == 201
    extra = {"key": "missed_dose", "text": "What to do after a missed dose", "category": "clinic", "required": True}
    v1_items = client.get("/checklist-templates", headers=clinic.headers["trainer"]).json["items"][0]["items"]
    response = client.post("/checklist-templates", json={"items": v1_items + [extra], "note": "missed doses"},
                           headers=clinic.headers["trainer"])
    assert response.status_code == 201
    assert response.json["version"] == 2
    assert response.json["created_by"]["full_name"] == "Trainer"

    later = sign(client, clinic, outcome="not_yet", items=items(["missed_dose"], outcome="explained"))
    assert later.json["template_version"] == 2
    again = client.get(f"/patients/{clinic.patient_id}/training-sessions/{first.json['id']}",
                       headers=clinic.headers["trainer"]).json
    assert again["template_version"] == 1
    assert "missed_dose" not in [i["key"] for i in again["recorded"]["items"]]
    # A session on version 1 cannot name an item that only version 2 has.
    old = sign(client, clinic, outcome="not_yet", template_version=1, items=items(["missed_dose"]))
    assert old.status_code == 422


def test_a_checklist_version_must_keep_the_93792_elements_required(client, clinic):
    v1_items = client.get("/checklist-templates", headers=clinic.headers["admin"]).json["items"][0]["items"]
    without_demo = [i for i in v1_items if i["key"] != "demonstration"]
    response = client.post("/checklist-templates", json={"items": without_demo}, headers=clinic.headers["admin"])
    assert response.status_code == 422
    assert "demonstration" in response.json["errors"]["items"][0]
    optional = [{**i, "required": False} if i["key"] == "blood_sample" else i for i in v1_items]
    assert client.post("/checklist-templates", json={"items": optional},
                       headers=clinic.headers["admin"]).status_code == 422
    for who in ("patient", "caregiver", "physician", "biller"):
        assert client.post("/checklist-templates", json={"items": v1_items},
                           headers=clinic.headers[who]).status_code == 403


# ---- sessions, progress ----

def test_not_yet_then_competent_as_the_checklist_client_sees_it(client, clinic):
    first = sign(client, clinic, outcome="not_yet", next_session_on="2026-11-30",
                 items=items(V1_KEYS[:3], blood_sample="needs_practice"), supervised_test=None)
    assert first.status_code == 201, first.json
    assert first.json["outcome"] == "not_yet"
    assert first.json["trainer"]["full_name"] == "Trainer"
    assert first.json["signed_by"]["full_name"] == "Trainer"

    progress = client.get(f"/patients/{clinic.patient_id}/training-progress", headers=clinic.headers["caregiver"])
    assert progress.status_code == 200
    assert progress.json["competent"] is False
    assert progress.json["done"] == ["meter_use_and_care", "reporting_results"]
    assert progress.json["left"] == ["blood_sample", "demonstration", "diet_and_drug_interactions",
                                     "bleeding_and_clot_signs", "high_or_low_result"]
    assert progress.json["next_session_on"] == "2026-11-30"
    statuses = {i["key"]: i["status"] for i in progress.json["items"]}
    assert statuses["blood_sample"] == "needs_practice" and statuses["demonstration"] == "not_started"

    second = sign(client, clinic, occurred_at=(NOW - timedelta(hours=1)).isoformat())
    assert second.status_code == 201, second.json
    progress = client.get(f"/patients/{clinic.patient_id}/training-progress", headers=clinic.headers["patient"]).json
    assert progress["competent"] is True and progress["competent_on"] == "2026-11-23"
    assert progress["left"] == [] and progress["sessions"] == 2
    assert progress["next_session_on"] is None
    listed = client.get(f"/patients/{clinic.patient_id}/training-sessions", headers=clinic.headers["patient"])
    assert [s["outcome"] for s in listed.json["items"]] == ["not_yet", "competent"]


@pytest.mark.parametrize(
    ("changes", "gap"),
    [
        ({"items": items(V1_KEYS[:-1])}, "high_or_low_result: not covered"),
        ({"items": items(blood_sample="explained")}, "blood_sample: must be demonstrated by the trainee"),
        ({"items": items(diet_and_drug_interactions="needs_practice")}, "diet_and_drug_interactions: needs practice"),
        ({"supervised_test": None}, "supervised_test: no supervised test recorded"),
        ({"supervised_test": {"trainee_inr": 2.5, "clinic_inr": 3.1}}, "supervised_test: the trainee's reading"),
    ],
)
def test_competent_is_refused_until_the_record_supports_it(client, clinic, app, changes, gap):
    response = sign(client, clinic, **changes)
    assert response.status_code == 422
    assert any(message.startswith(gap) for message in response.json["errors"]["outcome"])
    assert training_events(app) == []
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(TrainingSession)) == 0


def test_supervised_test_agreement_uses_the_configured_tolerance(client, clinic, app):
    test = {"trainee_inr": 2.5, "clinic_inr": 2.8}
    assert sign(client, clinic, supervised_test=test).json["recorded"]["supervised_test"] == {
        "trainee_inr": 2.5, "clinic_inr": 2.8, "tolerance": 0.5, "agree": True}
    factories.reconfigure(app, training_agreement_tolerance=Decimal("0.2"))
    response = sign(client, clinic, outcome="not_yet", supervised_test=test)
    assert response.json["recorded"]["supervised_test"]["agree"] is False
    assert response.json["recorded"]["supervised_test"]["tolerance"] == 0.2
    alone = sign(client, clinic, outcome="not_yet", supervised_test={"trainee_inr": 2.5})
    assert alone.json["recorded"]["supervised_test"]["agree"] is None


def test_a_linked_caregiver_may_be_the_trainee_and_an_unlinked_one_may_not(client, clinic):
    linked = sign(client, clinic, trainee="caregiver", caregiver_id=clinic.id("caregiver"))
    assert linked.status_code == 201
    assert linked.json["trainee"] == {"kind": "caregiver",
                                      "caregiver": {"id": clinic.id("caregiver"), "full_name": "Caregiver"}}
    for name in ("other_caregiver", "trainer"):
        response = sign(client, clinic, trainee="caregiver", caregiver_id=clinic.id(name))
        assert response.status_code == 422
        assert "caregiver_id" in response.json["errors"]
    # The former caregiver's link ended yesterday: a session two days ago was theirs to take, today's is not.
    assert sign(client, clinic, trainee="caregiver", caregiver_id=clinic.id("former_caregiver")).status_code == 422
    earlier = (NOW - timedelta(days=2)).isoformat()
    assert sign(client, clinic, trainee="caregiver", caregiver_id=clinic.id("former_caregiver"),
                occurred_at=earlier, outcome="not_yet").status_code == 201
    assert sign(client, clinic, trainee="caregiver").status_code == 422  # which caregiver?
    assert sign(client, clinic, caregiver_id=clinic.id("caregiver")).status_code == 422  # patient trainee


def test_an_admin_names_the_trainer_and_only_trainers_and_physicians_train(client, clinic):
    assert sign(client, clinic, who="admin").status_code == 422
    response = sign(client, clinic, who="admin", trainer_id=clinic.id("trainer"))
    assert response.status_code == 201
    assert response.json["trainer"]["full_name"] == "Trainer"
    assert response.json["signed_by"]["full_name"] == "Admin"
    assert sign(client, clinic, who="admin", trainer_id=clinic.id("biller")).status_code == 422
    assert sign(client, clinic, who="physician").status_code == 201


def test_a_session_in_the_future_is_refused(client, clinic):
    response = sign(client, clinic, occurred_at=(NOW + timedelta(hours=1)).isoformat())
    assert response.status_code == 422 and "occurred_at" in response.json["errors"]


def test_patient_and_caregivers_read_progress_but_can_never_sign_off(client, clinic, app):
    signed = sign(client, clinic, outcome="not_yet", items=items(["blood_sample"]))
    path = f"/patients/{clinic.patient_id}/training-sessions"
    for who in ("patient", "caregiver"):
        assert client.post(path, json=session_body(), headers=clinic.headers[who]).status_code == 403
        assert client.post(f"{path}/{signed.json['id']}/amendments", json={"reason": "done", "place": "home"},
                           headers=clinic.headers[who]).status_code == 403
        assert client.get(f"{path}/{signed.json['id']}", headers=clinic.headers[who]).status_code == 200
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(TrainingSession)) == 1
        refused = db.session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.outcome == "refused", AuditEvent.actor_role.in_(("patient", "caregiver"))))
    assert refused == 4


# ---- append-only ----

def test_an_amendment_is_a_new_entry_and_the_record_keeps_its_history(client, clinic):
    signed = sign(client, clinic, outcome="not_yet", items=items(["blood_sample"], blood_sample="needs_practice"),
                  supervised_test={"trainee_inr": 2.6})
    path = f"/patients/{clinic.patient_id}/training-sessions/{signed.json['id']}"
    response = client.post(f"{path}/amendments", headers=clinic.headers["physician"], json={
        "reason": "Transcribed from the paper form: sample was fine, comparison INR missed",
        "items": [{"key": "blood_sample", "outcome": "demonstrated", "note": "second attempt"}],
        "supervised_test": {"trainee_inr": 2.6, "clinic_inr": 2.9}, "place": "Clinic room 3"})
    assert response.status_code == 201, response.json
    record = client.get(path, headers=clinic.headers["caregiver"]).json
    recorded = {i["key"]: i for i in record["recorded"]["items"]}
    current = {i["key"]: i for i in record["current"]["items"]}
    assert recorded["blood_sample"]["outcome"] == "needs_practice"
    assert current["blood_sample"] == {**recorded["blood_sample"], "outcome": "demonstrated",
                                       "note": "second attempt"}
    assert record["recorded"]["place"] == "Anticoagulation clinic, room 2"
    assert record["current"]["place"] == "Clinic room 3"
    assert record["recorded"]["supervised_test"]["clinic_inr"] is None
    assert record["current"]["supervised_test"] == {"trainee_inr": 2.6, "clinic_inr": 2.9, "tolerance": 0.5,
                                                    "agree": True}
    [amendment] = record["amendments"]
    assert amendment["amended_by"]["full_name"] == "Physician"
    assert amendment["reason"].startswith("Transcribed")
    assert amendment["amended_at"] == NOW.isoformat()
    assert set(amendment["changes"]) == {"items", "supervised_test", "place"}
    assert record["outcome"] == "not_yet"  # the overall outcome is never amended


def test_an_amendment_may_not_leave_a_competent_sign_off_incomplete(client, clinic):
    signed = sign(client, clinic)
    path = f"/patients/{clinic.patient_id}/training-sessions/{signed.json['id']}/amendments"
    response = client.post(path, headers=clinic.headers["trainer"], json={
        "reason": "wrong", "items": [{"key": "demonstration", "outcome": "needs_practice"}]})
    assert response.status_code == 422
    assert response.json["errors"]["outcome"] == ["demonstration: needs practice"]
    assert client.post(path, json={"reason": "nothing"}, headers=clinic.headers["trainer"]).status_code == 422
    for body in ({"reason": "x", "outcome": "not_yet"}, {"reason": "x", "occurred_at": NOW.isoformat()}):
        assert client.post(path, json=body, headers=clinic.headers["trainer"]).status_code == 422


def test_nothing_in_a_training_record_changes_in_place(client, clinic, app):
    sign(client, clinic)
    with app.app_context():
        session = db.session()
        row = session.scalar(select(TrainingSession))
        row.outcome = "not_yet"
        with pytest.raises(AppendOnlyViolation):
            session.flush()
        session.rollback()
        for statement in ("UPDATE training_sessions SET outcome = 'not_yet'", "DELETE FROM training_item_outcomes",
                          "UPDATE checklist_items SET required = false"):
            with pytest.raises(Exception, match="append-only"):
                session.execute(text(statement))
            session.rollback()


# ---- billing feed ----

def test_the_first_competent_initial_training_writes_one_billable_event(client, clinic, app):
    sign(client, clinic, outcome="not_yet", items=items(["blood_sample"]))
    assert training_events(app) == []
    first = sign(client, clinic)
    for kind in ("initial", "retraining", "reassessment"):
        assert sign(client, clinic, kind=kind).status_code == 201
    [event] = training_events(app)
    assert (event.code, event.event_key) == ("93792", f"training:{clinic.patient_id}")
    assert (event.source_type, event.source_id) == ("training_session", first.json["id"])
    assert event.service_date.isoformat() == "2026-11-23"
    assert event.rendering_provider_id == clinic.users["trainer"].id


def test_a_retraining_or_reassessment_alone_is_not_billed(client, clinic, app):
    sign(client, clinic, kind="retraining")
    sign(client, clinic, kind="reassessment")
    assert training_events(app) == []


def test_the_training_code_comes_from_the_payer(client, clinic, app):
    with app.app_context():
        session = db.session()
        if session.get(Payer, "g0248-carrier") is None:
            session.add(Payer(code="g0248-carrier", name="A carrier still on G0248", supply_trigger="fourth_test",
                              review_code="G0250", training_code="G0248", extra_criteria=[],
                              minimum_anticoagulation_months=3, reassessment_months=12))
            session.commit()
    patient = make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW, payer="g0248-carrier")
    assert sign(client, clinic, patient_id=str(patient.public_id)).status_code == 201
    [event] = training_events(app)
    assert event.code == "G0248"


def test_the_service_date_is_the_session_date_in_the_patients_time_zone(client, clinic, app):
    # 03:30 UTC on the 23rd is 22:30 on the 22nd in New York.
    late_evening = datetime(2026, 11, 23, 3, 30, tzinfo=timezone.utc)
    response = sign(client, clinic, occurred_at=late_evening.isoformat())
    assert response.json["local_date"] == "2026-11-22"
    [event] = training_events(app)
    assert event.service_date.isoformat() == "2026-11-22"


# ---- eligibility and clearance ----

def test_eligibility_explains_itself_criterion_by_criterion_until_clearance(client, clinic, app):
    base = f"/patients/{clinic.patient_id}"
    before = criteria(client, clinic, who="caregiver")
    assert before["covered_indication"][0] == "met" and "I48.91" in before["covered_indication"][1]
    assert before["anticoagulated_3_months"][0] == "met"
    assert before["face_to_face_training"][0] == "not_met"
    assert before["physician_order"][0] == "not_met"
    assert before["continued_correct_use"][0] == "not_met"

    refused = client.post(f"{base}/clearance", json={"status": "cleared", "reason": "ready"},
                          headers=clinic.headers["physician"])
    assert refused.status_code == 409
    assert set(refused.json["errors"]) == {"face_to_face_training", "physician_order", "continued_correct_use"}

    sign(client, clinic, trainee="caregiver", caregiver_id=clinic.id("caregiver"))
    order = client.post(f"{base}/home-testing-orders", json={"ordered_on": "2026-11-20", "note": "weekly"},
                        headers=clinic.headers["physician"])
    assert order.status_code == 201 and order.json["physician"]["full_name"] == "Physician"
    # Medicare: the patient's own demonstration of correct use; a trained caregiver's does not count (and says so).
    caregiver_only = criteria(client, clinic)
    assert caregiver_only["face_to_face_training"][0] == "not_met"
    assert "requires the patient's own demonstration" in caregiver_only["face_to_face_training"][1]
    sign(client, clinic)
    after = criteria(client, clinic)
    assert after["face_to_face_training"] == ("met", "trained the patient on 2026-11-23")
    assert after["physician_order"] == ("met", "ordered by Physician on 2026-11-20")
    assert after["continued_correct_use"][0] == "met"

    cleared = client.post(f"{base}/clearance", json={"status": "cleared", "reason": "all criteria met"},
                          headers=clinic.headers["physician"])
    assert cleared.status_code == 201
    assert cleared.json["effective_on"] == "2026-11-23"
    assert cleared.json["evidence"]["physician_order"]["status"] == "met"
    assert client.post(f"{base}/clearance", json={"status": "cleared", "reason": "again"},
                       headers=clinic.headers["admin"]).status_code == 409
    status = client.get(f"{base}/clearance", headers=clinic.headers["patient"]).json
    assert status["status"] == "cleared" and len(status["decisions"]) == 1
    assert client.get(f"{base}/eligibility", headers=clinic.headers["trainer"]).json["clearance_status"] == "cleared"

    revoked = client.post(f"{base}/clearance", json={"status": "revoked", "reason": "meter misuse"},
                          headers=clinic.headers["admin"])
    assert revoked.status_code == 201
    assert client.get(f"{base}/clearance", headers=clinic.headers["physician"]).json["status"] == "revoked"


def test_unknown_when_the_fact_is_not_recorded(client, clinic, app):
    patient = make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW, warfarin_start_date=None)
    found = criteria(client, clinic, patient_id=str(patient.public_id))
    assert found["anticoagulated_3_months"] == ("unknown", "warfarin start date not recorded")


def test_anticoagulation_not_yet_three_months_says_when_home_testing_can_start(client, clinic, app):
    patient = make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW,
                           warfarin_start_date=datetime(2026, 10, 1).date())
    status, evidence = criteria(client, clinic, patient_id=str(patient.public_id))["anticoagulated_3_months"]
    assert status == "not_met" and "home testing can start on 2027-01-01" in evidence  # 3 calendar months


def test_payer_extra_criteria_are_answered_by_the_physicians_facts(client, clinic, app):
    patient = make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW, payer="bcbs-fl")
    pid = str(patient.public_id)
    assert criteria(client, clinic, patient_id=pid)["expected_long_term_anticoagulation"][0] == "unknown"
    facts = f"/patients/{pid}/eligibility-facts"
    body = {"name": "expected_long_term_anticoagulation", "value": False}
    # A trainer's fact is a proposal for the physician to confirm: it answers nothing yet.
    assert client.post(facts, json=body, headers=clinic.headers["trainer"]).json["status"] == "proposed"
    assert criteria(client, clinic, patient_id=pid)["expected_long_term_anticoagulation"][0] == "unknown"
    assert client.post(facts, json=body, headers=clinic.headers["physician"]).status_code == 201
    assert criteria(client, clinic, patient_id=pid)["expected_long_term_anticoagulation"][0] == "not_met"
    client.post(facts, json={**body, "value": True, "note": "lifelong: mechanical valve"},
                headers=clinic.headers["physician"])
    assert criteria(client, clinic, patient_id=pid)["expected_long_term_anticoagulation"][0] == "met"
    listed = client.get(facts, headers=clinic.headers["trainer"]).json
    assert len(listed["items"]) == 3 and listed["current"] == {"expected_long_term_anticoagulation": True}
    assert "expected_long_term_anticoagulation" not in criteria(client, clinic)  # Medicare has no such criterion


def test_continued_correct_use_needs_a_reassessment_within_the_payers_interval(client, clinic, app):
    sign(client, clinic)
    assert criteria(client, clinic)["continued_correct_use"][0] == "met"
    later = NOW + timedelta(days=400)
    factories.set_now(app, later)
    for who in ("physician", "trainer"):  # tokens of 400 days ago have long expired
        clinic.headers[who] = token_for(app, clinic.users[who], later)
    status, evidence = criteria(client, clinic)["continued_correct_use"]
    assert status == "not_met" and "overdue since 2027-11-23" in evidence
    sign(client, clinic, kind="reassessment", occurred_at=(NOW + timedelta(days=399)).isoformat())
    status, evidence = criteria(client, clinic)["continued_correct_use"]
    assert status == "met" and "last demonstrated on 2027-12-27" in evidence
    # Training still counts from the first competent training, which preceded home use.
    assert criteria(client, clinic)["face_to_face_training"][1].endswith("on 2026-11-23")


def test_only_the_physician_of_record_orders_and_only_physician_or_admin_clears(client, clinic):
    base = f"/patients/{clinic.patient_id}"
    for who in ("trainer", "admin", "patient", "caregiver"):
        assert client.post(f"{base}/home-testing-orders", json={"ordered_on": "2026-11-20"},
                           headers=clinic.headers[who]).status_code == 403
    assert client.post(f"{base}/home-testing-orders", json={"ordered_on": "2026-11-20"},
                       headers=clinic.headers["other_physician"]).status_code == 404
    assert client.post(f"{base}/home-testing-orders", json={"ordered_on": "2026-11-24"},
                       headers=clinic.headers["physician"]).status_code == 422  # tomorrow in New York
    for who in ("trainer", "patient", "caregiver", "biller"):
        assert client.post(f"{base}/clearance", json={"status": "cleared", "reason": "x"},
                           headers=clinic.headers[who]).status_code == 403
    assert client.post(f"{base}/clearance", json={"status": "revoked", "reason": "x"},
                       headers=clinic.headers["physician"]).status_code == 409  # nothing to revoke


# ---- the competency document ----

def test_competency_pdf_carries_the_records_facts(client, clinic, app):
    signed = sign(client, clinic, trainee="caregiver", caregiver_id=clinic.id("caregiver"),
                  items=items(meter_use_and_care="demonstrated") + [], supervised_test={"trainee_inr": 2.6,
                                                                                          "clinic_inr": 2.4})
    path = f"/patients/{clinic.patient_id}/training-sessions/{signed.json['id']}"
    amended = client.post(f"{path}/amendments", json={"reason": "Meter serial mistyped", "meter_serial": "UUU7654321"},
                          headers=clinic.headers["trainer"])
    assert amended.status_code == 201, amended.json
    response = client.get(f"{path}/competency.pdf", headers=clinic.headers["patient"])
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    content = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    content = " ".join(content.split())
    for fact in ("Trainee: Caregiver (caregiver of Pat Example)", "Trainer: Trainer (trainer)",
                 "initial, 2026-11-23 07:00 EST", "Overall outcome: competent", "Meter serial: UUU7654321",
                 "trainee meter INR 2.6; clinic INR 2.4; readings agree (tolerance 0.5 INR)",
                 "Meter serial mistyped", "by Trainer", "corrected: meter serial -> UUU7654321"):
        assert fact in content, fact
    v1 = client.get("/checklist-templates", headers=clinic.headers["trainer"]).json["items"][0]["items"]
    for item in v1:
        expected = "demonstrated" if item["key"] in BILLED else "explained"
        assert f"[{expected}] {item['text']}" in content, item["key"]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "training.session.pdf", AuditEvent.actor_role == "patient")) == 1


def test_competency_pdf_response_conforms_to_the_contract(client, clinic, app):
    import schemathesis

    from tests.test_contract import SPEC_PATH
    from tests.test_fuzz import CHECKS

    signed = sign(client, clinic)
    schema = schemathesis.openapi.from_path(SPEC_PATH)
    schema.app = app
    operation = schema["/patients/{patient_id}/training-sessions/{session_id}/competency.pdf"]["GET"]
    case = operation.Case(path_parameters={"patient_id": clinic.patient_id, "session_id": signed.json["id"]})
    response = case.call(headers=clinic.headers["trainer"])
    assert response.status_code == 200
    case.validate_response(response, checks=CHECKS)


def test_every_read_of_training_data_is_audited(client, clinic, app):
    signed = sign(client, clinic)
    base = f"/patients/{clinic.patient_id}"
    for path in (f"{base}/training-sessions", f"{base}/training-sessions/{signed.json['id']}",
                 f"{base}/training-progress", f"{base}/eligibility", f"{base}/clearance",
                 f"{base}/home-testing-orders", f"{base}/eligibility-facts"):
        assert client.get(path, headers=clinic.headers["caregiver"]).status_code == 200
    with app.app_context():
        actions = set(db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.actor_role == "caregiver", AuditEvent.action != "auth.login")))
    assert actions == {"training.session.list", "training.session.read", "training.progress.read",
                       "clearance.eligibility.read", "clearance.read", "clearance.order.list", "clearance.fact.list"}
