"""Claim generation: which patients to check (ClaimCheck), their records read in batches, the lines their claim
plan calls for recorded once, and each run recorded with what it did (ClaimGenerationRun)."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, String, Text, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import (
    BillableEvent,
    CareEpisodeEvent,
    ClaimGenerationRun,
    ClearanceDecision,
    EmVisit,
    HomeTestingOrder,
    InrResult,
    Patient,
    Payer,
    Practice,
    User,
)
from models.claims import ClaimCheck, ClaimLine, ClaimLineEvent, SupplyIssue
from service import audit, db
from service.care_episode import care_periods_by_patient
from service.clearance import periods_by_patient
from service.patients import local_date, payer_rules, zone_history
from service.practices import local_date as practice_date
from service.rules import claims as claim_rules
from service.rules.claim_plan import REVIEW_KIND, BillableWork, CarePeriod, ClaimPlan, RecordedLine, plan_claims
from service.rules.claims import ClaimDraft, CountedTest
from service.rules.counting import (
    ClearancePeriod,
    CountDecision,
    ResultForCounting,
    count_weekly_tests,
    managed_while_cleared,
)
from service.rules.history_import import IMPORT_SOURCE

BATCH_SIZE = 200  # patients loaded together: a handful of queries per batch, not one per result
# A run that has written this many lines since the planner last looked (and at least as many as it knew of)
# refreshes claim_lines' statistics: a backfill grows the table from nothing to millions of lines, and on stale
# statistics each batch's read of its patients' lines became a full scan (the backfill went superlinear).
ANALYZE_AFTER = 20_000
# Bump when service/rules changes what is due for records already checked: every patient is then checked again.
# 2: issue 13 (93793 per new valid INR and E/M days, providers per line, supply units, held -52, 93792 orders).
# 3: a line voided for a correction whose tests no longer all count is released (claim_plan).
# 4: a 93793 bills only INRs measured while cleared (nothing while suspended).
# (Issue 14's go-live date is part of the terms: adding it checks every patient once more, with no bump.)
RULES_VERSION = 4
TRIGGERS = ("job", "cli", "api")


@dataclass
class GenerationSummary:
    patients: int = 0  # patients whose record was checked
    unchanged: int = 0  # patients left alone: nothing recorded since their last check, and nothing waiting is due
    created: int = 0
    conflicts: int = 0  # patients some of whose lines another process wrote first: those were left to it
    skipped: list[dict] = field(default_factory=list)
    held: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        # A skipped day is reported by the run that checks its patient (again whenever the record changes).
        return {"patients": self.patients, "unchanged": self.unchanged, "created": self.created,
                "conflicts": self.conflicts, "skipped_count": len(self.skipped), "skipped": self.skipped[:50],
                "held_count": len(self.held), "held": self.held[:50], "errors": self.errors}


@dataclass
class _PatientInputs:
    """Everything generation needs about one patient, loaded for the whole batch; nothing is fetched per result."""

    patient: Patient
    results: list[Row] = field(default_factory=list)  # the InrResult columns counting needs (_RESULT_COLUMNS)
    result_ids: list[str] = field(default_factory=list)  # each result's public id as text, in the order of `results`
    superseded: set[int] = field(default_factory=set)
    periods: list[ClearancePeriod] = field(default_factory=list)
    work: list[BillableWork] = field(default_factory=list)
    lines: list[RecordedLine] = field(default_factory=list)  # every line ever recorded, with its void if any
    line_ids: dict[str, int] = field(default_factory=dict)  # claim_key -> ClaimLine.id, for a correction's corrects_id
    supply_issues: list[tuple[date, int]] = field(default_factory=list)  # (issued on, tests issued)
    care: list[CarePeriod] = field(default_factory=list)
    orders: list[claim_rules.HomeTestingOrder] = field(default_factory=list)
    em_visit_dates: set[date] = field(default_factory=set)


def generate_claims(session: Session, now: datetime, *, trigger: str = "job", actor: User | None = None,
                    patient_ids: Iterable[int] | None = None, recheck_all: bool = False) -> dict:
    """Record every claim line due by `now`; re-running records nothing new. The run itself is recorded
    (ClaimGenerationRun: who or which job, the lines created, the days skipped and the lines held with reasons).

    Only patients whose record gained a row since their last check (a result, a review, a void, an end of care...),
    whose payer or practice terms changed, or whose waiting line falls due are checked: one query finds them
    (ClaimCheck). `recheck_all` checks everyone. Checked patients are read BATCH_SIZE at a time (a handful of queries
    per batch, none per patient or result), their lines inserted together (bulk, see db.insert_new), and each batch
    commits once.
    A line another process wrote first is left to it (ON CONFLICT DO NOTHING on its unique key).
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {TRIGGERS}")
    actor_id = actor.id if actor is not None else None
    # The run's lines carry its id; the run record lists them when it is written, at the end.
    run_id = uuid.uuid4()
    summary = GenerationSummary()
    selected = 0
    known, unanalyzed = 0, 0  # lines the planner was last told of by this run, lines written since
    for batch in _batches_to_check(session, now, patient_ids, recheck_all):
        selected += len(batch)
        before = summary.created
        _check_batch(session, batch, now, run_id, summary)
        session.commit()
        session.expunge_all()  # a batch's rows are done with; keep memory flat over many patients
        unanalyzed += summary.created - before
        if unanalyzed >= max(ANALYZE_AFTER, known):
            db.analyze(session, ClaimLine.__table__)
            session.commit()
            known, unanalyzed = known + unanalyzed, 0
    if patient_ids is None:
        summary.unchanged = session.scalar(select(func.count()).select_from(Patient)) - selected
    else:
        summary.unchanged = len(set(patient_ids)) - selected
    run = ClaimGenerationRun(public_id=run_id, trigger=trigger, actor_id=actor_id, recheck_all=recheck_all,
                             started_at=now, finished_at=max(now, datetime.now(timezone.utc)),
                             patients=summary.patients, unchanged=summary.unchanged, created=summary.created,
                             conflicts=summary.conflicts,
                             created_lines=db.json_list_of_ids(session, ClaimLine.public_id,
                                                               ClaimLine.generation_run_id == run_id, ClaimLine.id),
                             skipped=summary.skipped, held=summary.held, errors=summary.errors)
    session.add(run)
    session.flush()
    audit.record(session, "claim.generation_run", object_type="claim_generation_run", object_id=run.public_id,
                 detail={"trigger": trigger, "created": summary.created, "held": len(summary.held),
                         "skipped": len(summary.skipped), "errors": len(summary.errors)}, now=now)
    session.commit()
    return {"run_id": str(run.public_id), **summary.as_dict()}


