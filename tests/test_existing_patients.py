"""Bringing existing patients in (domain.md "Existing patients", issue 14): training done elsewhere, the clearance from
a past day, the go-live date, past target ranges and zones, and past results imported from a FHIR Bundle or a CSV,
each row on its own. Imported history counts for the clinical picture and is never billed; it opens no alert and
sends no message. Through the API, on both databases (`clinic.patient` was enrolled now, 23 Nov 2026)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models import Alert, AuditEvent, BillableEvent, InrResult, OutboxMessage
from schedules.no_valid_result import detect_no_valid_results
from schedules.reassessments import check_reassessments
from service import db
from tests import factories
from tests.conftest import NOW
from tests.factories import count_rows
from tests.test_training import criteria

ELSEWHERE = {"organization": "Acme Home INR (IDTF)", "trainer_name": "R. Nurse, RN",
             "document_reference": "acme/competency/81723"}
HEADER = "source_id,measured_at,value,comparator,meter_serial,qc_passed\n"


def post(client, clinic, path, body, who="physician", pid=None):
    return client.post(f"/patients/{pid or clinic.patient_id}/{path}", json=body, headers=clinic.headers[who])


def go_live(client, clinic, day="2026-11-23", who="admin", pid=None):
    response = client.patch(f"/patients/{pid or clinic.patient_id}", json={"go_live_on": day},
                            headers=clinic.headers[who])
    assert response.status_code == 200, response.json
    return response.json


def bring_in(client, clinic, *, trained_on="2026-06-10", ordered_on="2026-06-01", cleared_on="2026-06-11"):
    """The patient's go-live date, order, training done elsewhere and clearance from a past day."""
    go_live(client, clinic)
    assert post(client, clinic, "home-testing-orders", {"ordered_on": ordered_on}).status_code == 201
    assert post(client, clinic, "prior-trainings", {"trained_on": trained_on, **ELSEWHERE},
                who="trainer").status_code == 201
    cleared = post(client, clinic, "clearance", {"status": "cleared", "reason": "records on file",
                                                 "effective_on": cleared_on})
    assert cleared.status_code == 201, cleared.json
    return cleared.json


def import_csv(client, clinic, *rows, who="physician", file_name="acme.csv"):
    return post(client, clinic, "result-imports", {"file_name": file_name, "csv": HEADER + "".join(rows)}, who=who)


def observation(oid, when, value, **changes):
    resource = {"resourceType": "Observation", "id": oid, "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "34714-6"}]},
                "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": "INR"}}
    resource.update(changes)
    return resource


def bundle(*observations):
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": o} for o in observations]}


def results_by_client_id(client, clinic, pid=None):
    items = client.get(f"/patients/{pid or clinic.patient_id}/results", query_string={"limit": 500},
                       headers=clinic.headers["physician"]).json["items"]
    return {r["client_id"]: r for r in items}


def run_billing(client, clinic):
    response = client.post("/billing/generation-runs", json={}, headers=clinic.headers["biller"])
    assert response.status_code == 201, response.json
    return response.json


def claim_lines(client, clinic, pid=None):
    return client.get("/claims", query_string={"patient_id": pid or clinic.patient_id},
                      headers=clinic.headers["biller"]).json["items"]


# --- training done elsewhere ------------------------------------------------------------------------------------


def test_training_done_elsewhere_meets_the_training_criterion_and_is_never_billed(app, client, clinic):
    recorded = post(client, clinic, "prior-trainings", {"trained_on": "2026-10-05", **ELSEWHERE}, who="trainer")
    assert recorded.status_code == 201, recorded.json
    assert {k: recorded.json[k] for k in ("kind", "trainee", "caregiver_name", "trained_on", "organization",
                                          "document_reference")} == {
        "kind": "initial", "trainee": "patient", "caregiver_name": None, "trained_on": "2026-10-05",
        "organization": "Acme Home INR (IDTF)", "document_reference": "acme/competency/81723"}
    assert recorded.json["recorded_by"]["id"] == clinic.id("trainer")
    assert post(client, clinic, "home-testing-orders", {"ordered_on": "2026-10-01"}).status_code == 201

    met = criteria(client, clinic)
    assert met["face_to_face_training"][0] == "met" and "Acme Home INR (IDTF)" in met["face_to_face_training"][1]
    assert met["continued_correct_use"] == ("met", "correct use last demonstrated on 2026-10-05; reassessment due "
                                                   "by 2027-10-05")
    cleared = post(client, clinic, "clearance", {"status": "cleared", "reason": "trained at Acme"})
    assert cleared.status_code == 201, cleared.json

    run_billing(client, clinic)
    assert claim_lines(client, clinic) == []
    assert count_rows(app, BillableEvent, BillableEvent.patient_id == clinic.patient.id) == 0
    listed = client.get(f"/patients/{clinic.patient_id}/prior-trainings", headers=clinic.headers["caregiver"])
    assert [t["id"] for t in listed.json["items"]] == [recorded.json["id"]]


