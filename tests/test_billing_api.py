"""The biller's routes: listing with filters, export as CSV and JSON, void and correction, code reference, end of care."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import select

from models import AuditEvent
from service import claim_generation, db
from service.rules.code_reference import CODE_REFERENCE
from tests import factories
from tests.conftest import NOW

SETTINGS = claim_generation.BillingSettings("1234567893", "Test Clinic")


def four_weeks_billed(app, clinic):
    """Training plus four weekly counted tests for `clinic.patient`: lines 93792 and G0249 (no review yet)."""
    patient, physician = clinic.patient, clinic.users["physician"]
    factories.clear_for_home_testing(app, patient, date(2026, 10, 1), physician, NOW)
    factories.make_training_event(app, patient, date(2026, 10, 2))
    start = NOW - timedelta(weeks=4)
    results = [factories.make_result(app, patient, start + timedelta(weeks=i)) for i in range(4)]
    with app.app_context():
        claim_generation.generate_claims(db.session(), NOW, SETTINGS)
    return results


def test_billers_list_claim_lines_with_filters(client, app, clinic):
    four_weeks_billed(app, clinic)
    headers = clinic.headers["biller"]
    items = client.get("/claims", headers=headers).json["items"]
    assert sorted(item["code"] for item in items) == ["93792", "G0249"]
    assert {item["status"] for item in items} == {"pending"}
    assert [i["code"] for i in client.get("/claims?code=G0249", headers=headers).json["items"]] == ["G0249"]
    assert client.get("/claims?status=exported", headers=headers).json["items"] == []
    assert [i["code"] for i in client.get("/claims?from=2026-10-02&to=2026-10-02", headers=headers).json["items"]] \
        == ["93792"]
    mine = client.get(f"/claims?patient_id={clinic.patient_id}", headers=headers).json["items"]
    assert len(mine) == 2 and all(i["patient"]["id"] == clinic.patient_id for i in mine)
    assert client.get(f"/claims?patient_id={clinic.other_patient_id}", headers=headers).json["items"] == []


def test_only_billers_and_admins_reach_claims(client, app, clinic):
    four_weeks_billed(app, clinic)
    assert client.get("/claims", headers=clinic.headers["admin"]).status_code == 200
    for name in ("physician", "trainer", "patient", "caregiver"):
        assert client.get("/claims", headers=clinic.headers[name]).status_code == 403, name
        assert client.get("/billing/codes", headers=clinic.headers[name]).status_code == 403, name


def test_listing_claims_is_audited_per_patient(client, app, clinic):
    four_weeks_billed(app, clinic)
    client.get("/claims", headers=clinic.headers["biller"])
    with app.app_context():
        reads = list(db.session().scalars(select(AuditEvent).where(AuditEvent.action == "claim.read")))
    assert [(e.patient_id, e.actor_role, len(e.detail["lines"])) for e in reads] == [
        (clinic.patient.public_id, "biller", 2)]


def test_json_export_marks_lines_exported_once_under_one_batch(client, app, clinic):
    four_weeks_billed(app, clinic)
    headers = clinic.headers["biller"]
    response = client.get("/claims/export?from=2026-01-01&to=2026-12-31", headers=headers)
    assert response.status_code == 200
    batch = response.json["batch_id"]
    assert response.headers["X-Export-Batch-Id"] == batch
    assert len(response.json["items"]) == 2
    assert {(i["status"], i["export_batch_id"]) for i in response.json["items"]} == {("exported", batch)}
    again = client.get("/claims/export?from=2026-01-01&to=2026-12-31", headers=headers).json
    assert again["items"] == [] and again["batch_id"] != batch
    assert len(client.get("/claims?status=exported", headers=headers).json["items"]) == 2
    with app.app_context():
        event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "claim.export",
                                                             AuditEvent.object_id == batch))
    assert event.detail["count"] == 2


def test_csv_export_has_a_header_and_one_row_per_line(client, app, clinic):
    results = four_weeks_billed(app, clinic)
    response = client.get("/claims/export?from=2026-01-01&to=2026-12-31&format=csv", headers=clinic.headers["biller"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_code = {row["code"]: row for row in rows}
    assert sorted(by_code) == ["93792", "G0249"]
    supply = by_code["G0249"]
    assert supply["patient_id"] == clinic.patient_id and supply["patient_name"] == "Pat Example"
    assert supply["units"] == "1" and supply["modifier"] == "" and supply["diagnosis"] == "I48.91"
    assert supply["tests_done"] == "4" and supply["rule"] == "G0249.per_4_tests"
    assert supply["result_ids"].split() == [str(r.public_id) for r in results]
    assert supply["date_of_service"] == results[-1].received_at.date().isoformat()
    assert supply["rendering_provider_npi"] == "1234567893" and supply["billing_provider_name"] == "Test Clinic"


def test_export_refuses_a_reversed_or_missing_range(client, clinic):
    headers = clinic.headers["biller"]
    assert client.get("/claims/export?from=2026-02-01&to=2026-01-01", headers=headers).status_code == 422
    assert client.get("/claims/export?from=2026-02-01", headers=headers).status_code == 422
    assert client.get("/claims/export?from=2026-01-01&to=2026-02-01&format=xml", headers=headers).status_code == 422


def test_void_then_generation_records_the_correction_as_a_new_version(client, app, clinic):
    four_weeks_billed(app, clinic)
    headers = clinic.headers["biller"]
    supply = client.get("/claims?code=G0249", headers=headers).json["items"][0]
    voided = client.post(f"/claims/{supply['id']}/void", json={"reason": "wrong diagnosis"}, headers=headers)
    assert voided.status_code == 200
    assert voided.json["status"] == "void" and voided.json["void_reason"] == "wrong diagnosis"
    assert client.post(f"/claims/{supply['id']}/void", json={"reason": "again"}, headers=headers).status_code == 409
    with app.app_context():
        [event] = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "claim.void"))
    assert (event.object_id, event.actor_role, event.detail) == (supply["id"], "biller",
                                                                  {"reason": "wrong diagnosis", "rebill": True})
    with app.app_context():
        assert claim_generation.generate_claims(db.session(), NOW, SETTINGS)["created"] == 1
    versions = client.get("/claims?code=G0249", headers=headers).json["items"]
    assert [(v["claim_key"], v["status"]) for v in versions] == [
        (supply["claim_key"], "void"), (supply["claim_key"] + ":v2", "pending")]
    assert versions[1]["corrects"] == supply["id"]
    assert versions[1]["date_of_service"] == supply["date_of_service"]
    assert versions[1]["result_ids"] == supply["result_ids"]


def test_void_refuses_unknown_lines_and_bad_input(client, clinic):
    headers = clinic.headers["biller"]
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.post(f"/claims/{missing}/void", json={"reason": "x"}, headers=headers).status_code == 404
    line = factories.make_claim_line(client.application, clinic.patient, NOW)
    for body in ({}, {"reason": ""}, {"reason": "x", "rebill": "no"}, {"reason": "x", "extra": 1}):
        assert client.post(f"/claims/{line.public_id}/void", json=body, headers=headers).status_code == 422, body


def test_code_reference_lists_every_produced_code_with_its_rules(client, clinic):
    body = client.get("/billing/codes", headers=clinic.headers["biller"]).json
    assert [item["code"] for item in body["items"]] == sorted(CODE_REFERENCE)
    supply = next(item for item in body["items"] if item["code"] == "G0249")
    assert {rule["id"] for rule in supply["rules"]} == {"G0249.per_4_tests", "G0249.trigger", "G0249.28_days_apart",
                                                        "G0249.partial_52"}
    assert body["never_produced"] == ["99363", "99364"]


def test_discharge_by_the_physician_of_record_leads_to_a_partial_claim(client, app, clinic):
    patient, physician = clinic.patient, clinic.users["physician"]
    factories.clear_for_home_testing(app, patient, date(2026, 10, 1), physician, NOW)
    results = [factories.make_result(app, patient, NOW - timedelta(weeks=3 - i)) for i in range(2)]
    response = client.post(f"/patients/{clinic.patient_id}/discharge", headers=clinic.headers["physician"],
                           json={"reason": "died", "effective_on": "2026-11-20"})
    assert response.status_code == 201 and response.json["reason"] == "died"
    again = client.post(f"/patients/{clinic.patient_id}/discharge", headers=clinic.headers["admin"],
                        json={"reason": "discharged", "effective_on": "2026-11-20"})
    assert again.status_code == 409
    with app.app_context():
        claim_generation.generate_claims(db.session(), NOW, SETTINGS)
    [line] = client.get("/claims", headers=clinic.headers["biller"]).json["items"]
    assert (line["code"], line["modifier"], line["tests_done"]) == ("G0249", "52", 2)
    assert line["result_ids"] == [str(r.public_id) for r in results]


def test_discharge_refuses_future_dates_unknown_reasons_and_other_roles(client, clinic):
    path = f"/patients/{clinic.patient_id}/discharge"
    doctor = clinic.headers["physician"]
    assert client.post(path, headers=doctor, json={"reason": "died", "effective_on": "2026-12-01"}).status_code == 422
    assert client.post(path, headers=doctor, json={"reason": "moved", "effective_on": "2026-11-01"}).status_code == 422
    assert client.post(path, headers=clinic.headers["biller"],
                       json={"reason": "died", "effective_on": "2026-11-01"}).status_code == 403


def test_supply_issues_are_recorded_by_care_staff(client, clinic):
    path = f"/patients/{clinic.patient_id}/supply-issues"
    response = client.post(path, headers=clinic.headers["trainer"], json={"issued_on": "2026-11-02"})
    assert response.status_code == 201 and response.json["issued_on"] == "2026-11-02"
    assert client.post(path, headers=clinic.headers["trainer"], json={"issued_on": "2027-01-01"}).status_code == 422
    assert client.post(path, headers=clinic.headers["biller"], json={"issued_on": "2026-11-02"}).status_code == 403