def _check_batch(session: Session, batch: list[dict], now: datetime, run_id: uuid.UUID,
                 summary: GenerationSummary) -> None:
    seen_by_id = {seen["patient_id"]: seen for seen in batch}
    planned: list[tuple[_PatientInputs, ClaimPlan, list[dict]]] = []
    inputs_of = _load_batch(session, list(seen_by_id))
    npis = _provider_npis(session, inputs_of)
    for inputs in inputs_of:
        summary.patients += 1
        patient_id = str(inputs.patient.public_id)
        try:
            plan = _plan_for(inputs, now)
        except ValueError as exc:
            # A rule refused this patient's data (e.g. a payer set up with an unknown code): the others go on,
            # and with no check recorded the next run reports it again.
            summary.errors.append({"patient_id": patient_id, "error": str(exc)[:300]})
            continue
        summary.skipped += [{"patient_id": patient_id, "key": skipped.key, "reason": skipped.reason}
                            for skipped in plan.skipped]
        planned.append((inputs, plan, _line_rows(inputs, plan.drafts, now, run_id, npis)))

    created = db.insert_new(session, ClaimLine.__table__, [row for _, _, rows in planned for row in rows], "claim_key",
                            bulk=True)
    checks = []
    for inputs, plan, rows in planned:
        mine = [row for row in rows if row["claim_key"] in created]
        if mine:
            audit.record(session, "claim.generate", patient_id=inputs.patient.public_id, object_type="claim_line",
                         detail={"created": [row["claim_key"] for row in mine]}, now=now)
        summary.created += len(mine)
        summary.held += [{"claim_id": str(row["public_id"]), "patient_id": str(inputs.patient.public_id),
                          "claim_key": row["claim_key"], "code": row["code"], "reason": row["held_reason"]}
                         for row in mine if row["held_reason"]]
        summary.conflicts += len(mine) < len(rows)
        seen = seen_by_id[inputs.patient.id]
        # The lines this run added are part of what it saw; another process's lines make the next run look again.
        checks.append({**seen, "claim_lines": seen["claim_lines"] + len(mine), "next_due_on": plan.next_due_on,
                       "checked_at": now})
    _record_checks(session, checks)


