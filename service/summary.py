"""What a physician sees at a glance: a patient's latest INR, trend, TTR, adherence; a panel's TTR and figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, select, union_all
from sqlalchemy.orm import Session, selectinload

from models import Alert, InrResult, Patient, TtrInterval, User
from models.results import valid_inr_clause
from service import audit
from service import results as results_domain
from service.clearance import clearance_periods
from service.errors import invalid
from service.patients import local_date, target_range_at, zone_history
from service.rules import flags
from service.rules.billing_week import billing_week, weeks_between
from service.rules.next_test import NextTest
from service.rules.period import PeriodError, period
from service.rules.readings import is_valid_inr, superseded_ids
from service.rules.ttr import (
    ClippedPiece,
    RangePeriod,
    Ttr,
    TtrPoint,
    panel_ttr,
    time_in_therapeutic_range,
    ttr_of_pieces,
    window_micros,
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
    critical: flags.CriticalThresholds

    @property
    def next_test_due(self) -> date | None:
        return self.next_test.due_on if self.next_test else None

    @property
    def next_test_reason(self) -> str | None:
        return self.next_test.reason if self.next_test else None


def chosen_period(query: dict, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The period a query chose (`window_days`, or `start` and `end` from `from` and `to`), or a 422."""
    try:
        return period(now, zone, window_days=query.get("window_days"), start=query.get("start"),
                      end=query.get("end"))
    except PeriodError as exc:
        raise invalid({exc.field: [str(exc)]}) from None


def target_range_periods(patient: Patient) -> list[RangePeriod]:
    return [RangePeriod(r.effective_from, Decimal(r.low), Decimal(r.high)) for r in patient.target_ranges]


def patient_ttr(patient: Patient, points: list[TtrPoint], start: datetime, end: datetime, max_gap_days: int) -> Ttr:
    return time_in_therapeutic_range(points, target_range_periods(patient), start, end, max_gap_days)


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


def patient_summary(session: Session, patient: Patient, settings: Settings, now: datetime, chosen: dict,
                    trend_size: int) -> Summary:
    """The summary, its TTR over the period `chosen` (see `chosen_period`)."""
    start, end = chosen_period(chosen, zone_history(patient).at(now), now)
    everything = results_domain.patient_results(session, patient)
    recent = everything[-trend_size:]
    views = results_domain.describe(session, patient, recent, settings)
    open_alerts = session.scalar(select(func.count()).select_from(Alert).where(
        Alert.patient_id == patient.id, Alert.status != "resolved")) or 0
    summary = Summary(
        latest=views[-1] if views else None, trend=views, window_start=start, window_end=end,
        ttr=patient_ttr(patient, ttr_points(everything), start, end, settings.ttr_max_gap_days),
        adherence=adherence(session, patient, everything, now),
        next_test=views[-1].next_test if views else results_domain.next_test(session, patient, settings),
        open_alerts=open_alerts, critical=settings.critical_thresholds)
    return summary


@dataclass(frozen=True)
class PatientTtr:
    patient: Patient | Row  # a row of its id, public_id and full_name is all the TTR listing names
    ttr: Ttr


@dataclass(frozen=True)
class PanelTtr:
    physician: User
    window_start: datetime
    window_end: datetime
    panel: Ttr
    patients: list[PatientTtr]


def _panel_ttrs(session: Session, physician: User, patients: Sequence[Patient | Row], start: datetime,
                end: datetime, max_gap_days: int) -> list[PatientTtr]:
    """Each of `patients` (the physician's) with their TTR over [start, end], from the intervals kept at write time
    (service.ttr_intervals): the pieces wholly inside the window summed in SQL per patient and denominator (exact
    integers), and the few a window's end cuts (at most two a patient) measured by the rule."""
    gap = timedelta(days=max_gap_days)
    kept = TtrInterval.span_us <= gap // timedelta(microseconds=1)
    mine = Patient.physician_id == physician.id
    sums: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for patient_id, den, num, length in session.execute(
            select(TtrInterval.patient_id, TtrInterval.in_range_den, func.sum(TtrInterval.in_range_num),
                   func.sum(TtrInterval.length_us))
            .join(Patient, Patient.id == TtrInterval.patient_id)
            .where(mine, kept, TtrInterval.piece_from >= start, TtrInterval.piece_to <= end)
            .group_by(TtrInterval.patient_id, TtrInterval.in_range_den)).all():
        sums[patient_id].append((den, int(num), int(length)))
    clipped: dict[int, list[ClippedPiece]] = defaultdict(list)
    # A kept piece is no longer than the gap: one cut by an end starts less than the gap before it. One select per
    # end, so that each is a short range of the index per patient (an OR of the two is read by a full scan).
    ends = [select(TtrInterval.patient_id, TtrInterval.starts_at, TtrInterval.ends_at, TtrInterval.starts_value,
                   TtrInterval.ends_value, TtrInterval.piece_from, TtrInterval.piece_to, TtrInterval.low,
                   TtrInterval.high)
            .join(Patient, Patient.id == TtrInterval.patient_id)
            .where(mine, kept, TtrInterval.piece_from > moment - gap, TtrInterval.piece_from < moment,
                   TtrInterval.piece_to > moment, *since) for moment, since in (
                       (start, ()), (end, (TtrInterval.piece_from >= start,)))]  # one cut by both ends: once
    for row in session.execute(union_all(*ends)).all():
        clipped[row[0]].append(ClippedPiece._make(row[1:]))  # INR columns come as Decimal on both engines
    window = window_micros(start, end)
    return [PatientTtr(p, ttr_of_pieces(sums.get(p.id, ()), clipped.get(p.id, ()), window)) for p in patients]


