"""Continued correct use (NCD 190.11 criterion 3): a reassessment due 12 calendar months after the last competent
sign-off, overdue the day after (a routine alert), suspended after 30 days' grace; a "not yet" reassessment
suspends at once (domain.md, "Continued correct use")."""

from datetime import date

import pytest

from service.rules.reassessment import (
    CURRENT,
    OVERDUE,
    SUSPEND,
    reassessment_schedule,
    suspends_at_once,
)


@pytest.mark.parametrize(
    ("last", "months", "grace", "due_by", "overdue_from", "suspend_from"),
    [
        (date(2025, 11, 23), 12, 30, date(2026, 11, 23), date(2026, 11, 24), date(2026, 12, 24)),
        (date(2024, 2, 29), 12, 30, date(2025, 2, 28), date(2025, 3, 1), date(2025, 3, 31)),  # leap day: 28 Feb
        (date(2023, 2, 28), 12, 30, date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 30)),  # over a leap day
        (date(2026, 1, 31), 1, 0, date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 1)),  # no grace: same day
        (date(2025, 12, 31), 6, 30, date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 31)),  # across a year end
    ],
)
def test_due_overdue_and_suspension_days(last, months, grace, due_by, overdue_from, suspend_from):
    schedule = reassessment_schedule(last, months, grace)
    assert (schedule.due_by, schedule.overdue_from, schedule.suspend_from) == (due_by, overdue_from, suspend_from)


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2026, 11, 22), CURRENT),
        (date(2026, 11, 23), CURRENT),  # the due day itself: still in time
        (date(2026, 11, 24), OVERDUE),  # the day after: the routine alert
        (date(2026, 12, 23), OVERDUE),  # the 30th day of grace
        (date(2026, 12, 24), SUSPEND),  # grace over: suspended
        (date(2027, 6, 1), SUSPEND),
    ],
)
def test_a_reassessment_is_overdue_the_day_after_it_was_due_and_suspends_after_the_grace(today, state):
    assert reassessment_schedule(date(2025, 11, 23), 12, 30).state(today) == state


def test_a_schedule_needs_a_whole_interval_and_no_negative_grace():
    with pytest.raises(ValueError):
        reassessment_schedule(date(2025, 11, 23), 0, 30)
    with pytest.raises(ValueError):
        reassessment_schedule(date(2025, 11, 23), 12, -1)


@pytest.mark.parametrize(
    ("kind", "outcome", "suspends"),
    [
        ("reassessment", "not_yet", True),
        ("retraining", "not_yet", True),
        ("initial", "not_yet", False),  # never cleared on it: nothing to suspend
        ("reassessment", "competent", False),
        ("retraining", "competent", False),
    ],
)
def test_a_reassessment_or_retraining_signed_not_yet_competent_suspends_at_once(kind, outcome, suspends):
    assert suspends_at_once(kind, outcome) is suspends
