"""What a reported result and a physician's next test date may say about time, and who may correct an entry when.

- A meter whose clock runs ahead still reports a real value: it is never refused. Beyond the allowed skew the
  device's stated time is kept as evidence, and the receipt time places the reading on the timeline (its week,
  its order, its interval).
- A result dated before the patient's world began is refused: not before warfarin was started (an INR of a
  patient not yet on warfarin is no home monitoring), and not more than `days_before_enrolment` before the patient
  was enrolled (older history is an import, recorded as such by a later feature, not a report).
- A physician's next test date lies within a year: a later one is no plan for weekly home monitoring.
- Staff correct any result; a patient or caregiver corrects only an entry they made themselves, within a window
  after it was received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from service.rules.eligibility import add_months

STAFF_CORRECTORS = ("physician", "admin")
SELF_CORRECTORS = ("patient", "caregiver")
NEXT_TEST_HORIZON_MONTHS = 12

# Why a correction is refused (Correction.refused).
NOT_THEIR_ENTRY = "not_their_entry"
WINDOW_PASSED = "window_passed"
ROLE_MAY_NOT = "role_may_not_correct"


@dataclass(frozen=True)
class Placement:
    """Where a reading stands on the timeline: at the device's time, or (clock ahead) at its receipt."""

    at: datetime
    device_clock_ahead: bool


def place_reading(stated: datetime, received: datetime, skew: timedelta) -> Placement:
    """A stated time more than `skew` after receipt comes from a clock that runs ahead: place it at its receipt."""
    if stated.tzinfo is None or received.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    if stated.astimezone(timezone.utc) > received.astimezone(timezone.utc) + skew:
        return Placement(received.astimezone(timezone.utc), True)
    return Placement(stated.astimezone(timezone.utc), False)


@dataclass(frozen=True)
class EarliestDay:
    day: date
    why: str


def earliest_result_day(warfarin_start: date | None, enrolled_on: date, days_before_enrolment: int) -> EarliestDay:
    """The first local day a reported result may be dated: the later of warfarin's start (when recorded) and
    enrolment less `days_before_enrolment`."""
    bounds = []
    if warfarin_start is not None:  # first: on a tie, the clinical reason is the one given
        bounds.append(EarliestDay(warfarin_start, f"the patient started warfarin on {warfarin_start}"))
    bounds.append(EarliestDay(enrolled_on - timedelta(days=days_before_enrolment),
                              f"it would lie more than {days_before_enrolment} days before the patient was enrolled "
                              f"({enrolled_on}); earlier history is imported, not reported"))
    return max(bounds, key=lambda bound: bound.day)


def latest_next_test_date(today: date) -> date:
    """The last day a physician may set as the next test: a year ahead (clamped at month end)."""
    return add_months(today, NEXT_TEST_HORIZON_MONTHS)


def why_not_correctable(role: str, entered_by_them: bool, received_at: datetime, now: datetime,
                        window: timedelta) -> str | None:
    """None when `role` may correct the entry now; otherwise why not. Staff (the physician of record, an admin)
    correct any result; a patient or caregiver their own entry, up to `window` after it was received (inclusive)."""
    if role in STAFF_CORRECTORS:
        return None
    if role not in SELF_CORRECTORS:
        return ROLE_MAY_NOT
    if not entered_by_them:
        return NOT_THEIR_ENTRY
    if now.astimezone(timezone.utc) - received_at.astimezone(timezone.utc) > window:  # elapsed, not wall clock
        return WINDOW_PASSED
    return None
