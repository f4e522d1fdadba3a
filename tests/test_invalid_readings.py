"""Readings that are not a valid INR, through the API as the app and the dashboard use it: no flag and no alert on
their number, retest now (next test due today), the routine "no valid result" alert, symptoms still urgent; a meter
error without a number; a fast meter clock stored and alerted (issue 10 #17); result dates bounded (issue 10 #6)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models import Alert, InrResult, OutboxMessage
from schedules.escalation import escalate_overdue_alerts
from schedules.no_valid_result import detect_no_valid_results
from service import db
from service.alerts import EscalationDelays
from tests import factories
from tests.conftest import NOW
from tests.factories import clear_clinic_patient, count_rows, post_result, result_body


def alerts(client, clinic, **query):
    response = client.get("/alerts", query_string=query, headers=clinic.headers["physician"])
    assert response.status_code == 200, response.json
    return response.json


def test_a_failed_strip_is_stored_and_shown_but_never_flagged_and_the_patient_retests_today(app, client, clinic):
    for client_id, fields in [("strip", {"value": 1.2, "qc_passed": False}),
                              ("error", {"value": 7.9, "meter_error_code": "E-406"})]:
        response = post_result(client, clinic, client_id=client_id, **fields)
        assert response.status_code == 201
        doc = response.json
        assert doc["flag"]["level"] == "no_valid_inr" and doc["flag"]["interpretation"] is None
        assert doc["flag"]["severity"] == "none" and doc["alert"] is None
        assert doc["flag"]["no_valid_inr"] in ("qc_failed", "meter_error")
        assert (doc["next_test_due"], doc["next_test_reason"]) == ("2026-11-23", "retest_invalid")
        assert "Retest now with a new test strip" in doc["message"] and "far outside" not in doc["message"]
        assert "Monday, November 23, 2026" in doc["message"]
    assert count_rows(app, Alert, Alert.kind == "result") == 0


def test_a_meter_error_is_reported_without_a_number(app, client, clinic):
    body = {k: v for k, v in result_body(client_id="e1", meter_error_code="E-406").items()
            if k != "value"}
    response = client.post(f"/patients/{clinic.patient_id}/results", json=body, headers=clinic.headers["patient"])
    assert response.status_code == 201, response.json
    assert (response.json["value"], response.json["reading"], response.json["comparator"]) == (None, None, None)
    assert "meter error E-406" in response.json["message"]
    again = client.post(f"/patients/{clinic.patient_id}/results", json=body, headers=clinic.headers["patient"])
    assert again.status_code == 200 and again.json["id"] == response.json["id"]
    no_number = {k: v for k, v in result_body(client_id="e2").items() if k != "value"}
    refused = client.post(f"/patients/{clinic.patient_id}/results", json=no_number, headers=clinic.headers["patient"])
    assert refused.status_code == 422 and "meter_error_code" in refused.json["errors"]["value"][0]
    fhir = client.get(f"/patients/{clinic.patient_id}/results/fhir", headers=clinic.headers["physician"]).json
    [entry] = fhir["entry"]
    assert "valueQuantity" not in entry["resource"] and "showed no number" in entry["resource"]["note"][0]["text"]


def test_symptoms_with_a_failed_strip_still_escalate_urgently(client, clinic):
    response = post_result(client, clinic, value=2.5, qc_passed=False, symptoms=["black_or_bloody_stool"])
    assert response.json["flag"]["level"] == "no_valid_inr"
    assert response.json["alert"]["severity"] == "critical" and response.json["alert"]["kind"] == "result"
    assert "Contact your clinic now." in response.json["message"]


def test_two_invalid_readings_in_a_row_open_one_routine_no_valid_result_alert_that_a_valid_inr_closes(app, client,
                                                                                                       clinic):
    first = post_result(client, clinic, client_id="a", value=1.2, qc_passed=False,
                        measured_at="2026-11-23T08:00:00-05:00").json
    assert alerts(client, clinic, kind="no_valid_result")["items"] == []
    post_result(client, clinic, client_id="b", value=1.3, meter_error_code="E-2",
                measured_at="2026-11-23T08:10:00-05:00")
    post_result(client, clinic, client_id="c", value=1.3, qc_passed=False, measured_at="2026-11-23T08:20:00-05:00")
    listing = alerts(client, clinic, kind="no_valid_result")
    [alert] = listing["items"]
    assert (alert["kind"], alert["severity"], alert["level"], alert["reason"]) == (
        "no_valid_result", "routine", None, "two_invalid_in_a_row")
    assert alert["result_id"] == first["id"] and alert["reading"] == "1.2"
    assert listing["counts"] == {"critical": 0, "out_of_range": 0, "routine": 1}
    assert alerts(client, clinic)["counts"]["routine"] == 1  # the same list as every other alert
    assert alerts(client, clinic, kind="result")["items"] == []
    with app.app_context():
        [message] = db.session().scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert.opened"))
        assert message.payload["kind"] == "no_valid_result" and message.payload["alert_id"] == alert["id"]

    assert post_result(client, clinic, client_id="d", value=2.4, measured_at="2026-11-23T09:00:00-05:00")\
        .json["next_test_reason"] == "weekly"
    assert alerts(client, clinic, kind="no_valid_result")["items"] == []
    resolved = alerts(client, clinic, kind="no_valid_result", status="resolved")["items"]
    assert [(a["id"], a["resolution"]) for a in resolved] == [(alert["id"], "valid_result")]


def run_watch(app, now):
    with app.app_context():
        return detect_no_valid_results(db.session(), now, settings=app.extensions["settings"])


def test_no_valid_inr_within_24_hours_of_an_invalid_one_opens_the_alert_once(app, client, clinic):
    post_result(client, clinic, client_id="a", value=2.2, qc_passed=False)  # 14:30 UTC
    measured = datetime(2026, 11, 23, 14, 30, tzinfo=timezone.utc)
    assert run_watch(app, measured + timedelta(hours=24) - timedelta(seconds=1))["opened"] == 0
    assert run_watch(app, measured + timedelta(hours=24)) == {"patients": 1, "opened": 1}
    assert run_watch(app, measured + timedelta(hours=25)) == {"patients": 1, "opened": 0}  # one per episode
    factories.set_now(app, measured + timedelta(hours=25))
    [alert] = alerts(client, clinic, kind="no_valid_result")["items"]
    assert alert["reason"] == "no_valid_in_time"


def test_the_no_valid_result_window_is_the_clinics(app, client, clinic):
    factories.reconfigure(app, no_valid_result_after=timedelta(hours=6))
    post_result(client, clinic, client_id="a", value=2.2, qc_passed=False)
    assert run_watch(app, datetime(2026, 11, 23, 20, 30, tzinfo=timezone.utc))["opened"] == 1


def test_a_no_valid_result_alert_is_acknowledged_and_escalates_like_any_other(app, client, clinic):
    post_result(client, clinic, client_id="a", value=2.2, qc_passed=False)
    post_result(client, clinic, client_id="b", value=2.2, qc_passed=False, measured_at="2026-11-23T09:40:00-05:00")
    [alert] = alerts(client, clinic, kind="no_valid_result")["items"]
    delays = EscalationDelays(timedelta(minutes=30), timedelta(minutes=1440))
    with app.app_context():
        assert escalate_overdue_alerts(db.session(), NOW + timedelta(minutes=1439), delays)["escalated"] == 0
        assert escalate_overdue_alerts(db.session(), NOW + timedelta(minutes=1440), delays)["escalated"] == 1
    escalated = alerts(client, clinic, kind="no_valid_result")["items"][0]
    assert escalated["escalation_level"] == 2
    acknowledged = client.post(f"/alerts/{alert['id']}/acknowledge", headers=clinic.headers["physician"])
    assert acknowledged.status_code == 200 and acknowledged.json["status"] == "acknowledged"
    assert acknowledged.json["kind"] == "no_valid_result"


def test_adherence_does_not_count_a_week_whose_only_reading_was_invalid(app, client, clinic):
    clear_clinic_patient(app, clinic, datetime(2026, 11, 8).date())
    post_result(client, clinic, client_id="w1", value=2.5, measured_at="2026-11-10T09:00:00-05:00")
    post_result(client, clinic, client_id="w2", value=2.5, qc_passed=False, measured_at="2026-11-17T09:00:00-05:00")
    post_result(client, clinic, client_id="w3", value=2.5, meter_error_code="E-9",
                measured_at="2026-11-23T09:00:00-05:00")
    summary = client.get(f"/patients/{clinic.patient_id}/summary", headers=clinic.headers["physician"]).json
    assert summary["adherence"] == {"since": "2026-11-08", "weeks_expected": 2, "weeks_tested": 1, "percent": 50.0}
    assert (summary["next_test_due"], summary["next_test_reason"]) == ("2026-11-23", "retest_invalid")


# --- a meter whose clock runs ahead (issue 10 #17) ----------------------------------------------------------------


def test_a_critical_reading_from_a_fast_meter_clock_is_stored_placed_at_its_receipt_and_alerted(app, client, clinic):
    stated = "2026-11-23T12:00:00-05:00"  # 17:00 UTC, two hours ahead of the server's 15:00
    response = post_result(client, clinic, client_id="fast", value=1.2, measured_at=stated)
    assert response.status_code == 201, response.json
    doc = response.json
    assert doc["device_clock_ahead"] is True and doc["device_measured_at"] == stated
    assert doc["measured_at"] == "2026-11-23T10:00:00-05:00"  # the receipt time, in the device's offset
    assert doc["flag"]["level"] == "critical_low" and doc["alert"]["severity"] == "critical"
    assert "Your meter's clock is ahead of the time" in doc["message"]
    with app.app_context():
        stored = db.session().scalar(select(InrResult))
        assert stored.measured_at == NOW and stored.device_measured_at == NOW + timedelta(hours=2)
    assert count_rows(app, OutboxMessage, OutboxMessage.kind == "alert.opened") == 1
    # The app retries later (its clock still ahead, or set right by then): the same result, never a second one.
    factories.set_now(app, NOW + timedelta(hours=3))
    again = post_result(client, clinic, client_id="fast", value=1.2, measured_at=stated)
    assert again.status_code == 200 and again.json["id"] == doc["id"]
    assert (count_rows(app, InrResult), count_rows(app, Alert)) == (1, 1)
    assert client.get(f"/patients/{clinic.patient_id}/results/fhir", headers=clinic.headers["physician"]).json[
        "entry"][0]["resource"]["note"][0]["text"].startswith("The meter's clock was ahead: it stated 2026-11-23T12:00")


def test_a_fast_clock_reading_counts_in_the_week_of_its_receipt(app, client, clinic):
    clear_clinic_patient(app, clinic, datetime(2026, 1, 1).date())
    factories.set_now(app, datetime(2026, 11, 29, 4, 30, tzinfo=timezone.utc))  # Saturday 23:30 in New York
    response = post_result(client, clinic, client_id="sunday", value=2.5, measured_at="2026-11-29T09:00:00-05:00")
    assert response.json["billing"] == {"counts": True, "reason": None, "week": "2026-11-22"}


# --- result dates the clinic's world allows (issue 10 #6) ---------------------------------------------------------


def test_a_result_decades_before_warfarin_or_long_before_enrolment_is_refused_saying_why(app, client, clinic):
    ancient = post_result(client, clinic, client_id="old", measured_at="2000-01-01T09:00:00-05:00")
    assert ancient.status_code == 422
    # Warfarin since 2025-01-10; enrolled 2026-11-23: at most 90 days back, from 2026-08-25.
    too_early = post_result(client, clinic, client_id="early", measured_at="2026-08-24T23:59:00-04:00")
    assert too_early.status_code == 422
    assert too_early.json["errors"]["measured_at"] == [
        "Must not be before 2026-08-25: it would lie more than 90 days before the patient was enrolled (2026-11-23); "
        "earlier history is imported, not reported."]
    assert post_result(client, clinic, client_id="edge", measured_at="2026-08-25T00:00:00-04:00").status_code == 201
    summary = client.get(f"/patients/{clinic.patient_id}/summary", headers=clinic.headers["physician"]).json
    assert summary["adherence"]["weeks_expected"] <= 14


def test_a_result_before_the_warfarin_start_is_refused(app, client, clinic):
    patient = factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW,
                                     warfarin_start_date=datetime(2026, 10, 1).date(), user=None)
    response = client.post(f"/patients/{patient.public_id}/results", headers=clinic.headers["physician"],
                           json=result_body(client_id="x", measured_at="2026-09-30T12:00:00-04:00"))
    assert response.status_code == 422
    assert "the patient started warfarin on 2026-10-01" in response.json["errors"]["measured_at"][0]
