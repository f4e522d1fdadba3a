"""The result aggregate: recording home INR results once (idempotent by client id), and describing them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from models import Alert, InrResult, Patient, Review, User
from service import alerts, audit, fhir, policy
from service.clearance import clearance_periods
from service.errors import Conflict, Problem, Refused, invalid
from service.patients import local_date, target_range_at
from service.rules import flags, readings
from service.rules.billing_week import billing_week, week_bounds
from service.rules.counting import CountDecision, ResultForCounting, count_weekly_tests
from service.settings import Settings

_CONTENT = ("value", "comparator", "measured_at", "measured_utc_offset_minutes", "meter_serial", "strip_lot",
            "qc_passed", "meter_error_code", "tested_by", "tested_by_caregiver_id", "symptoms", "symptom_note",
            "missed_doses")


@dataclass(frozen=True)
class ResultView:
    """A stored result with what is derived from it: flag, alert, billing count, next test and message."""

    result: InrResult
    flag: flags.InrFlag
    alert: Alert | None
    billing: CountDecision
    next_test_due: date | None
    message: str
    corrects: uuid.UUID | None = None  # the result this one replaces
    corrected_by: uuid.UUID | None = None  # the correction that replaced this one


def flag_of(patient: Patient, result: InrResult, settings: Settings) -> flags.InrFlag:
    in_force = target_range_at(patient, result.measured_at)
    target = flags.TherapeuticRange(Decimal(in_force.low), Decimal(in_force.high))
    return flags.flag_inr(Decimal(result.value), result.comparator, target, settings.critical_thresholds,
                          flagged_symptoms(result.symptoms or [], result.symptom_note))


def flagged_symptoms(symptoms: list[str], note: str | None) -> list[str]:
    # A symptom described only in free text is still a reported symptom: it must escalate, not be lost.
    return list(symptoms) if symptoms or not note else ["other"]


def _content(session: Session, patient: Patient, actor: User, data: dict, settings: Settings,
             now: datetime) -> dict:
    """The stored columns for `data`, or a 422 naming the field."""
    if ("value" in data) == ("reading" in data):
        raise invalid({"value": ["Send either value or reading (\"<0.8\" or \">8.0\"), not both."]})
    if "reading" in data:
        comparator, value = flags.READINGS[data["reading"]]
    else:
        comparator, value = None, data["value"]
    measured_at = data["measured_at"]
    if measured_at.astimezone(timezone.utc) > now + settings.clock_skew:
        raise invalid({"measured_at": ["Must not be in the future."]})
    tested_by, caregiver = _tester(session, patient, actor, data, now)
    return {
        "value": value, "comparator": comparator, "measured_at": measured_at.astimezone(timezone.utc),
        "measured_utc_offset_minutes": int(measured_at.utcoffset().total_seconds() // 60),
        "meter_serial": data.get("meter_serial"), "strip_lot": data.get("strip_lot"),
        "qc_passed": data["qc_passed"], "meter_error_code": data.get("meter_error_code"),
        "tested_by": tested_by, "tested_by_caregiver_id": caregiver.id if caregiver else None,
        "symptoms": list(data.get("symptoms", [])), "symptom_note": data.get("symptom_note"),
        "missed_doses": data.get("missed_doses"),
    }


def _tester(session: Session, patient: Patient, actor: User, data: dict, now: datetime):
    """Who tested: a caregiver calling records themselves; anyone else names the linked caregiver."""
    tested_by = data.get("tested_by", "caregiver" if actor.role == "caregiver" else "patient")
    caregiver_id = data.get("caregiver_id")
    if tested_by == "patient":
        if caregiver_id is not None:
            raise invalid({"caregiver_id": ["Only for a result tested by a caregiver."]})
        return tested_by, None
    if actor.role == "caregiver":
        if caregiver_id is not None and caregiver_id != actor.public_id:
            raise invalid({"caregiver_id": ["A caregiver records results they tested themselves."]})
        return tested_by, actor
    if caregiver_id is None:
        raise invalid({"caregiver_id": ["Required when tested_by is caregiver."]})
    caregiver = session.scalar(select(User).where(User.public_id == caregiver_id,
                                                  exists().where(policy.active_link(User.id, patient.id, now))))
    if caregiver is None:
        raise invalid({"caregiver_id": ["No caregiver with this id is linked to the patient."]})
    return tested_by, caregiver


def _stored(session: Session, patient: Patient, client_id: str) -> InrResult | None:
    return session.scalar(select(InrResult).where(InrResult.patient_id == patient.id,
                                                  InrResult.client_id == client_id))


def _same(stored: InrResult, content: dict) -> bool:
    def normal(name, value):
        if name == "value":
            return Decimal(value).quantize(Decimal("0.1"))
        if name == "measured_at":
            return value.astimezone(timezone.utc)
        return value

    return all(normal(name, getattr(stored, name)) == normal(name, content[name]) for name in _CONTENT)


def record_result(session: Session, patient: Patient, actor: User, data: dict, settings: Settings,
                  now: datetime) -> tuple[InrResult, bool]:
    """Store a result and open its alert, once per (patient, client id); returns (result, created).

    A retry with the same content returns the stored row; with different content it is a 409, never an
    overwrite. Two copies arriving together both try the insert; the loser's unique-constraint error is
    turned into the same replay answer.
    """
    content = _content(session, patient, actor, data, settings, now)
    client_id = data["client_id"]
    stored = _stored(session, patient, client_id)
    if stored is not None:
        return _replay(session, patient, stored, content, now), False
    try:
        result = InrResult(patient_id=patient.id, client_id=client_id, source=_source(actor), entered_by_id=actor.id,
                           received_at=now, **content)
        session.add(result)
        session.flush()
        flag = flag_of(patient, result, settings)
        if flag.needs_alert:
            alerts.open_alert(session, patient, result, flag, now)
        audit.record(session, "result.create", patient_id=patient.public_id, object_type="inr_result",
                     object_id=result.public_id, detail={"source": result.source, "level": flag.level}, now=now)
        session.commit()
    except IntegrityError:
        session.rollback()
        stored = _stored(session, patient, client_id)
        if stored is None:
            raise
        return _replay(session, patient, stored, content, now), False
    return result, True


def report_result(session: Session, patient: Patient, actor: User, data: dict, settings: Settings,
                  now: datetime) -> tuple[ResultView, bool]:
    """Record one reported result (or replay it) and describe it as the app shows it; returns (view, created)."""
    result, created = record_result(session, patient, actor, data, settings, now)
    return describe(session, patient, [result], settings)[0], created


@dataclass(frozen=True)
class BatchOutcome:
    index: int
    status: int
    result: ResultView | None = None
    errors: dict | None = None


def record_batch(session: Session, patient: Patient, actor: User, items: list, settings: Settings,
                 now: datetime) -> list[BatchOutcome]:
    """The app's offline queue: each item is stored (or replayed) in its own transaction; a refused item
    (invalid, or a client id reused with other content) spoils none of the others."""
    outcomes = []
    for index, item in enumerate(items):
        if isinstance(item, Refused):
            outcomes.append(BatchOutcome(index, 422, errors=item.errors))
            continue
        try:
            view, created = report_result(session, patient, actor, item, settings, now)
            outcomes.append(BatchOutcome(index, 201 if created else 200, result=view))
        except Problem as exc:
            session.rollback()
            outcomes.append(BatchOutcome(index, exc.status, errors=exc.errors or {"_schema": [exc.detail]}))
    return outcomes


def result_page(session: Session, patient: Patient, limit: int, offset: int, settings: Settings) -> list[ResultView]:
    """A page of the patient's results, newest first, as every client reads them."""
    newest_first = list(reversed(patient_results(session, patient)))
    return describe(session, patient, newest_first[offset:offset + limit], settings)


