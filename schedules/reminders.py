"""Reminders to test: the weekly one for each patient in home testing, once per billing week at a local day and time,
and a "test due" one when the next test falls due earlier than the weekly routine (after a critical value, after a
reading with no valid INR, or on a physician's date)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from service import outbox
from service.home_testing import home_testing_batches, recheck_candidates
from service.patients import local_date, zone_history
from service.results import next_test
from service.rules.next_test import WEEKLY
from service.settings import WEEKDAYS, Settings

LOOKBACK = timedelta(days=8)  # a reading this recent can still move the next test earlier than the weekly routine


def send_weekly_reminders(session: Session, now: datetime, *, weekday: str | None = None, at: time | None = None,
                          settings: Settings | None = None) -> dict:
    """Queue "reminder.weekly:<patient>:<week>" once the local reminder time of the current week has come: the
    weekday and time the patient's practice chose (or `weekday` and `at` for all), in the patient's own zone.

    A late run (scheduler down on Sunday) still reminds later that week; the key keeps it to one per week.
    With `settings`, also queue "reminder.test_due:<patient>:<day>" once the reminder time of a day has come on
    which the next test falls due for another reason than the weekly cadence (service.rules.next_test).

    A page of patients at a time (service.home_testing): their messages queued in one statement, one commit a
    page. A key already queued, by an earlier run or another scheduler at the same time, is skipped and not
    counted.
    """
    queued = due_queued = 0
    for batch in home_testing_batches(session, now):
        patients = [patient for patient, _periods in batch]
        weekly = [message for message in (_weekly(patient, now, weekday, at) for patient in patients) if message]
        test_due = []
        if settings is not None:
            for patient in recheck_candidates(session, patients, now, settings.critical_thresholds, LOOKBACK):
                message = _test_due(session, patient, now, at or _clock(patient.practice.reminder_time), settings)
                if message:
                    test_due.append(message)
        queued += len(outbox.enqueue_many(session, weekly, now))
        due_queued += len(outbox.enqueue_many(session, test_due, now))
        session.commit()
    return {"queued": queued, "due_queued": due_queued}


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def _weekly(patient, now: datetime, weekday: str | None, at: time | None) -> dict | None:
    """The patient's weekly reminder of the current week, once its local day and time have come."""
    tz = zone_history(patient).at(now)
    week = zone_history(patient).week_of(now)
    offset = timedelta(days=WEEKDAYS.index(weekday or patient.practice.reminder_weekday))
    # Local wall time, not week start + hours: the reminder stays at 09:00 across a DST change.
    due = datetime.combine(week + offset, at or _clock(patient.practice.reminder_time), tzinfo=tz)
    if now < due:
        return None
    return {"dedupe_key": f"reminder.weekly:{patient.public_id}:{week.isoformat()}", "kind": "reminder.weekly_test",
            "recipient_user_id": patient.user_id, "patient_id": patient.id,
            "payload": {"patient_id": str(patient.public_id), "week": week.isoformat(), "due_at": due.isoformat()}}


def _test_due(session: Session, patient, now: datetime, at: time, settings: Settings) -> dict | None:
    """The patient's "test due" reminder of today (or yesterday, for a late run), once its local time has come."""
    due = next_test(session, patient, settings)
    today = local_date(patient, now)
    if due is None or due.reason == WEEKLY or due.due_on > today or due.due_on < today - timedelta(days=1):
        return None
    tz = zone_history(patient).at(now)
    if now < datetime.combine(due.due_on, at, tzinfo=tz):
        return None
    return {"dedupe_key": f"reminder.test_due:{patient.public_id}:{due.due_on.isoformat()}",
            "kind": "reminder.test_due", "recipient_user_id": patient.user_id, "patient_id": patient.id,
            "payload": {"patient_id": str(patient.public_id), "due_on": due.due_on.isoformat(),
                        "reason": due.reason}}
