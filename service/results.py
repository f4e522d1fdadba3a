"""The result aggregate: recording home INR results once (idempotent by client id), correcting them, and describing
them (flag, alert, billing count, next test, message). Results imported from another system's history are stored by
service.history; a correction of one stays imported history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from models import Alert, InrResult, Patient, Review, User
from models.results import superseded_clause, valid_inr_clause
from service import alerts, audit, billing, db, fhir, policy, ttr_intervals
from service.clearance import clearance_standing
from service.errors import Conflict, Problem, Refused, invalid
from service.patients import local_date, target_range_at, zone_history
from service.rules import entries, flags, no_valid_result, readings
from service.rules.counting import CountDecision, ResultForCounting, count_weekly_tests
from service.rules.history_import import IMPORT_SOURCE, why_not_history
from service.rules.next_test import Instruction, NextTest, next_test_due
from service.rules.next_test import Reading as TimelineReading
from service.settings import Settings

_CONTENT = ("value", "comparator", "measured_utc_offset_minutes", "meter_serial", "strip_lot", "qc_passed",
            "meter_error_code", "tested_by", "tested_by_caregiver_id", "symptoms", "symptom_note", "missed_doses")
# A week lasts 7 days in any zone, and two zones' midnights lie at most 26 hours apart: every instant of the weeks
# of a set of results lies within this of one of them.
_WEEK_REACH = timedelta(days=9)


@dataclass(frozen=True)
class ResultView:
    """A stored result with what is derived from it: flag, alert, billing count, next test and message."""

    result: InrResult
    flag: flags.InrFlag
    alert: Alert | None
    billing: CountDecision
    next_test: NextTest | None
    message: str
    corrected_by: InrResult | None = None

    @property
    def next_test_due(self) -> date | None:
        return self.next_test.due_on if self.next_test else None

    @property
    def next_test_reason(self) -> str | None:
        return self.next_test.reason if self.next_test else None


def flag_of(patient: Patient, result: InrResult, settings: Settings, superseded: bool = False) -> flags.InrFlag:
    """The flag of a stored reading against the patient's range then; a reading that is not a valid INR (failed
    strip, meter error, corrected) gets none on its number."""
    in_force = target_range_at(patient, result.measured_at)
    target = flags.TherapeuticRange(Decimal(in_force.low), Decimal(in_force.high))
    value = None if result.value is None else Decimal(result.value)
    return flags.flag_reading(value, result.comparator, target, settings.critical_thresholds,
                              flagged_symptoms(result.symptoms or [], result.symptom_note),
                              readings.why_not_valid(result.qc_passed, result.meter_error_code, superseded))


def flagged_symptoms(symptoms: list[str], note: str | None) -> list[str]:
    # A symptom described only in free text is still a reported symptom: it must escalate, not be lost.
    return list(symptoms) if symptoms or not note else ["other"]


def _content(session: Session, patient: Patient, actor: User, data: dict, settings: Settings,
             now: datetime, imported: bool = False) -> dict:
    """The stored columns for `data`, or a 422 naming the field. `imported`: the correction of an imported result,
    dated as history is (service.rules.history_import), not as a report is."""
    if "value" in data and "reading" in data:
        raise invalid({"value": ["Send either value or reading (\"<0.8\" or \">8.0\"), not both."]})
    if "reading" in data:
        comparator, value = flags.READINGS[data["reading"]]
    elif "value" in data:
        comparator, value = None, data["value"]
    elif data.get("meter_error_code"):
        comparator, value = None, None  # the meter showed an error and no number
    else:
        raise invalid({"value": ["Send value, or reading (\"<0.8\" or \">8.0\"); only a meter error may come "
                                 "without a number (send meter_error_code)."]})
    stated = data["measured_at"]
    # A meter whose clock runs ahead still reports a real value: never refused, placed at its receipt instead.
    placed = entries.place_reading(stated, now, settings.clock_skew)
    if imported:
        why = why_not_history(placed.at, local_date(patient, placed.at), warfarin_start=patient.warfarin_start_date,
                              go_live_on=patient.go_live_on, now=now, clock_skew=settings.clock_skew)
        if why is not None:
            raise invalid({"measured_at": [why]})
    else:
        earliest = entries.earliest_result_day(patient.warfarin_start_date, local_date(patient, patient.created_at),
                                               settings.result_days_before_enrolment)
        if local_date(patient, placed.at) < earliest.day:
            raise invalid({"measured_at": [f"Must not be before {earliest.day}: {earliest.why}."]})
    tested_by, caregiver = _tester(session, patient, actor, data, now)
    return {
        "value": value, "comparator": comparator, "measured_at": placed.at,
        "device_measured_at": stated.astimezone(timezone.utc) if placed.device_clock_ahead else None,
        "measured_utc_offset_minutes": int(stated.utcoffset().total_seconds() // 60),
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


def _stated_time(row) -> datetime:
    """What the device said the time was (the timeline time, unless its clock ran ahead)."""
    device = row["device_measured_at"] if isinstance(row, dict) else row.device_measured_at
    placed = row["measured_at"] if isinstance(row, dict) else row.measured_at
    return (device or placed).astimezone(timezone.utc)


def _same(stored: InrResult, content: dict) -> bool:
    def normal(name, value):
        if name == "value" and value is not None:
            return Decimal(value).quantize(Decimal("0.1"))
        return value

    # The device's stated time is the content: a retry after the receipt time moved on is still the same result.
    return _stated_time(stored) == _stated_time(content) and all(
        normal(name, getattr(stored, name)) == normal(name, content[name]) for name in _CONTENT)


def record_result(session: Session, patient: Patient, actor: User, data: dict, settings: Settings,
                  now: datetime) -> tuple[InrResult, bool]:
    """Store a result and open what it calls for, once per (patient, client id); returns (result, created).

    A retry with the same content returns the stored row; with different content it is a 409, never an
    overwrite. Two copies arriving together both try the insert; the one that finds the row there (ON CONFLICT,
    or the loser's unique-constraint error) gives the same replay answer.
    """
    recorded = _record(session, patient, actor, data, settings, now)
    session.commit()
    return recorded.result, recorded.created


@dataclass(frozen=True)
class _Recorded:
    result: InrResult
    created: bool
    alert: Alert | None = None  # the alert a new result opened (a new result has no other)


def _record(session: Session, patient: Patient, actor: User, data: dict, settings: Settings,
            now: datetime) -> _Recorded:
    """record_result without the final commit, so the caller can describe the result in the same transaction (a
    replay has committed its audit event already)."""
    content = _content(session, patient, actor, data, settings, now)
    client_id = data["client_id"]
    # A new valid INR rewrites TTR intervals: the intervals' lock (PostgreSQL) rides on the insert, taken only if a
    # row is inserted, before the intervals' read (the next statement) takes its snapshot.
    valid = readings.is_valid_inr(content["qc_passed"], content["meter_error_code"])
    lock = ttr_intervals.writer_lock(session, InrResult.patient_id) if valid else None
    try:
        # The idempotency check is the insert itself: a stored (patient, client id) makes it return nothing.
        inserted = session.execute(
            db.insert(session, InrResult)
            .values(patient_id=patient.id, client_id=client_id, source=_source(actor), entered_by_id=actor.id,
                    received_at=now, **content)
            .on_conflict_do_nothing(index_elements=["patient_id", "client_id"])
            .returning(InrResult, *([] if lock is None else [lock]))).first()
        result = inserted[0] if inserted else None
        if result is None:
            stored = _stored(session, patient, client_id)
            if stored is None:  # the row that conflicted went away: not one of ours to answer for
                raise Conflict("This result is being stored by another request; retry it.")
            return _Recorded(_replay(session, patient, stored, content, None, now), False)
        if valid:
            # A new valid INR splits the interval around it: only that one is rewritten.
            ttr_intervals.readings_changed(session, patient.id, result.measured_at, result.measured_at, result.id,
                                           locked=lock is not None)
        flag = flag_of(patient, result, settings)
        # Recorded first so that this event and the alert's are written together, in one statement.
        audit.record(session, "result.create", patient_id=patient.public_id, object_type="inr_result",
                     object_id=result.public_id, detail={"source": result.source, "level": flag.level,
                                                         "device_clock_ahead": result.device_measured_at is not None},
                     now=now)
        alert = _after_recording(session, patient, result, flag, settings, now)
        session.flush()
    except IntegrityError:
        session.rollback()
        stored = _stored(session, patient, client_id)
        if stored is None:
            raise
        return _Recorded(_replay(session, patient, stored, content, None, now), False)
    return _Recorded(result, True, alert)


def _after_recording(session: Session, patient: Patient, result: InrResult, flag: flags.InrFlag, settings: Settings,
                     now: datetime) -> Alert | None:
    """What a new reading (flagged `flag`) calls for, in its transaction: its own alert if flagged; the "no valid
    result" alert when it makes an episode alerting, or the end of that episode when it is a valid INR. Returns
    the reading's own alert."""
    alert = alerts.open_alert(session, patient, result, flag, now) if flag.needs_alert else None
    watch_validity(session, patient, settings, now)
    return alert


def watch_validity(session: Session, patient: Patient, settings: Settings, now: datetime) -> Alert | None:
    """Apply the "no valid result" rule (service.rules.no_valid_result) to the patient's readings now: open the
    episode's alert when it is due, or close the alert of an episode a valid INR ended. The caller commits."""
    episode, alert_open = open_episode(session, patient, settings.no_valid_result_after, now)
    if episode is None:
        if alert_open is not False:
            alerts.resolve(session, alerts.unresolved(session, patient, "no_valid_result"), "valid_result",
                           "a valid INR was recorded", None, now)
        return None
    if episode.reason is None:
        return None
    first = session.scalar(select(InrResult).where(InrResult.public_id == uuid.UUID(episode.first)))
    return alerts.open_no_valid_result(session, patient, episode, first, now)


def open_episode(session: Session, patient: Patient, window: timedelta,
                 now: datetime) -> tuple[no_valid_result.Episode | None, bool | None]:
    """The patient's readings since their last valid INR, as the rule judges them (corrected entries left out), and
    whether a "no valid result" alert of theirs is unresolved (None: not known, the patient has no reading)."""
    # One round trip: the time of the last valid INR is a subquery (on its own alias, so it is not correlated), and
    # whether an alert is open a column beside each reading (almost always none: then nothing is left to close).
    last_valid = (select(func.max(_VALID.measured_at))
                  .where(_VALID.patient_id == patient.id, valid_inr_clause(_VALID)).scalar_subquery())
    alert_open = exists().where(Alert.patient_id == patient.id, Alert.kind == "no_valid_result",
                                Alert.status != "resolved")
    query = select(InrResult.public_id, InrResult.measured_at, InrResult.qc_passed, InrResult.meter_error_code,
                   alert_open.label("alert_open")).where(
        InrResult.patient_id == patient.id, ~superseded_clause(),
        or_(last_valid.is_(None), InrResult.measured_at >= last_valid))
    found = session.execute(query).all()
    rows = [no_valid_result.Reading(str(row.public_id), row.measured_at,
                                    readings.is_valid_inr(row.qc_passed, row.meter_error_code))
            for row in found]
    return no_valid_result.open_episode(rows, now, window), bool(found[0].alert_open) if found else None


def report_result(session: Session, patient: Patient, actor: User, data: dict, settings: Settings,
                  now: datetime) -> tuple[ResultView, bool]:
    """Record one reported result (or replay it) and describe it as the app shows it; returns (view, created)."""
    recorded = _record(session, patient, actor, data, settings, now)
    if not recorded.created:
        return describe(session, patient, [recorded.result], settings)[0], False
    # Described before the commit, in the same transaction, from what is in hand: a new result has no correction
    # yet and no alert but the one it just opened.
    view = _views(session, patient, [recorded.result], settings, {recorded.result.id: recorded.alert}, {})[0]
    session.commit()
    return view, True


def correct_result(session: Session, original: InrResult, actor: User, data: dict, settings: Settings,
                   now: datetime) -> tuple[ResultView, bool]:
    """Replace a mistyped or wrong result by a new one that supersedes it (who: the actor; when: now; why: the
    reason). Returns (the correction's view, created); a retry with the same client id replays.

    Staff correct any result; a patient or caregiver only their own entry, within the self-correction window. The
    original leaves flags, TTR and counting, its open alerts close with the reason, the correction is flagged
    afresh, and claim lines that billed the original are voided for rebilling (service.billing), so the week is
    judged again and never counts twice.

    A correction of an imported result stays imported history (source import, from the same file): dated as
    history, never billed, and it opens no alert for the past.
    """
    patient = original.patient
    imported = original.source == IMPORT_SOURCE
    content = _content(session, patient, actor, data, settings, now, imported)
    stored = _stored(session, patient, data["client_id"])
    if stored is not None:
        return describe(session, patient, [_replay(session, patient, stored, content, original, now)], settings)[0], \
            False
    refused = entries.why_not_correctable(actor.role, original.entered_by_id == actor.id, original.received_at, now,
                                          settings.self_correction_window)
    if refused is not None:
        hours = int(settings.self_correction_window.total_seconds() // 3600)
        raise Problem(403, "Forbidden", {
            entries.NOT_THEIR_ENTRY: "A patient or caregiver corrects only an entry they made themselves; ask the "
                                     "clinic to correct this one.",
            entries.WINDOW_PASSED: f"Your own entry can be corrected within {hours} hours of sending it; ask the "
                                   "clinic to correct it now.",
        }.get(refused, "Your role does not allow correcting results."), kind="forbidden")
    correction = session.scalar(select(InrResult).where(InrResult.supersedes_id == original.id))
    if correction is not None:
        raise Conflict(f"This result was already corrected by {correction.public_id}; correct that entry instead.",
                       errors={"result_id": [f"Already corrected by {correction.public_id}."]})
    try:
        result = InrResult(patient_id=patient.id, client_id=data["client_id"],
                           source=IMPORT_SOURCE if imported else _source(actor), import_id=original.import_id,
                           entered_by_id=actor.id, received_at=now, supersedes_id=original.id,
                           correction_reason=data["reason"], **content)
        session.add(result)
        session.flush()
        # The original leaves TTR and the correction may enter it: the intervals between the two change.
        ttr_intervals.readings_changed(session, patient.id, min(original.measured_at, result.measured_at),
                                       max(original.measured_at, result.measured_at))
        closed = alerts.resolve(
            session, list(session.scalars(select(Alert).where(Alert.result_id == original.id, Alert.kind == "result",
                                                              Alert.status != "resolved"))),
            "corrected", data["reason"], actor, now, {"correction_id": str(result.public_id)})
        voided = billing.void_for_correction(session, patient, _chain(session, original), actor,
                                             f"result {original.public_id} corrected by {result.public_id}: "
                                             f"{data['reason']}", now)
        flag = flag_of(patient, result, settings)
        if not imported:
            _after_recording(session, patient, result, flag, settings, now)
        audit.record(session, "result.correct", patient_id=patient.public_id, object_type="inr_result",
                     object_id=result.public_id,
                     detail={"supersedes": str(original.public_id), "reason": data["reason"], "level": flag.level,
                             "alerts_closed": closed, "claim_lines_voided": [str(line.public_id) for line in voided]},
                     now=now)
        session.commit()
    except IntegrityError:
        session.rollback()
        stored = _stored(session, patient, data["client_id"])
        if stored is None:
            raise Conflict("This result was corrected at the same moment by another entry; reload it.") from None
        return describe(session, patient, [_replay(session, patient, stored, content, original, now)], settings)[0], \
            False
    return describe(session, patient, [result], settings)[0], True


def _chain(session: Session, result: InrResult) -> list[str]:
    """The public ids of `result` and every entry it corrects, back to the first."""
    chain = [result]
    while chain[-1].supersedes_id is not None:
        chain.append(session.get(InrResult, chain[-1].supersedes_id))
    return [str(entry.public_id) for entry in chain]


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
    page = list(session.scalars(select(InrResult).where(InrResult.patient_id == patient.id)
                                .order_by(InrResult.measured_at.desc(), InrResult.id.desc())
                                .limit(limit).offset(offset)))
    return describe(session, patient, page, settings)


def fhir_bundle(session: Session, patient: Patient, settings: Settings, now: datetime) -> dict:
    """Every result of the patient as FHIR R4 Observations (LOINC 34714-6) in a searchset Bundle."""
    everything = patient_results(session, patient)
    by_id = {r.id: str(r.public_id) for r in everything}
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
            corrected_by=str(view.corrected_by.public_id) if view.corrected_by else None,
            corrects=by_id.get(result.supersedes_id), device_stated_at=result.device_measured_at)))
    return fhir.bundle(observations, now)


