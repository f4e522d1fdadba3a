"""Missed tests on the dashboard: two consecutive Sunday-Saturday weeks with no valid result open one "missed tests"
alert per gap (domain.md, "Missed tests on the dashboard")."""

from datetime import date

import pytest

from service.rules.counting import ClearancePeriod
from service.rules.missed_tests import alerts_physician, cleared_all_week, missed_gap

W = [date(2026, 10, 4 + 7 * i) if i < 4 else date(2026, 11, 1 + 7 * (i - 4)) for i in range(8)]  # Sundays from 4 Oct
CLEARED = [ClearancePeriod(date(2026, 10, 4))]


@pytest.mark.parametrize(
    ("periods", "week", "due"),
    [
        (CLEARED, W[0], True),  # cleared from the week's Sunday
        ([ClearancePeriod(date(2026, 10, 5))], W[0], False),  # cleared from Monday: that week was not due
        ([ClearancePeriod(date(2026, 10, 1), date(2026, 10, 10))], W[0], True),  # through Saturday
        ([ClearancePeriod(date(2026, 10, 1), date(2026, 10, 9))], W[0], False),  # ended on Friday
        ([], W[0], False),
    ],
)
def test_a_week_is_due_only_when_cleared_from_sunday_through_saturday(periods, week, due):
    assert cleared_all_week(periods, week) is due


@pytest.mark.parametrize(
    ("judged", "last_tested", "periods", "gap"),
    [
        (W[3], W[2], CLEARED, (W[3],)),  # one week missed: the patient is reminded, no alert
        (W[3], W[1], CLEARED, (W[2], W[3])),  # two in a row: the alert's gap starts at the first
        (W[5], W[1], CLEARED, (W[2], W[3], W[4], W[5])),  # a longer gap keeps its first week (one alert)
        (W[3], W[3], CLEARED, ()),  # the judged week had a valid INR
        (W[3], None, CLEARED, (W[0], W[1], W[2], W[3])),  # never tested: back to the first due week
        (W[3], None, [ClearancePeriod(date(2026, 10, 12))], (W[2], W[3])),  # cleared mid-week: not due that week
        (W[3], None, [ClearancePeriod(date(2026, 10, 4), date(2026, 10, 10)), ClearancePeriod(date(2026, 10, 18))],
         (W[2], W[3])),  # a suspension between: a new gap
        (W[2], None, [ClearancePeriod(date(2026, 10, 4), date(2026, 10, 17))], ()),  # judged week not due
    ],
)
def test_the_gap_runs_back_to_the_week_after_the_last_valid_inr_through_due_weeks_only(judged, last_tested, periods,
                                                                                       gap):
    assert missed_gap(judged, last_tested, periods) == gap


@pytest.mark.parametrize(("weeks", "alerts"), [((), False), ((W[0],), False), ((W[0], W[1]), True),
                                               ((W[0], W[1], W[2]), True)])
def test_two_missed_weeks_alert_the_physician(weeks, alerts):
    assert alerts_physician(weeks) is alerts