# What a check sees of each patient: the row count of every append-only record the rules read. A new row of
# any of them changes its count; nothing is ever updated or deleted in place.
def _per_patient(column, *joins) -> Select:
    query = select(column.label("patient_id"), func.count().label("n"))
    for target, on in joins:
        query = query.join(target, on)
    return query.group_by(column)


_SEEN = {
    "results": _per_patient(InrResult.patient_id),
    "billable_events": _per_patient(BillableEvent.patient_id),
    "claim_lines": _per_patient(ClaimLine.patient_id),
    "claim_line_events": _per_patient(ClaimLine.patient_id,
                                      (ClaimLineEvent, ClaimLineEvent.claim_line_id == ClaimLine.id)),
    "supply_issues": _per_patient(SupplyIssue.patient_id),
    "care_events": _per_patient(CareEpisodeEvent.patient_id),
    "clearance_decisions": _per_patient(ClearanceDecision.patient_id),
    "orders": _per_patient(HomeTestingOrder.patient_id),
    "em_visits": _per_patient(EmVisit.patient_id),
}


def _terms():
    """The terms the rules ran under, as one comparable SQL string: payer terms, the patient's zone, go-live date
    and practice (which practice, its zone, IDTF or not), rules version."""
    return (literal(f"rules {RULES_VERSION}|") + Patient.payer_code + "|" + Payer.supply_trigger + "|"
            + Payer.review_code + "|" + Payer.training_code + "|" + Patient.time_zone + "|"
            + func.coalesce(cast(Patient.go_live_on, String), literal("enrolment")) + "|"
            + cast(Practice.id, String) + "|" + Practice.time_zone + "|"
            + case((Practice.bills_as_idtf, literal("idtf")), else_=literal("physicians")))


def _batches_to_check(session: Session, now: datetime, patient_ids: Iterable[int] | None,
                      recheck_all: bool) -> Iterator[list[dict]]:
    """The patients to check now, BATCH_SIZE at a time, with what is seen of their record (counts and terms).

    One query, streamed on a connection of its own so that each batch can commit while it is read. What is
    seen is counted before the rows are loaded: a row added in between is loaded but not counted, so the next
    run looks again; never the other way round.
    """
    counts = {name: query.subquery(name) for name, query in _SEEN.items()}
    seen = {name: func.coalesce(sub.c.n, 0) for name, sub in counts.items()}
    terms = _terms()
    query = (select(Patient.id.label("patient_id"), *(value.label(name) for name, value in seen.items()),
                    terms.label("terms"))
             .join(Payer, Payer.code == Patient.payer_code)
             .join(Practice, Practice.id == Patient.practice_id)
             .outerjoin(ClaimCheck, ClaimCheck.patient_id == Patient.id)
             .order_by(Patient.id))
    for sub in counts.values():
        query = query.outerjoin(sub, sub.c.patient_id == Patient.id)
    if patient_ids is not None:
        query = query.where(Patient.id.in_(list(patient_ids)))
    if not recheck_all:
        # Local dates run up to a day ahead of UTC: look a day early rather than a day late.
        due_by = now.astimezone(timezone.utc).date() + timedelta(days=1)
        query = query.where(or_(ClaimCheck.patient_id.is_(None), ClaimCheck.terms != terms,
                                ClaimCheck.next_due_on <= due_by,
                                *(getattr(ClaimCheck, name) != value for name, value in seen.items())))
    with session.get_bind().connect() as reader:
        for rows in reader.execution_options(stream_results=True, yield_per=BATCH_SIZE).execute(query).partitions():
            yield [dict(row._mapping) for row in rows]


