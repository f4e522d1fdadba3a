"""Missed weekly tests: which weeks a test was due, and the gap of missed weeks that opens one "missed tests" alert.

A week is due only when the patient was cleared from its Sunday through its Saturday. A gap is the run of due weeks
with no valid INR that ends with the week just judged, back to the week after the last one with a valid INR; two or
more weeks make a gap the physician is alerted to, once per gap (its key is its first week).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from service.rules.counting import ClearancePeriod

_WEEK = timedelta(days=7)
ALERT_AFTER_WEEKS = 2  # two consecutive Sunday-Saturday weeks with no valid result
TWO_MISSED_WEEKS = "two_missed_weeks"  # the alert's reason


def cleared_all_week(periods: Sequence[ClearancePeriod], week: date) -> bool:
    """Cleared from the week's Sunday through its Saturday: only then was a test due that week."""
    return any(p.covers(week) and p.covers(week + timedelta(days=6)) for p in periods)


def missed_gap(judged_week: date, last_tested_week: date | None,
               periods: Sequence[ClearancePeriod]) -> tuple[date, ...]:
    """The missed weeks ending with `judged_week`, oldest first: empty when that week was not due or had a valid INR
    (`last_tested_week` is the latest week with one, None if there is none)."""
    weeks: list[date] = []
    week = judged_week
    while cleared_all_week(periods, week) and (last_tested_week is None or week > last_tested_week):
        weeks.append(week)
        week -= _WEEK
    return tuple(reversed(weeks))


def alerts_physician(gap: Sequence[date]) -> bool:
    return len(gap) >= ALERT_AFTER_WEEKS