def test_a_caregivers_training_elsewhere_is_whom_it_was_for_and_medicare_asks_the_patients_own(client, clinic):
    body = {"trained_on": "2026-10-05", "trainee": "caregiver", "caregiver_name": "Sam Jones", **ELSEWHERE}
    assert post(client, clinic, "prior-trainings", body, who="admin").status_code == 201
    status, evidence = criteria(client, clinic)["face_to_face_training"]
    assert status == "not_met" and "caregiver Sam Jones" in evidence and "patient's own demonstration" in evidence


@pytest.mark.parametrize(("changes", "field"), [
    pytest.param({"trained_on": "2026-11-24"}, "trained_on", id="not_in_the_future"),
    pytest.param({"trained_on": "1940-01-01"}, "trained_on", id="not_before_birth"),
    pytest.param({"trainee": "caregiver"}, "caregiver_name", id="a_caregiver_is_named"),
    pytest.param({"caregiver_name": "Sam Jones"}, "caregiver_name", id="only_a_caregiver_is"),
    pytest.param({"kind": "demo"}, "kind", id="a_kind_of_session"),
    pytest.param({"document_reference": ""}, "document_reference", id="the_record_is_somewhere"),
])
def test_training_elsewhere_is_refused_by_field(app, client, clinic, changes, field):
    response = post(client, clinic, "prior-trainings", {"trained_on": "2026-10-05", **ELSEWHERE, **changes})
    assert response.status_code == 422 and field in response.json["errors"], response.json
    assert count_rows(app, AuditEvent, AuditEvent.action == "training.prior.record") == 0


# --- the clearance from a past day ------------------------------------------------------------------------------


def test_a_clearance_takes_effect_on_a_past_day_on_the_facts_as_they_stood_then(app, client, clinic):
    go_live(client, clinic)
    assert post(client, clinic, "home-testing-orders", {"ordered_on": "2026-06-01"}).status_code == 201
    assert post(client, clinic, "prior-trainings", {"trained_on": "2026-06-10", **ELSEWHERE}).status_code == 201
    too_early = post(client, clinic, "clearance", {"status": "cleared", "reason": "records on file",
                                                   "effective_on": "2026-06-09"})
    assert too_early.status_code == 409
    assert set(too_early.json["errors"]) == {"face_to_face_training", "continued_correct_use"}
    assert "2026-06-09" in too_early.json["detail"]

    cleared = post(client, clinic, "clearance", {"status": "cleared", "reason": "records on file",
                                                 "effective_on": "2026-06-10"})
    assert cleared.status_code == 201, cleared.json
    assert cleared.json["effective_on"] == "2026-06-10"
    assert cleared.json["evidence"]["face_to_face_training"]["status"] == "met"
    history = client.get(f"/patients/{clinic.patient_id}/clearance", headers=clinic.headers["physician"]).json
    assert (history["status"], [d["effective_on"] for d in history["decisions"]]) == ("cleared", ["2026-06-10"])
    with app.app_context():
        event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "clearance.cleared"))
    assert event.detail == {"effective_on": "2026-06-10", "decided_on": "2026-11-23"}


def test_a_clearance_from_a_past_day_is_refused_where_the_day_cannot_be(client, clinic):
    assert post(client, clinic, "home-testing-orders", {"ordered_on": "2026-06-01"}).status_code == 201
    assert post(client, clinic, "prior-trainings", {"trained_on": "2026-06-10", **ELSEWHERE}).status_code == 201

    def clear(day, status="cleared"):
        return post(client, clinic, "clearance", {"status": status, "reason": "r", "effective_on": day})

    assert clear("2026-11-24").status_code == 422  # after today
    before_enrolment = clear("2026-11-01")
    assert before_enrolment.status_code == 422 and "go-live" in before_enrolment.json["errors"]["effective_on"][0]
    go_live(client, clinic)
    assert clear("2026-07-01").status_code == 201
    revoke = clear("2026-08-01", status="revoked")
    assert revoke.status_code == 422 and "revocation" in revoke.json["errors"]["effective_on"][0]
    assert post(client, clinic, "clearance", {"status": "revoked", "reason": "moved away"}).status_code == 201
    before_decision = clear("2026-10-01")
    assert before_decision.status_code == 422
    assert "revoked from 2026-11-23" in before_decision.json["errors"]["effective_on"][0]


