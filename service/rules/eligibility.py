"""Whether a patient is cleared for home INR self-testing under NCD 190.11 and the payer's extra criteria."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from service.rules.indications import DEFAULT_COVERED_DIAGNOSES, CoveredDiagnoses, IndicationError, check_indication
from service.rules.payer import PayerRules

MET = "met"
NOT_MET = "not_met"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Demonstration:
    """A signed face-to-face session: initial training, retraining or reassessment, and whether the trainee
    demonstrated correct use ("competent") or not yet."""

    on: date
    kind: str  # "initial", "retraining" or "reassessment"
    competent: bool
    trainee: str  # as the evidence names them: "the patient", "caregiver Ana Lima"
    by_caregiver: bool = False


TRAINING_KINDS = ("initial", "retraining")  # face-to-face training (93792 / G0248)


@dataclass(frozen=True)
class PhysicianOrder:
    signed_on: date
    physician: str


@dataclass(frozen=True)
class EligibilityFacts:
    """What is on file for one patient.

    home_testing_start: the first home test on or after the patient was first cleared (results before clearance
                        are kept and shown, and block nothing); None means "evaluate as of today".
    demonstrations: every signed session, in any order.
    extra_facts: answers to the payer's extra criteria by name; None (or absent) means not yet recorded.
    """

    indications: tuple[str, ...] = ()
    # Recorded beside the indications (e.g. Z79.01): they go on claims but never establish eligibility.
    secondary_diagnoses: tuple[str, ...] = ()
    warfarin_start: date | None = None
    home_testing_start: date | None = None
    demonstrations: tuple[Demonstration, ...] = ()
    physician_order: PhysicianOrder | None = None
    extra_facts: Mapping[str, bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CriterionResult:
    name: str
    status: str  # "met", "not_met" or "unknown"
    evidence: str


@dataclass(frozen=True)
class Clearance:
    criteria: tuple[CriterionResult, ...]

    @property
    def cleared(self) -> bool:
        # Unknown is not met: a patient is cleared only on recorded facts.
        return all(criterion.status == MET for criterion in self.criteria)

    @property
    def outstanding(self) -> tuple[CriterionResult, ...]:
        return tuple(criterion for criterion in self.criteria if criterion.status != MET)


def evaluate_clearance(
    facts: EligibilityFacts,
    payer: PayerRules,
    today: date,
    covered: CoveredDiagnoses = DEFAULT_COVERED_DIAGNOSES,
) -> Clearance:
    """Evaluate every criterion, in a fixed order, so the clinic sees all that is missing at once."""
    criteria = [
        _covered_indication(facts, covered),
        _anticoagulated_long_enough(facts, payer, today),
        _face_to_face_training(facts, payer, today),
        _physician_order(facts, today),
        _continued_correct_use(facts, payer, today),
    ]
    criteria.extend(_extra_criterion(name, facts.extra_facts.get(name)) for name in payer.extra_criteria)
    return Clearance(tuple(criteria))


def add_months(day: date, months: int) -> date:
    """Same day of the month `months` later (or earlier), clamped to the month's last day (Jan 31 + 1 -> Feb 28)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


def _covered_indication(facts: EligibilityFacts, covered: CoveredDiagnoses) -> CriterionResult:
    name = "covered_indication"
    # Only the indications are read: a secondary diagnosis never makes a patient eligible, covered or not.
    if not facts.indications:
        return CriterionResult(name, UNKNOWN, "no diagnosis recorded")
    accepted, refused = [], []
    for code in facts.indications:
        try:
            accepted.append(check_indication(code, covered))
        except IndicationError as error:
            refused.append(error.message)
    if accepted:
        return CriterionResult(name, MET, f"covered diagnosis: {', '.join(accepted)}")
    return CriterionResult(name, NOT_MET, "; ".join(refused))


def _anticoagulated_long_enough(facts: EligibilityFacts, payer: PayerRules, today: date) -> CriterionResult:
    # "At least 3 months" is calendar months: started 30 Nov, 3 months are reached on 28 (or 29) Feb.
    name = "anticoagulated_3_months"
    if facts.warfarin_start is None:
        return CriterionResult(name, UNKNOWN, "warfarin start date not recorded")
    reference, label = _home_start_or_today(facts, today)
    months = payer.minimum_anticoagulation_months
    reached = add_months(facts.warfarin_start, months)
    evidence = f"warfarin since {facts.warfarin_start}: {months} calendar months reached on {reached}; {label}"
    if reference >= reached:
        return CriterionResult(name, MET, evidence)
    return CriterionResult(name, NOT_MET, f"{evidence}; home testing can start on {reached}")


