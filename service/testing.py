"""The weekly testing duty: who is in home testing on their local date, and which weeks hold a counted test."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from models import ClearanceDecision, InrResult, Patient
from models.claims import PatientDischarge
from service.clearance import clearance_periods
from service.rules.billing_week import week_bounds
from service.rules.counting import ClearancePeriod, ResultForCounting, count_weekly_tests


def patients_in_home_testing(session: Session, now: datetime) -> Iterator[tuple[Patient, list[ClearancePeriod]]]:
    """Patients cleared on their own local date of `now` and not past their end of care, with their periods."""
    discharges = {d.patient_id: d.effective_on for d in session.scalars(select(PatientDischarge))}
    candidates = session.scalars(
        select(Patient).where(exists().where(ClearanceDecision.patient_id == Patient.id)).order_by(Patient.id))
    for patient in candidates:
        today = now.astimezone(ZoneInfo(patient.time_zone)).date()
        if patient.id in discharges and discharges[patient.id] < today:
            continue
        periods = clearance_periods(session, patient)
        if any(period.covers(today) for period in periods):
            yield patient, periods


def cleared_all_week(periods: Sequence[ClearancePeriod], week: date) -> bool:
    """Cleared from the week's Sunday through its Saturday: only then was a test due that week."""
    return any(p.covers(week) and p.covers(date.fromordinal(week.toordinal() + 6)) for p in periods)


def weeks_with_counted_test(session: Session, patient: Patient, weeks: Sequence[date],
                            periods: Sequence[ClearancePeriod]) -> set[date]:
    """Which of `weeks` (local Sundays) hold a result that counts, judged by the billing counting rule."""
    if not weeks:
        return set()
    tz = ZoneInfo(patient.time_zone)
    start, end = week_bounds(min(weeks), tz)[0], week_bounds(max(weeks), tz)[1]
    correction = aliased(InrResult)
    rows = session.execute(
        select(InrResult, exists().where(correction.supersedes_id == InrResult.id))
        .where(InrResult.patient_id == patient.id, InrResult.measured_at >= start, InrResult.measured_at < end))
    decisions = count_weekly_tests(
        [ResultForCounting(str(r.public_id), r.measured_at, r.qc_passed, r.meter_error_code, r.source == "phone",
                           bool(superseded)) for r, superseded in rows], periods, tz)
    return {d.week for d in decisions if d.counts} & set(weeks)
