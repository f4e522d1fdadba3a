"""Patient summary and panel TTR through the API, against hand-worked Rosendaal examples."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditEvent, Patient
from service import db, patients
from tests import factories
from tests.conftest import NOW
from tests.factories import clear_clinic_patient, post_result, post_review


def patient_with(app, clinic, name, created_days_ago, results, range_changes=()):
    """A patient of `clinic`'s physician, created days ago, with results (days ago, value) and range changes."""
    created = NOW - timedelta(days=created_days_ago)
    patient = factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], created, full_name=name)
    for days_ago, low, high in range_changes:
        with app.app_context():
            session = db.session()
            patients.set_target_range(session, session.merge(patient), session.merge(clinic.users["physician"]),
                                      Decimal(low), Decimal(high), "changed", NOW - timedelta(days=days_ago))
    with app.app_context():  # a fresh copy: the one above still holds the range list as first created
        patient = db.session().get(Patient, patient.id)
        assert patient.target_ranges and patient.user is None
    for days_ago, value in results:
        factories.record_result(app, patient, clinic.users["physician"], NOW, client_id=f"{name}-{days_ago}",
                                value=Decimal(value), measured_at=NOW - timedelta(days=days_ago))
    return patient


def summary(client, clinic, patient, **query):
    response = client.get(f"/patients/{patient.public_id}/summary", query_string=query,
                          headers=clinic.headers["physician"])
    assert response.status_code == 200, response.json
    return response.json


def test_ttr_evaluates_each_day_against_the_range_then_in_force(app, client, clinic):
    # 2.0 -> 4.0 over ten days. Days 0-5 (INR 2.0 -> 3.0) fall under 2.0-3.0: all five in range. The range
    # becomes 2.5-3.5 on day 5; days 5-10 (3.0 -> 4.0) are in range until INR 3.5, i.e. 2.5 days. 7.5 / 10.
    patient = patient_with(app, clinic, "Range Change", 30, [(20, "2.0"), (10, "4.0")], [(15, "2.5", "3.5")])
    ttr = summary(client, clinic, patient)["ttr"]
    assert ttr == {"percent": pytest.approx(75.0), "days_in_range": pytest.approx(7.5), "days_total": 10.0}


def test_ttr_does_not_interpolate_across_a_gap_longer_than_56_days(app, client, clinic):
    # 85 -> 25 days ago is a 60-day gap: skipped. 25 -> 15 days ago runs 2.5 -> 3.5, in range up to 3.0: 5 of 10.
    patient = patient_with(app, clinic, "Long Gap", 100, [(85, "2.5"), (25, "2.5"), (15, "3.5")])
    ttr = summary(client, clinic, patient)["ttr"]
    assert ttr == {"percent": pytest.approx(50.0), "days_in_range": pytest.approx(5.0), "days_total": 10.0}
    # A 20-day window keeps only days 20 -> 15 ago, where the INR runs 3.0 -> 3.5: in range at one instant only.
    narrow = summary(client, clinic, patient, window_days=20)["ttr"]
    assert narrow == {"percent": 0.0, "days_in_range": 0.0, "days_total": 5.0}


def test_the_gap_limit_is_configurable(app, client, clinic):
    factories.reconfigure(app, ttr_max_gap_days=70)
    patient = patient_with(app, clinic, "Long Gap", 100, [(85, "2.5"), (25, "2.5"), (15, "3.5")])
    assert summary(client, clinic, patient)["ttr"]["days_total"] == 70.0


def test_panel_ttr_weights_patients_by_interpolated_days(app, client, clinic):
    patient_with(app, clinic, "Range Change", 30, [(20, "2.0"), (10, "4.0")], [(15, "2.5", "3.5")])
    patient_with(app, clinic, "Long Gap", 100, [(85, "2.5"), (25, "2.5"), (15, "3.5")])
    url = f"/physicians/{clinic.id('physician')}/panel-ttr"
    panel = client.get(url, headers=clinic.headers["physician"]).json
    assert panel["panel"] == {"percent": pytest.approx(62.5), "days_in_range": pytest.approx(12.5),
                              "days_total": 20.0}
    assert {p["patient"]["full_name"]: p["ttr"]["percent"] for p in panel["patients"]} == \
        {"Range Change": pytest.approx(75.0), "Long Gap": pytest.approx(50.0), "Pat Example": None}
    assert client.get(url, headers=clinic.headers["admin"]).status_code == 200
    assert client.get(url, headers=clinic.headers["other_physician"]).status_code == 404
    assert client.get(url, headers=clinic.headers["patient"]).status_code == 403


