"""Escalation of unacknowledged alerts: by severity delay, to the covering physician then the practice, once."""

from __future__ import annotations

import threading
from datetime import timedelta
from functools import partial

from sqlalchemy import select

from models import Alert, AlertEvent, OutboxMessage
from schedules.escalation import escalate_overdue_alerts
from schedules.jobs import Job, minute, run_job
from service import alerts as alerts_domain
from service import db
from service.alerts import EscalationDelays
from tests.conftest import NOW
from tests.factories import count_rows, post_result

DELAYS = EscalationDelays(critical=timedelta(minutes=30), out_of_range=timedelta(minutes=1440))


def run(app, now):
    """Run the job as the scheduler does: claim the minute, then escalate (None when already claimed)."""
    job = Job("alerts.escalate", partial(escalate_overdue_alerts, delays=DELAYS), minute, "interval")
    return run_job(app.extensions["db_sessionmaker"], job, now).outcome


def escalations(app):
    with app.app_context():
        return [(m.dedupe_key, m.recipient_user_id) for m in db.session().scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "alert.escalated").order_by(OutboxMessage.id))]


def cover(client, clinic):
    client.put(f"/physicians/{clinic.id('physician')}/covering-physician",
               json={"covering_physician_id": clinic.id("other_physician")}, headers=clinic.headers["admin"])


def test_a_critical_alert_escalates_to_the_practice_after_its_delay_when_no_one_covers(app, client, clinic):
    alert_id = post_result(client, clinic, value=1.2).json["alert"]["id"]
    assert run(app, NOW + timedelta(minutes=29))["escalated"] == 0
    assert run(app, NOW + timedelta(minutes=30))["escalated"] == 1
    assert escalations(app) == [(f"alert.escalated:{alert_id}:2", None)]


def test_running_the_job_twice_escalates_once(app, client, clinic):
    post_result(client, clinic, value=1.2)
    first = run(app, NOW + timedelta(minutes=45))
    again_same_minute = run(app, NOW + timedelta(minutes=45))
    again_later = run(app, NOW + timedelta(minutes=46))
    assert (first["escalated"], again_same_minute, again_later["escalated"]) == (1, None, 0)
    assert len(escalations(app)) == 1
    assert count_rows(app, AlertEvent, AlertEvent.kind == "escalated") == 1


def test_with_a_covering_physician_the_alert_goes_there_first_then_to_the_practice(app, client, clinic):
    cover(client, clinic)
    alert_id = post_result(client, clinic, value=6.1).json["alert"]["id"]
    run(app, NOW + timedelta(minutes=30))
    assert escalations(app) == [(f"alert.escalated:{alert_id}:1", clinic.users["other_physician"].id)]
    seen = client.get("/alerts", headers=clinic.headers["other_physician"]).json["items"]
    assert [(a["id"], a["escalation_level"], a["escalated_to"]["id"]) for a in seen] == \
        [(alert_id, 1, clinic.id("other_physician"))]
    run(app, NOW + timedelta(minutes=59))
    assert len(escalations(app)) == 1  # the covering physician gets their own full delay
    run(app, NOW + timedelta(minutes=60))
    run(app, NOW + timedelta(days=3))
    assert [key for key, _ in escalations(app)] == [f"alert.escalated:{alert_id}:1", f"alert.escalated:{alert_id}:2"]


def test_out_of_range_alerts_wait_a_day_and_acknowledged_ones_never_escalate(app, client, clinic):
    low = post_result(client, clinic, client_id="low", value=1.8).json["alert"]["id"]
    critical = post_result(client, clinic, client_id="crit", value=1.1).json["alert"]["id"]
    client.post(f"/alerts/{critical}/acknowledge", headers=clinic.headers["physician"])
    assert run(app, NOW + timedelta(hours=23))["escalated"] == 0
    outcome = run(app, NOW + timedelta(hours=24))
    assert [a["alert_id"] for a in outcome["alerts"]] == [low]


def test_the_scheduler_escalates_with_the_delays_of_the_environment():
    from schedules.jobs import job_table
    from service.settings import Settings

    settings = Settings.from_environment({"INR_ESCALATE_CRITICAL_MINUTES": "10",
                                          "INR_ESCALATE_OUT_OF_RANGE_MINUTES": "120"})
    job = next(job for job in job_table(settings) if job.id == "alerts.escalate")
    assert job.func.keywords["delays"] == EscalationDelays(timedelta(minutes=10), timedelta(minutes=120))


def test_two_processes_escalating_at_once_escalate_once(app, client, clinic):
    post_result(client, clinic, value=1.2)
    factory = app.extensions["db_sessionmaker"]
    barrier, outcomes, errors = threading.Barrier(4), [], []

    def escalate():
        with factory() as session:
            barrier.wait()
            try:
                outcomes.append(alerts_domain.escalate_due(session, NOW + timedelta(hours=1), DELAYS))
            except Exception as exc:  # a lock timeout would show up here; the assertion names it
                errors.append(repr(exc))

    threads = [threading.Thread(target=escalate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(len(o) for o in outcomes) == 1
    assert len(escalations(app)) == 1
    with app.app_context():
        assert db.session().scalar(select(Alert)).escalation_level == 2
