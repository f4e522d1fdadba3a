"""Claim lines for home INR testing: which codes are due, on which date of service, under which rule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from service.rules.codes import (
    MANAGEMENT,
    PARTIAL_MODIFIER,
    PHYSICIAN_REVIEW,
    RETIRED_CODES,
    REVIEW_CODES,
    SUPPLIES,
    TRAINING_CODES,
)
from service.rules.payer import PayerRules

TESTS_PER_UNIT = 4  # G0249 and G0250: one unit is four tests
MIN_DAYS_BETWEEN = 28  # G0249 and G0250: no more than once every 4 weeks
EndReason = Literal["discharged", "died", "left_coverage"]
END_REASONS: tuple[str, ...] = ("discharged", "died", "left_coverage")

# Why a day or a set was not billed (Skipped.reason).
SKIP_OFFICE_VISIT = "office_em_visit_same_day"  # 93793: the E/M service pays for that day's management
SKIP_NO_INR = "no_inr_reviewed"  # 93793: the reviews named no result at all
SKIP_NO_VALID_INR = "no_valid_inr_reviewed"  # 93793: only failed strips, meter errors or corrected entries
SKIP_INR_ALREADY_MANAGED = "inr_already_managed"  # 93793: every valid INR reviewed was covered by an earlier 93793
SKIP_WAITING_AT_END_OF_CARE = "waiting_at_end_of_care"  # G0249: a full set still waiting out 28 days at the end
SKIP_NO_ORDER = "no_order_by_training"  # 93792/G0248: no home-testing order dated on or before the training
SKIP_IMPORTED_INR = "imported_inr_only"  # 93793: every valid INR reviewed was imported history, never billed here

# Why a recorded line waits for the biller (ClaimDraft.held_reason starts with it).
HOLD_PARTIAL_WITHIN_28_DAYS = "partial_within_28_days"

SUPPLY_ISSUE_RULE = "G0249.supply_issue"  # a G0249 backed by one unit of a recorded supply issue


@dataclass(frozen=True, slots=True)
class ClaimDraft:
    """One claim line to record. `key` is its natural identity: storing it unique makes re-runs harmless."""

    code: str
    modifier: str | None
    units: int
    date_of_service: date
    result_ids: tuple[str, ...]
    rule: str
    key: str
    note: str
    tests_done: int | None = None
    rendering_provider_id: int | None = None  # who did the work; None: the plan fills it in (or the caller)
    held_reason: str | None = None  # recorded, but kept from export until the biller releases it

    def __post_init__(self) -> None:
        if self.code in RETIRED_CODES:
            raise ValueError(f"{self.code} was deleted in 2018 and is never produced")


@dataclass(frozen=True, slots=True)
class CountedTest:
    result_id: str
    measured_on: date  # patient's local date
    reported_on: date


@dataclass(frozen=True, slots=True)
class InterpretedTest:
    result_id: str
    measured_on: date
    interpreted_on: date
    interpreted_by: int | None = None  # the physician of the first review that interpreted it


@dataclass(frozen=True, slots=True)
class ReviewEvent:
    review_id: str
    service_date: date  # the practice's local date of the review
    result_ids: tuple[str, ...]
    reviewer_id: int | None = None


@dataclass(frozen=True, slots=True)
class HomeTestingOrder:
    """A physician's order for home INR testing: its date and who signed it (the ordering physician)."""

    ordered_on: date
    physician_id: int | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class DueLines:
    """Per-four lines due by `today`, and the date the first set still waiting becomes due (None: none waits).

    `waits_until` is what lets claim generation leave a patient alone until then: with nothing new recorded,
    the same call on an earlier day produces the same lines.
    """

    drafts: tuple[ClaimDraft, ...]
    waits_until: date | None = None


@dataclass(frozen=True, slots=True)
class ManagementClaims:
    drafts: tuple[ClaimDraft, ...]
    skipped: tuple[Skipped, ...]


# --- G0249: supplies, per four counted tests ---------------------------------------------------------------