def _source(actor: User) -> str:
    # Staff never test at home: a value they enter is one the patient reported by phone.
    return "app" if actor.role in ("patient", "caregiver") else "phone"


def _replay(session: Session, patient: Patient, stored: InrResult, content: dict, corrects: InrResult | None,
            now: datetime) -> InrResult:
    if not _same(stored, content) or (corrects is not None and stored.supersedes_id != corrects.id):
        raise Conflict("A different result is already stored under this client_id.",
                       errors={"client_id": ["Already used for a result with different content."]})
    audit.record(session, "result.replay", patient_id=patient.public_id, object_type="inr_result",
                 object_id=stored.public_id, now=now)
    session.commit()
    return stored


def patient_results(session: Session, patient: Patient) -> list[InrResult]:
    return list(session.scalars(select(InrResult).where(InrResult.patient_id == patient.id)
                                .order_by(InrResult.measured_at, InrResult.id)))


# Aliases for the subqueries below: built once (an alias costs about a millisecond of Python to build).
_VALID = aliased(InrResult, name="valid")
_LATEST = aliased(InrResult, name="latest")


def for_counting(result: InrResult, superseded: set[int]) -> ResultForCounting:
    """A stored result as the counting rule sees it, keyed by its public id."""
    return ResultForCounting(str(result.public_id), result.measured_at, result.qc_passed, result.meter_error_code,
                             result.source == "phone", result.id in superseded, result.source == IMPORT_SOURCE)