# --- the go-live date -------------------------------------------------------------------------------------------


def test_the_go_live_date_is_on_the_patient_and_fixed_once_claim_lines_exist(app, client, clinic):
    created = client.post("/patients", headers=clinic.headers["physician"], json={
        "full_name": "Gil Golive", "date_of_birth": "1950-02-02", "time_zone": "America/Chicago",
        "indications": ["I48.91"], "go_live_on": "2026-12-01"})
    assert created.status_code == 201 and created.json["go_live_on"] == "2026-12-01"
    assert client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["biller"]).json["go_live_on"] is None
    for day, field in (("2027-11-24", "go_live_on"), ("1948-05-31", "go_live_on")):
        response = client.patch(f"/patients/{clinic.patient_id}", json={"go_live_on": day},
                                headers=clinic.headers["admin"])
        assert response.status_code == 422 and field in response.json["errors"], day
    assert go_live(client, clinic, "2026-11-20")["go_live_on"] == "2026-11-20"
    assert go_live(client, clinic, "2026-11-23")["go_live_on"] == "2026-11-23"

    factories.make_claim_line(app, clinic.patient, NOW + timedelta(days=3))
    refused = client.patch(f"/patients/{clinic.patient_id}", json={"go_live_on": None}, headers=clinic.headers["admin"])
    assert refused.status_code == 409 and "go_live_on" in refused.json["errors"]


def test_nothing_dated_before_go_live_is_billed(app, client, clinic):
    # Cleared since 1 Oct and testing every Monday through the app; this service bills from 2 Nov on.
    factories.clear_clinic_patient(app, clinic, date(2026, 10, 1))
    factories.make_order(app, clinic.patient, date(2026, 9, 30))
    go_live(client, clinic, "2026-11-02")
    mondays = [datetime(2026, 10, 5, 14, tzinfo=timezone.utc) + timedelta(weeks=week) for week in range(8)]
    for week, when in enumerate(mondays):
        factories.record_result(app, clinic.patient, clinic.users["patient"], when + timedelta(minutes=5),
                                client_id=f"app-{week}", measured_at=when)
    factories.set_now(app, datetime(2026, 11, 30, 15, tzinfo=timezone.utc))
    run_billing(client, clinic)
    [line] = claim_lines(client, clinic)
    by_id = {r["id"]: r["measured_at"][:10] for r in results_by_client_id(client, clinic).values()}
    assert (line["code"], line["date_of_service"]) == ("G0249", "2026-11-23")
    assert sorted(by_id[r] for r in line["result_ids"]) == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]


# --- past target ranges and zones ---------------------------------------------------------------------------------


def test_past_ranges_and_zones_are_recorded_before_enrolment_only_and_judge_the_imported_weeks(client, clinic):
    go_live(client, clinic)
    in_force = post(client, clinic, "target-ranges", {"low": 2.5, "high": 3.5, "reason": "mitral valve at Acme",
                                                      "effective_from": "2026-01-01T00:00:00-05:00"})
    assert in_force.status_code == 201 and in_force.json["effective_from"] == "2026-01-01T05:00:00+00:00"
    moved = post(client, clinic, "time-zones", {"time_zone": "America/Los_Angeles", "reason": "lived in LA",
                                                "effective_from": "2026-01-01T00:00:00-08:00"})
    assert moved.status_code == 201, moved.json
    for path, body in (("target-ranges", {"low": 2.5, "high": 3.5, "reason": "r"}),
                       ("time-zones", {"time_zone": "America/Denver", "reason": "r"})):
        late = post(client, clinic, path, {**body, "effective_from": NOW.isoformat()})
        assert late.status_code == 422 and "effective_from" in late.json["errors"], path
    patient = client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["physician"]).json
    assert (patient["time_zone"], patient["target_range"]["low"]) == ("America/New_York", 2.0)  # in force now
    ranges = client.get(f"/patients/{clinic.patient_id}/target-ranges", headers=clinic.headers["physician"]).json
    assert [r["low"] for r in ranges["items"]] == [2.5, 2.0]

    # Saturday 23:30 in Los Angeles is Sunday in New York: the week is the one the patient lived it in.
    imported = import_csv(client, clinic, "acme-1,2026-06-06T23:30:00-07:00,2.2,,,\n")
    assert imported.status_code == 201 and imported.json["imported"] == 1
    result = results_by_client_id(client, clinic)["acme-1"]
    assert (result["billing"]["week"], result["flag"]["level"], result["flag"]["target_range"]) == (
        "2026-05-31", "low", {"low": 2.5, "high": 3.5})