def fhir_bundle(session: Session, patient: Patient, settings: Settings, now: datetime) -> dict:
    """Every result of the patient as FHIR R4 Observations (LOINC 34714-6) in a searchset Bundle."""
    everything = patient_results(session, patient)
    by_id = {r.id: str(r.public_id) for r in everything}
    correction_of = {r.supersedes_id: str(r.public_id) for r in everything if r.supersedes_id is not None}
    observations = []
    for view in describe(session, patient, everything, settings):
        result, caregiver = view.result, view.result.tested_by_caregiver
        observations.append(fhir.observation(fhir.ObservationFacts(
            result_id=str(result.public_id), patient_id=str(patient.public_id), value=result.value,
            comparator=result.comparator, measured_at=result.measured_at,
            offset_minutes=result.measured_utc_offset_minutes, received_at=result.received_at,
            interpretation=view.flag.interpretation, target_low=view.flag.target.low,
            target_high=view.flag.target.high, meter_serial=result.meter_serial,
            caregiver_id=str(caregiver.public_id) if caregiver else None,
            caregiver_name=caregiver.full_name if caregiver else None, no_valid_inr=why_no_valid_inr(result),
            corrected_by=correction_of.get(result.id), corrects=by_id.get(result.supersedes_id))))
    return fhir.bundle(observations, now)


def _source(actor: User) -> str:
    # Staff never test at home: a value they enter is one the patient reported by phone.
    return "app" if actor.role in ("patient", "caregiver") else "phone"


def _replay(session: Session, patient: Patient, stored: InrResult, content: dict, now: datetime) -> InrResult:
    if not _same(stored, content):
        raise Conflict("A different result is already stored under this client_id.",
                       errors={"client_id": ["Already used for a result with different content."]})
    audit.record(session, "result.replay", patient_id=patient.public_id, object_type="inr_result",
                 object_id=stored.public_id, now=now)
    session.commit()
    return stored


def patient_results(session: Session, patient: Patient) -> list[InrResult]:
    return list(session.scalars(select(InrResult).where(InrResult.patient_id == patient.id)
                                .order_by(InrResult.measured_at, InrResult.id)))


