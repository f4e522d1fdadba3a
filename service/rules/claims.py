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
SKIP_OFFICE_VISIT = "office_em_visit_same_day"  # 93793
SKIP_NO_INR = "no_inr_reviewed"  # 93793
SKIP_WAITING_AT_END_OF_CARE = "waiting_at_end_of_care"  # G0249: a full set still waiting out 28 days at the end


@dataclass(frozen=True)
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

    def __post_init__(self) -> None:
        if self.code in RETIRED_CODES:
            raise ValueError(f"{self.code} was deleted in 2018 and is never produced")


@dataclass(frozen=True)
class CountedTest:
    result_id: str
    measured_on: date  # patient's local date
    reported_on: date


@dataclass(frozen=True)
class InterpretedTest:
    result_id: str
    measured_on: date
    interpreted_on: date


@dataclass(frozen=True)
class ReviewEvent:
    review_id: str
    patient_local_date: date
    result_ids: tuple[str, ...]


@dataclass(frozen=True)
class Skipped:
    key: str
    reason: str


@dataclass(frozen=True)
class DueLines:
    """Per-four lines due by `today`, and the date the first set still waiting becomes due (None: none waits).

    `waits_until` is what lets claim generation leave a patient alone until then: with nothing new recorded,
    the same call on an earlier day produces the same lines.
    """

    drafts: tuple[ClaimDraft, ...]
    waits_until: date | None = None


@dataclass(frozen=True)
class ManagementClaims:
    drafts: tuple[ClaimDraft, ...]
    skipped: tuple[Skipped, ...]


# --- G0249: supplies, per four counted tests ---------------------------------------------------------------


def supply_claims_due(
    counted: Sequence[CountedTest],
    already_billed_result_ids: Collection[str],
    last_supply_service_date: date | None,
    payer: PayerRules,
    *,
    today: date,
    patient_id: str,
    supplies_issued_on: Sequence[date] = (),
) -> DueLines:
    """G0249 lines due by `today`: one per four not-yet-billed counted tests, in chronological order.

    A set of four whose date of service would fall within 28 days of the previous G0249 waits: its date is
    pushed to previous + 28 and it is produced only once that day has come. Sets behind it wait too, since
    their earliest date depends on it. Nothing is dropped; a later run produces them.
    """
    if payer.supply_trigger not in ("fourth_test", "supply_issue"):
        raise ValueError(f"unknown supply_trigger {payer.supply_trigger!r}")
    unbilled = [t for t in counted if t.result_id not in already_billed_result_ids]

    def trigger_date(completed_on: date) -> tuple[date, str]:
        if payer.supply_trigger == "fourth_test":
            return completed_on, f"4th test reported {completed_on}"
        # Supplies that served these tests were issued before the last one was reported; with no issue
        # recorded by then, fall back to the report date rather than bill on a future issue.
        issued = [d for d in supplies_issued_on if d <= completed_on]
        if not issued:
            return completed_on, f"no supply issue recorded by {completed_on}; billed on 4th report"
        return max(issued), f"supplies issued {max(issued)}"

    return _per_four_lines(
        [(t.result_id, t.measured_on, t.reported_on) for t in unbilled],
        last_service=last_supply_service_date,
        trigger_date=trigger_date,
        today=today,
        code=SUPPLIES,
        rule="G0249.per_4_tests",
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
    """G0250 lines due by `today` for payers whose review code is G0250; none for 93793 payers or an IDTF."""
    _require_review_code(payer)
    # 93793 payers are billed per review day by management_claims; an IDTF is not a physician and may not bill G0250.
    if payer.review_code != PHYSICIAN_REVIEW or billing_entity_is_idtf:
        return DueLines(())
    unbilled = [t for t in interpreted if t.result_id not in already_billed_result_ids]
    return _per_four_lines(
        [(t.result_id, t.measured_on, t.interpreted_on) for t in unbilled],
        last_service=last_review_service_date,
        trigger_date=lambda completed_on: (completed_on, f"4th test interpreted {completed_on}"),
        today=today,
        code=PHYSICIAN_REVIEW,
        rule="G0250.per_4_tests",
        patient_id=patient_id,
    )


def _per_four_lines(
    tests: Sequence[tuple[str, date, date]],
    *,
    last_service: date | None,
    trigger_date: Callable[[date], tuple[date, str]],
    today: date,
    code: str,
    rule: str,
    patient_id: str,
) -> DueLines:
    """Shared G0249/G0250 shape: tests are (result_id, measured_on, done_on); done_on is reported/interpreted."""
    ordered = sorted(tests, key=lambda t: (t[1], t[0]))  # chronological; id only breaks ties deterministically
    complete = len(ordered) - len(ordered) % TESTS_PER_UNIT  # a trailing set of 1-3 waits for more tests
    drafts: list[ClaimDraft] = []
    previous = last_service
    for i in range(0, complete, TESTS_PER_UNIT):
        group = ordered[i : i + TESTS_PER_UNIT]
        # "After the 4th test is completed and reported": the set is done when its last member is, which
        # may be an earlier test that was reported late.
        completed_on = max(done_on for _, _, done_on in group)
        due_on, why = trigger_date(completed_on)
        service_on = due_on
        if previous is not None and service_on < previous + timedelta(days=MIN_DAYS_BETWEEN):
            service_on = previous + timedelta(days=MIN_DAYS_BETWEEN)
            why += f"; waited to {service_on}, 28 days after {code} of {previous}"
        if service_on > today:
            # Wait, do not drop: the run on `service_on` produces it, and everything after it.
            return DueLines(tuple(drafts), waits_until=service_on)
        result_ids = tuple(result_id for result_id, _, _ in group)
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
    already_billed_dates: Collection[date],
    office_visit_dates: Collection[date] = frozenset(),
    *,
    payer: PayerRules,
    patient_id: str,
) -> ManagementClaims:
    """93793 lines: one per patient-local day with reviews, for payers whose review code is 93793.

    Days already billed are left out silently (that is re-running, not a decision); a day with an office
    E/M visit, or whose reviews name no INR, is returned in `skipped` with its reason.
    """
    _require_review_code(payer)
    # G0250 payers are billed per four tests by review_claims_due; producing both would bill the review twice.
    if payer.review_code != MANAGEMENT:
        return ManagementClaims((), ())
    by_day: dict[date, list[ReviewEvent]] = defaultdict(list)
    for event in review_events:
        by_day[event.patient_local_date].append(event)

    drafts: list[ClaimDraft] = []
    skipped: list[Skipped] = []
    for day in sorted(by_day):
        if day in already_billed_dates:
            continue
        key = f"{MANAGEMENT}:{patient_id}:{day.isoformat()}"
        events = sorted(by_day[day], key=lambda e: e.review_id)
        result_ids = tuple(sorted({rid for e in events for rid in e.result_ids}))
        if day in office_visit_dates:
            skipped.append(Skipped(key, SKIP_OFFICE_VISIT))  # the E/M visit already pays for that day's management
        elif not result_ids:
            skipped.append(Skipped(key, SKIP_NO_INR))  # 93793 is the review of a new INR
        else:
            drafts.append(
                ClaimDraft(
                    code=MANAGEMENT,
                    modifier=None,
                    units=1,
                    date_of_service=day,
                    result_ids=result_ids,
                    rule="93793.once_per_day",
                    key=key,
                    note=f"{len(events)} review(s) of {len(result_ids)} INR(s): "
                         + ", ".join(e.review_id for e in events),
                )
            )
    return ManagementClaims(tuple(drafts), tuple(skipped))