def _record_checks(session: Session, checks: list[dict]) -> None:
    if not checks:
        return
    statement = db.insert(session, ClaimCheck.__table__)
    session.execute(statement.on_conflict_do_update(
        index_elements=["patient_id"],
        set_={column: statement.excluded[column] for column in checks[0] if column != "patient_id"}), checks)


# Results, events and lines are read as plain rows, not ORM objects: a year of weekly results is most of what a
# run reads, and building an ORM object per row was most of its time. Events, lines and the end of care become
# the claim plan's plain values as they are read.
_RESULT_COLUMNS = (InrResult.id, InrResult.public_id, InrResult.patient_id, InrResult.measured_at,
                   InrResult.received_at, InrResult.qc_passed, InrResult.meter_error_code, InrResult.source,
                   InrResult.supersedes_id)
_EVENT_COLUMNS = (BillableEvent.patient_id, BillableEvent.kind, BillableEvent.service_date, BillableEvent.source_id,
                  cast(BillableEvent.result_ids, Text).label("result_ids_json"), BillableEvent.occurred_at,
                  BillableEvent.rendering_provider_id)
# A line with its void, if any: `void_id` is None for a line that was never voided.
_LINE_COLUMNS = (ClaimLine.id, ClaimLine.patient_id, ClaimLine.claim_key, ClaimLine.base_key, ClaimLine.version,
                 ClaimLine.code, ClaimLine.modifier, ClaimLine.units, ClaimLine.date_of_service,
                 cast(ClaimLine.result_ids, Text).label("result_ids_json"),
                 ClaimLine.rule, ClaimLine.note, ClaimLine.tests_done, ClaimLine.rendering_provider_id,
                 ClaimLineEvent.id.label("void_id"),
                 ClaimLineEvent.rebill.label("void_rebill"), ClaimLineEvent.reason.label("void_reason"))


def _load_batch(session: Session, ids: Sequence[int]) -> list[_PatientInputs]:
    patients = session.scalars(
        select(Patient).where(Patient.id.in_(ids)).order_by(Patient.id)
        .options(selectinload(Patient.indication_sets), selectinload(Patient.time_zone_versions),
                 joinedload(Patient.physician), joinedload(Patient.payer), joinedload(Patient.practice)))
    by_id = {p.id: _PatientInputs(p) for p in patients}
    for result in session.execute(select(*_RESULT_COLUMNS).where(InrResult.patient_id.in_(ids))):
        inputs = by_id[result.patient_id]
        inputs.results.append(result)
        inputs.result_ids.append(str(result.public_id))
        if result.supersedes_id is not None:
            inputs.superseded.add(result.supersedes_id)
    for event, result_ids in _with_id_lists(session, select(*_EVENT_COLUMNS).where(BillableEvent.patient_id.in_(ids))
                                            .order_by(BillableEvent.occurred_at, BillableEvent.id)):
        inputs = by_id[event.patient_id]
        # The physician's work is dated by the practice's calendar; a training by the patient's (as recorded).
        day = (practice_date(inputs.patient.practice, event.occurred_at) if event.kind == REVIEW_KIND
               else event.service_date)
        inputs.work.append(BillableWork(event.kind, day, event.source_id, tuple(result_ids),
                                        event.rendering_provider_id if event.kind == REVIEW_KIND else None))
    heads = {patient_id: _correction_heads(inputs) for patient_id, inputs in by_id.items()}
    for line, result_ids in _with_id_lists(session, select(*_LINE_COLUMNS).where(ClaimLine.patient_id.in_(ids))
                                           .outerjoin(ClaimLineEvent, (ClaimLineEvent.claim_line_id == ClaimLine.id)
                                                      & (ClaimLineEvent.kind == "void"))):
        inputs = by_id[line.patient_id]
        # A billed result later corrected is billed as its correction: the week is never counted twice.
        corrected = heads[line.patient_id]
        billed = tuple(corrected.get(rid, rid) for rid in result_ids) if corrected else tuple(result_ids)
        inputs.lines.append(RecordedLine(
            line.claim_key, line.base_key, line.version, line.code, line.modifier, line.units, line.date_of_service,
            billed, line.rule, line.note, line.tests_done, voided=line.void_id is not None,
            rebill=bool(line.void_rebill), void_reason=line.void_reason,
            rendering_provider_id=line.rendering_provider_id))
        inputs.line_ids[line.claim_key] = line.id
    for issue in session.execute(select(SupplyIssue.patient_id, SupplyIssue.issued_on, SupplyIssue.tests_issued)
                                 .where(SupplyIssue.patient_id.in_(ids))):
        by_id[issue.patient_id].supply_issues.append((issue.issued_on, issue.tests_issued))
    for order in session.execute(select(HomeTestingOrder.patient_id, HomeTestingOrder.ordered_on,
                                        HomeTestingOrder.physician_id).where(HomeTestingOrder.patient_id.in_(ids))
                                 .order_by(HomeTestingOrder.id)):
        by_id[order.patient_id].orders.append(claim_rules.HomeTestingOrder(order.ordered_on, order.physician_id))
    for visit in session.execute(select(EmVisit.patient_id, EmVisit.visit_on).where(EmVisit.patient_id.in_(ids))):
        by_id[visit.patient_id].em_visit_dates.add(visit.visit_on)
    for patient_id, care in care_periods_by_patient(session, list(by_id)).items():
        by_id[patient_id].care = care
    for patient_id, periods in periods_by_patient(session, ids).items():
        if patient_id in by_id:
            by_id[patient_id].periods = periods
    return list(by_id.values())


