from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from service.rules.period import PeriodError, period

NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        # Nothing chosen: the 90 days up to now.
        ({}, (NOW - timedelta(days=90), NOW)),
        ({"window_days": 7}, (NOW - timedelta(days=7), NOW)),
        # Dates are the patient's whole local days: from its first midnight to the midnight after `to`.
        ({"start": date(2026, 10, 1), "end": date(2026, 10, 31)},
         (datetime(2026, 10, 1, tzinfo=NEW_YORK), datetime(2026, 11, 1, tzinfo=NEW_YORK))),
        # A `to` date of today (or later) ends now: no day in the future is counted.
        ({"start": date(2026, 11, 1), "end": date(2026, 11, 23)}, (datetime(2026, 11, 1, tzinfo=NEW_YORK), NOW)),
        ({"start": date(2026, 11, 1), "end": date(2027, 1, 1)}, (datetime(2026, 11, 1, tzinfo=NEW_YORK), NOW)),
        # Only `from`: up to now. Only `to`: the window before it.
        ({"start": date(2026, 11, 1)}, (datetime(2026, 11, 1, tzinfo=NEW_YORK), NOW)),
        ({"end": date(2026, 10, 31), "window_days": 30},
         (datetime(2026, 11, 1, tzinfo=NEW_YORK) - timedelta(days=30), datetime(2026, 11, 1, tzinfo=NEW_YORK))),
        # Instants are taken as they are, whatever their offset.
        ({"start": datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
          "end": datetime(2026, 11, 21, 9, 0, tzinfo=UTC)},
         (datetime(2026, 11, 20, 14, 0, tzinfo=UTC), datetime(2026, 11, 21, 9, 0, tzinfo=UTC))),
        # A date and an instant mix.
        ({"start": date(2026, 11, 20), "end": datetime(2026, 11, 21, 9, 0, tzinfo=UTC)},
         (datetime(2026, 11, 20, tzinfo=NEW_YORK), datetime(2026, 11, 21, 9, 0, tzinfo=UTC))),
    ],
)
def test_a_period_is_the_days_chosen_in_the_patients_zone_and_never_reaches_past_now(bounds, expected):
    assert period(NOW, NEW_YORK, **bounds) == expected


def test_a_single_day_is_a_whole_local_day_even_across_a_dst_change():
    start, end = period(NOW, NEW_YORK, start=date(2026, 11, 1), end=date(2026, 11, 1))
    assert end - start == timedelta(hours=25)  # New York's clocks went back that night


@pytest.mark.parametrize(
    ("bounds", "field"),
    [
        ({"start": date(2026, 11, 2), "end": date(2026, 11, 1)}, "from"),
        ({"start": date(2026, 11, 24)}, "from"),  # starts after now
        ({"start": NOW, "end": NOW}, "from"),
        ({"start": date(2026, 11, 1), "window_days": 7}, "window_days"),
    ],
)
def test_a_period_that_ends_before_it_starts_or_is_given_twice_is_refused(bounds, field):
    with pytest.raises(PeriodError) as refused:
        period(NOW, NEW_YORK, **bounds)
    assert refused.value.field == field
