"""One patient's claim plan on one day: every line their record calls for, the days skipped and why, and the next
day something falls due with nothing new recorded."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date

from service.rules.claims import (
    SKIP_WAITING_AT_END_OF_CARE,
    SUPPLY_ISSUE_RULE,
    TESTS_PER_UNIT,
    ClaimDraft,
    CountedTest,
    EndReason,
    HomeTestingOrder,
    InterpretedTest,
    ReviewEvent,
    Skipped,
    management_claims,
    ordering_physician,
    partial_supply_claim,
    review_claims_due,
    supply_claims_due,
    supply_units,
    training_claim,
    training_key,
)
from service.rules.codes import MANAGEMENT, PHYSICIAN_REVIEW, SUPPLIES
from service.rules.payer import PayerRules

# The billable work the plan reads (BillableEvent.kind): training and review write these.
TRAINING_KIND = "training"  # competency documented: the training is billable
REVIEW_KIND = "result_review"  # a physician interpreted results


@dataclass(frozen=True, slots=True)
class BillableWork:
    """Work that happened, as recorded for billing: a training (patient-local day) or a review of results (the
    practice's local day), and who did it."""

    kind: str  # TRAINING_KIND or REVIEW_KIND
    service_date: date
    source_id: str = ""  # the review's id, named in a 93793 line's note
    result_ids: tuple[str, ...] = ()
    provider_id: int | None = None  # the reviewing physician (a training's comes from the order)


@dataclass(frozen=True, slots=True)
class RecordedLine:
    """A claim line already in the ledger, with its void if it has one."""

    claim_key: str
    base_key: str  # the draft's key; claim_key adds ':v<n>' for a correction
    version: int
    code: str
    modifier: str | None
    units: int
    date_of_service: date
    result_ids: tuple[str, ...]
    rule: str
    note: str
    tests_done: int | None = None
    voided: bool = False
    rebill: bool = False  # void only: bill the same service again as the key's next version
    void_reason: str | None = None
    rendering_provider_id: int | None = None

    @property
    def awaiting_reissue(self) -> bool:
        """Voided for correction: the same service is recorded again as the key's next version."""
        return self.voided and self.rebill

    @property
    def withdrawn(self) -> bool:
        """Voided for good: its work stays consumed and nothing replaces it."""
        return self.voided and not self.rebill


@dataclass(frozen=True, slots=True)
class EndOfCare:
    """The end of the patient's home testing (discharged, died, left coverage): its last day, patient-local."""

    effective_on: date
    reason: EndReason


@dataclass(frozen=True, slots=True)
class CarePeriod:
    """A stretch of home-testing care, patient-local days, both ends included: from `start` (None: from the
    beginning of the record) to `end` (None: still in care), ended for `end_reason`."""

    start: date | None = None
    end: date | None = None
    end_reason: EndReason | None = None

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class ClaimPlan:
    """What the rules call for today: the lines the recorded ones do not cover yet, and the days not billed."""

    drafts: tuple[ClaimDraft, ...]
    skipped: tuple[Skipped, ...]
    next_due_on: date | None  # the first later local day a line falls due with nothing new recorded


def plan_claims(
    counted: Sequence[CountedTest],
    work: Sequence[BillableWork],
    recorded: Sequence[RecordedLine],
    payer: PayerRules,
    *,
    today: date,
    patient_id: str,
    billing_entity_is_idtf: bool,
    supplies_issued: Sequence[tuple[date, int]] = (),
    end_of_care: EndOfCare | None = None,
    care: Sequence[CarePeriod] | None = None,
    orders: Sequence[HomeTestingOrder] = (),
    valid_inr_ids: Collection[str] | None = None,
    em_visit_dates: Collection[date] = (),
    bills_from: date | None = None,
    imported_ids: Collection[str] = frozenset(),
) -> ClaimPlan:
    """The lines due by the patient-local `today` that `recorded` does not hold yet: G0249, G0250, 93793,
    training, a -52 line for each period of care that ended, and reissues of lines voided for correction.

    `counted` are the patient's counted tests (one per billing week) whatever their date; `recorded` is every
    line ever written for them, voided or not. `care` are the periods of care in order (default: one period from
    the beginning, ended by `end_of_care` if given); tests and work outside them are never billed.
    `supplies_issued` are (day, tests issued) per supply issue; `orders` the home-testing orders (93792 needs one
    dated by the training; G0249's rendering provider is the ordering physician); `valid_inr_ids` the results that
    are valid INRs (93793; None: all); `em_visit_dates` the practice-local days of E/M services (no 93793).
    `bills_from` is the patient's go-live date (domain.md "Existing patients"): nothing dated before it is billed,
    as if care began that day (None: from the beginning of the record); `imported_ids` the results imported from
    another system's history (they never count, see service.rules.counting, and a review of them alone bills no
    93793). With the same inputs, any day before `next_due_on` gives the same plan. Raises ValueError when the
    payer names a code or trigger the rules do not know.
    """
    periods = list(care) if care is not None else [CarePeriod(None, end_of_care and end_of_care.effective_on,
                                                              end_of_care and end_of_care.reason)]
    if bills_from is not None:
        periods = billed_from(periods, bills_from)
    last_end = periods[-1].end if periods else None
    # After the last end of care nothing is dated later than its last day.
    horizon = min(today, last_end) if last_end else today

    def in_care(day: date) -> bool:
        return any(period.covers(day) for period in periods)

    in_care_tests = [t for t in counted if in_care(t.measured_on) and t.measured_on <= horizon]

    # Every line ever written has consumed its work, voided or not: the rules never bill it again. A line voided
    # for correction is reissued as it was (below); a withdrawn one only stops counting as the previous claim
    # of the 28-day rule. A line voided for correction whose tests do not all count any more (a result on it was
    # corrected into no valid INR, or into a week that already had one) is released instead: its key is ended
    # and its tests that still count are billed afresh by the per-four rules, as the key's next version when
    # the set starts with the same test.
    counted_ids = {t.result_id for t in counted}
    # The counted tests a review interpreted (what _interpreted keeps of `counted`, without dating each).
    still_billable = {SUPPLIES: counted_ids,
                      PHYSICIAN_REVIEW: counted_ids & {rid for w in work if w.kind == REVIEW_KIND
                                                       for rid in w.result_ids}}
    released = _released_keys(recorded, still_billable)
    recorded = [line for line in recorded if line.base_key not in released]
    standing = [line for line in recorded if not line.withdrawn]

    def billed_ids(code: str) -> set[str]:
        return {rid for line in recorded if line.code == code for rid in line.result_ids}

    def last_date(code: str) -> date | None:
        return max((line.date_of_service for line in standing if line.code == code), default=None)

    drafts: list[ClaimDraft] = []
    skipped: list[Skipped] = []
    waits: list[date] = []

    # G0249, period by period: a set never mixes tests from either side of a gap in care, and each ended period
    # bills what is left of it as a -52 line. Issue units earlier lines took are no longer there to take.
    taken = billed_ids(SUPPLIES)
    previous = last_date(SUPPLIES)
    used_units = len({line.base_key for line in recorded if line.code == SUPPLIES and line.rule == SUPPLY_ISSUE_RULE})
    units = supply_units(supplies_issued)[used_units:]
    for period in periods:
        tests = [t for t in in_care_tests if period.covers(t.measured_on) and t.result_id not in taken]
        period_today = min(today, period.end) if period.end else today
        due = supply_claims_due(tests, taken, previous, payer, today=period_today, patient_id=patient_id,
                                supply_units_left=units)
        units = units[sum(1 for d in due.drafts if d.rule == SUPPLY_ISSUE_RULE):]
        drafts += due.drafts
        taken |= {rid for d in due.drafts for rid in d.result_ids}
        previous = max((d.date_of_service for d in due.drafts), default=previous)
        if due.waits_until is not None:
            waits.append(due.waits_until)
        if period.end is None or today < period.end:
            break  # the period still runs (or has not ended yet today): nothing after it is dated
        # The tests neither billed before nor by full sets: 1-3 make a -52 line.
        left = [t for t in tests if t.result_id not in taken]
        partial = partial_supply_claim(left, period.end, period.end_reason or "discharged", previous, payer,
                                       patient_id=patient_id)
        if partial is not None:
            drafts.append(partial)
            taken |= set(partial.result_ids)
            previous = max(previous or partial.date_of_service, partial.date_of_service)
        elif len(left) >= TESTS_PER_UNIT:
            # A full set still waiting out the 28 days when care ended: no rule dates it; the biller decides.
            skipped.append(Skipped(f"{SUPPLIES}:{patient_id}:{left[0].result_id}", SKIP_WAITING_AT_END_OF_CARE))
    for index, draft in enumerate(drafts):
        if draft.code == SUPPLIES and draft.rendering_provider_id is None:
            drafts[index] = replace(draft, rendering_provider_id=ordering_physician(orders, draft.date_of_service))

    reviews = [w for w in work if w.kind == REVIEW_KIND and w.service_date <= horizon and in_care(w.service_date)]
    review = review_claims_due(_interpreted(in_care_tests, reviews), billed_ids(PHYSICIAN_REVIEW),
                               last_date(PHYSICIAN_REVIEW), payer, billing_entity_is_idtf=billing_entity_is_idtf,
                               today=horizon, patient_id=patient_id)
    if review.waits_until is not None:
        waits.append(review.waits_until)

    management = management_claims(
        [ReviewEvent(w.source_id, w.service_date, w.result_ids, w.provider_id) for w in reviews],
        billed_ids(MANAGEMENT), {line.date_of_service for line in recorded if line.code == MANAGEMENT},
        em_visit_dates, valid_inr_ids=valid_inr_ids, imported_ids=imported_ids, payer=payer, patient_id=patient_id)

    trainings = [w.service_date for w in work
                 if w.kind == TRAINING_KIND and w.service_date <= horizon and in_care(w.service_date)]
    training = training_claim(min(trainings, default=None),
                              any(line.base_key == training_key(patient_id) for line in recorded), payer,
                              patient_id=patient_id, orders=orders)

    drafts += [*review.drafts, *management.drafts]
    skipped += management.skipped
    if training.draft is not None:
        drafts.append(training.draft)
    if training.skipped is not None:
        skipped.append(training.skipped)

    # With nothing new recorded, the rules give something more only on a day that something waits for: a set
    # waiting out its 28 days, or a test, review, training, start or end of care dated after today.
    later = [day for day in (*waits, *(t.measured_on for t in counted), *(w.service_date for w in work),
                             *(p.start for p in periods), *(p.end for p in periods))
             if day is not None and day > today]
    return ClaimPlan((*drafts, *_reissues(recorded)), tuple(skipped), min(later, default=None))


def billed_from(periods: Sequence[CarePeriod], go_live: date) -> list[CarePeriod]:
    """The parts of the periods of care on or after the go-live date: a period that ended before it is dropped, one
    that ran across it starts on it."""
    return [replace(period, start=go_live if period.start is None or period.start < go_live else period.start)
            for period in periods if period.end is None or period.end >= go_live]


def _interpreted(counted: Sequence[CountedTest], reviews: Sequence[BillableWork]) -> list[InterpretedTest]:
    """The counted tests a review interpreted, each on the first day one did (G0250 counts interpreted tests)."""
    interpreted_on: dict[str, date] = {}
    interpreted_by: dict[str, int | None] = {}
    for review in reviews:  # in the order they were recorded: the first review of the earliest day interpreted it
        for rid in review.result_ids:
            if rid not in interpreted_on or review.service_date < interpreted_on[rid]:
                interpreted_on[rid], interpreted_by[rid] = review.service_date, review.provider_id
    return [InterpretedTest(t.result_id, t.measured_on, interpreted_on[t.result_id], interpreted_by.get(t.result_id))
            for t in counted if t.result_id in interpreted_on]


def _released_keys(recorded: Sequence[RecordedLine], still_billable: dict[str, set[str]]) -> set[str]:
    """The per-four keys (G0249, its -52: counted tests; G0250: counted tests a review interpreted) whose latest
    version was voided for correction and names a test that is no longer billable. 93793 and training lines are
    reissued as they were: they bill a review or a training, not tests."""
    latest: dict[str, RecordedLine] = {}
    for line in sorted(recorded, key=lambda line: line.version):
        latest[line.base_key] = line
    return {key for key, line in latest.items()
            if line.awaiting_reissue and line.code in still_billable
            and not set(line.result_ids) <= still_billable[line.code]}


def _reissues(recorded: Sequence[RecordedLine]) -> list[ClaimDraft]:
    """The same service again for each key whose latest version was voided with rebill: a correction.

    Code, date, units, results and rendering provider are kept (the work and who did it have not changed); the
    diagnosis and the billing provider are taken afresh when the line is recorded. A reissue is not held: the
    biller asked for it.
    """
    latest: dict[str, RecordedLine] = {}
    for line in sorted(recorded, key=lambda line: line.version):
        latest[line.base_key] = line
    return [
        ClaimDraft(code=line.code, modifier=line.modifier, units=line.units, date_of_service=line.date_of_service,
                   result_ids=line.result_ids, rule=line.rule, key=line.base_key,
                   note=f"reissue of {line.claim_key} (void: {line.void_reason}); {line.note}",
                   tests_done=line.tests_done, rendering_provider_id=line.rendering_provider_id)
        for line in latest.values() if line.awaiting_reissue
    ]