def supply_units(issues: Sequence[tuple[date, int]]) -> list[date]:
    """One date per unit the recorded supply issues back, oldest first: an issue of n tests backs n // 4 units
    and no more (domain.md, "Supplies issued")."""
    return sorted(day for day, tests in issues for _ in range(tests // TESTS_PER_UNIT))


def supply_claims_due(
    counted: Sequence[CountedTest],
    already_billed_result_ids: Collection[str],
    last_supply_service_date: date | None,
    payer: PayerRules,
    *,
    today: date,
    patient_id: str,
    supply_units_left: Sequence[date] = (),
) -> DueLines:
    """G0249 lines due by `today`: one per four not-yet-billed counted tests, in chronological order.

    A set of four whose date of service would fall within 28 days of the previous G0249 waits: its date is
    pushed to previous + 28 and it is produced only once that day has come. Sets behind it wait too, since
    their earliest date depends on it. Nothing is dropped; a later run produces them.

    Payer "supply_issue": each set takes the oldest unit left of an issue made by the day the set was complete
    (`supply_units_left`, from supply_units less the units earlier lines took), and is dated by that issue. A
    date of service never precedes the service it bills: a set whose issue date the 28 days move is dated the
    later of 28 days after the previous G0249 and the day its 4th test was reported, never a day before its tests.
    A set no issue backs is billed on its 4th report, as under "fourth_test".
    """
    if payer.supply_trigger not in ("fourth_test", "supply_issue"):
        raise ValueError(f"unknown supply_trigger {payer.supply_trigger!r}")
    unbilled = [t for t in counted if t.result_id not in already_billed_result_ids]
    units = list(supply_units_left)

    def trigger_date(completed_on: date, previous: date | None) -> tuple[date, str, str]:
        rule = "G0249.per_4_tests"
        if payer.supply_trigger == "fourth_test":
            due_on, why = completed_on, f"4th test reported {completed_on}"
        elif units and units[0] <= completed_on:
            issued = units.pop(0)
            due_on, why, rule = issued, f"supplies issued {issued}", SUPPLY_ISSUE_RULE
        else:
            due_on = completed_on
            why = f"no supply issue left to back these tests by {completed_on}; billed on 4th report"
        if previous is not None and due_on < previous + timedelta(days=MIN_DAYS_BETWEEN):
            due_on = previous + timedelta(days=MIN_DAYS_BETWEEN)
            if rule == SUPPLY_ISSUE_RULE and due_on < completed_on:
                due_on = completed_on  # never dated before the tests it bills
            why += f"; waited to {due_on}, 28 days after {SUPPLIES} of {previous}"
        return due_on, why, rule

    return _per_four_lines(
        [(t.result_id, t.measured_on, t.reported_on, None) for t in unbilled],
        last_service=last_supply_service_date,
        trigger_date=trigger_date,
        today=today,
        code=SUPPLIES,
        patient_id=patient_id,
    )


# --- G0250: physician review, per four interpreted tests ----------------------------------------------------


def review_claims_due(
    interpreted: Sequence[InterpretedTest],
    already_billed_result_ids: Collection[str],
    last_review_service_date: date | None,
    payer: PayerRules,
    *,
    billing_entity_is_idtf: bool,
    today: date,
    patient_id: str,
) -> DueLines:
    """G0250 lines due by `today` for payers whose review code is G0250; none for 93793 payers or an IDTF.

    The rendering provider is the physician who interpreted the test that completed the set (on its date of
    service): a covering physician's interpretation goes out under their own NPI.
    """
    _require_review_code(payer)
    # 93793 payers are billed per review day by management_claims; an IDTF is not a physician and may not bill G0250.
    if payer.review_code != PHYSICIAN_REVIEW or billing_entity_is_idtf:
        return DueLines(())
    unbilled = [t for t in interpreted if t.result_id not in already_billed_result_ids]

    def trigger_date(completed_on: date, previous: date | None) -> tuple[date, str, str]:
        due_on, why = completed_on, f"4th test interpreted {completed_on}"
        if previous is not None and due_on < previous + timedelta(days=MIN_DAYS_BETWEEN):
            due_on = previous + timedelta(days=MIN_DAYS_BETWEEN)
            why += f"; waited to {due_on}, 28 days after {PHYSICIAN_REVIEW} of {previous}"
        return due_on, why, "G0250.per_4_tests"

    return _per_four_lines(
        [(t.result_id, t.measured_on, t.interpreted_on, t.interpreted_by) for t in unbilled],
        last_service=last_review_service_date,
        trigger_date=trigger_date,
        today=today,
        code=PHYSICIAN_REVIEW,
        patient_id=patient_id,
    )


def _per_four_lines(
    tests: Sequence[tuple[str, date, date, int | None]],
    *,
    last_service: date | None,
    trigger_date: Callable[[date, date | None], tuple[date, str, str]],
    today: date,
    code: str,
    patient_id: str,
) -> DueLines:
    """Shared G0249/G0250 shape: tests are (result_id, measured_on, done_on, done_by); done_on is the day it was
    reported (G0249) or interpreted (G0250). `trigger_date(completed_on, previous)` dates a set, 28 days included."""
    ordered = sorted(tests, key=lambda t: (t[1], t[0]))  # chronological; id only breaks ties deterministically
    complete = len(ordered) - len(ordered) % TESTS_PER_UNIT  # a trailing set of 1-3 waits for more tests
    drafts: list[ClaimDraft] = []
    previous = last_service
    for i in range(0, complete, TESTS_PER_UNIT):
        group = ordered[i : i + TESTS_PER_UNIT]
        # "After the 4th test is completed and reported": the set is done when its last member is, which
        # may be an earlier test that was reported late.
        last_done = max(group, key=lambda t: (t[2], t[1], t[0]))
        completed_on = last_done[2]
        service_on, why, rule = trigger_date(completed_on, previous)
        if service_on > today:
            # Wait, do not drop: the run on `service_on` produces it, and everything after it.
            return DueLines(tuple(drafts), waits_until=service_on)
        result_ids = tuple(result_id for result_id, _, _, _ in group)
        drafts.append(
            ClaimDraft(
                code=code,
                modifier=None,
                units=1,
                date_of_service=service_on,
                result_ids=result_ids,
                rule=rule,
                key=f"{code}:{patient_id}:{result_ids[0]}",
                note=why,
                tests_done=TESTS_PER_UNIT,
                rendering_provider_id=last_done[3],
            )
        )
        previous = service_on
    return DueLines(tuple(drafts))


def _require_review_code(payer: PayerRules) -> None:
    # A misspelt code would otherwise mean "bill no review at all", silently.
    if payer.review_code not in REVIEW_CODES:
        raise ValueError(f"unknown review_code {payer.review_code!r}")


# --- 93793: anticoagulant management, per day ---------------------------------------------------------------


def management_claims(
    review_events: Sequence[ReviewEvent],
    already_managed_result_ids: Collection[str],
    already_billed_dates: Collection[date],
    office_visit_dates: Collection[date] = frozenset(),
    *,
    valid_inr_ids: Collection[str] | None = None,
    imported_ids: Collection[str] = frozenset(),
    payer: PayerRules,
    patient_id: str,
) -> ManagementClaims:
    """93793 lines for payers whose review code is 93793: one per practice-local day whose reviews interpret at
    least one new valid INR, i.e. a valid INR (`valid_inr_ids`; None: every result named) that no earlier 93793
    covers (`already_managed_result_ids`, and the days before it in this call) and that was not imported from
    another system's history (`imported_ids`: managed, if billed at all, by whoever monitored the patient then).

    Days already billed are left out silently (that is re-running, not a decision). A day with an office,
    telephone or online E/M service, a day whose reviews name no INR, only invalid readings, only imported INRs, or
    only INRs already managed is returned in `skipped` with its reason. An E/M day's INRs count as managed (the
    visit paid for it). The rendering provider is the physician of the first review that day to interpret a new INR.
    """
    _require_review_code(payer)
    # G0250 payers are billed per four tests by review_claims_due; producing both would bill the review twice.
    if payer.review_code != MANAGEMENT:
        return ManagementClaims((), ())
    by_day: dict[date, list[ReviewEvent]] = defaultdict(list)
    for event in review_events:
        by_day[event.service_date].append(event)

    managed = set(already_managed_result_ids)
    drafts: list[ClaimDraft] = []
    skipped: list[Skipped] = []
    for day in sorted(by_day):
        events = by_day[day]
        named = [rid for e in events for rid in e.result_ids]
        valid = [rid for rid in named if valid_inr_ids is None or rid in valid_inr_ids]
        billable = [rid for rid in valid if rid not in imported_ids]
        new = tuple(sorted(set(billable) - managed))
        managed.update(valid)
        if day in already_billed_dates:
            continue
        key = f"{MANAGEMENT}:{patient_id}:{day.isoformat()}"
        if day in office_visit_dates:
            skipped.append(Skipped(key, SKIP_OFFICE_VISIT))
        elif not named:
            skipped.append(Skipped(key, SKIP_NO_INR))
        elif not valid:
            skipped.append(Skipped(key, SKIP_NO_VALID_INR))
        elif not billable:
            skipped.append(Skipped(key, SKIP_IMPORTED_INR))
        elif not new:
            skipped.append(Skipped(key, SKIP_INR_ALREADY_MANAGED))
        else:
            reviewer = next(e.reviewer_id for e in events if set(e.result_ids) & set(new))
            drafts.append(
                ClaimDraft(
                    code=MANAGEMENT,
                    modifier=None,
                    units=1,
                    date_of_service=day,
                    result_ids=new,
                    rule="93793.new_valid_inr",
                    key=key,
                    note=f"{len(events)} review(s), {len(new)} new INR(s): " + ", ".join(e.review_id for e in events),
                    rendering_provider_id=reviewer,
                )
            )
    return ManagementClaims(tuple(drafts), tuple(skipped))


# --- 93792 / G0248: training, once ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainingClaim:
    draft: ClaimDraft | None
    skipped: Skipped | None = None


def training_claim(
    competency_completed_on: date | None,
    already_billed: bool,
    payer: PayerRules,
    *,
    patient_id: str,
    orders: Sequence[HomeTestingOrder] = (),
) -> TrainingClaim:
    """The payer's training code, once per patient, dated the day competency was documented, when a physician's
    order for home INR testing is dated on or before that day; the ordering physician supervised it and is the
    rendering provider. Without such an order the training is skipped with its reason."""
    if payer.training_code not in TRAINING_CODES:
        raise ValueError(f"unknown training_code {payer.training_code!r}")
    # Without documented competency the training is not billable; billed once means never again.
    if competency_completed_on is None or already_billed:
        return TrainingClaim(None)
    in_force = [order for order in orders if order.ordered_on <= competency_completed_on]
    if not in_force:
        return TrainingClaim(None, Skipped(training_key(patient_id), SKIP_NO_ORDER))
    order = max(in_force, key=lambda o: o.ordered_on)
    return TrainingClaim(ClaimDraft(
        code=payer.training_code,
        modifier=None,
        units=1,
        date_of_service=competency_completed_on,
        result_ids=(),
        rule="training.once_at_initiation",
        key=training_key(patient_id),
        note=f"competency documented {competency_completed_on}; ordered {order.ordered_on}",
        rendering_provider_id=order.physician_id,
    ))


def training_key(patient_id: str) -> str:
    """The key of a patient's one training line. Not keyed by code: a payer that moves from G0248 to 93792
    must not get a second training line."""
    return f"training:{patient_id}"


def ordering_physician(orders: Sequence[HomeTestingOrder], day: date) -> int | None:
    """The physician of the latest order on or before `day` (the first order, for a day before any): G0249's
    rendering provider."""
    if not orders:
        return None
    in_force = [order for order in orders if order.ordered_on <= day]
    return max(in_force or [min(orders, key=lambda o: o.ordered_on)], key=lambda o: o.ordered_on).physician_id


# --- G0249-52: a period that ended before its fourth test ---------------------------------------------------


def partial_supply_claim(
    counted_unbilled: Sequence[CountedTest],
    ended_on: date,
    reason: EndReason,
    last_supply_service_date: date | None,
    payer: PayerRules,
    *,
    patient_id: str,
) -> ClaimDraft | None:
    """G0249-52 for the 1-3 counted tests left unbilled when home testing ended; None for 0 or 4+.

    Call it after supply_claims_due, with what that left unbilled. Date of service: the day the last done
    test was reported, never after `ended_on`. The 28-day spacing holds for partial lines too, but pushing this
    line would put the service after death, discharge or the last covered day: a line within 28 days of the
    previous G0249 is recorded held for the biller, with the reason, instead of going out with the next export.
    `payer` is taken so both G0249 paths are called alike; no payer setting changes this line today.
    """
    if reason not in END_REASONS:
        raise ValueError(f"reason must be one of {END_REASONS}, not {reason!r}")
    if any(t.measured_on > ended_on for t in counted_unbilled):
        raise ValueError("a test measured after the end date cannot be billed")
    done = len(counted_unbilled)
    if not 1 <= done < TESTS_PER_UNIT:
        return None
    ordered = sorted(counted_unbilled, key=lambda t: (t.measured_on, t.result_id))
    service_on = min(max(t.reported_on for t in ordered), ended_on)
    held = None
    if last_supply_service_date is not None and (
            service_on < last_supply_service_date + timedelta(days=MIN_DAYS_BETWEEN)):
        held = (f"{HOLD_PARTIAL_WITHIN_28_DAYS}: dated {service_on}, within 28 days of {SUPPLIES} of "
                f"{last_supply_service_date}")
    return ClaimDraft(
        code=SUPPLIES,
        modifier=PARTIAL_MODIFIER,
        units=1,
        date_of_service=service_on,
        result_ids=tuple(t.result_id for t in ordered),
        rule="G0249.partial_52",
        key=f"{SUPPLIES}-{PARTIAL_MODIFIER}:{patient_id}:{ordered[0].result_id}",
        note=f"{reason} {ended_on}; {done} of {TESTS_PER_UNIT} tests done",
        tests_done=done,
        held_reason=held,
    )
