"""When the next home INR test is due: the physician's instruction while it is in force, otherwise the weekly cadence
from the last valid INR, shortened after a critical value and to the same day after a reading with no valid INR.

The rule (domain.md, "When the next test is due") weighs the latest of what happened:

- an instruction (a review's next test date) with no reading since it was given is the plan: its date;
- a reading after it is news the instruction did not weigh: the instruction still holds until a valid INR is
  measured on or after its date, but the readings may call for an earlier test (the earlier of the two wins);
- from the readings alone: after a reading that is not a valid INR, retest that same day; after a critical value
  (critical against the patient's own range then: service.rules.flags), `after_critical_days` after it;
  otherwise `weekly_days` after the last valid INR.

Days are the patient's local days; readings a correction replaced are left out by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

WEEKLY = "weekly"  # the weekly cadence after a valid INR
CRITICAL_RECHECK = "critical_recheck"  # shortened after a critical value
RETEST_INVALID = "retest_invalid"  # no valid INR: retest the same day
INSTRUCTION = "physician_instruction"  # the physician's next test date
REASONS = (WEEKLY, CRITICAL_RECHECK, RETEST_INVALID, INSTRUCTION)


@dataclass(frozen=True)
class Reading:
    """A stored reading as this rule sees it: when (the instant, and the patient's local day), whether it is a
    valid INR, and whether that INR was critical against the patient's range then."""

    at: datetime
    day: date
    valid: bool
    critical: bool = False


@dataclass(frozen=True)
class Instruction:
    """A physician's "next test on" date, and when it was given (the review)."""

    given_at: datetime
    test_on: date


@dataclass(frozen=True)
class Cadence:
    """The clinic's numbers (INR_NEXT_TEST_WEEKLY_DAYS, INR_NEXT_TEST_AFTER_CRITICAL_DAYS)."""

    weekly_days: int = 7
    after_critical_days: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.after_critical_days <= self.weekly_days:
            raise ValueError("the recheck after a critical value must come within the weekly cadence")


@dataclass(frozen=True)
class NextTest:
    due_on: date
    reason: str  # one of REASONS


def next_test_due(readings: Sequence[Reading], instruction: Instruction | None,
                  cadence: Cadence = Cadence()) -> NextTest | None:
    """The day the next test is due and why; None with no reading and no instruction."""
    from_readings = _from_readings(readings, cadence)
    if instruction is None:
        return from_readings
    since = [r for r in readings if _utc(r.at) > _utc(instruction.given_at)]
    if not since:
        return NextTest(instruction.test_on, INSTRUCTION)
    if any(r.valid and r.day >= instruction.test_on for r in since):
        return from_readings  # the instructed test was done: the readings speak again
    if from_readings is not None and from_readings.due_on < instruction.test_on:
        return from_readings
    return NextTest(instruction.test_on, INSTRUCTION)


def _from_readings(readings: Sequence[Reading], cadence: Cadence) -> NextTest | None:
    if not readings:
        return None
    ordered = sorted(readings, key=lambda r: _utc(r.at))
    latest = ordered[-1]
    if not latest.valid:
        return NextTest(latest.day, RETEST_INVALID)
    if latest.critical:
        return NextTest(latest.day + timedelta(days=cadence.after_critical_days), CRITICAL_RECHECK)
    return NextTest(latest.day + timedelta(days=cadence.weekly_days), WEEKLY)


def _utc(moment: datetime) -> datetime:
    # Compared in UTC: Python ignores `fold` between datetimes sharing a tzinfo (the repeated DST hour).
    return moment.astimezone(timezone.utc)
