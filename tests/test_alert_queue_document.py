"""The alert queue's document, pinned: for a seeded set of alerts of every kind, severity and status (escalated,
acknowledged, reviewed, closed by a correction or by a valid INR, missed tests, no valid result, an overdue
reassessment, the meter's "<0.8" and ">8.0"), `GET /alerts` answers byte for byte what
`alert_queue_document.json` holds, under each filter, page and caller, on both databases. Only the ids differ from
run to run: each is written as the order in which it first appears. The queue is read for speed (issue 16); this
is the document it must keep."""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from sqlalchemy import select

from models import AuditEvent, AuditEventPatient
from schedules.escalation import escalate_overdue_alerts
from schedules.jobs import Job, minute, run_job
from schedules.missed import detect_missed_tests
from service import db
from service.alerts import EscalationDelays
from tests import factories
from tests.conftest import NOW
from tests.factories import clear_clinic_patient, post_review, result_body
from tests.test_continued_use import cleared_patient, reassess
from tests.test_corrections import correct

PINNED = Path(__file__).with_name("alert_queue_document.json")
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DELAYS = EscalationDelays(critical=timedelta(minutes=30), out_of_range=timedelta(minutes=1440))
ALL = ("open", "acknowledged", "resolved")


def escalate(app, now):
    job = Job("alerts.escalate", partial(escalate_overdue_alerts, delays=DELAYS), minute, "interval")
    return run_job(app.extensions["db_sessionmaker"], job, now).outcome


def seed(app, client, clinic) -> None:
    """Alerts of every kind, severity and status, over three patients of two physicians, with results measured
    at three UTC offsets; `other_physician` covers `physician`."""
    h = clinic.headers
    # An overdue reassessment (Reese, physician's patient), opened on 2 Oct.
    cleared_patient(app, client, clinic)
    assert reassess(app, datetime(2026, 10, 2, 16, tzinfo=timezone.utc))["alerted"] == 1
    # Two missed weeks of Pat's, opened on 18 Oct.
    clear_clinic_patient(app, clinic, date(2026, 10, 4))
    with app.app_context():
        detect_missed_tests(db.session(), datetime(2026, 10, 18, 5, tzinfo=timezone.utc))
    factories.set_now(app, NOW)
    assert client.put(f"/physicians/{clinic.id('physician')}/covering-physician",
                      json={"covering_physician_id": clinic.id("other_physician")},
                      headers=h["admin"]).status_code == 200

    def result(client_id, who="patient", patient_id=None, **fields):
        body = {k: v for k, v in result_body(client_id=client_id, **fields).items() if v is not None}
        response = client.post(f"/patients/{patient_id or clinic.patient_id}/results", json=body, headers=h[who])
        assert response.status_code == 201, response.json
        return response.json

    # No valid result: a failed strip then a meter error (closed by a valid INR); two more later (open, below).
    result("nv-a", value=1.2, qc_passed=False, measured_at="2026-11-23T07:00:00-05:00")
    result("nv-b", value=1.3, meter_error_code="E-2", measured_at="2026-11-23T07:10:00-05:00")
    result("nv-c", value=2.4, measured_at="2026-11-23T07:20:00-05:00")
    # Flagged results: critical, escalated; out of range, acknowledged; one reviewed; one closed by its correction.
    critical = result("crit", value=1.4, measured_at="2026-11-23T09:30:00-05:00")
    high = result("high", value=3.6, measured_at="2026-11-23T09:35:00-05:00")
    low = result("low", value=1.8, measured_at="2026-11-23T09:40:00-05:00")
    typo = result("typo", value=1.2, measured_at="2026-11-23T09:45:00-05:00")
    corrected = correct(client, clinic, typo["id"], client_id="typo-fixed", value=1.9, reason="typed 1.2 for 1.9",
                        measured_at="2026-11-23T09:45:00-05:00")
    assert corrected.status_code == 201, corrected.json
    result("over", who="other_patient", patient_id=clinic.other_patient_id, value=None, reading=">8.0",
           measured_at="2026-11-23T16:00:00+01:00")
    factories.set_now(app, NOW + timedelta(minutes=10))
    assert client.post(f"/alerts/{high['alert']['id']}/acknowledge", headers=h["physician"]).status_code == 200
    assert post_review(client, clinic, [low["id"]]).status_code == 201
    assert escalate(app, NOW + timedelta(minutes=31))["escalated"] >= 1  # crit: to the covering physician
    factories.set_now(app, NOW + timedelta(minutes=32))
    under = result("under", value=None, reading="<0.8", measured_at="2026-11-23T14:30:00+00:00")
    result("nv-d", value=2.6, qc_passed=False, measured_at="2026-11-23T15:20:00+00:00")
    result("nv-e", value=None, meter_error_code="E-4", measured_at="2026-11-23T15:25:00+00:00")
    assert escalate(app, NOW + timedelta(minutes=63))["escalated"] >= 1  # crit: the practice; <0.8: covering
    assert critical["alert"] and under["alert"]
    factories.set_now(app, NOW + timedelta(hours=2))


