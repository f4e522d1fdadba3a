"""When the next test is due: the physician's instruction while in force, else weekly after the last valid INR,
3 days after a critical one, the same day after a reading with no valid INR (domain.md, "When the next test is due")."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from service.rules.next_test import (
    CRITICAL_RECHECK,
    INSTRUCTION,
    RETEST_INVALID,
    WEEKLY,
    Cadence,
    Instruction,
    NextTest,
    Reading,
    next_test_due,
)

NEW_YORK = ZoneInfo("America/New_York")


def at(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=NEW_YORK)


def reading(day: int, *, valid=True, critical=False, hour=9, month=11) -> Reading:
    moment = at(day, hour, month)
    return Reading(moment, moment.date(), valid, critical)


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ([], None),
        ([reading(2)], NextTest(date(2026, 11, 9), WEEKLY)),
        ([reading(2, critical=True)], NextTest(date(2026, 11, 5), CRITICAL_RECHECK)),
        ([reading(2, valid=False)], NextTest(date(2026, 11, 2), RETEST_INVALID)),  # retest the same day
        # Only the latest reading decides: a valid one after an invalid one restores the weekly cadence...
        ([reading(2, valid=False), reading(2, hour=10)], NextTest(date(2026, 11, 9), WEEKLY)),
        # ... a critical value followed by a normal one too; an invalid one after a critical one is retested now.
        ([reading(2, critical=True), reading(4)], NextTest(date(2026, 11, 11), WEEKLY)),
        ([reading(2, critical=True), reading(3, valid=False)], NextTest(date(2026, 11, 3), RETEST_INVALID)),
        # Order is by instant, not by the order given.
        ([reading(4), reading(2, critical=True)], NextTest(date(2026, 11, 11), WEEKLY)),
        # Across the end of DST (1 Nov) and a month end: local days count, not 24-hour steps.
        ([reading(31, month=10, hour=23)], NextTest(date(2026, 11, 7), WEEKLY)),
        ([reading(30, month=11, critical=True)], NextTest(date(2026, 12, 3), CRITICAL_RECHECK)),
    ],
)
def test_without_an_instruction_the_readings_set_the_cadence(readings, expected):
    assert next_test_due(readings, None) == expected


def test_the_cadence_numbers_are_the_clinics():
    cadence = Cadence(weekly_days=14, after_critical_days=2)
    assert next_test_due([reading(2)], None, cadence) == NextTest(date(2026, 11, 16), WEEKLY)
    assert next_test_due([reading(2, critical=True)], None, cadence) == NextTest(date(2026, 11, 4), CRITICAL_RECHECK)


def test_a_critical_recheck_longer_than_the_week_is_refused():
    with pytest.raises(ValueError):
        Cadence(weekly_days=7, after_critical_days=8)


REVIEW = Instruction(given_at=at(3, 15), test_on=date(2026, 11, 6))  # reviewed on Tuesday: retest on Friday


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        # No reading since the instruction: it is the plan, earlier or later than the cadence.
        ([reading(2, critical=True)], NextTest(date(2026, 11, 6), INSTRUCTION)),
        ([reading(2)], NextTest(date(2026, 11, 6), INSTRUCTION)),
        ([], NextTest(date(2026, 11, 6), INSTRUCTION)),
        # An extra normal test before the date: the instruction still holds (it is the earlier).
        ([reading(2), reading(4)], NextTest(date(2026, 11, 6), INSTRUCTION)),
        # An invalid reading after it: retest the same day (earlier than the instruction).
        ([reading(2), reading(4, valid=False)], NextTest(date(2026, 11, 4), RETEST_INVALID)),
        # A critical value after it, rechecked within 3 days: the instruction's Friday comes first.
        ([reading(2), reading(4, critical=True)], NextTest(date(2026, 11, 6), INSTRUCTION)),
        ([reading(2), reading(3, critical=True, hour=16)], NextTest(date(2026, 11, 6), INSTRUCTION)),  # tie
        # A valid INR on or after the instructed day fulfils it: the readings speak again.
        ([reading(2), reading(6)], NextTest(date(2026, 11, 13), WEEKLY)),
        ([reading(2), reading(7, critical=True)], NextTest(date(2026, 11, 10), CRITICAL_RECHECK)),
        # An invalid reading on the day does not fulfil it: retest that day.
        ([reading(2), reading(6, valid=False)], NextTest(date(2026, 11, 6), INSTRUCTION)),
        # A reading earlier the same day as the review was weighed by it.
        ([reading(3, valid=False, hour=8)], NextTest(date(2026, 11, 6), INSTRUCTION)),
    ],
)
def test_a_physicians_instruction_is_in_force_until_a_valid_inr_on_or_after_its_day(readings, expected):
    assert next_test_due(readings, REVIEW) == expected


def test_an_overdue_instruction_stays_the_due_day():
    assert next_test_due([reading(2)], Instruction(at(3, 15), date(2026, 11, 4))) == \
        NextTest(date(2026, 11, 4), INSTRUCTION)


def test_instants_are_compared_in_utc_across_the_repeated_dst_hour():
    # 01:30 EST (second pass) is after 01:40 EDT (first pass), although its wall clock reads earlier.
    first = datetime(2026, 11, 1, 1, 40, tzinfo=NEW_YORK)
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK)
    readings = [Reading(first, first.date(), False), Reading(second, second.date(), True)]
    assert next_test_due(readings, None) == NextTest(date(2026, 11, 8), WEEKLY)
    assert second.astimezone(timezone.utc) - first.astimezone(timezone.utc) == timedelta(minutes=50)
