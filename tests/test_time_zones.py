"""A patient's time zone history (domain.md, "Time zone"): versioned like the target range, and every week judged in
the zone in force then, so moving never re-judges a week already past."""

from __future__ import annotations

from datetime import date, timedelta

from tests import factories
from tests.conftest import NOW
from tests.factories import clear_clinic_patient, post_result


def zones(client, clinic, who="physician"):
    response = client.get(f"/patients/{clinic.patient_id}/time-zones", headers=clinic.headers[who])
    assert response.status_code == 200, response.json
    return [(v["time_zone"], v["reason"]) for v in response.json["items"]]


def move(client, clinic, zone, who="physician", reason="moved"):
    return client.post(f"/patients/{clinic.patient_id}/time-zones", json={"time_zone": zone, "reason": reason},
                       headers=clinic.headers[who])


def test_the_zone_is_versioned_from_now_on_and_listed_oldest_first(client, clinic):
    assert zones(client, clinic) == [("America/New_York", "initial zone")]
    moved = move(client, clinic, "America/Los_Angeles", reason="moved to San Diego")
    assert moved.status_code == 201, moved.json
    assert moved.json["effective_from"] == NOW.isoformat() and moved.json["set_by"]["id"] == clinic.id("physician")
    patched = client.patch(f"/patients/{clinic.patient_id}", json={"time_zone": "America/Chicago"},
                           headers=clinic.headers["admin"])
    assert patched.status_code == 200 and patched.json["time_zone"] == "America/Chicago"
    assert zones(client, clinic, who="caregiver") == [
        ("America/New_York", "initial zone"), ("America/Los_Angeles", "moved to San Diego"),
        ("America/Chicago", "changed with the patient's details")]
    assert move(client, clinic, "America/Chicago").status_code == 409  # already in force
    assert move(client, clinic, "US/Eastern").status_code == 422  # not a canonical zone name
    assert move(client, clinic, "Europe/Paris", who="patient").status_code == 403
    assert move(client, clinic, "Europe/Paris", who="other_physician").status_code == 404


def test_a_saturday_night_test_keeps_its_week_after_the_patient_moves_east(app, client, clinic):
    clear_clinic_patient(app, clinic, date(2026, 1, 1))
    # Saturday 21 Nov 23:30 in New York: the week of 15 Nov. In Tokyo it would be Sunday afternoon, the 22nd.
    saturday = post_result(client, clinic, client_id="sat", measured_at="2026-11-21T23:30:00-05:00").json
    assert saturday["billing"] == {"counts": True, "reason": None, "week": "2026-11-15"}
    assert move(client, clinic, "Asia/Tokyo").status_code == 201
    factories.set_now(app, NOW + timedelta(hours=2))
    tuesday = post_result(client, clinic, client_id="tue", measured_at="2026-11-24T01:00:00+09:00").json
    assert tuesday["billing"] == {"counts": True, "reason": None, "week": "2026-11-22"}
    again = client.get(f"/patients/{clinic.patient_id}/results/{saturday['id']}", headers=clinic.headers["physician"])
    assert again.json["billing"] == {"counts": True, "reason": None, "week": "2026-11-15"}  # not re-judged
    summary = client.get(f"/patients/{clinic.patient_id}/summary", headers=clinic.headers["physician"]).json
    assert summary["adherence"]["weeks_tested"] == 2


def test_local_dates_of_the_past_keep_the_zone_then_and_today_is_the_new_zones(app, client, clinic):
    result = post_result(client, clinic, client_id="r", value=2.5).json

    def review(next_test_date):
        return client.post(f"/patients/{clinic.patient_id}/reviews", headers=clinic.headers["physician"],
                           json={"result_ids": [result["id"]], "interpretation": "Stable.",
                                 "instruction_kind": "keep_dose", "next_test_date": next_test_date})

    assert review("2026-11-23").status_code == 201  # today in New York
    assert move(client, clinic, "Pacific/Auckland").status_code == 201
    # 15:00 UTC is already 04:00 on the 24th in Auckland: the 23rd is in the patient's past now.
    late = review("2026-11-23")
    assert late.status_code == 422 and late.json["errors"]["next_test_date"] == ["Must not be in the past."]
    refreshed = client.get(f"/patients/{clinic.patient_id}/results/{result['id']}", headers=clinic.headers["patient"])
    assert refreshed.json["billing"]["week"] == "2026-11-22"  # measured on Monday 23 Nov in New York