def superseded_clause(result=InrResult):
    """SQL: a correction replaces `result` (a row of the same patient pointing at it, found by its index)."""
    correction = aliased(InrResult)
    return exists().where(correction.patient_id == result.patient_id, correction.supersedes_id == result.id)


def valid_inr_clause(result=InrResult):
    """SQL for service.rules.readings.is_valid_inr: a passed strip, no meter error, not corrected."""
    return and_(result.qc_passed.is_(True), result.meter_error_code.is_(None), ~superseded_clause(result))


def for_counting(result: InrResult, superseded: set[int]) -> ResultForCounting:
    """A stored result as the counting rule sees it, keyed by its public id."""
    return ResultForCounting(str(result.public_id), result.measured_at, result.qc_passed, result.meter_error_code,
                             result.source == "phone", result.id in superseded)


def billing_decisions(session: Session, patient: Patient, results: list[InrResult]) -> dict[str, CountDecision]:
    """Whether each result counts for billing, by public id, judged against the patient's corrections."""
    superseded = set(session.scalars(select(InrResult.supersedes_id).where(
        InrResult.patient_id == patient.id, InrResult.supersedes_id.is_not(None))))
    decisions = count_weekly_tests([for_counting(r, superseded) for r in results],
                                   clearance_periods(session, patient), ZoneInfo(patient.time_zone))
    return {d.result_id: d for d in decisions}


def next_test_due(session: Session, patient: Patient, latest: InrResult | None) -> date | None:
    """The latest review's next test date while it is still ahead of the last result, else a week after it."""
    review = session.scalar(select(Review).where(Review.patient_id == patient.id, Review.next_test_date.is_not(None))
                            .order_by(Review.reviewed_at.desc(), Review.id.desc()).limit(1))
    last_day = local_date(patient, latest.measured_at) if latest else None
    if review is not None and (last_day is None or review.next_test_date > last_day):
        return review.next_test_date
    return last_day + timedelta(days=7) if last_day else None


def _same_weeks(session: Session, patient: Patient, chosen: list[InrResult]) -> list[InrResult]:
    """The patient's results in the billing weeks of `chosen`: all that judging their count needs."""
    if not chosen:
        return []
    zone = ZoneInfo(patient.time_zone)
    weeks = {billing_week(r.measured_at, zone) for r in chosen}
    start, end = week_bounds(min(weeks), zone)[0], week_bounds(max(weeks), zone)[1]
    return list(session.scalars(select(InrResult).where(
        InrResult.patient_id == patient.id, InrResult.measured_at >= start, InrResult.measured_at < end)
        .order_by(InrResult.measured_at, InrResult.id)))


def latest_result(session: Session, patient: Patient) -> InrResult | None:
    return session.scalar(select(InrResult).where(InrResult.patient_id == patient.id)
                          .order_by(InrResult.measured_at.desc(), InrResult.id.desc()).limit(1))


def describe(session: Session, patient: Patient, chosen: list[InrResult], settings: Settings) -> list[ResultView]:
    """Views of `chosen` results of one patient (billing is judged over every result of their weeks)."""
    decisions = billing_decisions(session, patient, _same_weeks(session, patient, chosen))
    due = next_test_due(session, patient, latest_result(session, patient))
    by_result = {a.result_id: a for a in session.scalars(
        select(Alert).where(Alert.result_id.in_([r.id for r in chosen])))} if chosen else {}
    corrects, corrected_by = _corrections(session, patient, chosen)
    views = []
    for result in chosen:
        flag = flag_of(patient, result, settings)
        views.append(ResultView(result, flag, by_result.get(result.id), decisions[str(result.public_id)], due,
                                flags.patient_message(flag, due, settings.emergency_instructions),
                                corrects.get(result.supersedes_id), corrected_by.get(result.id)))
    return views


def _corrections(session: Session, patient: Patient, chosen: list[InrResult]) -> tuple[dict, dict]:
    """Public ids: of the results that `chosen` ones replace (by internal id), and of the corrections that
    replaced `chosen` ones (by the replaced result's internal id)."""
    if not chosen:
        return {}, {}
    replaced = [r.supersedes_id for r in chosen if r.supersedes_id is not None]
    corrects = dict(session.execute(select(InrResult.id, InrResult.public_id).where(
        InrResult.id.in_(replaced))).all()) if replaced else {}
    corrected_by = dict(session.execute(select(InrResult.supersedes_id, InrResult.public_id).where(
        InrResult.patient_id == patient.id, InrResult.supersedes_id.in_([r.id for r in chosen]))).all())
    return corrects, corrected_by


def why_no_valid_inr(result: InrResult) -> str | None:
    """Why the meter gave no valid INR for this result, in words; None when it did (a correction is another
    matter: the record says what replaced it)."""
    reason = readings.why_not_valid(result.qc_passed, result.meter_error_code)
    return readings.in_words(reason, result.meter_error_code) if reason else None