def _audit_panel_read(session: Session, action: str, physician: User, rows, now: datetime) -> None:
    # One event for the whole panel, linked to every patient whose results were read: each patient's trail
    # still shows who read their data and when, without a thousand rows per page view.
    audit.record(session, action, object_type="user", object_id=physician.public_id, now=now,
                 detail={"patients": len(rows)}, patient_ids=[row.patient.public_id for row in rows])
    session.commit()


def physician_panel_ttr(session: Session, physician: User, now: datetime, chosen: dict,
                        max_gap_days: int) -> PanelTtr:
    """Each patient's TTR and the panel's over the period `chosen` (a date is a UTC day: one window for all)."""
    start, end = chosen_period(chosen, ZoneInfo("UTC"), now)
    patients = session.execute(select(Patient.id, Patient.public_id, Patient.full_name)
                               .where(Patient.physician_id == physician.id).order_by(Patient.full_name, Patient.id))
    per_patient = _panel_ttrs(session, physician, patients.all(), start, end, max_gap_days)
    _audit_panel_read(session, "physician.panel_ttr.read", physician, per_patient, now)
    return PanelTtr(physician, start, end, panel_ttr({row.patient.id: row.ttr for row in per_patient}), per_patient)


@dataclass(frozen=True)
class LastInr:
    """A patient's latest valid INR, flagged against the range in force when it was measured."""

    result_id: object
    reading: str
    measured_at: datetime
    offset_minutes: int
    level: str


@dataclass(frozen=True)
class PanelPatient:
    patient: Patient
    ttr: Ttr
    last_inr: LastInr | None
    last_valid_test_on: date | None
    days_since_last_valid_test: int | None
    open_alerts: int
    open_critical_alerts: int


@dataclass(frozen=True)
class Panel:
    physician: User
    window_start: datetime
    window_end: datetime
    panel: Ttr
    patients: list[PanelPatient]


def _latest_valid_inrs(session: Session, physician: User) -> dict[int, object]:
    """Each of the physician's patients' latest valid INR row, in one query."""
    ranked = (select(InrResult.patient_id, InrResult.public_id, InrResult.measured_at,
                     InrResult.measured_utc_offset_minutes, InrResult.value, InrResult.comparator,
                     func.row_number().over(partition_by=InrResult.patient_id,
                                            order_by=(InrResult.measured_at.desc(), InrResult.id.desc()))
                     .label("newest"))
              .join(Patient, Patient.id == InrResult.patient_id)
              .where(Patient.physician_id == physician.id, valid_inr_clause())
              .subquery())
    return {row.patient_id: row for row in session.execute(select(ranked).where(ranked.c.newest == 1))}


def _open_alert_counts(session: Session, physician: User) -> dict[int, dict[str, int]]:
    """Unresolved alerts of the physician's patients, by patient and severity, in one query."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for patient_id, severity, count in session.execute(
            select(Alert.patient_id, Alert.severity, func.count()).join(Patient, Patient.id == Alert.patient_id)
            .where(Patient.physician_id == physician.id, Alert.status != "resolved")
            .group_by(Alert.patient_id, Alert.severity)):
        counts[patient_id][severity] = count
    return counts


def physician_panel(session: Session, physician: User, now: datetime, chosen: dict, settings: Settings) -> Panel:
    """The panel page in one request: per patient the TTR over the period `chosen`, the latest valid INR, the
    days since it (in the patient's own calendar) and the unresolved alerts; and the panel's TTR."""
    start, end = chosen_period(chosen, ZoneInfo("UTC"), now)
    patients = session.scalars(select(Patient).where(Patient.physician_id == physician.id)
                               .order_by(Patient.full_name, Patient.id).options(selectinload(Patient.target_ranges)))
    per_patient = _panel_ttrs(session, physician, patients.all(), start, end, settings.ttr_max_gap_days)
    latest = _latest_valid_inrs(session, physician)
    alert_counts = _open_alert_counts(session, physician)
    rows = []
    for row in per_patient:
        patient, found, last = row.patient, latest.get(row.patient.id), None
        tested_on = days_since = None
        if found is not None:
            in_force = target_range_at(patient, found.measured_at)
            flag = flags.flag_inr(Decimal(found.value), found.comparator,
                                  flags.TherapeuticRange(Decimal(in_force.low), Decimal(in_force.high)),
                                  settings.critical_thresholds)
            last = LastInr(found.public_id, flag.reading, found.measured_at, found.measured_utc_offset_minutes,
                           flag.level)
            tested_on = local_date(patient, found.measured_at)
            days_since = (local_date(patient, now) - tested_on).days
        counts = alert_counts.get(patient.id, {})
        rows.append(PanelPatient(patient, row.ttr, last, tested_on, days_since, sum(counts.values()),
                                 counts.get("critical", 0)))
    _audit_panel_read(session, "physician.panel.read", physician, rows, now)
    return Panel(physician, start, end, panel_ttr({row.patient.id: row.ttr for row in rows}), rows)
