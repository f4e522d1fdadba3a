"""Practices on one server never see each other's people, patients, alerts, claims or audit events; each practice
sets up its own billing details and reminder time.

The route-by-route matrix (tests/test_authorization.py) has the second practice's users among its outsiders; this
module checks what the listings show them, and the practice's own setup.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from models import OutboxMessage
from schedules.reminders import send_weekly_reminders
from service import db
from tests import factories
from tests.conftest import NOW
from tests.factories import post_result

ELSEWHERE_STAFF = ["elsewhere_admin", "elsewhere_physician", "elsewhere_trainer", "elsewhere_biller"]


def get(client, clinic, who, path, **query):
    response = client.get(path, headers=clinic.headers[who], query_string=query)
    assert response.status_code == 200, (who, path, response.json)
    return response.json


def test_patient_listings_and_searches_show_only_the_callers_practice(client, clinic):
    ours = {clinic.patient_id, clinic.other_patient_id}
    theirs = str(clinic.elsewhere_patient.public_id)
    for who in ELSEWHERE_STAFF:
        listed = {p["id"] for p in get(client, clinic, who, "/patients")["items"]}
        assert theirs in listed and not listed & ours, who
        assert get(client, clinic, who, "/patients", name="Pat")["items"] == []
    for who in ("admin", "trainer", "biller"):
        assert theirs not in {p["id"] for p in get(client, clinic, who, "/patients")["items"]}


def test_alerts_stay_in_their_practice(client, clinic):
    ours = post_result(client, clinic, client_id="low-here", value=1.8).json["alert"]["id"]
    theirs = client.post(f"/patients/{clinic.elsewhere_patient.public_id}/results", headers=clinic.headers[
        "elsewhere_patient"], json={"client_id": "low-there", "value": 1.8, "qc_passed": True,
                                    "measured_at": "2026-11-23T09:30:00-06:00"}).json["alert"]["id"]
    assert [a["id"] for a in get(client, clinic, "admin", "/alerts")["items"]] == [ours]
    for who in ("elsewhere_admin", "elsewhere_physician"):
        assert [a["id"] for a in get(client, clinic, who, "/alerts")["items"]] == [theirs]
    assert client.post(f"/alerts/{ours}/acknowledge", headers=clinic.headers["elsewhere_admin"]).status_code == 404


def test_people_listings_show_only_the_callers_practice(client, clinic):
    theirs = {u["email"] for u in get(client, clinic, "elsewhere_admin", "/users")["items"]}
    assert theirs and all(email.endswith("@elsewhere.test") for email in theirs)
    ours = {u["email"] for u in get(client, clinic, "admin", "/users")["items"]}
    assert not any(email.endswith("@elsewhere.test") for email in ours)


def test_the_audit_trail_an_administrator_reads_is_their_practices(client, clinic):
    client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["physician"])
    events = get(client, clinic, "elsewhere_admin", "/audit-events", limit=1000)["items"]
    ours = {clinic.patient_id, clinic.other_patient_id}
    assert events and not {e["patient_id"] for e in events} & ours
    assert not {e["actor_id"] for e in events} & {clinic.id(name) for name in ("admin", "physician", "biller")}
    own = get(client, clinic, "admin", "/audit-events", limit=1000)["items"]
    assert any(e["patient_id"] == clinic.patient_id for e in own)
    assert str(clinic.elsewhere_patient.public_id) not in {e["patient_id"] for e in own}


def test_claims_exports_and_generation_runs_show_only_the_callers_practice(app, client, clinic):
    line = factories.make_claim_line(app, clinic.patient, NOW)
    assert get(client, clinic, "elsewhere_biller", "/claims")["items"] == []
    assert [item["id"] for item in get(client, clinic, "biller", "/claims")["items"]] == [str(line.public_id)]
    assert client.post(f"/claims/{line.public_id}/void", json={"reason": "x"},
                       headers=clinic.headers["elsewhere_biller"]).status_code == 404
    body = {"client_key": "export-2026-11", "from": "2026-11-01", "to": "2026-11-30", "format": "json"}
    theirs = client.post("/claims/exports", json=body, headers=clinic.headers["elsewhere_biller"])
    ours = client.post("/claims/exports", json=body, headers=clinic.headers["biller"])
    assert (theirs.status_code, ours.status_code) == (201, 201)  # the same key is each practice's own
    assert theirs.json["line_count"] == 0 and ours.json["line_count"] == 1
    assert [b["id"] for b in get(client, clinic, "elsewhere_biller", "/claims/exports")["items"]] == [theirs.json["id"]]
    assert client.get(f"/claims/exports/{ours.json['id']}", headers=clinic.headers["elsewhere_biller"]
                      ).status_code == 404
    run = client.post("/billing/generation-runs", json={"recheck_all": True}, headers=clinic.headers["elsewhere_biller"])
    assert run.status_code == 201
    named = {item.get("patient_id") for key in ("skipped", "held", "errors") for item in run.json[key]}
    assert not named & {clinic.patient_id, clinic.other_patient_id}
    seen = get(client, clinic, "elsewhere_biller", f"/billing/generation-runs/{run.json['id']}")
    assert not {item.get("patient_id") for item in seen["skipped"]} & {clinic.patient_id, clinic.other_patient_id}


def test_staff_link_and_name_only_people_of_their_own_practice(client, clinic):
    foreign_caregiver = client.post(f"/patients/{clinic.patient_id}/caregivers", headers=clinic.headers["trainer"],
                                    json={"caregiver_id": clinic.id("elsewhere_caregiver"), "relationship": "son"})
    assert foreign_caregiver.status_code == 422 and "caregiver_id" in foreign_caregiver.json["errors"]
    foreign_physician = client.patch(f"/patients/{clinic.patient_id}", headers=clinic.headers["admin"],
                                     json={"physician_id": clinic.id("elsewhere_physician")})
    assert foreign_physician.status_code == 422 and "physician_id" in foreign_physician.json["errors"]
    covering = client.put(f"/physicians/{clinic.id('physician')}/covering-physician", headers=clinic.headers["admin"],
                          json={"covering_physician_id": clinic.id("elsewhere_physician")})
    assert covering.status_code == 422
    enrolled = client.post("/patients", headers=clinic.headers["elsewhere_admin"], json={
        "full_name": "New There", "date_of_birth": "1950-01-01", "time_zone": "America/Chicago",
        "indications": ["I48.91"], "physician_id": clinic.id("elsewhere_physician")})
    assert enrolled.status_code == 201
    assert enrolled.json["id"] not in {p["id"] for p in get(client, clinic, "admin", "/patients")["items"]}


def test_an_administrator_sets_up_their_own_practice(client, clinic):
    practice = get(client, clinic, "physician", "/practice")
    assert "group_npi" in practice["missing_for_claims"] or practice["group_npi"]
    refused = client.patch("/practice", json={"name": "Renamed"}, headers=clinic.headers["physician"])
    assert refused.status_code == 403
    bad = client.patch("/practice", json={"group_npi": "1234567890", "charges": {"99999": "10.00"}},
                       headers=clinic.headers["admin"])
    assert bad.status_code == 422 and {"group_npi", "charges"} <= set(bad.json["errors"])
    done = client.patch("/practice", headers=clinic.headers["admin"], json={
        "name": "Anticoagulation Clinic of Example", "group_npi": "1234567893", "tax_id": "123456789",
        "address_line1": "1 Main St", "city": "Springfield", "state": "IL", "postal_code": "627011234",
        "phone": "2175550100", "x12_receiver_id": "CLEARINGHOUSE", "x12_receiver_name": "Example Clearinghouse",
        "charges": {"G0249": "150.00"}, "reminder_weekday": "monday", "reminder_time": "07:30"})
    assert done.status_code == 200, done.json
    assert done.json["missing_for_claims"] == [] and done.json["reminder_time"] == "07:30"
    assert get(client, clinic, "elsewhere_admin", "/practice")["name"] == "Elsewhere Clinic"


def test_each_practice_reminds_its_patients_on_its_own_day_and_time(app, client, clinic):
    client.patch("/practice", json={"reminder_weekday": "monday", "reminder_time": "12:00"},
                 headers=clinic.headers["admin"])
    factories.clear_for_home_testing(app, clinic.patient, date(2026, 11, 1), clinic.users["physician"], NOW)
    monday = datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc)  # 11:30 in New York
    with app.app_context():
        assert send_weekly_reminders(db.session(), monday)["queued"] == 0
        assert send_weekly_reminders(db.session(), datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc))["queued"] == 1
        message = db.session().scalar(select(OutboxMessage).where(OutboxMessage.kind == "reminder.weekly_test"))
        assert message.payload["due_at"] == "2026-11-23T12:00:00-05:00"


def test_the_operator_adds_a_practice_and_its_first_administrator(app, client):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-practice", "--name", "North Clinic", "--time-zone", "America/Denver"])
    assert made.exit_code == 0, made.output
    practice_id = made.output.split()[1]
    admin = runner.invoke(args=["create-admin", "--email", "boss@north.test", "--practice", practice_id,
                                "--password", "granite harbor violet 5150"])
    assert admin.exit_code == 0, admin.output
    token = client.post("/auth/login", json={"email": "boss@north.test",
                                             "password": "granite harbor violet 5150"}).json["token"]
    practice = client.get("/practice", headers={"Authorization": f"Bearer {token}"}).json
    assert (practice["id"], practice["name"], practice["time_zone"]) == (practice_id, "North Clinic", "America/Denver")
    bad_zone = runner.invoke(args=["create-practice", "--name", "X", "--time-zone", "EST5EDT"])
    assert bad_zone.exit_code == 1 and "time_zone" in bad_zone.output