def _with_id_lists(session: Session, query: Select) -> list[tuple[Row, list[str]]]:
    """The query's rows, each with its `result_ids_json` (a JSON list read as text) decoded. The batch's lists are
    decoded in one json.loads: tens of thousands of tiny lists decoded one at a time cost more than reading them."""
    rows = session.execute(query).all()
    lists = json.loads("[" + ",".join(row.result_ids_json for row in rows) + "]")
    return list(zip(rows, lists, strict=True))


def _correction_heads(inputs: _PatientInputs) -> dict[str, str]:
    """For each corrected result (public id), the correction that now stands in its place (the last of a chain)."""
    if not inputs.superseded:
        return {}
    results = inputs.results
    correction_of = {r.supersedes_id: r for r in results if r.supersedes_id is not None}
    heads = {}
    for result in results:
        if result.id in correction_of:
            head = correction_of[result.id]
            while head.id in correction_of:
                head = correction_of[head.id]
            heads[str(result.public_id)] = str(head.public_id)
    return heads


def _plan_for(inputs: _PatientInputs, now: datetime) -> ClaimPlan:
    """The patient's claim plan for their local today, from their loaded record."""
    patient = inputs.patient
    payer = payer_rules(patient.payer)
    decisions, counted = _counted_tests(inputs)
    # A 93793 bills a valid INR measured while the patient was cleared: nothing is billed while suspended.
    valid = managed_while_cleared(decisions)
    imported = {rid for rid, r in zip(inputs.result_ids, inputs.results, strict=True) if r.source == IMPORT_SOURCE}
    return plan_claims(counted, inputs.work, inputs.lines, payer, today=local_date(patient, now),
                       patient_id=str(patient.public_id), billing_entity_is_idtf=patient.practice.bills_as_idtf,
                       supplies_issued=inputs.supply_issues, care=inputs.care, orders=inputs.orders,
                       valid_inr_ids=valid, em_visit_dates=inputs.em_visit_dates, bills_from=patient.go_live_on,
                       imported_ids=imported)


def _provider_npis(session: Session, batch: Sequence[_PatientInputs]) -> dict[int, str | None]:
    """The NPI of every user a line of the batch may name as rendering provider, read once."""
    ids = {inputs.patient.physician_id for inputs in batch}
    for inputs in batch:
        ids |= {work.provider_id for work in inputs.work if work.provider_id is not None}
        ids |= {order.physician_id for order in inputs.orders if order.physician_id is not None}
        ids |= {line.rendering_provider_id for line in inputs.lines if line.rendering_provider_id is not None}
    return dict(session.execute(select(User.id, User.npi).where(User.id.in_(ids))).all()) if ids else {}


