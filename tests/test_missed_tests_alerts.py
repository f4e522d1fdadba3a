"""Missed tests on the dashboard (domain.md, "Missed tests on the dashboard"): two consecutive weeks with no valid
result open one routine "missed tests" alert per gap in the physician's alert list, with acknowledge and
escalation; the webhook notification goes on as before."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import OutboxMessage, Patient
from schedules.escalation import escalate_overdue_alerts
from schedules.missed import detect_missed_tests
from service import db
from service.alerts import EscalationDelays
from service.home_testing import WeeksWithCountedTest
from tests import factories
from tests.factories import clear_clinic_patient

NEW_YORK = ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def judge(app, now):
    with app.app_context():
        return detect_missed_tests(db.session(), now)


def missed_alerts(client, clinic, **query):
    response = client.get("/alerts", query_string={"kind": "missed_tests", **query},
                          headers=clinic.headers["physician"])
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_two_missed_weeks_open_one_alert_per_gap_in_the_dashboards_list(app, client, clinic):
    clear_clinic_patient(app, clinic, date(2026, 10, 4))
    assert judge(app, utc(2026, 10, 11, 5)) == {"reminded": 1, "alerted": 0, "conflicts": 0}  # one week: reminded
    assert missed_alerts(client, clinic) == []
    assert judge(app, utc(2026, 10, 18, 5)) == {"reminded": 1, "alerted": 1, "conflicts": 0}
    [alert] = missed_alerts(client, clinic)
    assert (alert["kind"], alert["severity"], alert["reason"], alert["result_id"], alert["reading"]) == (
        "missed_tests", "routine", "two_missed_weeks", None, None)
    assert alert["detail"] == {"weeks": ["2026-10-04", "2026-10-11"]}
    assert alert["patient"]["id"] == clinic.patient_id and alert["physician"]["id"] == clinic.id("physician")

    # A third missed week: the same gap, the same alert (the webhook still says the gap goes on).
    judge(app, utc(2026, 10, 25, 5))
    assert [a["id"] for a in missed_alerts(client, clinic)] == [alert["id"]]
    with app.app_context():
        notes = list(db.session().scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert.missed_tests")
                                          .order_by(OutboxMessage.id)))
    assert [n.payload["alert_id"] for n in notes] == [alert["id"], alert["id"]]
    assert [n.payload["gap_since"] for n in notes] == ["2026-10-04", "2026-10-04"]

    # A valid test ends the gap; two more missed weeks are a new gap and a new alert.
    factories.make_result(app, clinic.patient, datetime(2026, 10, 27, 9, tzinfo=NEW_YORK))
    judge(app, utc(2026, 11, 1, 5))  # the week of 25 Oct was tested
    judge(app, utc(2026, 11, 8, 6))
    judge(app, utc(2026, 11, 15, 6))
    gaps = sorted(a["detail"]["weeks"][0] for a in missed_alerts(client, clinic))
    assert gaps == ["2026-10-04", "2026-11-01"]


def test_a_missed_tests_alert_is_acknowledged_and_escalates_like_any_routine_alert(app, client, clinic):
    clear_clinic_patient(app, clinic, date(2026, 10, 4))
    judge(app, utc(2026, 10, 11, 5))
    opened_at = utc(2026, 10, 18, 5)
    judge(app, opened_at)
    [alert] = missed_alerts(client, clinic)
    delays = EscalationDelays(timedelta(minutes=30), timedelta(minutes=1440))
    with app.app_context():
        assert escalate_overdue_alerts(db.session(), opened_at + timedelta(minutes=1439), delays)["escalated"] == 0
        assert escalate_overdue_alerts(db.session(), opened_at + timedelta(minutes=1440), delays)["escalated"] == 1
        [message] = db.session().scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert.escalated"))
        assert message.payload["kind"] == "missed_tests" and message.payload["result_id"] is None
    acknowledged = client.post(f"/alerts/{alert['id']}/acknowledge", headers=clinic.headers["physician"])
    assert acknowledged.status_code == 200 and acknowledged.json["status"] == "acknowledged"
    assert missed_alerts(client, clinic) == [] and len(missed_alerts(client, clinic, status="acknowledged")) == 1
    assert client.post(f"/alerts/{alert['id']}/acknowledge",
                       headers=clinic.headers["other_physician"]).status_code == 404


def test_a_week_with_only_a_failed_strip_is_missed(app, client, clinic):
    clear_clinic_patient(app, clinic, date(2026, 10, 4))
    factories.make_result(app, clinic.patient, datetime(2026, 10, 6, 9, tzinfo=NEW_YORK), qc_passed=False)
    factories.make_result(app, clinic.patient, datetime(2026, 10, 13, 9, tzinfo=NEW_YORK), meter_error="E-1")
    judge(app, utc(2026, 10, 11, 5))
    assert judge(app, utc(2026, 10, 18, 5))["alerted"] == 1


def test_the_weeks_with_a_counted_test_are_read_in_one_pass_patient_by_patient(app, clinic):
    """The missed-test job asks batch after batch (ascending ids) from one streamed query: each batch gets its own
    patients' weeks, patients never asked for are passed over, and a failed strip counts for no week."""
    admin, physician = clinic.users["admin"], clinic.users["physician"]
    now = utc(2026, 10, 20, 12)
    first, skipped, last = (factories.make_patient(app, admin, physician, now, full_name=f"Weekly {i}")
                            for i in range(3))
    factories.make_result(app, first, datetime(2026, 10, 6, 9, tzinfo=NEW_YORK))  # week of 4 Oct
    factories.make_result(app, skipped, datetime(2026, 10, 13, 9, tzinfo=NEW_YORK))
    factories.make_result(app, last, datetime(2026, 10, 13, 9, tzinfo=NEW_YORK))  # week of 11 Oct
    factories.make_result(app, last, datetime(2026, 10, 7, 9, tzinfo=NEW_YORK), qc_passed=False)
    with app.app_context():
        session = db.session()
        first, last = session.get(Patient, first.id), session.get(Patient, last.id)
        with WeeksWithCountedTest(session, utc(2026, 10, 1), now) as weeks:
            assert weeks.of([first]) == {first.id: {date(2026, 10, 4)}}
            assert weeks.of([last]) == {last.id: {date(2026, 10, 11)}}
            assert weeks.of([]) == {}