def next_test(session: Session, patient: Patient, settings: Settings) -> NextTest | None:
    """When the patient's next test is due (service.rules.next_test), from their latest instruction and readings."""
    instruction_of, given_columns, on_timeline = _timeline(patient)
    # One round trip: the latest reading and those after the instruction, each row carrying the instruction.
    rows = session.execute(select(InrResult, *given_columns).where(InrResult.patient_id == patient.id, on_timeline)
                           .order_by(InrResult.measured_at, InrResult.id)).all()
    return _next_test_of(session, patient, rows, instruction_of, settings)


def _timeline(patient: Patient):
    """SQL for next_test: the patient's latest instruction (a query), its time and date as two columns, and the
    condition on InrResult of a reading the rule needs (the latest, and those after the instruction)."""
    instruction_of = (select(Review.reviewed_at).where(Review.patient_id == patient.id,
                                                       Review.next_test_date.is_not(None))
                      .order_by(Review.reviewed_at.desc(), Review.id.desc()).limit(1))
    reviewed_at = instruction_of.scalar_subquery()
    next_date = instruction_of.with_only_columns(Review.next_test_date).scalar_subquery()
    latest = (select(_LATEST.id).where(_LATEST.patient_id == patient.id, ~superseded_clause(_LATEST))
              .order_by(_LATEST.measured_at.desc(), _LATEST.id.desc()).limit(1).scalar_subquery())
    return (instruction_of, (reviewed_at.label("reviewed_at"), next_date.label("next_date")),
            and_(~superseded_clause(), or_(InrResult.id == latest, InrResult.measured_at > reviewed_at)))