def _qualifies(demonstration: Demonstration, payer: PayerRules) -> bool:
    return not demonstration.by_caregiver or payer.caregiver_demonstration_counts


def _whose(payer: PayerRules) -> str:
    if payer.caregiver_demonstration_counts:
        return f"{payer.name} accepts a trained caregiver's demonstration"
    return (f"{payer.name} requires the patient's own demonstration (NCD 190.11: the patient demonstrated correct "
            "use); a caregiver's does not count")


def _face_to_face_training(facts: EligibilityFacts, payer: PayerRules, today: date) -> CriterionResult:
    # This service records training itself, so no record means it has not happened: not_met, not unknown.
    name = "face_to_face_training"
    trainings = sorted((d for d in facts.demonstrations if d.competent and d.kind in TRAINING_KINDS),
                       key=lambda d: d.on)
    qualifying = [d for d in trainings if _qualifies(d, payer)]
    if not qualifying:
        if trainings:
            first = trainings[0]
            return CriterionResult(name, NOT_MET, f"trained {first.trainee} on {first.on}; {_whose(payer)}")
        return CriterionResult(name, NOT_MET, "no face-to-face training with demonstrated competency recorded")
    first = qualifying[0]
    trained = f"trained {first.trainee} on {first.on}"
    if first.by_caregiver:
        trained += f" ({_whose(payer)})"
    if first.on > today:
        return CriterionResult(name, NOT_MET, f"{trained}, which is in the future")
    reference, label = _home_start_or_today(facts, today)
    # NCD 190.11: training must come before the device is used at home.
    if first.on > reference:
        return CriterionResult(name, NOT_MET, f"{trained}, which is after {label}")
    return CriterionResult(name, MET, trained)


def _physician_order(facts: EligibilityFacts, today: date) -> CriterionResult:
    name = "physician_order"
    order = facts.physician_order
    if order is None:
        return CriterionResult(name, NOT_MET, "no physician order for home INR testing on file")
    evidence = f"ordered by {order.physician} on {order.signed_on}"
    if order.signed_on > today:
        return CriterionResult(name, NOT_MET, f"{evidence}, which is in the future")
    return CriterionResult(name, MET, evidence)


def _continued_correct_use(facts: EligibilityFacts, payer: PayerRules, today: date) -> CriterionResult:
    # Before home testing starts, the initial training is the demonstration of correct use; afterwards a
    # reassessment is due every payer.reassessment_months. Either way the latest demonstration counts, and a
    # reassessment or retraining signed "not yet competent" after it means correct use is not shown now.
    name = "continued_correct_use"
    signed = [d for d in facts.demonstrations if d.on <= today and _qualifies(d, payer)]
    competent = [d.on for d in signed if d.competent]
    if not competent:
        return CriterionResult(name, NOT_MET, "no demonstration of correct device use recorded")
    latest = max(competent)
    failed = [d for d in signed if not d.competent and d.kind != "initial" and d.on > latest]
    evidence = f"correct use last demonstrated on {latest}"
    if failed:
        last_failed = max(failed, key=lambda d: d.on)
        return CriterionResult(name, NOT_MET, f"{evidence}; the {last_failed.kind} on {last_failed.on} was signed "
                                              "not yet competent")
    due = add_months(latest, payer.reassessment_months)
    if today <= due:
        return CriterionResult(name, MET, f"{evidence}; reassessment due by {due}")
    return CriterionResult(name, NOT_MET, f"{evidence}; reassessment overdue since {due}")


def _extra_criterion(name: str, answer: bool | None) -> CriterionResult:
    if answer is None:
        return CriterionResult(name, UNKNOWN, "not recorded")
    if not isinstance(answer, bool):
        raise TypeError(f"extra fact {name!r} must be True, False or None, not {answer!r}")
    if answer:
        return CriterionResult(name, MET, "recorded as yes")
    return CriterionResult(name, NOT_MET, "recorded as no")


def _home_start_or_today(facts: EligibilityFacts, today: date) -> tuple[date, str]:
    if facts.home_testing_start is None:
        return today, f"today ({today})"
    return facts.home_testing_start, f"the first home test after clearance ({facts.home_testing_start})"
