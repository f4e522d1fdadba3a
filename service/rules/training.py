"""Competency rules for a training session: does the supervised test agree, and may it be signed competent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

DEMONSTRATED = "demonstrated"
EXPLAINED = "explained"
NEEDS_PRACTICE = "needs_practice"
ITEM_OUTCOMES = (DEMONSTRATED, EXPLAINED, NEEDS_PRACTICE)
# The elements CPT 93792 pays for are skills: the trainee must show them, hearing about them is not enough.
BILLED_CATEGORY = "93792"


@dataclass(frozen=True)
class ChecklistEntry:
    key: str
    category: str
    required: bool


def readings_agree(trainee_inr: Decimal, clinic_inr: Decimal | None, tolerance: Decimal) -> bool | None:
    """Whether the trainee's meter and the clinic's comparison agree within `tolerance` INR (inclusive).

    None when there was no comparison reading: agreement is then simply unknown, not assumed.
    """
    if clinic_inr is None:
        return None
    return abs(trainee_inr - clinic_inr) <= tolerance


def competency_gaps(checklist: Iterable[ChecklistEntry], outcomes: Mapping[str, str], test_recorded: bool,
                    test_agree: bool | None) -> list[str]:
    """What stands in the way of signing the session "competent"; an empty list means nothing does."""
    gaps = []
    for entry in checklist:
        if not entry.required:
            continue
        outcome = outcomes.get(entry.key)
        if outcome is None:
            gaps.append(f"{entry.key}: not covered")
        elif outcome == NEEDS_PRACTICE:
            gaps.append(f"{entry.key}: needs practice")
        elif entry.category == BILLED_CATEGORY and outcome != DEMONSTRATED:
            gaps.append(f"{entry.key}: must be demonstrated by the trainee")
    if not test_recorded:
        gaps.append("supervised_test: no supervised test recorded")
    elif test_agree is False:
        gaps.append("supervised_test: the trainee's reading does not agree with the clinic's")
    return gaps
