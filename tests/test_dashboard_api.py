"""What the dashboard and the checklist pages read that no other client needed: one patient's alerts in several
states, one alert, the review history, TTR over a chosen period, patient search and the panel in one request."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditEvent
from service import audit, db
from tests import factories
from tests.conftest import NOW
from tests.factories import post_result, post_review


def get(client, clinic, url, who="physician", **query):
    response = client.get(url, query_string=query or None, headers=clinic.headers[who])
    assert response.status_code == 200, (url, response.json)
    return response.json


def audit_actions(app, patient_public_id, action):
    with app.app_context():
        return list(db.session().scalars(select(AuditEvent).where(
            audit.naming_patient(patient_public_id), AuditEvent.action == action).order_by(AuditEvent.id)))


# --- alerts ------------------------------------------------------------------------------------------------


def test_one_patients_alerts_in_several_states_at_once(app, client, clinic):
    low = post_result(client, clinic, client_id="low", value=1.8).json["alert"]["id"]
    high = post_result(client, clinic, client_id="high", value=3.6).json["alert"]["id"]
    other = post_result(client, clinic, who="other_patient", patient_id=clinic.other_patient_id,
                        client_id="other", value=1.8).json["alert"]["id"]
    assert client.post(f"/alerts/{low}/acknowledge", headers=clinic.headers["physician"]).status_code == 200

    def listed(who="physician", **query):
        return [a["id"] for a in get(client, clinic, "/alerts", who, **query)["items"]]

    assert listed() == [high]  # open only, as before
    both = get(client, clinic, f"/alerts?status=open&status=acknowledged&patient_id={clinic.patient_id}")
    assert [a["id"] for a in both["items"]] == [low, high]  # oldest first within a severity
    assert both["counts"] == {"critical": 0, "out_of_range": 2, "routine": 0}
    assert listed("admin", patient_id=clinic.other_patient_id) == [other]
    # A patient the caller does not reach is filtered out like any other alert, not revealed.
    assert listed(patient_id=clinic.other_patient_id) == []
    assert client.get("/alerts?status=open&status=closed", headers=clinic.headers["physician"]).status_code == 422
    assert client.get("/alerts?patient_id=nope", headers=clinic.headers["physician"]).status_code == 422


def test_one_alert_is_read_through_the_policy_and_the_read_is_audited(app, client, clinic):
    alert_id = post_result(client, clinic, value=1.4).json["alert"]["id"]
    alert = get(client, clinic, f"/alerts/{alert_id}")
    assert (alert["id"], alert["severity"], alert["level"], alert["reading"]) == \
        (alert_id, "critical", "critical_low", "1.4")
    [event] = audit_actions(app, clinic.patient.public_id, "alert.read")
    assert (event.object_type, event.object_id, event.actor_id) == \
        ("alert", alert_id, clinic.users["physician"].public_id)
    assert get(client, clinic, f"/alerts/{alert_id}", who="admin")["id"] == alert_id
    assert client.get(f"/alerts/{alert_id}", headers=clinic.headers["other_physician"]).status_code == 404
    assert client.get(f"/alerts/{alert_id}", headers=clinic.headers["patient"]).status_code == 403
    refused = audit_actions(app, clinic.patient.public_id, "alert.read_clinical")
    assert [(e.outcome, e.actor_role) for e in refused] == [("refused", "physician")]


def test_alert_times_carry_the_offset_the_result_was_measured_with(app, client, clinic):
    alert_id = post_result(client, clinic, value=1.8, measured_at="2026-11-23T09:30:00-05:00").json["alert"]["id"]
    factories.set_now(app, NOW + timedelta(minutes=10))
    client.post(f"/alerts/{alert_id}/acknowledge", headers=clinic.headers["physician"])
    alert = get(client, clinic, f"/alerts/{alert_id}")
    assert alert["measured_at"] == "2026-11-23T09:30:00-05:00"
    assert alert["opened_at"] == "2026-11-23T10:00:00-05:00"  # NOW is 15:00 UTC
    assert alert["acknowledged_at"] == "2026-11-23T10:10:00-05:00"
    assert alert["resolved_at"] is None and alert["escalated_at"] is None
    listed = get(client, clinic, "/alerts", status="acknowledged")["items"][0]
    assert (listed["opened_at"], listed["acknowledged_at"]) == (alert["opened_at"], alert["acknowledged_at"])


# --- reviews -----------------------------------------------------------------------------------------------


def test_the_review_history_lists_every_review_newest_first_with_its_acknowledgements(app, client, clinic):
    first = post_result(client, clinic, client_id="r1", value=1.8).json["id"]
    older = post_review(client, clinic, [first], interpretation="Low.", instruction_kind="new_dose",
                        dose_text="5 mg daily").json
    url = f"/patients/{clinic.patient_id}/instructions/{older['id']}/acknowledge"
    assert client.post(url, headers=clinic.headers["caregiver"]).status_code == 201
    factories.set_now(app, NOW + timedelta(hours=2))
    second = post_result(client, clinic, client_id="r2", value=2.4,
                         measured_at="2026-11-23T11:00:00-05:00").json["id"]
    newer = post_review(client, clinic, [second], interpretation="Back in range.").json

    history = get(client, clinic, f"/patients/{clinic.patient_id}/reviews")["items"]
    assert [(r["id"], r["in_force"], r["result_ids"]) for r in history] == \
        [(newer["id"], True, [second]), (older["id"], False, [first])]
    assert history[1]["dose_text"] == "5 mg daily" and history[1]["instruction_kind"] == "new_dose"
    assert [(a["user"]["id"], a["role"]) for a in history[1]["acknowledgements"]] == \
        [(clinic.id("caregiver"), "caregiver")]
    assert history[0]["acknowledgements"] == []
    # The patient and caregivers read their own history; paging; an outsider gets 404; every read is audited.
    assert len(get(client, clinic, f"/patients/{clinic.patient_id}/reviews", who="caregiver")["items"]) == 2
    assert [r["id"] for r in get(client, clinic, f"/patients/{clinic.patient_id}/reviews", limit=1,
                                 offset=1)["items"]] == [older["id"]]
    assert client.get(f"/patients/{clinic.patient_id}/reviews",
                      headers=clinic.headers["other_physician"]).status_code == 404
    assert len(audit_actions(app, clinic.patient.public_id, "review.list")) == 3


# --- TTR over a chosen period --------------------------------------------------------------------------------


@pytest.fixture
def steady_patient(app, clinic):
    """2.0 thirty days ago rising to 4.0 ten days ago: in 2.0-3.0 for the first half of those 20 days."""
    patient = factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW - timedelta(days=60),
                                     full_name="Steady Rise", time_zone="UTC")
    for days_ago, value in ((30, "2.0"), (10, "4.0")):
        factories.record_result(app, patient, clinic.users["physician"], NOW, client_id=f"rise-{days_ago}",
                                value=Decimal(value), measured_at=NOW - timedelta(days=days_ago))
    return patient


def test_ttr_for_a_chosen_period_in_dates_or_instants(app, client, clinic, steady_patient):
    url = f"/patients/{steady_patient.public_id}/summary"
    default = get(client, clinic, url)
    assert default["ttr"]["days_total"] == 20.0 and default["ttr"]["percent"] == pytest.approx(50.0)
    # The first ten days of the rise (15:00 UTC 30 days ago is NOW's time of day) are all in range.
    start = (NOW - timedelta(days=30)).isoformat()
    end = (NOW - timedelta(days=20)).isoformat()
    first_half = get(client, clinic, url, **{"from": start, "to": end})
    assert first_half["ttr"] == {"percent": 100.0, "days_in_range": 10.0, "days_total": 10.0}
    assert (first_half["window_start"], first_half["window_end"]) == (
        "2026-10-24T15:00:00+00:00", "2026-11-03T15:00:00+00:00")
    # Dates are whole days in the patient's zone (UTC here): Nov 3 00:00 to Nov 14 00:00. The readings end on
    # Nov 13 at 15:00, and the INR leaves the range on Nov 3 at 15:00: 0.625 of 10.625 days.
    second_half = get(client, clinic, url, **{"from": "2026-11-03", "to": "2026-11-13"})
    assert second_half["window_start"] == "2026-11-03T00:00:00+00:00"
    assert second_half["window_end"] == "2026-11-14T00:00:00+00:00"
    assert second_half["ttr"]["days_total"] == pytest.approx(10.625)
    assert second_half["ttr"]["percent"] == pytest.approx(100 * 0.625 / 10.625)
    assert get(client, clinic, url, window_days=15)["ttr"]["days_total"] == 5.0
    for bad in ({"from": "2026-11-10", "to": "2026-11-01"}, {"from": "2026-11-01", "window_days": "7"},
                {"from": "2026-12-01"}, {"from": "yesterday"}, {"to": "2026-11-01T00:00:00"}):
        refused = client.get(url, query_string=bad, headers=clinic.headers["physician"])
        assert refused.status_code == 422, bad
        assert set(refused.json["errors"]) <= {"from", "to", "window_days"}


def test_panel_ttr_takes_the_same_period(app, client, clinic, steady_patient):
    url = f"/physicians/{clinic.id('physician')}/panel-ttr"
    panel = get(client, clinic, url, **{"from": (NOW - timedelta(days=30)).isoformat(),
                                       "to": (NOW - timedelta(days=20)).isoformat()})
    assert panel["panel"] == {"percent": 100.0, "days_in_range": 10.0, "days_total": 10.0}
    assert get(client, clinic, url, **{"from": "2026-11-03"})["window_start"] == "2026-11-03T00:00:00+00:00"
    assert client.get(url, query_string={"from": "2026-11-03", "window_days": "3"},
                      headers=clinic.headers["physician"]).status_code == 422


def test_the_summary_names_the_critical_thresholds_the_chart_draws(app, client, clinic):
    assert get(client, clinic, f"/patients/{clinic.patient_id}/summary")["critical"] == {"low": 1.5, "high": 5.0}
    factories.reconfigure(app, critical_low=Decimal("1.3"), critical_high=Decimal("6.0"))
    assert get(client, clinic, f"/patients/{clinic.patient_id}/summary")["critical"] == {"low": 1.3, "high": 6.0}


def test_results_name_their_corrections(app, client, clinic):
    wrong = factories.make_result(app, clinic.patient, NOW - timedelta(days=2), value="6.0")
    right = factories.make_result(app, clinic.patient, NOW - timedelta(days=2), value="2.6", supersedes=wrong)
    items = {r["id"]: r for r in get(client, clinic, f"/patients/{clinic.patient_id}/results")["items"]}
    assert (items[str(wrong.public_id)]["corrected_by"], items[str(wrong.public_id)]["corrects"]) == \
        (str(right.public_id), None)
    assert (items[str(right.public_id)]["corrected_by"], items[str(right.public_id)]["corrects"]) == \
        (None, str(wrong.public_id))


# --- patient search ----------------------------------------------------------------------------------------


def test_patients_are_found_by_words_of_the_name_and_the_date_of_birth(app, client, clinic):
    for name, born in (("Ada Lovelace", date(1950, 12, 10)), ("Ada Byron", date(1950, 1, 1)),
                       ("Charles Babbage", date(1950, 12, 10)), ("100%_Literal", date(1960, 1, 1))):
        factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW, full_name=name,
                               date_of_birth=born)

    def found(who="physician", **query):
        page = get(client, clinic, "/patients", who, **query)
        return sorted(p["full_name"] for p in page["items"]), page["total"]

    assert found(name="ada") == (["Ada Byron", "Ada Lovelace"], 2)
    assert found(name="LOVE ada") == (["Ada Lovelace"], 1)
    assert found(date_of_birth="1950-12-10") == (["Ada Lovelace", "Charles Babbage"], 2)
    assert found(name="ada", date_of_birth="1950-12-10") == (["Ada Lovelace"], 1)
    assert found(name="%") == (["100%_Literal"], 1)  # LIKE wildcards are searched for, not obeyed
    assert found(name="_") == (["100%_Literal"], 1)
    assert found(name="Olive") == ([], 0)  # another physician's patient is not found
    assert found("admin", name="Olive") == (["Olive Other"], 1)
    page = get(client, clinic, "/patients", limit=2, offset=1)
    assert (len(page["items"]), page["total"]) == (2, 5)
    assert client.get("/patients?date_of_birth=1950-13-01", headers=clinic.headers["physician"]).status_code == 422
    assert client.get("/patients?name=", headers=clinic.headers["physician"]).status_code == 422
    with app.app_context():
        event = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "patient.list")
                                     .order_by(AuditEvent.id.desc())).first()
    assert event.detail == {"count": 2, "searched": False}


def test_patients_are_found_by_their_practices_medical_record_number(app, client, clinic):
    def enrol(who, name, physician, **extra):
        return client.post("/patients", headers=clinic.headers[who], json={
            "full_name": name, "date_of_birth": "1950-01-01", "time_zone": "America/Chicago",
            "indications": ["I48.91"], "physician_id": clinic.id(physician), **extra})

    ada = enrol("admin", "Ada Chart", "physician", mrn="MRN-0042")
    assert ada.status_code == 201 and ada.json["mrn"] == "MRN-0042"
    assert get(client, clinic, "/patients", mrn="MRN-0042")["items"][0]["id"] == ada.json["id"]
    assert get(client, clinic, "/patients", mrn="mrn-0042")["total"] == 0  # exactly as recorded
    # Two charts under one number would mix two people's records: refused, nothing stored.
    twin = enrol("admin", "Twin Chart", "physician", mrn="MRN-0042")
    assert twin.status_code == 409 and "mrn" in twin.json["errors"]
    assert get(client, clinic, "/patients", who="admin", name="Twin")["total"] == 0
    # Another practice numbers its own charts: the same number there is another patient, never found here.
    theirs = enrol("elsewhere_admin", "Elsewhere Chart", "elsewhere_physician", mrn="MRN-0042")
    assert theirs.status_code == 201
    assert [p["id"] for p in get(client, clinic, "/patients", who="admin", mrn="MRN-0042")["items"]] == \
        [ada.json["id"]]
    # Set, changed and cleared later; a malformed number is a field error.
    patch = client.patch(f"/patients/{clinic.patient_id}", headers=clinic.headers["admin"], json={"mrn": "A/77.1"})
    assert patch.status_code == 200 and patch.json["mrn"] == "A/77.1"
    taken = client.patch(f"/patients/{clinic.patient_id}", headers=clinic.headers["admin"], json={"mrn": "MRN-0042"})
    assert taken.status_code == 409
    for bad in ("", " 12", "12 34", "x" * 31):
        refused = client.patch(f"/patients/{clinic.patient_id}", headers=clinic.headers["admin"], json={"mrn": bad})
        assert refused.status_code == 422 and "mrn" in refused.json["errors"], bad
    assert get(client, clinic, f"/patients/{clinic.patient_id}", who="admin")["mrn"] == "A/77.1"
    cleared = client.patch(f"/patients/{clinic.patient_id}", headers=clinic.headers["admin"], json={"mrn": None})
    assert cleared.status_code == 200 and cleared.json["mrn"] is None
    assert client.get("/patients?mrn=", headers=clinic.headers["admin"]).status_code == 422


# --- the panel in one request ------------------------------------------------------------------------------


def test_the_panel_gives_each_patient_ttr_last_inr_days_since_and_open_alerts(app, client, clinic, steady_patient):
    physician = clinic.users["physician"]
    quiet = factories.make_patient(app, clinic.users["admin"], physician, NOW, full_name="Quiet Patient")
    # Pat Example: a valid 3.6 four days ago, then a failed strip and a corrected value: the 3.6 stays the last.
    factories.record_result(app, clinic.patient, physician, NOW, client_id="p1", value=Decimal("3.6"),
                            measured_at=datetime(2026, 11, 19, 10, 0, tzinfo=timezone(timedelta(hours=-5))))
    factories.make_result(app, clinic.patient, NOW - timedelta(days=2), value="2.5", qc_passed=False)
    wrong = factories.make_result(app, clinic.patient, NOW - timedelta(days=1), value="2.2")
    factories.make_result(app, clinic.patient, NOW - timedelta(days=1), value="8.0", meter_error="E-5",
                          supersedes=wrong)
    critical = post_result(client, clinic, client_id="crit", value=1.4).json
    assert critical["flag"]["level"] == "critical_low"
    # The critical 1.4 (an hour ago) is the newest valid INR after all.
    panel = get(client, clinic, f"/physicians/{clinic.id('physician')}/panel")
    rows = {row["patient"]["full_name"]: row for row in panel["patients"]}
    assert list(rows) == ["Pat Example", "Quiet Patient", "Steady Rise"]  # by name
    pat = rows["Pat Example"]
    assert pat["last_inr"] == {"result_id": critical["id"], "reading": "1.4", "level": "critical_low",
                               "measured_at": "2026-11-23T09:30:00-05:00"}
    assert (pat["last_valid_test_on"], pat["days_since_last_valid_test"]) == ("2026-11-23", 0)
    assert (pat["open_alerts"], pat["open_critical_alerts"]) == (2, 1)  # the 3.6 and the 1.4
    steady = rows["Steady Rise"]
    assert steady["last_inr"]["reading"] == "4.0" and steady["last_inr"]["level"] == "high"
    assert (steady["last_valid_test_on"], steady["days_since_last_valid_test"]) == ("2026-11-13", 10)
    assert steady["ttr"]["percent"] == pytest.approx(50.0)
    assert steady["patient"]["date_of_birth"] == "1948-06-01"
    assert rows["Quiet Patient"] == {"patient": {"id": str(quiet.public_id), "full_name": "Quiet Patient",
                                                 "date_of_birth": "1948-06-01"},
                                     "ttr": {"percent": None, "days_in_range": 0.0, "days_total": 0.0},
                                     "last_inr": None, "last_valid_test_on": None,
                                     "days_since_last_valid_test": None, "open_alerts": 0,
                                     "open_critical_alerts": 0}
    # The read is audited once, naming each patient shown; only the physician and an admin see the panel.
    assert len(audit_actions(app, steady_patient.public_id, "physician.panel.read")) == 1
    assert client.get(f"/physicians/{clinic.id('physician')}/panel", headers=clinic.headers["admin"]).status_code \
        == 200
    assert client.get(f"/physicians/{clinic.id('physician')}/panel",
                      headers=clinic.headers["other_physician"]).status_code == 404
    assert client.get(f"/physicians/{clinic.id('physician')}/panel",
                      headers=clinic.headers["caregiver"]).status_code == 403


def test_the_panel_flags_the_last_inr_against_the_range_in_force_then(app, client, clinic):
    from service import patients

    physician = clinic.users["physician"]
    factories.record_result(app, clinic.patient, physician, NOW, client_id="then", value=Decimal("3.2"),
                            measured_at=NOW - timedelta(days=3))
    with app.app_context():
        session = db.session()
        patients.set_target_range(session, session.merge(clinic.patient), session.merge(physician),
                                  Decimal("2.5"), Decimal("3.5"), "mechanical mitral valve", NOW)
    row = get(client, clinic, f"/physicians/{clinic.id('physician')}/panel")["patients"][0]
    assert (row["last_inr"]["reading"], row["last_inr"]["level"]) == ("3.2", "high")
