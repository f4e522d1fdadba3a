"""Ingest of home INR results: idempotency by client id, validation, flags, messages and the billing count."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from models import Alert, AuditEvent, InrResult, OutboxMessage
from tests import factories
from tests.conftest import NOW
from tests.factories import clear_clinic_patient, count_rows, post_result, result_body


def test_an_in_range_result_is_stored_with_its_local_time_and_no_alert(app, client, clinic):
    response = post_result(client, clinic)
    assert response.status_code == 201
    doc = response.json
    assert doc["value"] == 2.5 and doc["reading"] == "2.5" and doc["comparator"] is None
    assert doc["measured_at"] == "2026-11-23T09:30:00-05:00"
    assert doc["flag"] == {"level": "in_range", "severity": "none", "interpretation": "N", "no_valid_inr": None,
                           "target_range": {"low": 2.0, "high": 3.0}}
    assert (doc["device_clock_ahead"], doc["device_measured_at"]) == (False, None)
    assert (doc["corrects"], doc["corrected_by"], doc["correction_reason"]) == (None, None, None)
    assert doc["next_test_reason"] == "weekly"
    assert doc["alert"] is None
    assert doc["source"] == "app" and doc["tested_by"] == "patient" and doc["caregiver"] is None
    assert doc["next_test_due"] == "2026-11-30"
    assert "within your target range" in doc["message"] and "November 30, 2026" in doc["message"]
    assert count_rows(app, Alert) == 0


def test_a_retry_with_the_same_client_id_returns_the_stored_result_and_creates_nothing(app, client, clinic):
    first = post_result(client, clinic, value=1.8)
    again = post_result(client, clinic, value=1.8)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert count_rows(app, InrResult) == 1
    assert count_rows(app, Alert) == 1
    assert count_rows(app, OutboxMessage) == 1
    assert count_rows(app, AuditEvent, AuditEvent.action == "result.replay") == 1


def test_a_retry_with_the_same_client_id_but_different_content_is_a_conflict(app, client, clinic):
    assert post_result(client, clinic, value=2.5).status_code == 201
    response = post_result(client, clinic, value=2.6)
    assert response.status_code == 409
    assert "client_id" in response.json["errors"]
    assert count_rows(app, InrResult) == 1


def test_the_same_instant_in_another_offset_is_the_same_content(client, clinic):
    assert post_result(client, clinic).status_code == 201
    assert post_result(client, clinic, measured_at="2026-11-23T14:30:00Z").status_code == 409  # offset is evidence
    assert post_result(client, clinic, measured_at="2026-11-23T09:30:00.000-05:00").status_code == 200


def test_concurrent_copies_of_one_client_id_store_one_result_and_one_alert(app, clinic):
    statuses, barrier = [], threading.Barrier(6)

    def send():
        local = app.test_client()
        barrier.wait()
        statuses.append(local.post(f"/patients/{clinic.patient_id}/results", json=result_body(value=1.2),
                                   headers=clinic.headers["patient"]).status_code)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [201]
    assert count_rows(app, InrResult) == 1
    assert count_rows(app, Alert) == 1
    assert count_rows(app, OutboxMessage) == 1


def test_meter_out_of_range_readings_are_stored_at_the_limit_with_a_comparator_and_are_critical(client, clinic):
    low = post_result(client, clinic, client_id="low", value=None, reading="<0.8")
    assert low.status_code == 422  # value null is not "absent"
    low = client.post(f"/patients/{clinic.patient_id}/results",
                      json={k: v for k, v in result_body(client_id="low", reading="<0.8").items() if k != "value"},
                      headers=clinic.headers["patient"])
    assert low.status_code == 201
    assert (low.json["value"], low.json["comparator"], low.json["reading"]) == (0.8, "<", "<0.8")
    assert low.json["flag"]["level"] == "critical_low" and low.json["alert"]["severity"] == "critical"
    assert "Contact your clinic now" in low.json["message"] and "911" in low.json["message"]


def test_values_the_meter_cannot_produce_are_refused_by_field(client, clinic):
    for value in (0.7, 8.1, 2.55, "2.5", True, None, 1e300, -1e300, 10**40):
        response = post_result(client, clinic, value=value)
        assert response.status_code == 422, value
        assert "value" in response.json["errors"]
    assert post_result(client, clinic, reading="9.0").status_code == 422
    both = post_result(client, clinic, reading=">8.0")
    assert both.status_code == 422 and "value" in both.json["errors"]


def test_a_measured_at_within_the_clock_skew_keeps_its_time_and_a_naive_or_ancient_one_is_refused(client, clinic):
    skew_ok = (NOW + timedelta(seconds=300)).isoformat()  # exactly the allowed skew: the device's time stands
    stored = post_result(client, clinic, client_id="a", measured_at=skew_ok)
    assert stored.status_code == 201
    assert (stored.json["device_clock_ahead"], stored.json["device_measured_at"]) == (False, None)
    assert datetime.fromisoformat(stored.json["measured_at"]) == NOW + timedelta(seconds=300)
    naive = post_result(client, clinic, client_id="c", measured_at="2026-11-23T09:30:00")
    assert naive.status_code == 422 and "measured_at" in naive.json["errors"]
    ancient = post_result(client, clinic, client_id="d", measured_at="0001-01-01T00:00:00+01:00")
    assert ancient.status_code == 422


def test_unknown_fields_and_unknown_symptoms_are_refused(client, clinic):
    assert "colour" in post_result(client, clinic, colour="red").json["errors"]
    response = post_result(client, clinic, symptoms=["hiccups"])
    assert response.status_code == 422 and "symptoms" in response.json["errors"]


def test_any_symptom_makes_an_in_range_result_urgent(client, clinic):
    response = post_result(client, clinic, symptoms=["nosebleed"])
    assert response.json["flag"]["level"] == "in_range"
    assert response.json["flag"]["severity"] == "critical"
    assert response.json["alert"]["severity"] == "critical"
    assert "symptoms" in response.json["message"]


def test_a_symptom_described_only_in_free_text_still_escalates(client, clinic):
    response = post_result(client, clinic, symptom_note="coughing up blood")
    assert response.json["flag"]["severity"] == "critical"


def test_an_out_of_range_result_tells_the_patient_the_physician_was_notified(client, clinic):
    response = post_result(client, clinic, value=3.4)
    assert response.json["flag"]["level"] == "high"
    assert response.json["alert"]["severity"] == "out_of_range"
    assert "physician has been notified" in response.json["message"]


def test_flags_use_the_target_range_in_force_at_measured_at(client, clinic):
    changed = client.post(f"/patients/{clinic.patient_id}/target-ranges",
                          json={"low": 2.5, "high": 3.5, "reason": "mitral valve"}, headers=clinic.headers["physician"])
    assert changed.status_code == 201
    before = post_result(client, clinic, client_id="before", value=3.2, measured_at="2026-11-20T09:00:00-05:00")
    after = post_result(client, clinic, client_id="after", value=3.2, measured_at="2026-11-23T10:00:00-05:00")
    assert before.json["flag"]["level"] == "high"
    assert after.json["flag"]["level"] == "in_range"
    assert after.json["flag"]["target_range"] == {"low": 2.5, "high": 3.5}


def test_a_caregiver_records_themselves_as_the_tester(client, clinic):
    response = post_result(client, clinic, who="caregiver")
    assert response.status_code == 201
    assert response.json["tested_by"] == "caregiver"
    assert response.json["caregiver"]["id"] == clinic.id("caregiver")
    assert response.json["entered_by"]["id"] == clinic.id("caregiver")


def test_a_patient_may_name_their_linked_caregiver_but_no_one_else(client, clinic):
    ok = post_result(client, clinic, client_id="a", tested_by="caregiver", caregiver_id=clinic.id("caregiver"))
    assert ok.status_code == 201 and ok.json["caregiver"]["id"] == clinic.id("caregiver")
    for other in ("other_caregiver", "former_caregiver"):
        refused = post_result(client, clinic, client_id=f"b-{other}", tested_by="caregiver", caregiver_id=clinic.id(other))
        assert refused.status_code == 422 and "caregiver_id" in refused.json["errors"]
    assert post_result(client, clinic, client_id="c", tested_by="caregiver").status_code == 422


def test_a_caregiver_posting_for_a_patient_not_linked_to_them_gets_404(client, clinic):
    for who in ("other_caregiver", "former_caregiver"):
        assert post_result(client, clinic, who=who).status_code == 404


def test_staff_may_enter_a_phoned_in_result_recorded_as_such(client, clinic):
    for who in ("physician", "admin"):
        response = post_result(client, clinic, who=who, client_id=f"phone-{who}")
        assert response.status_code == 201
        assert response.json["source"] == "phone"
        assert response.json["entered_by"]["id"] == clinic.id(who)
    assert post_result(client, clinic, who="trainer", client_id="t").status_code == 404
    assert post_result(client, clinic, who="other_physician", client_id="o").status_code == 404


def test_a_result_before_clearance_is_stored_and_flagged_but_does_not_count(client, clinic):
    response = post_result(client, clinic, value=1.7)
    assert response.status_code == 201
    assert response.json["billing"] == {"counts": False, "reason": "not_cleared", "week": "2026-11-22"}
    assert response.json["alert"]["severity"] == "out_of_range"


def test_second_test_in_same_week_is_kept_but_not_counted(app, client, clinic):
    clear_clinic_patient(app, clinic, datetime(2026, 1, 1).date())
    first = post_result(client, clinic, client_id="mon", measured_at="2026-11-23T08:00:00-05:00")
    second = post_result(client, clinic, client_id="tue", value=3.6, measured_at="2026-11-23T09:00:00-05:00")
    assert first.json["billing"]["counts"] is True
    assert second.json["billing"] == {"counts": False, "reason": "second_in_week", "week": "2026-11-22"}
    assert second.json["alert"]["severity"] == "out_of_range"


def test_the_billing_week_is_the_patients_local_sunday_to_saturday_across_dst(app, client, clinic):
    clear_clinic_patient(app, clinic, datetime(2026, 1, 1).date())
    # New York left DST on Sunday 2026-11-01 at 02:00. Saturday 23:30 EDT is still the week of Oct 25,
    # although it is already Sunday in UTC; Sunday 00:30 EDT starts the week of Nov 1.
    saturday = post_result(client, clinic, client_id="sat", measured_at="2026-10-31T23:30:00-04:00")
    sunday = post_result(client, clinic, client_id="sun", measured_at="2026-11-01T00:30:00-04:00")
    after_fallback = post_result(client, clinic, client_id="sun2", measured_at="2026-11-01T01:30:00-05:00")
    assert saturday.json["billing"] == {"counts": True, "reason": None, "week": "2026-10-25"}
    assert sunday.json["billing"] == {"counts": True, "reason": None, "week": "2026-11-01"}
    assert after_fallback.json["billing"] == {"counts": False, "reason": "second_in_week", "week": "2026-11-01"}


def test_a_batch_stores_each_item_on_its_own_and_a_resend_changes_nothing(app, client, clinic):
    items = [result_body(client_id="q1", value=2.4, measured_at="2026-11-20T09:00:00-05:00"),
             result_body(client_id="q2", value=4.1, measured_at="2026-11-21T09:00:00-05:00"),
             result_body(client_id="q3", value=9.9),
             {"client_id": "q4"}]
    url = f"/patients/{clinic.patient_id}/results/batch"
    first = client.post(url, json={"results": items}, headers=clinic.headers["patient"])
    assert first.status_code == 200
    assert [o["status"] for o in first.json["items"]] == [201, 201, 422, 422]
    assert "value" in first.json["items"][2]["errors"]
    resend = client.post(url, json={"results": items}, headers=clinic.headers["patient"])
    assert [o["status"] for o in resend.json["items"]] == [200, 200, 422, 422]
    assert count_rows(app, InrResult) == 2
    assert count_rows(app, Alert) == 1
    changed = client.post(url, json={"results": [result_body(client_id="q1", value=2.3)]}, headers=clinic.headers["patient"])
    assert changed.json["items"][0]["status"] == 409


def test_a_batch_is_limited_to_100_items(client, clinic):
    items = [result_body(client_id=f"x{i}") for i in range(101)]
    response = client.post(f"/patients/{clinic.patient_id}/results/batch", json={"results": items},
                           headers=clinic.headers["patient"])
    assert response.status_code == 422 and "results" in response.json["errors"]


def test_results_are_listed_newest_first_and_read_one_by_one_with_audit(app, client, clinic):
    post_result(client, clinic, client_id="old", measured_at="2026-11-16T09:00:00-05:00")
    newer = post_result(client, clinic, client_id="new", value=1.9).json
    listed = client.get(f"/patients/{clinic.patient_id}/results", headers=clinic.headers["caregiver"])
    assert [r["client_id"] for r in listed.json["items"]] == ["new", "old"]
    one = client.get(f"/patients/{clinic.patient_id}/results/{newer['id']}", headers=clinic.headers["physician"])
    assert one.status_code == 200 and one.json["flag"]["level"] == "low"
    other = client.get(f"/patients/{clinic.other_patient_id}/results/{newer['id']}",
                       headers=clinic.headers["other_physician"])
    assert other.status_code == 404
    assert count_rows(app, AuditEvent, AuditEvent.action.in_(["result.list", "result.read"])) == 2


def test_critical_thresholds_come_from_configuration(app, client, clinic):
    from decimal import Decimal

    factories.reconfigure(app, critical_high=Decimal("4.0"))
    response = post_result(client, clinic, value=4.0)
    assert response.json["flag"]["level"] == "critical_high"
    assert response.json["measured_at"].endswith("-05:00")
    assert datetime.fromisoformat(response.json["received_at"]) == NOW.astimezone(timezone.utc)


def test_the_listing_pages_newest_first(client, clinic):
    """limit and offset page the results newest first (by the time each was measured, not the order sent)."""
    for client_id, day in (("mon", 16), ("wed", 18), ("tue", 17)):
        assert post_result(client, clinic, client_id=client_id,
                           measured_at=f"2026-11-{day}T09:30:00-05:00").status_code == 201
    path = f"/patients/{clinic.patient_id}/results"

    def page(query: str) -> list[str]:
        response = client.get(f"{path}?{query}", headers=clinic.headers["patient"])
        assert response.status_code == 200
        return [item["measured_at"][:10] for item in response.json["items"]]

    assert page("limit=2") == ["2026-11-18", "2026-11-17"]
    assert page("limit=2&offset=2") == ["2026-11-16"]
    assert page("offset=3") == []
