"""When a reported result and a next test date may lie, and who may correct an entry (domain.md: corrections; issue 10
#6 and #17: bounded dates, and a clinical value from a fast-clock meter never dropped)."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from service.rules.entries import (
    NOT_THEIR_ENTRY,
    ROLE_MAY_NOT,
    WINDOW_PASSED,
    earliest_result_day,
    latest_next_test_date,
    place_reading,
    why_not_correctable,
)

RECEIVED = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
SKEW = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("stated", "placed_at", "ahead"),
    [
        (RECEIVED - timedelta(days=2), RECEIVED - timedelta(days=2), False),
        (RECEIVED, RECEIVED, False),
        (RECEIVED + SKEW, RECEIVED + SKEW, False),  # exactly the allowed skew: the device's time stands
        (RECEIVED + SKEW + timedelta(seconds=1), RECEIVED, True),  # beyond it: placed at its receipt
        (RECEIVED + timedelta(days=400), RECEIVED, True),  # a meter a year ahead still reports a real value
        # The same instant in another offset is the same instant.
        (datetime(2026, 11, 23, 10, 4, tzinfo=ZoneInfo("America/New_York")),
         datetime(2026, 11, 23, 15, 4, tzinfo=timezone.utc), False),
    ],
)
def test_a_reading_from_a_clock_running_ahead_is_placed_at_its_receipt_never_refused(stated, placed_at, ahead):
    placement = place_reading(stated, RECEIVED, SKEW)
    assert (placement.at, placement.device_clock_ahead) == (placed_at, ahead)


def test_placing_a_reading_needs_aware_times():
    with pytest.raises(ValueError):
        place_reading(datetime(2026, 11, 23, 10), RECEIVED, SKEW)


@pytest.mark.parametrize(
    ("warfarin_start", "enrolled_on", "days", "earliest", "why"),
    [
        (date(2025, 1, 10), date(2026, 11, 23), 90, date(2026, 8, 25), "more than 90 days before the patient was"),
        (date(2026, 10, 1), date(2026, 11, 23), 90, date(2026, 10, 1), "started warfarin on 2026-10-01"),
        (None, date(2026, 11, 23), 90, date(2026, 8, 25), "earlier history is imported"),
        (date(2026, 8, 25), date(2026, 11, 23), 90, date(2026, 8, 25), "warfarin on 2026-08-25"),  # a tie: warfarin
        (date(2024, 2, 29), date(2024, 3, 1), 1, date(2024, 2, 29), "started warfarin on 2024-02-29"),  # leap day
        (None, date(2024, 3, 1), 1, date(2024, 2, 29), "more than 1 days"),
        (None, date(2026, 11, 23), 0, date(2026, 11, 23), "more than 0 days"),
    ],
)
def test_a_result_is_not_dated_before_warfarin_started_or_long_before_enrolment(warfarin_start, enrolled_on, days,
                                                                                 earliest, why):
    bound = earliest_result_day(warfarin_start, enrolled_on, days)
    assert bound.day == earliest
    assert why in bound.why


@pytest.mark.parametrize(
    ("today", "latest"),
    [
        (date(2026, 11, 23), date(2027, 11, 23)),
        (date(2024, 2, 29), date(2025, 2, 28)),  # a leap day's year ends on 28 February
        (date(2026, 12, 31), date(2027, 12, 31)),
    ],
)
def test_a_next_test_date_lies_within_a_year(today, latest):
    assert latest_next_test_date(today) == latest


WINDOW = timedelta(hours=24)


@pytest.mark.parametrize(
    ("role", "theirs", "elapsed", "refused"),
    [
        ("physician", False, timedelta(days=400), None),  # staff correct any result, any time
        ("admin", False, timedelta(days=1), None),
        ("patient", True, timedelta(hours=23, minutes=59), None),
        ("patient", True, WINDOW, None),  # exactly 24 hours: still within
        ("patient", True, WINDOW + timedelta(seconds=1), WINDOW_PASSED),
        ("caregiver", True, timedelta(hours=1), None),
        ("caregiver", False, timedelta(hours=1), NOT_THEIR_ENTRY),  # the patient's own entry is not the caregiver's
        ("patient", False, timedelta(hours=1), NOT_THEIR_ENTRY),  # a value phoned in and typed by staff
        ("trainer", False, timedelta(hours=1), ROLE_MAY_NOT),
        ("biller", True, timedelta(hours=1), ROLE_MAY_NOT),
    ],
)
def test_staff_correct_any_result_and_patients_or_caregivers_their_own_within_24_hours(role, theirs, elapsed, refused):
    assert why_not_correctable(role, theirs, RECEIVED, RECEIVED + elapsed, WINDOW) == refused


def test_the_self_correction_window_is_elapsed_time_across_a_dst_change():
    new_york = ZoneInfo("America/New_York")
    received = datetime(2026, 10, 31, 12, tzinfo=new_york)
    assert why_not_correctable("patient", True, received, datetime(2026, 11, 1, 11, tzinfo=new_york), WINDOW) is None
    assert why_not_correctable("patient", True, received, datetime(2026, 11, 1, 11, 1, tzinfo=new_york),
                               WINDOW) == WINDOW_PASSED
