"""What a payer's contract changes in the rules: which codes, which triggers, which extra criteria."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.rules.codes import PHYSICIAN_REVIEW, TRAINING


@dataclass(frozen=True)
class PayerRules:
    """Per-payer settings; Medicare's (Noridian) are the defaults.

    supply_trigger: "fourth_test" bills G0249 once the 4th counted test is reported (Noridian A55756);
                    "supply_issue" bills it on the date supplies were issued (other carriers).
    review_code:    "G0250" (physician review of 4 tests) or "93793" (per-INR management).
    training_code:  "93792", or "G0248" for payers that still take the older code.
    extra_criteria: names of eligibility criteria beyond NCD 190.11, e.g. "expected_long_term_anticoagulation".
    minimum_anticoagulation_months: calendar months on warfarin before home use (NCD 190.11: at least 3).
    reassessment_months: the payer's longest interval between demonstrations of correct use (the clinic's own
                    setting applies when it is shorter).
    caregiver_demonstration_counts: whether a trained caregiver's demonstration satisfies "the patient ...
                    demonstrated correct use" (Medicare: no, the patient's own).
    """

    code: str = "medicare"
    name: str = "Medicare"
    supply_trigger: str = "fourth_test"
    review_code: str = PHYSICIAN_REVIEW
    training_code: str = TRAINING
    extra_criteria: tuple[str, ...] = field(default_factory=tuple)
    minimum_anticoagulation_months: int = 3
    reassessment_months: int = 12
    caregiver_demonstration_counts: bool = False


MEDICARE = PayerRules()

# What each extra criterion a payer row may name asks the physician to state (eligibility facts by these names).
EXTRA_CRITERIA = {
    "expected_long_term_anticoagulation": "Anticoagulation is expected to continue long term: more than one year "
                                          "(Florida Blue MCG 01-99000-06).",
    "weekly_self_testing": "The patient will self-test weekly (Florida Blue MCG 01-99000-06).",
}
