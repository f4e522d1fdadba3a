"""The biller's routes: listing with filters, held lines, export batches (837P, CSV, JSON), void and correction, generation
runs, code reference, E/M visits, coverage, the care episode and diagnoses."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models import AuditEvent, ClaimLineEvent
from service import care_episode, claim_generation, db
from service.rules.code_reference import CODE_REFERENCE
from tests import factories, x12
from tests.conftest import NOW, POSTGRES_URL


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
    assert "more than one year" in bcbs["criteria_text"]["expected_long_term_anticoagulation"]
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
    listed = client.get(path, headers=clinic.headers["biller"]).json["items"]
    assert [(item["issued_on"], item["tests_issued"]) for item in listed] == [("2026-11-02", 4)]
    assert client.post(path, headers=clinic.headers["trainer"],
                       json={"issued_on": "2026-11-03", "tests_issued": 0}).status_code == 422


# --- the care episode: start, end, resume, corrections ---------------------------------------------------------


def care_event(client, clinic, who="physician", **body):
    return client.post(f"/patients/{clinic.patient_id}/care-episode/events", json=body, headers=clinic.headers[who])


def test_care_ends_resumes_and_is_read_back_with_its_history(client, clinic):
    doctor = clinic.headers["physician"]
    ended = care_event(client, clinic, kind="end", effective_on="2026-09-30", reason="left_coverage")
    assert ended.status_code == 201 and ended.json["sequence"] == 1
    # Ended once does not mean ended for good: coverage came back.
    resumed = care_event(client, clinic, kind="resume", effective_on="2026-10-15", note="coverage restored")
    assert resumed.status_code == 201
    history = client.get(f"/patients/{clinic.patient_id}/care-episode", headers=doctor).json
    assert history["in_care"] is True
    assert history["periods"] == [{"start": None, "end": "2026-09-30", "end_reason": "left_coverage"},
                                  {"start": "2026-10-15", "end": None, "end_reason": None}]
    assert [event["kind"] for event in history["events"]] == ["end", "resume"]
    # A second end is fine once resumed; an end while ended, or a resume while in care, is not.
    assert care_event(client, clinic, kind="resume", effective_on="2026-11-01").status_code == 409
    assert care_event(client, clinic, kind="end", effective_on="2026-11-10", reason="died").status_code == 201
    assert care_event(client, clinic, kind="end", effective_on="2026-11-11", reason="died").status_code == 409
    assert care_event(client, clinic, kind="end", effective_on="2026-11-12").status_code == 422  # no reason


def test_a_care_event_is_corrected_by_a_new_one_and_both_stay_on_record(client, clinic):
    doctor = clinic.headers["physician"]
    ended = care_event(client, clinic, kind="end", effective_on="2026-09-30", reason="died").json
    path = f"/patients/{clinic.patient_id}/care-episode/events/{ended['id']}/correction"
    corrected = client.post(path, json={"why": "wrong patient's date", "effective_on": "2026-10-03",
                                        "reason": "discharged"}, headers=doctor)
    assert corrected.status_code == 201 and corrected.json["corrects"] == ended["id"]
    assert client.post(path, json={"why": "again", "effective_on": "2026-10-04"}, headers=doctor).status_code == 409
    history = client.get(f"/patients/{clinic.patient_id}/care-episode", headers=doctor).json
    assert history["periods"] == [{"start": None, "end": "2026-10-03", "end_reason": "discharged"}]
    assert len(history["events"]) == 2
    withdraw = f"/patients/{clinic.patient_id}/care-episode/events/{corrected.json['id']}/correction"
    assert client.post(withdraw, json={"why": "never discharged", "withdraw": True}, headers=doctor).status_code == 201
    history = client.get(f"/patients/{clinic.patient_id}/care-episode", headers=doctor).json
    assert history["in_care"] is True and history["periods"] == [{"start": None, "end": None, "end_reason": None}]
    assert client.post(path.replace(ended["id"], "00000000-0000-4000-8000-000000000000"), json={"why": "x",
                       "withdraw": True}, headers=doctor).status_code == 404
    assert client.post(withdraw, json={"why": "nothing to change"}, headers=doctor).status_code == 422


def test_care_resumed_bills_the_first_period_52_and_new_sets_after_it(client, app, clinic):
    patient, physician = clinic.patient, clinic.users["physician"]
    factories.clear_for_home_testing(app, patient, date(2026, 8, 1), physician, NOW)
    start = datetime(2026, 8, 4, 14, tzinfo=timezone.utc)  # Tuesdays from Aug 4
    results = [factories.make_result(app, patient, start + timedelta(weeks=i)) for i in range(12)]
    care_event(client, clinic, kind="end", effective_on="2026-08-20", reason="left_coverage")  # after 3 tests
    care_event(client, clinic, kind="resume", effective_on="2026-09-07")  # tests from Sep 8 count again
    with app.app_context():
        claim_generation.generate_claims(db.session(), NOW)
    lines = client.get("/claims", headers=clinic.headers["biller"]).json["items"]
    ids = [str(r.public_id) for r in results]
    assert [(line["code"], line["modifier"], line["result_ids"]) for line in lines] == [
        ("G0249", "52", ids[:3]), ("G0249", None, ids[5:9])]


# --- E/M visits -----------------------------------------------------------------------------------------------------


def test_e_m_visits_are_recorded_one_by_one_and_listed(client, clinic):
    path = f"/patients/{clinic.patient_id}/em-visits"
    body = {"visit_on": "2026-11-20", "code": "99213", "physician_id": clinic.id("physician")}
    response = client.post(path, json=body, headers=clinic.headers["biller"])
    assert response.status_code == 201 and response.json["source"] == "entry"
    assert client.post(path, json=body, headers=clinic.headers["physician"]).status_code == 409
    assert client.post(path, json={**body, "code": "93793"}, headers=clinic.headers["biller"]).status_code == 422
    assert client.post(path, json={**body, "visit_on": "2026-12-20"}, headers=clinic.headers["biller"]).status_code \
        == 422
    assert client.post(path, json=body, headers=clinic.headers["trainer"]).status_code == 403
    listed = client.get(path, headers=clinic.headers["physician"]).json["items"]
    assert [(v["visit_on"], v["code"], v["physician"]["id"]) for v in listed] == [
        ("2026-11-20", "99213", clinic.id("physician"))]


def test_e_m_visits_are_imported_from_csv_each_row_on_its_own_and_never_twice(client, clinic):
    rows = [
        "patient_id,visit_date,cpt_code,rendering_npi",
        f"{clinic.patient_id},2026-11-02,99214,{factories.NPI}",
        f"{clinic.other_patient_id},2026-11-03,99442,{factories.OTHER_NPI}",
        f"{clinic.patient_id},2026-11-04,99999,{factories.NPI}",
        f"00000000-0000-4000-8000-000000000000,2026-11-05,99213,{factories.NPI}",
        f"{clinic.patient_id},not-a-date,99213,0000000000",
    ]
    text = "\r\n".join(rows) + "\r\n"
    first = client.post("/billing/em-visit-imports", json={"csv": text}, headers=clinic.headers["biller"])
    assert first.status_code == 201
    assert (first.json["accepted"], first.json["duplicates"]) == (2, 0)
    assert {refused["row"]: sorted(refused["errors"]) for refused in first.json["refused"]} == {
        4: ["code"], 5: ["patient_id"], 6: ["rendering_npi", "visit_date"]}
    again = client.post("/billing/em-visit-imports", json={"csv": text}, headers=clinic.headers["biller"]).json
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    bad = client.post("/billing/em-visit-imports", json={"csv": "a,b\n1,2\n"}, headers=clinic.headers["biller"])
    assert bad.status_code == 422
    assert client.post("/billing/em-visit-imports", json={"csv": text},
                       headers=clinic.headers["physician"]).status_code == 403


# --- held lines, generation runs ------------------------------------------------------------------------------------


def held_partial(app, clinic):
    """Four weeks billed (G0249 on Nov 16), a test the next week and the end of care: a -52 within 28 days."""
    four_weeks_billed(app, clinic)
    patient = clinic.patient
    later = [factories.make_result(app, patient, NOW - timedelta(days=1))]
    with app.app_context():
        session = db.session()
        care_episode.discharge_patient(session, session.merge(patient), clinic.users["physician"], "died",
                                       date(2026, 11, 23), None, NOW)
    return later


def test_a_held_line_is_listed_with_its_reason_and_goes_out_only_once_released(client, app, clinic):
    held_partial(app, clinic)
    headers = clinic.headers["biller"]
    run = client.post("/billing/generation-runs", json={}, headers=headers)
    assert run.status_code == 201 and run.json["trigger"] == "api" and run.json["actor"]["id"] == clinic.id("biller")
    [held] = client.get("/claims?status=held", headers=headers).json["items"]
    assert (held["code"], held["modifier"], held["status"]) == ("G0249", "52", "held")
    assert held["held_reason"].startswith("partial_within_28_days")
    assert [line["claim_id"] for line in run.json["held"]] == [held["id"]]
    export(client, clinic)
    assert client.get("/claims?status=held", headers=headers).json["items"] != []  # not exported
    released = client.post(f"/claims/{held['id']}/release", json={"note": "payer accepts it"}, headers=headers)
    assert released.status_code == 200 and released.json["status"] == "pending"
    assert client.post(f"/claims/{held['id']}/release", json={"note": "again"}, headers=headers).status_code == 409
    batch = export(client, clinic, key="export-key-0002").json
    assert batch["line_count"] == 1


def test_generation_runs_are_listed_newest_first_and_read_one_by_one(client, app, clinic):
    headers = clinic.headers["biller"]
    four_weeks_billed(app, clinic)  # a run by the job
    factories.make_training_event(app, clinic.other_patient, date(2026, 11, 2))  # no order: skipped
    mine = client.post("/billing/generation-runs", json={"recheck_all": True}, headers=headers).json
    runs = client.get("/billing/generation-runs", headers=headers).json["items"]
    assert [run["trigger"] for run in runs] == ["api", "job"]
    assert runs[0]["recheck_all"] is True
    assert {"patient_id": clinic.other_patient_id, "key": f"training:{clinic.other_patient_id}",
            "reason": "no_order_by_training"} in mine["skipped"]
    assert client.get(f"/billing/generation-runs/{mine['id']}", headers=headers).json == mine
    assert client.post("/billing/generation-runs", json={}, headers=clinic.headers["physician"]).status_code == 403
    assert client.post("/billing/generation-runs", json={"recheck_all": "yes"}, headers=headers).status_code == 422


def test_coverage_is_recorded_by_billers_and_versioned(client, clinic):
    path = f"/patients/{clinic.patient_id}/coverage"
    body = {"member_id": "1EG4TE5MK73", "payer_identifier": "09102", "last_name": "Example", "first_name": "Pat",
            "sex": "F", "address_line1": "5 Oak Ave", "city": "Orlando", "state": "FL", "postal_code": "32801"}
    assert client.post(path, json=body, headers=clinic.headers["biller"]).status_code == 201
    assert client.post(path, json={**body, "member_id": "2EG"}, headers=clinic.headers["admin"]).status_code == 201
    assert client.post(path, json={**body, "state": "Florida"}, headers=clinic.headers["biller"]).status_code == 422
    assert client.post(path, json=body, headers=clinic.headers["physician"]).status_code == 403
    items = client.get(path, headers=clinic.headers["physician"]).json["items"]
    assert [item["member_id"] for item in items] == ["1EG4TE5MK73", "2EG"]


# --- diagnoses (issue 13, defect 8) ---------------------------------------------------------------------------------


def test_indications_take_only_covered_billable_codes_and_keep_z79_01_as_secondary(client, clinic):
    path = f"/patients/{clinic.patient_id}/indications"
    doctor = clinic.headers["physician"]
    for codes in (["I80.1"], ["I80.20"], ["I26.55"], ["Z79.01"]):
        response = client.post(path, json={"codes": codes, "reason": "x"}, headers=doctor)
        assert response.status_code == 422, codes
    stored = client.post(path, json={"codes": ["I80.201"], "secondary": ["z7901"], "reason": "DVT, lifelong"},
                         headers=doctor)
    assert stored.status_code == 201
    assert (stored.json["codes"], stored.json["secondary"]) == (["I80.201"], ["Z79.01"])
    kept = client.post(path, json={"codes": ["I48.91"], "reason": "AF"}, headers=doctor).json
    assert kept["secondary"] == ["Z79.01"]  # the secondary diagnoses in force are kept when none are sent
    assert client.post(path, json={"codes": ["I48.91"], "secondary": ["Z79"], "reason": "x"},
                       headers=doctor).status_code == 422
    patient = client.get(f"/patients/{clinic.patient_id}", headers=doctor).json
    assert (patient["indications"], patient["secondary_diagnoses"]) == (["I48.91"], ["Z79.01"])


def test_new_patients_join_the_practice_of_the_staff_who_enrol_them(client, app, clinic):
    body = {"full_name": "Nia New", "date_of_birth": "1950-02-03", "time_zone": "America/Denver",
            "indications": ["I48.91"], "secondary_diagnoses": ["Z79.01"]}
    created = client.post("/patients", json=body, headers=clinic.headers["physician"])
    assert created.status_code == 201, created.json
    with app.app_context():
        from service import practices

        first = practices.first_practice(db.session())
    assert created.json["practice_id"] == str(first.public_id)
    assert created.json["secondary_diagnoses"] == ["Z79.01"]
    unknown = client.post("/patients", json={**body, "practice_id": "00000000-0000-4000-8000-000000000000"},
                          headers=clinic.headers["physician"])
    assert unknown.status_code == 422 and "practice_id" in unknown.json["errors"]


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (set INR_TEST_DATABASE_URL): concurrent writers")
def test_two_exports_sent_at_once_with_one_key_make_one_batch(app, clinic):
    from service import billing
    from tests.test_schedules import at_once

    four_weeks_billed(app, clinic)

    def post(session):
        batch, created = billing.create_export(session, session.merge(clinic.users["biller"]), "raced-key-0001",
                                               "csv", date(2026, 1, 1), date(2026, 12, 31), NOW)
        return batch.public_id, created, batch.sha256

    outcomes = at_once(app, post, count=3)
    assert len({batch_id for batch_id, _, _ in outcomes}) == 1 and len({sha for _, _, sha in outcomes}) == 1
    assert sorted(created for _, created, _ in outcomes) == [False, False, True]
    with app.app_context():
        assert factories.count_rows(app, ClaimLineEvent) == 2