# --- 93792 / G0248: training, once ----------------------------------------------------------------------------


def training_claim(
    competency_completed_on: date | None, already_billed: bool, payer: PayerRules, *, patient_id: str
) -> ClaimDraft | None:
    """The payer's training code, once per patient, dated the day competency was documented."""
    if payer.training_code not in TRAINING_CODES:
        raise ValueError(f"unknown training_code {payer.training_code!r}")
    # Without documented competency the training is not billable; billed once means never again.
    if competency_completed_on is None or already_billed:
        return None
    return ClaimDraft(
        code=payer.training_code,
        modifier=None,
        units=1,
        date_of_service=competency_completed_on,
        result_ids=(),
        rule="training.once_at_initiation",
        key=training_key(patient_id),
        note=f"competency documented {competency_completed_on}",
    )


def training_key(patient_id: str) -> str:
    """The key of a patient's one training line. Not keyed by code: a payer that moves from G0248 to 93792
    must not get a second training line."""
    return f"training:{patient_id}"


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
    test was reported, never after `ended_on`. The 28-day rule does not move this line: pushing it would put
    the service after death, discharge or the last covered day, and there is no later test to wait for. When
    it falls within 28 days of the previous G0249 the note says so, for the biller to see.
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
    note = f"{reason} {ended_on}; {done} of {TESTS_PER_UNIT} tests done"
    too_soon = last_supply_service_date is not None and (
        service_on < last_supply_service_date + timedelta(days=MIN_DAYS_BETWEEN))
    if too_soon:
        note += f"; within 28 days of G0249 of {last_supply_service_date}, payer may deny"
    return ClaimDraft(
        code=SUPPLIES,
        modifier=PARTIAL_MODIFIER,
        units=1,
        date_of_service=service_on,
        result_ids=tuple(t.result_id for t in ordered),
        rule="G0249.partial_52",
        key=f"{SUPPLIES}-{PARTIAL_MODIFIER}:{patient_id}:{ordered[0].result_id}",
        note=note,
        tests_done=done,
    )