def test_failed_strips_meter_errors_and_corrected_values_stay_out_of_the_ttr(app, client, clinic):
    # Valid 2.5 twenty and ten days ago; in between a failed strip and a meter error read high. Five days ago
    # 6.0 was keyed in and corrected to 2.5. Only valid INRs are interpolated: 15 days, all in range.
    patient = patient_with(app, clinic, "Kept Apart", 30, [(20, "2.5"), (10, "2.5")])
    factories.make_result(app, patient, NOW - timedelta(days=15), value="7.9", qc_passed=False)
    factories.make_result(app, patient, NOW - timedelta(days=12), value="7.5", meter_error="E-406")
    wrong = factories.make_result(app, patient, NOW - timedelta(days=5), value="6.0")
    factories.make_result(app, patient, NOW - timedelta(days=5), value="2.5", supersedes=wrong)
    expected = {"percent": 100.0, "days_in_range": 15.0, "days_total": 15.0}
    assert summary(client, clinic, patient)["ttr"] == expected
    panel = client.get(f"/physicians/{clinic.id('physician')}/panel-ttr", headers=clinic.headers["physician"]).json
    assert next(p["ttr"] for p in panel["patients"] if p["patient"]["full_name"] == "Kept Apart") == expected
    # The results themselves are all kept and listed.
    listed = client.get(f"/patients/{patient.public_id}/results", headers=clinic.headers["physician"]).json
    assert len(listed["items"]) == 6


def test_summary_shows_latest_trend_adherence_and_next_test(app, client, clinic):
    clear_clinic_patient(app, clinic, date(2026, 11, 1))
    post_result(client, clinic, client_id="w1", value=2.2, measured_at="2026-11-03T09:00:00-05:00")
    post_result(client, clinic, client_id="w3", value=3.3, measured_at="2026-11-17T09:00:00-05:00")
    doc = summary(client, clinic, clinic.patient)
    # Weeks of Nov 1, 8, 15 have passed (tested in two); the running week of Nov 22 is not yet missed.
    assert doc["adherence"] == {"since": "2026-11-01", "weeks_expected": 3, "weeks_tested": 2,
                                "percent": pytest.approx(66.667, abs=0.01)}
    assert doc["latest"]["client_id"] == "w3" and [r["client_id"] for r in doc["trend"]] == ["w1", "w3"]
    assert doc["next_test_due"] == "2026-11-24"
    assert doc["open_alerts"] == 1
    today = post_result(client, clinic, client_id="w4", value=2.5).json
    doc = summary(client, clinic, clinic.patient, trend=1)
    assert (doc["adherence"]["weeks_expected"], doc["adherence"]["weeks_tested"]) == (4, 3)
    assert [r["client_id"] for r in doc["trend"]] == ["w4"]
    assert doc["next_test_due"] == "2026-11-30"
    post_review(client, clinic, [today["id"]], next_test_date="2026-12-03")
    assert summary(client, clinic, clinic.patient)["next_test_due"] == "2026-12-03"


def test_a_summary_without_results_is_empty_not_an_error(client, clinic):
    doc = summary(client, clinic, clinic.patient)
    assert doc["latest"] is None and doc["trend"] == [] and doc["next_test_due"] is None
    assert doc["ttr"] == {"percent": None, "days_in_range": 0.0, "days_total": 0.0}
    assert doc["adherence"] == {"since": None, "weeks_expected": 0, "weeks_tested": 0, "percent": None}


def _history(app, clinic, name, rng, *, created_days_ago=200, range_changes=(), past_ranges=(), zones=(),
             source="app"):
    """A patient with ~a year of results every 3-12 days (gaps past 56 days now and then) measured in several UTC
    offsets, ranges set at `range_changes` (days ago, low, high, set that day), ranges of before enrolment
    (`past_ranges`: days ago in force from), time-zone changes (days ago, zone) and results of `source`."""
    physician = clinic.users["physician"]
    patient = factories.make_patient(app, clinic.users["admin"], physician, NOW - timedelta(days=created_days_ago),
                                     full_name=name)
    def change(what, *args, **kwargs):
        with app.app_context():  # one session each: a merged patient keeps its range list as first loaded
            session = db.session()
            what(session, session.get(Patient, patient.id), session.merge(physician), *args, **kwargs)

    for days_ago, low, high in past_ranges:
        change(patients.set_target_range, Decimal(low), Decimal(high), "history",
               NOW - timedelta(days=created_days_ago), effective_from=NOW - timedelta(days=days_ago))
    for days_ago, low, high in range_changes:
        change(patients.set_target_range, Decimal(low), Decimal(high), "changed", NOW - timedelta(days=days_ago))
    for days_ago, zone in zones:
        change(patients.set_time_zone, zone, "moved", NOW - timedelta(days=days_ago))
    offsets = [timezone(timedelta(hours=h)) for h in (-5, -8, 0, 5.5)]
    days_ago = 420.0
    while days_ago > 0.5:
        days_ago -= rng.choice((3, 7, 7, 7, 12, 60)) + rng.random()
        measured = (NOW - timedelta(days=max(days_ago, 0.2))).astimezone(rng.choice(offsets))
        value = rng.choice(("0.8", "8.0", f"{rng.randint(10, 50) / 10:.1f}"))
        kind = rng.random()
        if kind < 0.08:
            factories.make_result(app, patient, measured, value=value, qc_passed=False, source=source)
        elif kind < 0.14:
            factories.make_result(app, patient, measured, value=value, meter_error="E-5", source=source)
        elif kind < 0.22:
            wrong = factories.make_result(app, patient, measured, value=value, source=source)
            factories.make_result(app, patient, measured, value=f"{rng.randint(15, 40) / 10:.1f}", source=source,
                                  supersedes=wrong)
        else:
            factories.make_result(app, patient, measured, value=value, source=source)
    return patient


