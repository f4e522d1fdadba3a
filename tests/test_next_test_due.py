"""When the next test is due, as the app and reminders see it (domain.md, "When the next test is due"), and the
physician's next test date bounded to a year (issue 10 #6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from models import OutboxMessage
from schedules.reminders import send_weekly_reminders
from service import db
from tests import factories
from tests.conftest import NOW
from tests.factories import clear_clinic_patient, post_result, post_review


def due(response) -> tuple:
    return response.json["next_test_due"], response.json["next_test_reason"]


def test_a_critical_value_shortens_the_next_test_to_three_days_and_a_normal_one_keeps_the_week(client, clinic):
    assert due(post_result(client, clinic, client_id="a", value=5.4)) == ("2026-11-26", "critical_recheck")
    assert due(post_result(client, clinic, client_id="b", value=2.5, measured_at="2026-11-23T09:40:00-05:00")) == (
        "2026-11-30", "weekly")


def test_a_meter_reading_beyond_its_range_is_critical_for_the_next_test(client, clinic):
    body = {"client_id": "hi", "reading": ">8.0", "measured_at": "2026-11-23T09:30:00-05:00", "qc_passed": True}
    response = client.post(f"/patients/{clinic.patient_id}/results", json=body, headers=clinic.headers["patient"])
    assert due(response) == ("2026-11-26", "critical_recheck")


def test_the_patients_own_range_then_decides_what_is_critical(app, client, clinic):
    # An On-X valve: 1.5-2.0 from 15:00 UTC. A 1.5 is what the physician asked for (weekly); a 1.4 is critical.
    client.post(f"/patients/{clinic.patient_id}/target-ranges", json={"low": 1.5, "high": 2.0, "reason": "On-X"},
                headers=clinic.headers["physician"])
    factories.set_now(app, NOW + timedelta(hours=2))
    assert due(post_result(client, clinic, client_id="a", value=1.5, measured_at="2026-11-23T10:10:00-05:00")) == (
        "2026-11-30", "weekly")
    assert due(post_result(client, clinic, client_id="b", value=1.4, measured_at="2026-11-23T10:20:00-05:00")) == (
        "2026-11-26", "critical_recheck")
    # A 1.5 measured before the range changed (uploaded late) was judged against 2.0-3.0 then: critical.
    late = post_result(client, clinic, client_id="c", value=1.5, measured_at="2026-11-23T09:50:00-05:00")
    assert late.json["flag"]["level"] == "critical_low"
    assert due(late) == ("2026-11-26", "critical_recheck")  # the latest reading (b, 10:20) decides
    # A mitral valve, 2.5-3.5: a 2.2 is low but not critical (the week).
    client.post(f"/patients/{clinic.patient_id}/target-ranges", json={"low": 2.5, "high": 3.5, "reason": "mitral"},
                headers=clinic.headers["physician"])
    factories.set_now(app, NOW + timedelta(hours=4))
    assert due(post_result(client, clinic, client_id="d", value=2.2, measured_at="2026-11-23T12:30:00-05:00")) == (
        "2026-11-30", "weekly")


def test_the_cadence_numbers_are_configuration(app, client, clinic):
    factories.reconfigure(app, next_test_after_critical_days=2, next_test_weekly_days=14)
    assert due(post_result(client, clinic, client_id="a", value=5.4)) == ("2026-11-25", "critical_recheck")
    assert due(post_result(client, clinic, client_id="b", value=2.5, measured_at="2026-11-23T09:40:00-05:00")) == (
        "2026-12-07", "weekly")


def test_the_physicians_instruction_is_in_force_until_a_valid_inr_on_or_after_its_date(app, client, clinic):
    low = post_result(client, clinic, client_id="a", value=1.8).json
    review = post_review(client, clinic, [low["id"]], next_test_date="2026-11-27")
    assert review.status_code == 201
    summary = client.get(f"/patients/{clinic.patient_id}/summary", headers=clinic.headers["patient"]).json
    assert (summary["next_test_due"], summary["next_test_reason"]) == ("2026-11-27", "physician_instruction")
    # A failed strip the next day: retest that day, earlier than the instruction.
    factories.set_now(app, NOW + timedelta(days=1))
    assert due(post_result(client, clinic, client_id="b", value=2.0, qc_passed=False,
                           measured_at="2026-11-24T09:00:00-05:00")) == ("2026-11-24", "retest_invalid")
    # A valid in-range retest still before the date: the instruction holds.
    assert due(post_result(client, clinic, client_id="c", value=2.4, measured_at="2026-11-24T09:30:00-05:00")) == (
        "2026-11-27", "physician_instruction")
    # The instructed test done: the weekly cadence from it.
    factories.set_now(app, datetime(2026, 11, 27, 15, tzinfo=timezone.utc))
    assert due(post_result(client, clinic, client_id="d", value=2.4, measured_at="2026-11-27T09:00:00-05:00")) == (
        "2026-12-04", "weekly")


def test_a_next_test_date_lies_within_a_year_saying_why(client, clinic):
    result = post_result(client, clinic, value=2.4).json
    far = post_review(client, clinic, [result["id"]], next_test_date="9999-12-31")
    assert far.status_code == 422
    later = post_review(client, clinic, [result["id"]], next_test_date="2027-11-24")
    assert later.status_code == 422
    assert later.json["errors"]["next_test_date"] == [
        "Must be within a year (by 2027-11-23): a later date is no plan for weekly home monitoring."]
    assert post_review(client, clinic, [result["id"]], next_test_date="2027-11-23").status_code == 201


def reminders(app, now):
    with app.app_context():
        session = db.session()
        return send_weekly_reminders(session, now, settings=app.extensions["settings"])


def due_messages(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session().scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder.test_due")))


def test_reminders_tell_the_patient_when_a_test_falls_due_earlier_than_the_week(app, client, clinic):
    clear_clinic_patient(app, clinic, date(2026, 11, 1))
    post_result(client, clinic, value=5.4)  # Monday 23 Nov: due Thursday 26 Nov
    # Thursday 08:59 local: not yet; 09:00: the reminder, once.
    assert reminders(app, datetime(2026, 11, 26, 13, 59, tzinfo=timezone.utc))["due_queued"] == 0
    assert reminders(app, datetime(2026, 11, 26, 14, 0, tzinfo=timezone.utc))["due_queued"] == 1
    assert reminders(app, datetime(2026, 11, 26, 18, 0, tzinfo=timezone.utc))["due_queued"] == 0
    [message] = due_messages(app)
    assert message.dedupe_key == f"reminder.test_due:{clinic.patient_id}:2026-11-26"
    assert message.payload == {"patient_id": clinic.patient_id, "due_on": "2026-11-26", "reason": "critical_recheck"}
    assert message.recipient_user_id == clinic.users["patient"].id


def test_a_reading_with_no_valid_inr_is_reminded_the_same_day_and_a_weekly_due_day_is_left_to_the_weekly_reminder(
        app, client, clinic):
    clear_clinic_patient(app, clinic, date(2026, 11, 1))
    post_result(client, clinic, client_id="ok", value=2.5, measured_at="2026-11-22T09:00:00-05:00")
    assert reminders(app, datetime(2026, 11, 29, 16, tzinfo=timezone.utc))["due_queued"] == 0  # weekly: no extra
    post_result(client, clinic, client_id="bad", value=2.5, qc_passed=False)
    assert reminders(app, NOW)["due_queued"] == 1
    assert [m.payload["reason"] for m in due_messages(app)] == ["retest_invalid"]


def test_patients_not_in_home_testing_get_no_test_due_reminder(app, client, clinic):
    factories.record_result(app, clinic.patient, clinic.users["patient"], NOW, value=Decimal("5.4"))
    assert reminders(app, datetime(2026, 11, 26, 15, tzinfo=timezone.utc))["due_queued"] == 0