def _next_test_of(session: Session, patient: Patient, rows: list, instruction_of, settings: Settings
                  ) -> NextTest | None:
    """next_test, given the rows of its readings (each with the instruction's columns)."""
    if rows:
        given = rows[0]
    else:  # no reading at all: the instruction alone
        given = session.execute(instruction_of.add_columns(Review.next_test_date.label("next_date"))).first()
    instruction = Instruction(given.reviewed_at, given.next_date) if given and given.next_date else None
    return next_test_due([timeline_reading(patient, row.InrResult, settings) for row in rows], instruction,
                         settings.next_test_cadence)


def timeline_reading(patient: Patient, result: InrResult, settings: Settings) -> TimelineReading:
    """A stored (not superseded) reading as the next-test rule sees it."""
    flag = flag_of(patient, result, settings)
    return TimelineReading(result.measured_at, local_date(patient, result.measured_at), flag.not_valid is None,
                           flag.is_critical)


def _same_weeks_and_next_test(session: Session, patient: Patient, chosen: list[InrResult], settings: Settings
                              ) -> tuple[list[InrResult], set[int], NextTest | None]:
    """The patient's results in the billing weeks of `chosen` (each judged in the zone in force then), which of
    them a correction replaces (all that judging their count needs), and next_test: in one query, the rows of the
    weeks and of the next test's timeline marked as such."""
    if not chosen:
        return [], set(), next_test(session, patient, settings)
    zones = zone_history(patient)
    weeks = {zones.week_of(r.measured_at) for r in chosen}
    start = min(r.measured_at for r in chosen) - _WEEK_REACH
    end = max(r.measured_at for r in chosen) + _WEEK_REACH
    in_weeks = and_(InrResult.measured_at >= start, InrResult.measured_at < end)
    instruction_of, given_columns, on_timeline = _timeline(patient)
    rows = session.execute(select(InrResult, superseded_clause().label("superseded"), in_weeks.label("in_weeks"),
                                  on_timeline.label("on_timeline"), *given_columns).where(
        InrResult.patient_id == patient.id, or_(in_weeks, on_timeline))
        .order_by(InrResult.measured_at, InrResult.id)).all()
    found = [row for row in rows if row.in_weeks and zones.week_of(row.InrResult.measured_at) in weeks]
    due = _next_test_of(session, patient, [row for row in rows if row.on_timeline], instruction_of, settings)
    return [row.InrResult for row in found], {row.InrResult.id for row in found if row.superseded}, due


