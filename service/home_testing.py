"""Home testing as a weekly duty: who is in home testing on their local date, and which weeks hold a counted test."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from models import ClearanceDecision, InrResult, Patient, Review
from models.results import superseded_clause, valid_inr_clause
from service.care_episode import care_periods_by_patient
from service.clearance import periods_by_patient
from service.patients import local_date, zone_history
from service.rules.counting import ClearancePeriod
from service.rules.flags import CriticalThresholds
from service.rules.missed_tests import cleared_all_week

__all__ = ["cleared_all_week", "home_testing_batches", "last_tested_week", "recheck_candidates",
           "WeeksWithCountedTest"]

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


class WeeksWithCountedTest:
    """The local billing weeks holding a valid result measured in [start, end), patient by patient, each judged in
    the zone in force when it was measured.

    Valid: not superseded, QC passed, no meter error. In a week the patient was cleared all week, that is
    exactly "the week holds a result that counts" under the counting rule (service.rules.counting): the first
    valid result of a week counts, and clearance covers every day of it.

    One query for the whole clinic, in patient order, streamed on a connection of its own (so that the caller
    can commit between batches) and read as far as each batch of patients needs. Asked once a batch, the same
    query was answered by reading the whole clinic's weeks by the time index for each batch: work growing with
    the square of the clinic. In (patient, time) order it reads the index of that order once.
    """

    def __init__(self, session: Session, start: datetime, end: datetime) -> None:
        self._session, self._start, self._end = session, start, end

    def __enter__(self) -> WeeksWithCountedTest:
        query = (select(InrResult.patient_id, InrResult.measured_at)
                 .where(InrResult.measured_at >= self._start, InrResult.measured_at < self._end, valid_inr_clause())
                 .order_by(InrResult.patient_id, InrResult.measured_at))  # the order of their index (0022)
        self._reader = self._session.get_bind().connect()
        rows = self._reader.execution_options(stream_results=True, yield_per=BATCH_SIZE).execute(query)
        self._rows = iter(rows)
        self._next = next(self._rows, None)
        return self

    def __exit__(self, *_exc) -> None:
        self._reader.close()

    def of(self, patients: Sequence[Patient]) -> dict[int, set[date]]:
        """For each of `patients` (by id), its weeks. Each call must ask for higher ids than the one before: the
        rows of lower ids, and of patients never asked for, are passed over."""
        zones = {patient.id: zone_history(patient) for patient in patients}
        weeks: dict[int, set[date]] = defaultdict(set)
        if not zones:
            return weeks
        last_id = max(zones)
        while self._next is not None and self._next.patient_id <= last_id:
            patient_id, measured_at = self._next
            if patient_id in zones:
                weeks[patient_id].add(zones[patient_id].week_of(measured_at))
            self._next = next(self._rows, None)
        return weeks


def last_tested_week(session: Session, patient: Patient, before: datetime) -> date | None:
    """The latest billing week (in the zone in force then) holding a valid result measured before `before`."""
    measured_at = session.scalar(select(func.max(InrResult.measured_at)).where(
        InrResult.patient_id == patient.id, InrResult.measured_at < before, valid_inr_clause()))
    return zone_history(patient).week_of(measured_at) if measured_at else None


def recheck_candidates(session: Session, patients: Sequence[Patient], now: datetime,
                       thresholds: CriticalThresholds, lookback: timedelta) -> list[Patient]:
    """Those of `patients` whose next test may be due earlier than the weekly routine: a reading in the last
    `lookback` that is no valid INR or a value at a critical threshold, or a physician's next test date within a
    day of now. Two queries; service.results.next_test then decides for each of these few."""
    ids = [patient.id for patient in patients]
    if not ids:
        return []
    flagged = select(InrResult.patient_id).where(
        InrResult.patient_id.in_(ids), InrResult.measured_at >= now - lookback, ~superseded_clause(),
        or_(InrResult.qc_passed.is_(False), InrResult.meter_error_code.is_not(None), InrResult.comparator.is_not(None),
            InrResult.value <= thresholds.low, InrResult.value >= thresholds.high))
    today = now.astimezone(timezone.utc).date()
    instructed = select(Review.patient_id).where(
        Review.patient_id.in_(ids), Review.next_test_date.between(today - timedelta(days=1), today + timedelta(days=1)))
    chosen = set(session.scalars(flagged)) | set(session.scalars(instructed))
    return [patient for patient in patients if patient.id in chosen]
