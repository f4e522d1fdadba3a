"""Continued correct use of the meter (NCD 190.11, criterion 3): when a reassessment is due, when it is overdue
(a routine alert), when overdue past its grace (clearance suspended), and which sign-offs suspend at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.rules.eligibility import add_months

CURRENT = "current"
OVERDUE = "overdue"  # past the due day: a routine alert for the physician
SUSPEND = "suspend"  # past the grace as well: home-testing clearance is suspended
STATES = (CURRENT, OVERDUE, SUSPEND)

# A session of these kinds signed "not yet competent" while the patient is cleared says the patient does not use
# the meter correctly any more: clearance is suspended at once (a failed initial training changes nothing, the
# patient was not cleared on it).
SUSPENDING_KINDS = ("reassessment", "retraining")


@dataclass(frozen=True)
class ReassessmentSchedule:
    """Local days, from the last competent sign-off: due by (inclusive), overdue from, suspended from."""

    last_demonstrated_on: date
    due_by: date
    overdue_from: date
    suspend_from: date

    def state(self, today: date) -> str:
        if today >= self.suspend_from:
            return SUSPEND
        if today >= self.overdue_from:
            return OVERDUE
        return CURRENT


def reassessment_schedule(last_demonstrated_on: date, months: int, grace_days: int) -> ReassessmentSchedule:
    """Due `months` calendar months after the last competent sign-off (clamped to the month's end: 31 Jan + 1 month
    is 28 or 29 Feb); overdue the day after; suspended once `grace_days` more days have passed."""
    if months < 1 or grace_days < 0:
        raise ValueError("months must be at least 1 and grace_days not negative")
    due_by = add_months(last_demonstrated_on, months)
    return ReassessmentSchedule(last_demonstrated_on, due_by, due_by + timedelta(days=1),
                                due_by + timedelta(days=grace_days + 1))


def suspends_at_once(kind: str, outcome: str) -> bool:
    """Whether a signed session suspends a cleared patient's home testing at once."""
    return kind in SUSPENDING_KINDS and outcome == "not_yet"