def describe(session: Session, patient: Patient, chosen: list[InrResult], settings: Settings) -> list[ResultView]:
    """Views of `chosen` results of one patient (billing is judged over every result of their weeks)."""
    ids = [r.id for r in chosen]
    by_result = {a.result_id: a for a in session.scalars(
        select(Alert).where(Alert.result_id.in_(ids), Alert.kind == "result"))} if chosen else {}
    corrections = {r.supersedes_id: r for r in session.scalars(
        select(InrResult).where(InrResult.supersedes_id.in_(ids)))} if chosen else {}
    return _views(session, patient, chosen, settings, by_result, corrections)


def _views(session: Session, patient: Patient, chosen: list[InrResult], settings: Settings,
           by_result: dict[int, Alert | None], corrections: dict[int, InrResult]) -> list[ResultView]:
    """describe, given each chosen result's alert and correction."""
    weeks, superseded, due = _same_weeks_and_next_test(session, patient, chosen, settings)
    periods, clearance = clearance_standing(session, patient)
    decisions = {d.result_id: d for d in count_weekly_tests([for_counting(r, superseded) for r in weeks], periods,
                                                            zone_history(patient))}
    suspended = clearance == "suspended"
    views = []
    for result in chosen:
        flag = flag_of(patient, result, settings, superseded=result.id in corrections)
        message = flags.patient_message(
            flag, due.due_on if due else None, settings.emergency_instructions,
            no_valid_inr_words=why_no_valid_inr(result), clock_ahead=result.device_measured_at is not None,
            home_testing_suspended=suspended)
        views.append(ResultView(result, flag, by_result.get(result.id), decisions[str(result.public_id)], due,
                                message, corrections.get(result.id)))
    return views


def why_no_valid_inr(result: InrResult) -> str | None:
    """Why the meter gave no valid INR for this result, in words; None when it did (a correction is another
    matter: the record says what replaced it)."""
    reason = readings.why_not_valid(result.qc_passed, result.meter_error_code)
    return readings.in_words(reason, result.meter_error_code) if reason else None
