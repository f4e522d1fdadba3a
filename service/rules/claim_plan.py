"""One patient's claim plan on one day: every line their record calls for, the days skipped and why, and the next
day something falls due with nothing new recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from service.rules.claims import (
    SKIP_WAITING_AT_END_OF_CARE,
    TESTS_PER_UNIT,
    ClaimDraft,
    CountedTest,
    EndReason,
    InterpretedTest,
    ReviewEvent,
    Skipped,
    management_claims,
    partial_supply_claim,
    review_claims_due,
    supply_claims_due,
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
    """Work that happened, as recorded for billing: a training or a review of results, on a patient-local day."""

    kind: str  # TRAINING_KIND or REVIEW_KIND
    service_date: date
    source_id: str = ""  # the review's id, named in a 93793 line's note
    result_ids: tuple[str, ...] = ()


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
    supplies_issued_on: Sequence[date] = (),
    end_of_care: EndOfCare | None = None,
) -> ClaimPlan:
    """The lines due by the patient-local `today` that `recorded` does not hold yet: G0249, G0250, 93793,
    training, the -52 line once care has ended, and reissues of lines voided for correction.

    `counted` are the patient's counted tests (one per billing week) whatever their date; `recorded` is every
    line ever written for them, voided or not. With the same inputs, any day before `next_due_on` gives the same
    plan. Raises ValueError when the payer names a code or trigger the rules do not know.
    """
    # After the end of care nothing is dated later than its last day.
    horizon = min(today, end_of_care.effective_on) if end_of_care else today
    in_care = [t for t in counted if t.measured_on <= horizon]

    # Every line ever written has consumed its work, voided or not: the rules never bill it again. A line voided
    # for correction is reissued as it was (below); a withdrawn one only stops counting as the previous claim
    # of the 28-day rule. A line voided for correction whose tests do not all count any more (a result on it was
    # corrected into no valid INR, or into a week that already had one) is released instead: its key is ended
    # and its tests that still count are billed afresh by the per-four rules, as the key's next version when
    # the set starts with the same test.
    still_billable = {SUPPLIES: {t.result_id for t in counted},
                      PHYSICIAN_REVIEW: {t.result_id for t in _interpreted(counted, [w for w in work
                                                                                     if w.kind == REVIEW_KIND])}}
    released = _released_keys(recorded, still_billable)
    recorded = [line for line in recorded if line.base_key not in released]
    standing = [line for line in recorded if not line.withdrawn]

    def billed_ids(code: str) -> set[str]:
        return {rid for line in recorded if line.code == code for rid in line.result_ids}

    def last_date(code: str) -> date | None:
        return max((line.date_of_service for line in standing if line.code == code), default=None)

    supply = supply_claims_due(in_care, billed_ids(SUPPLIES), last_date(SUPPLIES), payer, today=horizon,
                               patient_id=patient_id, supplies_issued_on=sorted(supplies_issued_on))

    reviews = [w for w in work if w.kind == REVIEW_KIND and w.service_date <= horizon]
    review = review_claims_due(_interpreted(in_care, reviews), billed_ids(PHYSICIAN_REVIEW),
                               last_date(PHYSICIAN_REVIEW), payer, billing_entity_is_idtf=billing_entity_is_idtf,
                               today=horizon, patient_id=patient_id)

    management = management_claims(
        [ReviewEvent(w.source_id, w.service_date, w.result_ids) for w in reviews],
        {line.date_of_service for line in recorded if line.code == MANAGEMENT}, payer=payer, patient_id=patient_id)

    trainings = [w.service_date for w in work if w.kind == TRAINING_KIND and w.service_date <= horizon]
    training = training_claim(min(trainings, default=None),
                              any(line.base_key == training_key(patient_id) for line in recorded), payer,
                              patient_id=patient_id)

    drafts = [*supply.drafts, *review.drafts, *management.drafts]
    if training is not None:
        drafts.append(training)
    skipped = list(management.skipped)
    if end_of_care is not None and today >= end_of_care.effective_on:
        # The tests neither billed before nor by this run's full sets: 1-3 make a -52 line.
        taken = billed_ids(SUPPLIES) | {rid for d in supply.drafts for rid in d.result_ids}
        left = [t for t in in_care if t.result_id not in taken]
        last_supply = max((d.date_of_service for d in supply.drafts), default=last_date(SUPPLIES))
        partial = partial_supply_claim(left, end_of_care.effective_on, end_of_care.reason, last_supply, payer,
                                       patient_id=patient_id)
        if partial is not None:
            drafts.append(partial)
        elif len(left) >= TESTS_PER_UNIT:
            # A full set still waiting out the 28 days when care ended: no rule dates it; the biller decides.
            skipped.append(Skipped(f"{SUPPLIES}:{patient_id}:{left[0].result_id}", SKIP_WAITING_AT_END_OF_CARE))

    # With nothing new recorded, the rules give something more only on a day that something waits for: a set
    # waiting out its 28 days, or a test, review, training or end of care dated after today.
    later = [day for day in (supply.waits_until, review.waits_until, *(t.measured_on for t in counted),
                             *(w.service_date for w in work), end_of_care and end_of_care.effective_on)
             if day is not None and day > today]
    return ClaimPlan((*drafts, *_reissues(recorded)), tuple(skipped), min(later, default=None))


def _interpreted(counted: Sequence[CountedTest], reviews: Sequence[BillableWork]) -> list[InterpretedTest]:
    """The counted tests a review interpreted, each on the first day one did (G0250 counts interpreted tests)."""
    interpreted_on: dict[str, date] = {}
    for review in reviews:
        for rid in review.result_ids:
            interpreted_on[rid] = min(interpreted_on.get(rid, review.service_date), review.service_date)
    return [InterpretedTest(t.result_id, t.measured_on, interpreted_on[t.result_id])
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

    Code, date, units and results are kept; diagnosis and providers are taken afresh when the line is recorded.
    """
    latest: dict[str, RecordedLine] = {}
    for line in sorted(recorded, key=lambda line: line.version):
        latest[line.base_key] = line
    return [
        ClaimDraft(code=line.code, modifier=line.modifier, units=line.units, date_of_service=line.date_of_service,
                   result_ids=line.result_ids, rule=line.rule, key=line.base_key,
                   note=f"reissue of {line.claim_key} (void: {line.void_reason}); {line.note}",
                   tests_done=line.tests_done)
        for line in latest.values() if line.awaiting_reissue
    ]
