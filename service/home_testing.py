"""Home testing as a weekly duty: who is in home testing on their local date, and which weeks hold a counted test."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import ClearanceDecision, InrResult, Patient
from service.care_episode import care_periods_by_patient
from service.clearance import periods_by_patient
from service.patients import local_date
from service.results import valid_inr_clause
from service.rules.billing_week import billing_week
from service.rules.counting import ClearancePeriod

BATCH_SIZE = 2000  # patients per batch: a few queries each, whatever the size of the clinic


def home_testing_batches(session: Session, now: datetime,
                         size: int = BATCH_SIZE) -> Iterator[list[tuple[Patient, list[ClearancePeriod]]]]:
    """Patients cleared on their own local date of `now` and not past their end of care, with their periods,
    `size` patients at a time (a handful of queries per batch, none per patient)."""
    ids = list(session.scalars(
        select(Patient.id).where(exists().where(ClearanceDecision.patient_id == Patient.id)).order_by(Patient.id)))
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        periods_of = periods_by_patient(session, chunk)
        care_of = care_periods_by_patient(session, chunk)
        batch = []
        for patient in session.scalars(select(Patient).where(Patient.id.in_(chunk)).order_by(Patient.id)):
            today = local_date(patient, now)
            if not any(period.covers(today) for period in care_of[patient.id]):
                continue  # out of care: ended, and not resumed
            periods = periods_of[patient.id]
            if any(period.covers(today) for period in periods):
                batch.append((patient, periods))
        yield batch


def patients_in_home_testing(session: Session, now: datetime) -> Iterator[tuple[Patient, list[ClearancePeriod]]]:
    """Patients cleared on their own local date of `now` and not past their end of care, with their periods."""
    for batch in home_testing_batches(session, now):
        yield from batch


def cleared_all_week(periods: Sequence[ClearancePeriod], week: date) -> bool:
    """Cleared from the week's Sunday through its Saturday: only then was a test due that week."""
    return any(p.covers(week) and p.covers(date.fromordinal(week.toordinal() + 6)) for p in periods)


def weeks_with_counted_test(session: Session, patients: Sequence[Patient], start: datetime,
                            end: datetime) -> dict[int, set[date]]:
    """For each of `patients` (by id), the local billing weeks holding a valid result measured in [start, end).

    Valid: not superseded, QC passed, no meter error. In a week the patient was cleared all week, that is
    exactly "the week holds a result that counts" under the counting rule (service.rules.counting): the first
    valid result of a week counts, and clearance covers every day of it. One query for all of them.
    """
    zones = {patient.id: ZoneInfo(patient.time_zone) for patient in patients}
    if not zones:
        return {}
    rows = session.execute(
        select(InrResult.patient_id, InrResult.measured_at)
        .where(InrResult.patient_id.in_(list(zones)), InrResult.measured_at >= start, InrResult.measured_at < end,
               valid_inr_clause()))
    weeks: dict[int, set[date]] = defaultdict(set)
    for patient_id, measured_at in rows:
        weeks[patient_id].add(billing_week(measured_at, zones[patient_id]))
    return weeks
