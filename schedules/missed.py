"""Missed-test detection: a week over with no counted test reminds the patient; two in a row alert the physician."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Patient
from service import audit, outbox
from service.home_testing import cleared_all_week, home_testing_batches, weeks_with_counted_test
from service.rules.billing_week import billing_week, week_bounds

_WEEK = timedelta(days=7)


def detect_missed_tests(session: Session, now: datetime) -> dict:
    """Judge the week that last ended in each patient's zone; weeks not fully cleared are never "missed".

    Set-based: per batch of patients, one query finds the weeks holding a counted test, one statement per 500
    reminders queues them (a key already queued, by an earlier run or another scheduler, is skipped), and only
    the patients with two missed weeks in a row are handled one by one (each in a savepoint). One commit a batch.
    """
    reminded = alerted = conflicts = 0
    for batch in home_testing_batches(session, now):
        due = []  # (patient, last week, the week before, whether that week was due too)
        for patient, periods in batch:
            last = billing_week(now, ZoneInfo(patient.time_zone)) - _WEEK
            if cleared_all_week(periods, last):
                due.append((patient, last, last - _WEEK, cleared_all_week(periods, last - _WEEK)))
        if not due:
            continue
        bounds = {patient.time_zone: (week_bounds(before, ZoneInfo(patient.time_zone))[0],
                                      week_bounds(last, ZoneInfo(patient.time_zone))[1])
                  for patient, last, before, _ in due}
        counted = weeks_with_counted_test(session, [patient for patient, *_ in due],
                                          min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values()))
        missed = [(patient, last, before, before_due and before not in counted.get(patient.id, ()))
                  for patient, last, before, before_due in due if last not in counted.get(patient.id, ())]
        reminded += len(outbox.enqueue_many(session, [
            {"dedupe_key": f"missed.week:{patient.public_id}:{last.isoformat()}", "kind": "reminder.missed_test",
             "recipient_user_id": patient.user_id, "patient_id": patient.id,
             "payload": {"patient_id": str(patient.public_id), "week": last.isoformat()}}
            for patient, last, _before, _alert in missed], now))
        for patient, last, before, two_in_a_row in missed:
            if not two_in_a_row:
                continue
            try:
                with session.begin_nested():
                    alerted += notify_physician_of_missed_weeks(session, patient, [before, last], now)
            except IntegrityError:
                conflicts += 1  # another scheduler wrote this alert first; the savepoint took ours back
        session.commit()
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