# --- past results -------------------------------------------------------------------------------------------------


def test_past_results_are_imported_as_history_counted_for_the_picture_and_never_billed(app, client, clinic):
    bring_in(client, clinic, cleared_on="2026-06-11")
    response = import_csv(client, clinic,
                          "acme-1,2026-06-16T09:00:00-04:00,2.6,,UP9,true\n",
                          "acme-2,2026-06-23T09:00:00-04:00,1.4,,UP9,true\n",  # critical
                          "acme-3,2026-06-30T09:00:00-04:00,8.0,>,UP9,true\n",  # beyond the meter: critical
                          "acme-4,2026-07-07T09:00:00-04:00,2.5,,UP9,false\n",  # a failed strip
                          "acme-5,2026-07-14T09:00:00,2.5,,,\n",  # no offset
                          who="admin", file_name="acme-export.csv")
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["format"], body["file_name"], body["imported_by"]["id"]) == ("csv", "acme-export.csv",
                                                                            clinic.id("admin"))
    assert (body["imported"], body["already_imported"], body["refused"]) == (4, 0, 1)
    assert [(r["position"], r["source_id"], r["status"]) for r in body["rows"]] == [
        (1, "acme-1", "imported"), (2, "acme-2", "imported"), (3, "acme-3", "imported"), (4, "acme-4", "imported"),
        (5, "acme-5", "refused")]
    assert "offset" in body["rows"][4]["reason"]

    stored = results_by_client_id(client, clinic)
    assert {r["source"] for r in stored.values()} == {"import"}
    assert {r["import_id"] for r in stored.values()} == {body["id"]}
    assert {r["entered_by"]["id"] for r in stored.values()} == {clinic.id("admin")}
    assert [(stored[k]["flag"]["level"], stored[k]["billing"]["reason"], stored[k]["alert"]) for k in sorted(stored)] \
        == [("in_range", "imported", None), ("critical_low", "imported", None), ("critical_high", "imported", None),
            ("no_valid_inr", "qc_failed", None)]
    assert stored["acme-3"]["reading"] == ">8.0" and body["rows"][0]["result_id"] == stored["acme-1"]["id"]
    # Nothing for the past: no alert, no message; nothing billed.
    assert count_rows(app, Alert) == 0 and count_rows(app, OutboxMessage) == 0
    run_billing(client, clinic)
    assert claim_lines(client, clinic) == []
    # ... and the clinical picture has them.
    summary = client.get(f"/patients/{clinic.patient_id}/summary", query_string={"from": "2026-06-01",
                                                                                 "to": "2026-07-31"},
                         headers=clinic.headers["physician"]).json
    assert summary["ttr"]["percent"] is not None and summary["adherence"]["weeks_tested"] == 3
    listed = client.get(f"/patients/{clinic.patient_id}/result-imports", headers=clinic.headers["physician"]).json
    assert [i["id"] for i in listed["items"]] == [body["id"]] and listed["items"][0]["rows"] == body["rows"]


