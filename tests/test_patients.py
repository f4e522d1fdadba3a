"""Patients: enrolment, validated indications, versioned clinical settings, caregiver links, all audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import AuditEvent
from service import db
from tests import factories
from tests.conftest import NOW


def enrol(client, clinic, **changes):
    body = {"full_name": "New Patient", "date_of_birth": "1951-02-03", "time_zone": "America/Chicago",
            "physician_id": clinic.id("physician"), "indications": ["I48.91", "z95.2"],
            "warfarin_start_date": "2026-01-05"}
    body.update(changes)
    return client.post("/patients", json=body, headers=clinic.headers["admin"])


def test_enrolled_patient_gets_the_default_range_and_normalized_codes(client, clinic):
    response = enrol(client, clinic)
    assert response.status_code == 201
    patient = response.json
    assert patient["target_range"]["low"] == 2.0 and patient["target_range"]["high"] == 3.0
    assert patient["indications"] == ["I48.91", "Z95.2"]
    assert patient["physician"]["id"] == clinic.id("physician")
    assert patient["payer"] == "medicare"


def test_a_retired_indication_is_refused_with_an_error_naming_the_code(client, clinic):
    response = enrol(client, clinic, indications=["I48.91", "I48.2"])
    assert response.status_code == 422
    message = response.json["errors"]["indications"]["1"][0]
    assert "I48.2" in message and "I48.20" in message and "I48.21" in message


def test_a_diagnosis_outside_the_covered_list_is_refused(client, clinic):
    response = enrol(client, clinic, indications=["I10"])
    assert response.status_code == 422
    assert "I10" in response.json["errors"]["indications"]["0"][0]


def test_unknown_time_zone_and_future_birth_date_are_refused_by_field(client, clinic):
    response = enrol(client, clinic, time_zone="Mars/Olympus", date_of_birth="2030-01-01")
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"time_zone", "date_of_birth"}


def test_inr_values_are_refused_as_strings_or_with_two_decimals(client, clinic):
    as_string = enrol(client, clinic, target_range={"low": "2.0", "high": 3.0})
    too_fine = enrol(client, clinic, target_range={"low": 2.05, "high": 3.0})
    inverted = enrol(client, clinic, target_range={"low": 3.0, "high": 2.0})
    assert as_string.status_code == too_fine.status_code == inverted.status_code == 422
    assert "low" in as_string.json["errors"]["target_range"]
    assert "low" in too_fine.json["errors"]["target_range"]


def test_a_physician_enrols_into_their_own_panel_only(client, clinic):
    own = client.post("/patients", json={"full_name": "Mine", "date_of_birth": "1960-01-01",
                                         "time_zone": "UTC", "indications": ["I26.99"]},
                      headers=clinic.headers["physician"])
    assert own.status_code == 201 and own.json["physician"]["id"] == clinic.id("physician")
    other = enrol(client, clinic)
    theirs = client.post("/patients", json={**{k: other.json[k] for k in ("full_name", "date_of_birth")},
                                            "time_zone": "UTC", "indications": ["I26.99"],
                                            "physician_id": clinic.id("other_physician")},
                         headers=clinic.headers["physician"])
    assert theirs.status_code == 422


def test_patients_and_caregivers_cannot_enrol_or_edit(client, clinic):
    for role in ("patient", "caregiver"):
        assert enrol(client, clinic).status_code == 201  # admin can
        assert client.post("/patients", json={}, headers=clinic.headers[role]).status_code == 403
        assert client.patch(f"/patients/{clinic.patient_id}", json={"full_name": "Me"},
                            headers=clinic.headers[role]).status_code == 403


def test_a_new_target_range_keeps_the_old_one_in_history(app, client, clinic):
    url = f"/patients/{clinic.patient_id}/target-ranges"
    factories.set_now(app, NOW + timedelta(days=3))
    response = client.post(url, json={"low": 2.5, "high": 3.5, "reason": "mechanical mitral valve"},
                           headers=clinic.headers["physician"])
    assert response.status_code == 201
    history = client.get(url, headers=clinic.headers["physician"]).json["items"]
    assert [(v["low"], v["high"]) for v in history] == [(2.0, 3.0), (2.5, 3.5)]
    assert history[1]["set_by"]["id"] == clinic.id("physician")
    assert client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["patient"]).json["target_range"][
        "low"] == 2.5


def test_only_the_physician_of_record_sets_the_target_range(client, clinic):
    body = {"low": 2.5, "high": 3.5, "reason": "valve"}
    url = f"/patients/{clinic.patient_id}/target-ranges"
    assert client.post(url, json=body, headers=clinic.headers["admin"]).status_code == 403
    assert client.post(url, json=body, headers=clinic.headers["patient"]).status_code == 403
    assert client.post(url, json=body, headers=clinic.headers["other_physician"]).status_code == 404


def test_the_range_in_force_at_a_moment_is_the_version_effective_then(app, clinic, client):
    from models import Patient
    from service import patients as patient_service

    factories.set_now(app, NOW + timedelta(days=10))
    client.post(f"/patients/{clinic.patient_id}/target-ranges", json={"low": 2.5, "high": 3.5, "reason": "valve"},
                headers=clinic.headers["physician"])
    with app.app_context():
        patient = db.session().get(Patient, clinic.patient.id)
        assert patient_service.target_range_at(patient, NOW + timedelta(days=5)).low == 2
        assert patient_service.target_range_at(patient, NOW + timedelta(days=10)).low == 2.5
        assert patient_service.target_range_at(patient, NOW - timedelta(days=400)).low == 2


def test_changing_indications_keeps_history_and_validates_codes(client, clinic):
    url = f"/patients/{clinic.patient_id}/indications"
    bad = client.post(url, json={"codes": ["I48.1"], "reason": "x"}, headers=clinic.headers["physician"])
    assert bad.status_code == 422 and "I48.1" in bad.json["errors"]["codes"]["0"][0]
    good = client.post(url, json={"codes": ["I48.11"], "reason": "persistent AF"}, headers=clinic.headers["physician"])
    assert good.status_code == 201
    history = client.get(url, headers=clinic.headers["biller"]).json["items"]
    assert [v["codes"] for v in history] == [["I48.91"], ["I48.11"]]


def test_ending_a_caregiver_link_ends_their_access(client, clinic):
    links = client.get(f"/patients/{clinic.patient_id}/caregivers", headers=clinic.headers["trainer"]).json["items"]
    active = next(link for link in links if link["active"])
    ended = client.post(f"/patients/{clinic.patient_id}/caregivers/{active['id']}/end",
                        json={"reason": "no longer caring"}, headers=clinic.headers["trainer"])
    assert ended.status_code == 200 and ended.json["active"] is False
    assert client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["caregiver"]).status_code == 404
    again = client.post(f"/patients/{clinic.patient_id}/caregivers/{active['id']}/end",
                        json={"reason": "twice"}, headers=clinic.headers["trainer"])
    assert again.status_code == 409


def test_linking_requires_a_caregiver_account_and_no_open_duplicate(client, clinic):
    url = f"/patients/{clinic.patient_id}/caregivers"
    not_caregiver = client.post(url, json={"caregiver_id": clinic.id("biller"), "relationship": "son"},
                                headers=clinic.headers["admin"])
    duplicate = client.post(url, json={"caregiver_id": clinic.id("caregiver"), "relationship": "son"},
                            headers=clinic.headers["admin"])
    fresh = client.post(url, json={"caregiver_id": clinic.id("other_caregiver"), "relationship": "neighbour"},
                        headers=clinic.headers["admin"])
    assert (not_caregiver.status_code, duplicate.status_code, fresh.status_code) == (422, 409, 201)
    assert client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["other_caregiver"]).status_code == 200


def test_reads_and_changes_of_patient_data_are_audited_with_actor_and_request(app, client, clinic):
    client.get(f"/patients/{clinic.patient_id}", headers={**clinic.headers["caregiver"], "X-Request-Id": "req-read-1"})
    client.patch(f"/patients/{clinic.patient_id}", json={"full_name": "Pat Q. Example"},
                 headers=clinic.headers["physician"])
    with app.app_context():
        events = list(db.session().scalars(select(AuditEvent).where(
            AuditEvent.patient_id == clinic.patient.public_id).order_by(AuditEvent.id)))
    read = next(e for e in events if e.action == "patient.read")
    assert (read.actor_id, read.actor_role, read.request_id, read.outcome) == (
        clinic.users["caregiver"].public_id, "caregiver", "req-read-1", "success")
    assert read.client_address == "127.0.0.1"
    update = next(e for e in events if e.action == "patient.update")
    assert update.detail == {"fields": ["full_name"]}
