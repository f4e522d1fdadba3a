"""The biller's code reference: what each code produced pays for, and the rules a line of it went through."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from service.rules.codes import DEMONSTRATION, MANAGEMENT, PHYSICIAN_REVIEW, SUPPLIES, TRAINING


@dataclass(frozen=True)
class AppliedRule:
    id: str  # the ClaimDraft.rule a line carries, or a rule it went through
    text: str


@dataclass(frozen=True)
class CodeReference:
    code: str
    descriptor: str
    rules: tuple[AppliedRule, ...]


_TRAINING_RULES = (
    AppliedRule("training.once_at_initiation", "Once per patient, when home testing starts; never billed again."),
    AppliedRule("training.requires_competency", "Only once the trainee's ability to test and report is documented."),
    AppliedRule("training.requires_order",
                "Only with a physician's order for home INR testing dated on or before the training; otherwise the "
                "training is skipped (no_order_by_training)."),
    AppliedRule("training.rendering_provider",
                "Rendering provider: the physician whose order the training followed (the supervising physician)."),
)

# For the biller's reference route: every code service.rules.claims produces and the rules each line went through.
CODE_REFERENCE: Mapping[str, CodeReference] = MappingProxyType(
    {
        TRAINING: CodeReference(
            TRAINING,
            "Patient/caregiver training for initiation of home INR monitoring, incl. face-to-face use and care of "
            "the monitor, obtaining the sample, reporting results, and documentation of the ability to perform them",
            _TRAINING_RULES,
        ),
        DEMONSTRATION: CodeReference(
            DEMONSTRATION,
            "Demonstration, prior to initiation of home INR monitoring, of use and care of the INR monitor, "
            "obtaining the sample, reporting results, and documentation of the ability to perform them",
            _TRAINING_RULES,
        ),
        SUPPLIES: CodeReference(
            SUPPLIES,
            "Provision of test materials and equipment for home INR monitoring, incl. reporting of test results "
            "to the physician; per 4 tests",
            (
                AppliedRule("G0249.per_4_tests", "1 unit = 4 counted tests (at most one counts per billing week)."),
                AppliedRule(
                    "G0249.trigger",
                    "Payer 'fourth_test' (default, Noridian A55756): date of service = the day the last of the "
                    "four was reported. Payer 'supply_issue': see G0249.supply_issue.",
                ),
                AppliedRule(
                    "G0249.supply_issue",
                    "Payer 'supply_issue': each set takes one unit of the oldest supply issue left on or before the "
                    "day the set was complete (an issue of n tests backs n / 4 units and no more) and is dated by it; "
                    "when the 28 days move it, it goes to the later of that day and the 4th report, never before its "
                    "tests. A set no issue backs is billed on its 4th report.",
                ),
                AppliedRule("G0249.rendering_provider", "Rendering provider: the physician who ordered home testing."),
                AppliedRule(
                    "G0249.28_days_apart",
                    "At least 28 days after the previous G0249; a line due earlier waits, it is never dropped.",
                ),
                AppliedRule(
                    "G0249.partial_52",
                    "Period of care ended (discharged, died, left coverage) with 1-3 tests: 1 unit, modifier 52, "
                    "tests done recorded; within 28 days of the previous G0249 the line is held for the biller "
                    "(partial_within_28_days), who releases or voids it.",
                ),
            ),
        ),
        PHYSICIAN_REVIEW: CodeReference(
            PHYSICIAN_REVIEW,
            "Physician review, interpretation and patient management of home INR testing; per 4 tests",
            (
                AppliedRule("G0250.per_4_tests",
                            "1 unit = 4 counted, interpreted tests; payers with review_code G0250."),
                AppliedRule("G0250.dos_fourth_interpreted", "Date of service = the day the 4th was interpreted."),
                AppliedRule(
                    "G0250.28_days_apart",
                    "At least 28 days after the previous G0250; a line due earlier waits, it is never dropped.",
                ),
                AppliedRule("G0250.not_idtf", "Never billed by an IDTF: physicians only."),
                AppliedRule("G0250.rendering_provider",
                            "Rendering provider: the physician who interpreted the 4th test (a covering physician "
                            "under their own NPI); dated by the practice's local date."),
            ),
        ),
        MANAGEMENT: CodeReference(
            MANAGEMENT,
            "Anticoagulant management: review and interpretation of a new home, office or lab INR, patient "
            "instructions, dosage adjustment as needed, and scheduling of additional test(s)",
            (
                AppliedRule("93793.new_valid_inr",
                            "At most once per patient per practice-local day, for reviews that interpret at least "
                            "one new valid INR not covered by an earlier 93793; a review of invalid readings only "
                            "(no_valid_inr_reviewed) or of INRs already managed (inr_already_managed) is skipped."),
                AppliedRule("93793.not_with_office_em",
                            "Not on a day with an office/outpatient, telephone or online E/M service with the practice "
                            "(recorded E/M visits); the day is skipped (office_em_visit_same_day)."),
                AppliedRule("93793.rendering_provider", "Rendering provider: the reviewing physician."),
            ),
        ),
    }
)
