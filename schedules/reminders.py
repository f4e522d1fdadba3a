"""Reminders to test: the weekly one for each patient in home testing, once per billing week at a local day and time,
and a "test due" one when the next test falls due earlier than the weekly routine (after a critical value, after a
reading with no valid INR, or on a physician's date)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import outbox
from service.home_testing import patients_in_home_testing, recheck_candidates
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
    """
    queued = conflicts = due_queued = 0
    in_home_testing = []
    for patient, _periods in patients_in_home_testing(session, now):
        in_home_testing.append(patient)
        tz = zone_history(patient).at(now)
        week = zone_history(patient).week_of(now)
        offset = timedelta(days=WEEKDAYS.index(weekday or patient.practice.reminder_weekday))
        # Local wall time, not week start + hours: the reminder stays at 09:00 across a DST change.
        due = datetime.combine(week + offset, at or _clock(patient.practice.reminder_time), tzinfo=tz)
        if now < due:
            continue
        key = f"reminder.weekly:{patient.public_id}:{week.isoformat()}"
        message = outbox.enqueue(session, key=key, kind="reminder.weekly_test", now=now,
                                 recipient_user_id=patient.user_id, patient_id=patient.id,
                                 payload={"patient_id": str(patient.public_id), "week": week.isoformat(),
                                          "due_at": due.isoformat()})
        is_new = message in session.new
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another scheduler queued it first
            conflicts += 1
            continue
        queued += is_new
    if settings is not None:
        for patient in recheck_candidates(session, in_home_testing, now, settings.critical_thresholds, LOOKBACK):
            outcome = _remind_if_due(session, patient, now, at or _clock(patient.practice.reminder_time), settings)
            due_queued += outcome == "queued"
            conflicts += outcome == "conflict"
    return {"queued": queued, "due_queued": due_queued, "conflicts": conflicts}


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def _remind_if_due(session: Session, patient, now: datetime, at: time, settings: Settings) -> str | None:
    due = next_test(session, patient, settings)
    today = local_date(patient, now)
    if due is None or due.reason == WEEKLY or due.due_on > today or due.due_on < today - timedelta(days=1):
        return None
    tz = zone_history(patient).at(now)
    if now < datetime.combine(due.due_on, at, tzinfo=tz):
        return None
    message = outbox.enqueue(session, key=f"reminder.test_due:{patient.public_id}:{due.due_on.isoformat()}",
                             kind="reminder.test_due", now=now, recipient_user_id=patient.user_id,
                             patient_id=patient.id,
                             payload={"patient_id": str(patient.public_id), "due_on": due.due_on.isoformat(),
                                      "reason": due.reason})
    is_new = message in session.new
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return "conflict"
    return "queued" if is_new else None