def test_importing_a_file_again_adds_nothing_and_an_id_with_other_content_is_refused_for_that_row(client, clinic):
    go_live(client, clinic)
    first = post(client, clinic, "result-imports", {"file_name": "acme.json", "fhir": bundle(
        observation("obs-1", "2026-06-16T09:00:00-04:00", 2.6),
        observation("obs-2", "2026-06-23T09:00:00-04:00", 2.8))})
    assert first.status_code == 201 and first.json["imported"] == 2
    again = post(client, clinic, "result-imports", {"file_name": "acme-corrected.json", "fhir": bundle(
        observation("obs-1", "2026-06-16T13:00:00Z", 2.6),  # the same instant, named in UTC
        observation("obs-2", "2026-06-23T09:00:00-04:00", 2.9),
        observation("obs-3", "2026-06-30T09:00:00-04:00", 3.0),
        observation("obs-3", "2026-06-30T09:00:00-04:00", 3.0),
        observation("obs-3", "2026-06-30T09:00:00-04:00", 3.1))})
    assert again.status_code == 201, again.json
    rows = again.json["rows"]
    assert [(r["source_id"], r["status"]) for r in rows] == [
        ("obs-1", "already_imported"), ("obs-2", "refused"), ("obs-3", "imported"), ("obs-3", "already_imported"),
        ("obs-3", "refused")]
    assert rows[0]["result_id"] == first.json["rows"][0]["result_id"] and rows[3]["result_id"] == rows[2]["result_id"]
    assert "Already imported with other content" in rows[1]["reason"]
    assert "row 2 of this file" in rows[3]["reason"] and "other content" in rows[4]["reason"]
    stored = results_by_client_id(client, clinic)
    assert sorted(stored) == ["obs-1", "obs-2", "obs-3"] and stored["obs-2"]["value"] == 2.8


def test_what_is_not_history_is_refused_row_by_row(client, clinic):
    go_live(client, clinic, "2026-11-20")
    reported = factories.post_result(client, clinic, client_id="app-1", measured_at="2026-11-21T09:30:00-05:00")
    assert reported.status_code == 201
    response = import_csv(client, clinic,
                          "app-1,2026-11-19T09:00:00-05:00,2.5,,,\n",
                          "acme-1,2026-11-20T09:00:00-05:00,2.5,,,\n",
                          "acme-2,2025-01-09T09:00:00-05:00,2.5,,,\n",
                          "acme-3,2026-11-19T09:00:00-05:00,2.55,,,\n",
                          "acme-4,2026-11-19T09:00:00-05:00,2.5,,,\n")
    assert response.status_code == 201
    reasons = [(r["status"], r["reason"]) for r in response.json["rows"]]
    assert [status for status, _ in reasons] == ["refused"] * 4 + ["imported"]
    for (_, reason), expected in zip(reasons, ["reported to this service (source app)", "go-live date (2026-11-20)",
                                               "started warfarin (2025-01-10)", "one decimal place"], strict=False):
        assert expected in reason
    go_live(client, clinic, "2026-12-01")
    future = import_csv(client, clinic, "acme-9,2026-11-24T09:00:00-05:00,2.5,,,\n")
    assert "future" in future.json["rows"][0]["reason"]


def test_a_file_that_cannot_be_read_is_one_refused_row_and_a_body_names_one_file(client, clinic):
    unreadable = import_csv(client, clinic)  # a header, no rows
    assert unreadable.status_code == 201
    assert [(r["position"], r["status"]) for r in unreadable.json["rows"]] == [(0, "refused")]
    no_columns = post(client, clinic, "result-imports", {"file_name": "x.csv", "csv": "id,when\n1,2\n"})
    assert "The header lacks source_id, measured_at, value." == no_columns.json["rows"][0]["reason"]
    for body in ({"file_name": "x"}, {"file_name": "x", "csv": HEADER, "fhir": bundle()}):
        response = post(client, clinic, "result-imports", body)
        assert response.status_code == 422 and "_schema" in response.json["errors"]


@pytest.mark.parametrize(("who", "status"), [("trainer", 403), ("biller", 403), ("caregiver", 403),
                                             ("other_physician", 404), ("admin", 201), ("physician", 201)])
def test_past_results_are_imported_by_the_physician_of_record_or_an_admin(client, clinic, who, status):
    response = import_csv(client, clinic, "acme-1,2026-06-16T09:00:00-04:00,2.6,,,\n", who=who)
    assert response.status_code == status


def test_a_correction_of_an_imported_result_stays_imported_history(app, client, clinic):
    bring_in(client, clinic)
    imported = import_csv(client, clinic, "acme-1,2026-06-16T09:00:00-04:00,1.4,,UP9,true\n")
    original = imported.json["rows"][0]["result_id"]
    body = {"client_id": "acme-1-fix", "value": 2.4, "measured_at": "2026-06-16T09:00:00-04:00", "qc_passed": True,
            "meter_serial": "UP9", "reason": "1.4 was a typing error in Acme's export"}
    late = client.post(f"/patients/{clinic.patient_id}/results/{original}/corrections",
                       json={**body, "measured_at": "2026-11-23T09:00:00-05:00"}, headers=clinic.headers["physician"])
    assert late.status_code == 422 and "go-live" in late.json["errors"]["measured_at"][0]
    fixed = client.post(f"/patients/{clinic.patient_id}/results/{original}/corrections", json=body,
                        headers=clinic.headers["physician"])
    assert fixed.status_code == 201, fixed.json
    assert (fixed.json["source"], fixed.json["import_id"], fixed.json["corrects"]) == (
        "import", imported.json["id"], original)
    assert (fixed.json["billing"]["reason"], fixed.json["alert"]) == ("imported", None)
    assert count_rows(app, Alert) == 0 and count_rows(app, OutboxMessage) == 0


