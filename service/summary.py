"""What a physician sees at a glance: a patient's latest INR, trend, TTR, adherence; a panel's TTR."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import Alert, InrResult, Patient, User
from service import audit
from service import results as results_domain
from service.clearance import clearance_periods
from service.patients import local_date, zone_history
from service.rules.billing_week import billing_week, weeks_between
from service.rules.next_test import NextTest
from service.rules.readings import is_valid_inr, superseded_ids
from service.rules.ttr import (
    RangePeriod,
    Ttr,
    TtrPoint,
    panel_ttr,
    reading_window,
    time_in_therapeutic_range,
)
from service.settings import Settings


@dataclass(frozen=True)
class Adherence:
    since: date | None
    weeks_expected: int
    weeks_tested: int

    @property
    def percent(self) -> float | None:
        return 100 * self.weeks_tested / self.weeks_expected if self.weeks_expected else None


@dataclass(frozen=True)
class Summary:
    latest: results_domain.ResultView | None
    trend: list[results_domain.ResultView]
    window_start: datetime
    window_end: datetime
    ttr: Ttr
    adherence: Adherence
    next_test: NextTest | None
    open_alerts: int

    @property
    def next_test_due(self) -> date | None:
        return self.next_test.due_on if self.next_test else None

    @property
    def next_test_reason(self) -> str | None:
        return self.next_test.reason if self.next_test else None


def patient_ttr(patient: Patient, points: list[TtrPoint], start: datetime, end: datetime, max_gap_days: int) -> Ttr:
    ranges = [RangePeriod(r.effective_from, Decimal(r.low), Decimal(r.high)) for r in patient.target_ranges]
    return time_in_therapeutic_range(points, ranges, start, end, max_gap_days)


def ttr_points(results: list[InrResult]) -> list[TtrPoint]:
    """The valid INRs among all of a patient's results (corrections included)."""
    superseded = superseded_ids(results)
    return [TtrPoint(r.measured_at, Decimal(r.value)) for r in results
            if is_valid_inr(r.qc_passed, r.meter_error_code, r.id in superseded)]


def adherence(session: Session, patient: Patient, results: list[InrResult], now: datetime) -> Adherence:
    """Weeks with a valid INR out of weeks expected, from the week of clearance (or of the first result), each
    week judged in the zone in force then. A week whose only readings are failed strips, meter errors or
    corrected entries was not tested.

    The current week is expected only once it has a test: it is not missed while it is still running.
    """
    zones = zone_history(patient)
    periods = clearance_periods(session, patient)
    if periods:
        since = periods[0].start
    elif results:
        since = local_date(patient, results[0].measured_at)
    else:
        return Adherence(None, 0, 0)
    first_week = billing_week(datetime.combine(since, time(12), tzinfo=zones.at(now)), zones.at(now))
    this_week = zones.week_of(now)
    weeks = set(weeks_between(first_week, this_week))
    superseded = superseded_ids(results)
    tested = {zones.week_of(r.measured_at) for r in results
              if is_valid_inr(r.qc_passed, r.meter_error_code, r.id in superseded)} & weeks
    expected = len(weeks) - (0 if this_week in tested else 1)
    return Adherence(since, max(expected, 0), len(tested))


def patient_summary(session: Session, patient: Patient, settings: Settings, now: datetime, window_days: int,
                    trend_size: int) -> Summary:
    everything = results_domain.patient_results(session, patient)
    recent = everything[-trend_size:]
    views = results_domain.describe(session, patient, recent, settings)
    start = now - timedelta(days=window_days)
    open_alerts = session.scalar(select(func.count()).select_from(Alert).where(
        Alert.patient_id == patient.id, Alert.status != "resolved")) or 0
    summary = Summary(
        latest=views[-1] if views else None, trend=views, window_start=start, window_end=now,
        ttr=patient_ttr(patient, ttr_points(everything), start, now, settings.ttr_max_gap_days),
        adherence=adherence(session, patient, everything, now),
        next_test=views[-1].next_test if views else results_domain.next_test(session, patient, settings),
        open_alerts=open_alerts)
    return summary


@dataclass(frozen=True)
class PatientTtr:
    patient: Patient
    ttr: Ttr


@dataclass(frozen=True)
class PanelTtr:
    physician: User
    window_start: datetime
    window_end: datetime
    panel: Ttr
    patients: list[PatientTtr]


def physician_panel_ttr(session: Session, physician: User, now: datetime, window_days: int,
                        max_gap_days: int) -> PanelTtr:
    start = now - timedelta(days=window_days)
    patients = list(session.scalars(select(Patient).where(Patient.physician_id == physician.id)
                                    .order_by(Patient.full_name, Patient.id)
                                    .options(selectinload(Patient.target_ranges))))
    # Every patient's results in one query (as plain rows), not one query per patient: a panel has ~1,000.
    # Only those that can touch the window; whether one was corrected is looked up over all results.
    earliest, latest = reading_window(start, now, max_gap_days)
    readings: dict[int, list[TtrPoint]] = defaultdict(list)
    for row in session.execute(select(InrResult.patient_id, InrResult.measured_at, InrResult.value)
                               .join(Patient, Patient.id == InrResult.patient_id)
                               .where(Patient.physician_id == physician.id, InrResult.measured_at > earliest,
                                      InrResult.measured_at < latest, results_domain.valid_inr_clause())
                               .order_by(InrResult.patient_id, InrResult.measured_at, InrResult.id)):
        readings[row.patient_id].append(TtrPoint(row.measured_at, Decimal(row.value)))
    per_patient = [PatientTtr(p, patient_ttr(p, readings[p.id], start, now, max_gap_days)) for p in patients]
    for row in per_patient:  # each patient's results were read: each gets its audit event
        audit.record(session, "physician.panel_ttr.read", patient_id=row.patient.public_id, object_type="user",
                     object_id=physician.public_id, now=now)
    session.commit()
    return PanelTtr(physician, start, now, panel_ttr({row.patient.id: row.ttr for row in per_patient}), per_patient)
