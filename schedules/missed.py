"""Missed-test detection: a week over with no counted test reminds the patient; two in a row alert the physician."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Patient
from service import audit, outbox
from service.rules.billing_week import billing_week
from service.testing import cleared_all_week, patients_in_home_testing, weeks_with_counted_test

_WEEK = timedelta(days=7)


def detect_missed_tests(session: Session, now: datetime) -> dict:
    """Judge the week that last ended in each patient's zone; weeks not fully cleared are never "missed"."""
    reminded = alerted = conflicts = 0
    for patient, periods in patients_in_home_testing(session, now):
        last = billing_week(now, ZoneInfo(patient.time_zone)) - _WEEK
        before = last - _WEEK
        if not cleared_all_week(periods, last):
            continue
        counted = weeks_with_counted_test(session, patient, [before, last], periods)
        if last in counted:
            continue
        message = outbox.enqueue(
            session, key=f"missed.week:{patient.public_id}:{last.isoformat()}", kind="reminder.missed_test",
            now=now, recipient_user_id=patient.user_id, patient_id=patient.id,
            payload={"patient_id": str(patient.public_id), "week": last.isoformat()})
        new_reminder = message in session.new
        new_alert = False
        if cleared_all_week(periods, before) and before not in counted:
            new_alert = notify_physician_of_missed_weeks(session, patient, [before, last], now)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another scheduler wrote these first
            conflicts += 1
            continue
        reminded += new_reminder
        alerted += new_alert
    return {"reminded": reminded, "alerted": alerted, "conflicts": conflicts}


def notify_physician_of_missed_weeks(session: Session, patient: Patient, weeks: list[date], now: datetime) -> bool:
    """Tell the physician of record that `weeks` (consecutive, oldest first) had no counted test.

    Keyed by the latest week, so each week that ends a run of two or more missed weeks notifies once.
    Returns whether a new notification was queued. The caller commits.
    """
    latest = max(weeks)
    message = outbox.enqueue(
        session, key=f"missed.two_weeks:{patient.public_id}:{latest.isoformat()}", kind="alert.missed_tests",
        now=now, recipient_user_id=patient.physician_id, patient_id=patient.id,
        payload={"patient_id": str(patient.public_id), "weeks": [w.isoformat() for w in sorted(weeks)]})
    if message not in session.new:
        return False
    audit.record(session, "patient.missed_tests.notify", patient_id=patient.public_id, object_type="outbox_message",
                 object_id=message.dedupe_key, detail={"weeks": [w.isoformat() for w in sorted(weeks)]}, now=now)
    return True
