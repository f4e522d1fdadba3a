"""The biller's routes: listing with filters, export as CSV and JSON, void and correction, code reference, end of care."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta

from sqlalchemy import select

from models import AuditEvent
from service import claim_generation, db
from service.rules.code_reference import CODE_REFERENCE
from tests import factories, x12
from tests.conftest import NOW


def four_weeks_billed(app, clinic):
    """Training plus four weekly counted tests for `clinic.patient`: lines 93792 and G0249 (no review yet)."""
    patient, physician = clinic.patient, clinic.users["physician"]
    factories.complete_practice(app)
    factories.clear_for_home_testing(app, patient, date(2026, 10, 1), physician, NOW)
    factories.make_order(app, patient, date(2026, 9, 28))
    factories.make_training_event(app, patient, date(2026, 10, 2))
    start = NOW - timedelta(weeks=4)
    results = [factories.make_result(app, patient, start + timedelta(weeks=i)) for i in range(4)]
    with app.app_context():
        claim_generation.generate_claims(db.session(), NOW)
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


def export(client, clinic, fmt="json", key="export-key-0001", who="biller", **fields):
    body = {"client_key": key, "from": "2026-01-01", "to": "2026-12-31", "format": fmt, **fields}
    return client.post("/claims/exports", json=body, headers=clinic.headers[who])


def test_json_export_marks_lines_exported_once_under_one_batch(client, app, clinic):
    four_weeks_billed(app, clinic)
    headers = clinic.headers["biller"]
    response = export(client, clinic)
    assert response.status_code == 201
    batch = response.json["id"]
    assert (response.json["line_count"], response.json["format"], response.json["media_type"]) == (
        2, "json", "application/json")
    file = client.get(f"/claims/exports/{batch}/file", headers=headers)
    assert file.status_code == 200 and file.headers["X-Export-Batch-Id"] == batch
    assert len(file.json["items"]) == 2 and file.json["batch_id"] == batch
    assert {(i["status"], i["export_batch_id"]) for i in file.json["items"]} == {("exported", batch)}
    again = export(client, clinic, key="export-key-0002")
    assert again.status_code == 201 and again.json["line_count"] == 0 and again.json["id"] != batch
    assert len(client.get("/claims?status=exported", headers=headers).json["items"]) == 2
    with app.app_context():
        event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "claim.export",
                                                             AuditEvent.object_id == batch))
    assert event.detail["count"] == 2


def test_export_is_a_post_idempotent_by_client_key_and_downloads_the_same_bytes(client, app, clinic):
    four_weeks_billed(app, clinic)
    headers = clinic.headers["biller"]
    first = export(client, clinic, fmt="csv")
    retry = export(client, clinic, fmt="csv")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json == first.json  # the same batch: nothing exported twice
    batch = first.json["id"]
    downloads = [client.get(f"/claims/exports/{batch}/file", headers=headers) for _ in range(2)]
    assert downloads[0].get_data() == downloads[1].get_data()
    assert hashlib.sha256(downloads[0].get_data()).hexdigest() == first.json["sha256"]
    assert client.get(f"/claims/exports/{batch}", headers=headers).json == first.json
    assert [item["id"] for item in client.get("/claims/exports", headers=headers).json["items"]] == [batch]
    # The same key with other terms is refused; the old GET that marked lines exported is gone.
    assert export(client, clinic, fmt="json").status_code == 409
    assert client.get("/claims/export?from=2026-01-01&to=2026-12-31", headers=headers).status_code in (404, 405)


def test_export_batches_are_the_billers(client, app, clinic):
    four_weeks_billed(app, clinic)
    batch = export(client, clinic).json["id"]
    for name in ("physician", "trainer", "patient", "caregiver"):
        assert export(client, clinic, who=name, key=f"key-of-{name}").status_code == 403
        assert client.get(f"/claims/exports/{batch}/file", headers=clinic.headers[name]).status_code == 403
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/claims/exports/{missing}", headers=clinic.headers["biller"]).status_code == 404


def test_csv_export_has_a_header_and_one_row_per_line(client, app, clinic):
    results = four_weeks_billed(app, clinic)
    batch = export(client, clinic, fmt="csv").json["id"]
    response = client.get(f"/claims/exports/{batch}/file", headers=clinic.headers["biller"])
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
    assert export(client, clinic, **{"from": "2026-02-01", "to": "2026-01-01"}).status_code == 422
    assert client.post("/claims/exports", json={"client_key": "k-123456789", "from": "2026-02-01", "format": "csv"},
                       headers=clinic.headers["biller"]).status_code == 422
    assert export(client, clinic, fmt="xml").status_code == 422
    assert export(client, clinic, key="short").status_code == 422


def test_837p_export_passes_the_x12_validator(client, app, clinic):
    four_weeks_billed(app, clinic)
    factories.add_coverage(app, clinic.patient, clinic.users["biller"])
    response = export(client, clinic, fmt="x12")
    assert response.status_code == 201, response.json
    assert response.json["media_type"] == "application/edi-x12" and response.json["filename"].endswith(".837p")
    text = client.get(f"/claims/exports/{response.json['id']}/file", headers=clinic.headers["biller"]).get_data(
        as_text=True)
    assert x12.validation_errors(text) == []
    [claim] = x12.claims(text)
    assert claim["diagnoses"] == ["I4891"] and claim["rendering"] == "1234567893"
    assert sorted(line["procedure"] for line in claim["lines"]) == ["HC:93792", "HC:G0249"]
    assert {line["pointer"] for line in claim["lines"]} == {"1"}
    assert f"NM1*85*2*TEST CLINIC*****XX*{factories.GROUP_NPI}" in text and "REF*EI*591234567" in text


def test_837p_export_names_what_is_missing_and_marks_nothing(client, app, clinic):
    four_weeks_billed(app, clinic)
    factories.complete_practice(app, tax_id=None, charges={})
    response = export(client, clinic, fmt="x12")
    assert response.status_code == 409
    assert {"practice.tax_id", "practice.charges.G0249", "practice.charges.93792",
            f"patient {clinic.patient_id}: coverage"} <= set(response.json["errors"]["missing"])
    assert client.get("/claims?status=pending", headers=clinic.headers["biller"]).json["items"] != []
    assert client.get("/claims/exports", headers=clinic.headers["biller"]).json["items"] == []


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
        assert claim_generation.generate_claims(db.session(), NOW)["created"] == 1
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
    assert {rule["id"] for rule in supply["rules"]} == {"G0249.per_4_tests", "G0249.trigger", "G0249.supply_issue",
                                                        "G0249.28_days_apart", "G0249.partial_52",
                                                        "G0249.rendering_provider"}
    # Issue 13, defect 7: each payer says which codes and criteria it uses, citing its policy.
    bcbs = next(payer for payer in body["payers"] if payer["code"] == "bcbs-fl")
    assert (bcbs["review_code"], bcbs["training_code"], bcbs["supply_trigger"]) == ("G0250", "93792", "supply_issue")
    assert bcbs["extra_criteria"] == ["expected_long_term_anticoagulation", "weekly_self_testing"]
    assert "01-99000-06" in bcbs["policy_reference"]
    medicare = next(payer for payer in body["payers"] if payer["code"] == "medicare")
    assert "NCD 190.11" in medicare["policy_reference"] and "A55756" in medicare["policy_reference"]
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
        claim_generation.generate_claims(db.session(), NOW)
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