def _counted_tests(inputs: _PatientInputs) -> tuple[list[CountDecision], list[CountedTest]]:
    """Each result's counting decision, and the results that count (one per billing week) with their local test
    and report days, each judged in the zone in force at it."""
    zones = zone_history(inputs.patient)
    superseded = inputs.superseded
    decisions = count_weekly_tests(
        [ResultForCounting(rid, r.measured_at, r.qc_passed, r.meter_error_code, r.source == "phone",
                           r.id in superseded, r.source == IMPORT_SOURCE)
         for rid, r in zip(inputs.result_ids, inputs.results, strict=True)],
        inputs.periods, zones)
    # The decisions come in the results' order, each with its local test day.
    return decisions, [CountedTest(d.result_id, d.measured_on, zones.local_date(r.received_at))
                       for d, r in zip(decisions, inputs.results, strict=True) if d.counts]


def _diagnoses(patient: Patient, day: date | None) -> tuple[str, list[str]]:
    """The principal (first covered) code and the secondary codes of the indication version in force on the (local)
    date of service (any day, None, for a patient with one version or none)."""
    if len(patient.indication_sets) <= 1:
        versions = patient.indication_sets  # the only version is in force whatever the day (below: the first)
    else:
        end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(patient.time_zone))
        versions = [v for v in patient.indication_sets if v.effective_from < end_of_day] or patient.indication_sets[:1]
    if not versions or not versions[-1].codes:
        return "", []
    return versions[-1].codes[0], list(versions[-1].secondary_codes or ())


def _line_rows(inputs: _PatientInputs, drafts: Sequence[ClaimDraft], now: datetime, run_id: uuid.UUID,
               npis: dict[int, str | None]) -> list[dict]:
    """The drafts whose key has no line yet, as rows; a key whose versions were all voided for correction gets
    ':v<n>'. The rendering provider is who did the work (the physician of record where the rules name no one);
    the billing provider is the patient's practice."""
    patient = inputs.patient
    practice = patient.practice
    # Read once per patient, not per line (ORM attributes).
    patient_id, payer_code, physician_id = patient.id, patient.payer_code, patient.physician_id
    group_npi, practice_name, practice_id = practice.group_npi, practice.name, practice.id
    only_diagnoses = _diagnoses(patient, None) if len(patient.indication_sets) <= 1 else None
    versions: dict[str, list[RecordedLine]] = defaultdict(list)
    for line in inputs.lines:
        versions[line.base_key].append(line)
    rows = []
    for draft in drafts:
        existing = sorted(versions[draft.key], key=lambda line: line.version) if draft.key in versions else []
        if any(not line.awaiting_reissue for line in existing):
            continue  # recorded already (or withdrawn): re-running never bills twice
        version = len(existing) + 1
        provider = draft.rendering_provider_id or physician_id
        principal, secondary = only_diagnoses or _diagnoses(patient, draft.date_of_service)
        rows.append(dict(
            public_id=uuid.uuid4(), claim_key=draft.key if version == 1 else f"{draft.key}:v{version}",
            base_key=draft.key, version=version, patient_id=patient_id, payer_code=payer_code,
            code=draft.code, modifier=draft.modifier, units=draft.units, date_of_service=draft.date_of_service,
            diagnosis=principal, secondary_diagnoses=list(secondary), rendering_provider_id=provider,
            rendering_provider_npi=npis.get(provider), billing_provider_npi=group_npi,
            billing_provider_name=practice_name, practice_id=practice_id, result_ids=list(draft.result_ids),
            rule=draft.rule, note=draft.note[:1000], tests_done=draft.tests_done, held_reason=draft.held_reason,
            corrects_id=inputs.line_ids[existing[-1].claim_key] if existing else None, created_at=now,
            generation_run_id=run_id))
    return rows