@pytest.mark.parametrize("query", [{}, {"window_days": 365},
                                   {"from": "2026-03-01", "to": "2026-10-15"}])
def test_the_panel_gives_each_patient_exactly_the_rules_own_ttr(app, client, clinic, query):
    """The panel reads its results in one query; each figure is still what the rule gives for that patient alone
    (and what the rule as first written, all in Fractions, gave), to the last bit."""
    import random

    from models import InrResult
    from service import summary as summary_domain
    from service.rules.history_import import IMPORT_SOURCE
    from service.rules.ttr import time_in_therapeutic_range
    from tests.rules.ttr_reference import reference_ttr

    rng = random.Random(16)
    _history(app, clinic, "Corrected Often", rng)
    _history(app, clinic, "Range History", rng, range_changes=[(150, "2.5", "3.5"), (40, "2.0", "3.0")],
             past_ranges=[(380, "1.5", "2.5")])
    _history(app, clinic, "Brought In", rng, created_days_ago=100, past_ranges=[(300, "2.5", "3.5")],
             source=IMPORT_SOURCE)
    _history(app, clinic, "Moved West", rng, zones=[(120, "America/Los_Angeles"), (30, "Asia/Kolkata")])
    max_gap = app.extensions["settings"].ttr_max_gap_days
    for path in ("panel-ttr", "panel"):
        panel = client.get(f"/physicians/{clinic.id('physician')}/{path}", query_string=query,
                           headers=clinic.headers["physician"]).json
        start, end = (datetime.fromisoformat(panel[k]) for k in ("window_start", "window_end"))
        figures = {row["patient"]["full_name"]: row["ttr"] for row in panel["patients"]}
        with app.app_context():
            session = db.session()
            for patient in session.scalars(select(Patient).where(Patient.physician_id == clinic.users["physician"].id)):
                everything = list(session.scalars(select(InrResult).where(InrResult.patient_id == patient.id)))
                points = summary_domain.ttr_points(everything)
                ranges = summary_domain.target_range_periods(patient)
                expected = time_in_therapeutic_range(points, ranges, start, end, max_gap)
                assert expected == reference_ttr(points, ranges, start, end, max_gap)
                assert figures[patient.full_name] == {"percent": expected.percent,
                                                      "days_in_range": expected.days_in_range,
                                                      "days_total": expected.days_total}, patient.full_name
        assert sum(1 for ttr in figures.values() if ttr["percent"] not in (None, 0.0, 100.0)) >= 3  # not vacuous


def test_a_panel_read_is_one_audit_event_that_each_patients_trail_finds(app, client, clinic):
    """Who read patient X's data, and when: the answer includes the panel reads that showed X among others."""
    other = factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW, full_name="Other One")
    for path, action in (("panel-ttr", "physician.panel_ttr.read"), ("panel", "physician.panel.read")):
        assert client.get(f"/physicians/{clinic.id('physician')}/{path}",
                          headers=clinic.headers["physician"]).status_code == 200
        with app.app_context():
            events = list(db.session().scalars(select(AuditEvent).where(AuditEvent.action == action)))
        assert len(events) == 1
        for patient_id in (clinic.patient.public_id, other.public_id):
            trail = client.get("/audit-events", query_string={"patient_id": str(patient_id), "action": action},
                               headers=clinic.headers["admin"]).json["items"]
            assert [(e["id"], e["actor_id"], e["object_id"]) for e in trail] == [
                (events[0].id, str(clinic.users["physician"].public_id), str(clinic.users["physician"].public_id))]
    # A patient of another physician was not shown, and their trail says so.
    stranger = factories.make_patient(app, clinic.users["admin"], clinic.users["other_physician"], NOW,
                                      full_name="Not Shown")
    assert client.get("/audit-events", query_string={"patient_id": str(stranger.public_id),
                                                     "action": "physician.panel.read"},
                      headers=clinic.headers["admin"]).json["items"] == []


def test_the_links_of_a_read_to_its_patients_are_append_only(app, client, clinic):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    assert client.get(f"/physicians/{clinic.id('physician')}/panel-ttr",
                      headers=clinic.headers["physician"]).status_code == 200
    for statement in ("DELETE FROM audit_event_patients", "UPDATE audit_event_patients SET event_id = event_id"):
        with app.app_context():
            session = db.session()
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(text(statement))
            session.rollback()