def test_an_imported_failed_strip_starts_no_no_valid_result_episode(app, client, clinic):
    go_live(client, clinic)
    import_csv(client, clinic, "acme-1,2026-11-21T09:00:00-05:00,2.5,,UP9,false\n")
    with app.app_context():
        outcome = detect_no_valid_results(db.session(), NOW, settings=app.extensions["settings"])
    assert outcome == {"patients": 0, "opened": 0}
    assert count_rows(app, Alert) == 0


def test_a_93793_review_of_imported_results_alone_bills_nothing_and_says_why(app, client, clinic):
    payer = factories.management_payer(app)
    assert client.patch(f"/patients/{clinic.patient_id}", json={"payer": payer},
                        headers=clinic.headers["admin"]).status_code == 200
    bring_in(client, clinic)
    imported = import_csv(client, clinic, "acme-1,2026-11-17T09:00:00-05:00,2.6,,,\n")
    review = client.post(f"/patients/{clinic.patient_id}/reviews", headers=clinic.headers["physician"], json={
        "result_ids": [imported.json["rows"][0]["result_id"]], "interpretation": "Stable at Acme.",
        "instruction_kind": "keep_dose"})
    assert review.status_code == 201, review.json
    run = run_billing(client, clinic)
    assert claim_lines(client, clinic) == []
    assert [s["reason"] for s in run["skipped"] if s["patient_id"] == clinic.patient_id] == ["imported_inr_only"]


def test_the_reassessment_falls_due_a_year_after_training_done_elsewhere(app, client, clinic):
    bring_in(client, clinic, trained_on="2025-12-01", ordered_on="2025-11-25", cleared_on="2025-12-02")
    with app.app_context():
        outcome = check_reassessments(db.session(), datetime(2026, 12, 2, 16, tzinfo=timezone.utc),
                                      settings=app.extensions["settings"])
    assert (outcome["alerted"], outcome["no_sign_off"]) == (1, 0)
    with app.app_context():
        alert = db.session().scalar(select(Alert).where(Alert.kind == "reassessment_overdue"))
    assert alert.detail["due_by"] == "2026-12-01"


def test_imported_results_keep_the_source_id_the_file_and_the_importer(app, client, clinic):
    go_live(client, clinic)
    post(client, clinic, "result-imports", {"file_name": "acme.json", "reference": "Acme export of 20 Nov",
                                            "fhir": bundle(observation("obs-1", "2026-06-16T09:00:00-04:00", 2.6,
                                                                       device={"display": "UP12345678"}))})
    with app.app_context():
        result = db.session().scalar(select(InrResult).where(InrResult.client_id == "obs-1"))
        assert (result.source, result.meter_serial, result.entered_by_id, result.imported_from.file_name,
                result.imported_from.reference, result.measured_utc_offset_minutes) == (
            "import", "UP12345678", clinic.users["physician"].id, "acme.json", "Acme export of 20 Nov", -240)


def test_an_import_naming_a_correction_that_shows_no_number_refuses_that_row(client, clinic):
    go_live(client, clinic)
    imported = import_csv(client, clinic, "acme-1,2026-06-16T09:00:00-04:00,2.6,,UP9,true\n")
    original = imported.json["rows"][0]["result_id"]
    fixed = client.post(f"/patients/{clinic.patient_id}/results/{original}/corrections", headers=clinic.headers[
        "physician"], json={"client_id": "acme-1-fix", "measured_at": "2026-06-16T09:00:00-04:00", "qc_passed": True,
                            "meter_error_code": "E-5", "reason": "the meter showed an error, not 2.6"})
    assert fixed.status_code == 201, fixed.json
    again = import_csv(client, clinic, "acme-1-fix,2026-06-16T09:00:00-04:00,2.6,,UP9,true\n")
    assert again.status_code == 201 and again.json["rows"][0]["status"] == "refused"