def queue_reads(clinic) -> list[tuple[str, str, str]]:
    """(read, caller, path); the read names the path without its ids."""
    everything = "&".join(f"status={s}" for s in ALL)
    return [(f"{who} GET {path.replace(value, name) if value else path}", who, path) for who, path, value, name in [
        ("physician", "/alerts", None, None),
        ("physician", "/alerts?limit=500", None, None),
        ("physician", f"/alerts?limit=500&{everything}", None, None),
        ("physician", "/alerts?severity=critical&status=open&status=acknowledged", None, None),
        ("physician", "/alerts?severity=routine&status=open&status=resolved", None, None),
        ("physician", "/alerts?kind=no_valid_result&status=open&status=resolved", None, None),
        ("physician", "/alerts?kind=result&status=resolved", None, None),
        ("physician", f"/alerts?limit=3&offset=2&{everything}", None, None),
        ("physician", f"/alerts?patient_id={clinic.patient_id}&{everything}", clinic.patient_id, "<patient>"),
        ("physician", f"/alerts?patient_id={clinic.other_patient_id}", clinic.other_patient_id, "<other>"),
        ("other_physician", f"/alerts?{everything}", None, None),  # covering: both panels
        ("admin", f"/alerts?limit=500&{everything}", None, None),
        ("admin", f"/alerts?physician_id={clinic.id('other_physician')}&{everything}", clinic.id("other_physician"),
         "<other_physician>"),
    ]]


def test_the_alert_queue_answers_the_pinned_document_for_every_kind_severity_and_status(app, client, clinic):
    seed(app, client, clinic)
    bodies, seen = {}, {}
    for read, who, path in queue_reads(clinic):
        response = client.get(path, headers=clinic.headers[who])
        assert response.status_code == 200, (path, response.json)
        bodies[read] = response.data
    listed = client.get(f"/alerts?limit=500&{'&'.join(f'status={s}' for s in ALL)}",
                        headers=clinic.headers["admin"]).json["items"]
    for n, item in enumerate(listed):
        bodies[f"admin GET /alerts/<item {n}: {item['kind']} {item['severity']} {item['status']}>"] = client.get(
            f"/alerts/{item['id']}", headers=clinic.headers["admin"]).data

    def named(match: re.Match) -> bytes:
        return seen.setdefault(match.group(0), f"uuid-{len(seen) + 1:02d}".encode())

    pinned = {read: UUID.sub(named, body).decode() for read, body in bodies.items()}
    if os.environ.get("INR_PIN_ALERT_QUEUE"):  # writes the file from the code as it is, to compare later code with
        PINNED.write_text(json.dumps(pinned, indent=1, sort_keys=False) + "\n")
    expected = json.loads(PINNED.read_text())
    assert list(pinned) == list(expected)
    for read in expected:
        assert pinned[read] == expected[read], read


def test_the_queue_lists_each_alert_as_reading_it_alone_does_and_audits_each_patient_shown(app, client, clinic):
    seed(app, client, clinic)
    page = client.get(f"/alerts?limit=500&{'&'.join(f'status={s}' for s in ALL)}",
                      headers=clinic.headers["other_physician"]).json
    kinds = {(a["kind"], a["severity"], a["status"], a["resolution"]) for a in page["items"]}
    assert kinds == {("missed_tests", "routine", "open", None), ("reassessment_overdue", "routine", "open", None),
                     ("no_valid_result", "routine", "open", None), ("no_valid_result", "routine", "resolved",
                                                                    "valid_result"),
                     ("result", "critical", "open", None), ("result", "out_of_range", "open", None),
                     ("result", "out_of_range", "acknowledged", None), ("result", "out_of_range", "resolved",
                                                                         "review"),
                     ("result", "critical", "resolved", "corrected")}
    assert {a["escalation_level"] for a in page["items"]} == {0, 1, 2}
    assert {a["reading"] for a in page["items"]} >= {"<0.8", ">8.0", "1.4", "1.2", None}
    for item in page["items"]:
        alone = client.get(f"/alerts/{item['id']}", headers=clinic.headers["other_physician"])
        assert alone.status_code == 200 and alone.json == item
    with app.app_context():
        session = db.session()
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "alert.list")
                               .order_by(AuditEvent.id.desc()).limit(1))
        linked = set(session.scalars(select(AuditEventPatient.patient_id).where(
            AuditEventPatient.event_id == event.id)))
    assert event.detail == {"count": len(page["items"])}
    assert {str(p) for p in linked} == {a["patient"]["id"] for a in page["items"]} and len(linked) == 3
    for who in ("patient", "caregiver", "trainer", "biller"):
        assert client.get("/alerts", headers=clinic.headers[who]).status_code == 403
