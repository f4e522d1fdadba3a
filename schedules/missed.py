"""Missed-test detection: a week over with no counted test reminds the patient; two in a row open a "missed tests"
alert for the physician of record (one per gap, in the dashboard's alert list) and notify them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Alert, Patient
from service import alerts, audit, outbox
from service.home_testing import WeeksWithCountedTest, cleared_all_week, home_testing_batches, last_tested_week
from service.patients import zone_history
from service.rules.billing_week import week_bounds
from service.rules.counting import ClearancePeriod
from service.rules.missed_tests import TWO_MISSED_WEEKS, alerts_physician, missed_gap

_WEEK = timedelta(days=7)
_MARGIN = timedelta(days=2)  # a week judged in an earlier zone may start or end up to 26 hours apart
# The two weeks judged begin at most three weeks (and a DST hour) before now in any zone, and a result judged in
# an earlier zone may lie a margin outside them: the results read lie in this much before now.
_WEEKS_JUDGED = 3 * _WEEK + 2 * _MARGIN


def detect_missed_tests(session: Session, now: datetime) -> dict:
    """Judge the week that last ended in each patient's zone (weeks judged in the zone in force then); weeks not
    fully cleared are never "missed".

    Set-based: one query, streamed, finds the weeks holding a counted test for the whole clinic (read batch by
    batch); per batch of patients, one statement per 500 reminders queues them (a key already queued, by an
    earlier run or another scheduler, is skipped), and only the patients with two missed weeks in a row are
    handled one by one (each in a savepoint). One commit a batch.
    """
    reminded = alerted = conflicts = 0
    with WeeksWithCountedTest(session, now - _WEEKS_JUDGED, now + _MARGIN) as counted_weeks:
        for batch in home_testing_batches(session, now):
            due = []  # (patient, periods, last week, the week before, whether that week was due too)
            for patient, periods in batch:
                last = zone_history(patient).week_of(now) - _WEEK
                if cleared_all_week(periods, last):
                    due.append((patient, periods, last, last - _WEEK, cleared_all_week(periods, last - _WEEK)))
            if not due:
                continue
            counted = counted_weeks.of([patient for patient, *_ in due])
            missed = [(patient, periods, last, before, before_due and before not in counted.get(patient.id, ()))
                      for patient, periods, last, before, before_due in due
                      if last not in counted.get(patient.id, ())]
            reminded += len(outbox.enqueue_many(session, [
                {"dedupe_key": f"missed.week:{patient.public_id}:{last.isoformat()}",
                 "kind": "reminder.missed_test", "recipient_user_id": patient.user_id, "patient_id": patient.id,
                 "payload": {"patient_id": str(patient.public_id), "week": last.isoformat()}}
                for patient, _periods, last, _before, _alert in missed], now))
            for patient, periods, last, before, two_in_a_row in missed:
                if not two_in_a_row:
                    continue
                try:
                    with session.begin_nested():
                        alerted += notify_physician_of_missed_weeks(session, patient, periods, [before, last], now)
                except IntegrityError:
                    conflicts += 1  # another scheduler wrote this alert first; the savepoint took ours back
            session.commit()
    return {"reminded": reminded, "alerted": alerted, "conflicts": conflicts}


def notify_physician_of_missed_weeks(session: Session, patient: Patient, periods: list[ClearancePeriod],
                                     weeks: list[date], now: datetime) -> bool:
    """Open the "missed tests" alert of the gap that `weeks` (the last two, consecutive, oldest first) end, and
    tell the physician of record.

    The alert is keyed by the gap's first week: one per gap however long it runs. The notification is keyed by
    the latest week, so each week that ends a run of two or more missed weeks notifies once (naming the gap's
    alert). Returns whether a new notification was queued. The caller commits.
    """
    latest = max(weeks)
    end_of_latest = week_bounds(latest, zone_history(patient).at(now))[1]
    gap = missed_gap(latest, last_tested_week(session, patient, end_of_latest), periods)
    if not alerts_physician(gap):  # only if the zone moved across these very weeks: the two weeks judged
        gap = tuple(sorted(weeks))
    alert = alerts.open_missed_tests(session, patient, gap, TWO_MISSED_WEEKS, now)
    if alert is None:
        alert = session.scalar(select(Alert).where(Alert.alert_key == f"missed_tests:{patient.public_id}:{gap[0]}"))
    message = outbox.enqueue(
        session, key=f"missed.two_weeks:{patient.public_id}:{latest.isoformat()}", kind="alert.missed_tests",
        now=now, recipient_user_id=patient.physician_id, patient_id=patient.id,
        payload={"patient_id": str(patient.public_id), "weeks": [w.isoformat() for w in sorted(weeks)],
                 "alert_id": str(alert.public_id) if alert else None, "gap_since": gap[0].isoformat()})
    if message not in session.new:
        return False
    audit.record(session, "patient.missed_tests.notify", patient_id=patient.public_id, object_type="outbox_message",
                 object_id=message.dedupe_key, detail={"weeks": [w.isoformat() for w in sorted(weeks)]}, now=now)
    return True
