"""The weekly test reminder: each patient in home testing, once per billing week, at a local day and time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import outbox
from service.home_testing import patients_in_home_testing
from service.rules.billing_week import billing_week
from service.settings import WEEKDAYS


def send_weekly_reminders(session: Session, now: datetime, *, weekday: str = "sunday", at: time = time(9, 0)) -> dict:
    """Queue "reminder.weekly:<patient>:<week>" once the local reminder time of the current week has come.

    A late run (scheduler down on Sunday) still reminds later that week; the key keeps it to one per week.
    """
    offset = timedelta(days=WEEKDAYS.index(weekday))
    queued = conflicts = 0
    for patient, _periods in patients_in_home_testing(session, now):
        tz = ZoneInfo(patient.time_zone)
        week = billing_week(now, tz)
        # Local wall time, not week start + hours: the reminder stays at 09:00 across a DST change.
        due = datetime.combine(week + offset, at, tzinfo=tz)
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
    return {"queued": queued, "conflicts": conflicts}
