from datetime import date, datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from service.rules.billing_week import ZoneHistory, as_history, billing_week, week_bounds, weeks_between

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")
AUCKLAND = ZoneInfo("Pacific/Auckland")
SANTIAGO = ZoneInfo("America/Santiago")
UTC = timezone.utc


@pytest.mark.parametrize(
    ("measured_at", "tz", "week"),
    [
        # Saturday 23:59 local is the last minute of the week; Sunday 00:00 local opens the next one.
        (datetime(2026, 3, 14, 23, 59, tzinfo=NEW_YORK), NEW_YORK, date(2026, 3, 8)),
        (datetime(2026, 3, 15, 0, 0, tzinfo=NEW_YORK), NEW_YORK, date(2026, 3, 15)),
        (datetime(2026, 3, 14, 23, 59, 59, 999999, tzinfo=NEW_YORK), NEW_YORK, date(2026, 3, 8)),
        # Sunday 03:00 UTC is still Saturday 20:00 in Los Angeles: the patient's week decides.
        (datetime(2026, 6, 7, 3, 0, tzinfo=UTC), LOS_ANGELES, date(2026, 5, 31)),
        (datetime(2026, 6, 7, 3, 0, tzinfo=UTC), ZoneInfo("UTC"), date(2026, 6, 7)),
        # Saturday evening UTC is already Sunday in Auckland.
        (datetime(2026, 6, 6, 13, 0, tzinfo=UTC), AUCKLAND, date(2026, 6, 7)),
        # A midweek day maps back to its Sunday.
        (datetime(2026, 6, 10, 12, 0, tzinfo=NEW_YORK), NEW_YORK, date(2026, 6, 7)),
        # The offset the meter recorded does not matter, only the instant and the patient's zone.
        (datetime(2026, 6, 7, 8, 59, tzinfo=timezone(timedelta(hours=5))), NEW_YORK, date(2026, 5, 31)),
        (datetime(2026, 6, 7, 9, 0, tzinfo=timezone(timedelta(hours=5))), NEW_YORK, date(2026, 6, 7)),
        # DST nights: the hour after the spring-forward gap and the repeated autumn hour stay in their week.
        (datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK), NEW_YORK, date(2026, 3, 8)),
        (datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK), NEW_YORK, date(2026, 11, 1)),
        (datetime(2026, 10, 31, 23, 30, tzinfo=NEW_YORK), NEW_YORK, date(2026, 10, 25)),
        # Santiago skips Sunday 00:00 in September: 03:59 UTC is still Saturday, 04:00 UTC is Sunday 01:00.
        (datetime(2026, 9, 6, 3, 59, tzinfo=UTC), SANTIAGO, date(2026, 8, 30)),
        (datetime(2026, 9, 6, 4, 0, tzinfo=UTC), SANTIAGO, date(2026, 9, 6)),
    ],
)
def test_week_is_the_local_sunday_to_saturday_of_the_patient(measured_at, tz, week):
    assert billing_week(measured_at, tz) == week


def test_naive_measurement_time_is_rejected():
    with pytest.raises(ValueError, match="aware"):
        billing_week(datetime(2026, 3, 14, 23, 59), NEW_YORK)


@pytest.mark.parametrize(
    ("week_start", "tz", "start_utc", "hours"),
    [
        (date(2026, 6, 7), NEW_YORK, datetime(2026, 6, 7, 4, 0, tzinfo=UTC), 168),
        (date(2026, 3, 8), NEW_YORK, datetime(2026, 3, 8, 5, 0, tzinfo=UTC), 167),  # spring forward
        (date(2026, 11, 1), NEW_YORK, datetime(2026, 11, 1, 4, 0, tzinfo=UTC), 169),  # fall back
        (date(2026, 3, 29), BERLIN, datetime(2026, 3, 28, 23, 0, tzinfo=UTC), 167),
        (date(2026, 10, 25), BERLIN, datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 169),
        # Southern hemisphere: Auckland gains its hour in April and loses it in September.
        (date(2026, 4, 5), AUCKLAND, datetime(2026, 4, 4, 11, 0, tzinfo=UTC), 169),
        (date(2026, 9, 27), AUCKLAND, datetime(2026, 9, 26, 12, 0, tzinfo=UTC), 167),
        # Midnight itself is skipped: the week starts at the transition instant (local 01:00).
        (date(2026, 9, 6), SANTIAGO, datetime(2026, 9, 6, 4, 0, tzinfo=UTC), 167),
    ],
)
def test_week_bounds_are_local_midnights_so_dst_weeks_are_167_or_169_hours(week_start, tz, start_utc, hours):
    start, end = week_bounds(week_start, tz)
    assert start == start_utc
    assert start.utcoffset() == timedelta(0)
    assert end - start == timedelta(hours=hours)
    assert billing_week(start, tz) == week_start
    assert billing_week(end - timedelta(microseconds=1), tz) == week_start
    assert billing_week(end, tz) == week_start + timedelta(days=7)


def test_consecutive_week_bounds_leave_no_gap_and_no_overlap():
    weeks = weeks_between(date(2026, 2, 22), date(2026, 11, 29))
    bounds = [week_bounds(w, NEW_YORK) for w in weeks]
    assert all(prev_end == next_start for (_, prev_end), (next_start, _) in pairwise(bounds))


@pytest.mark.parametrize("not_a_sunday", [date(2026, 3, 9), date(2026, 3, 14)])
def test_week_bounds_refuse_a_week_not_named_by_its_sunday(not_a_sunday):
    with pytest.raises(ValueError, match="not a Sunday"):
        week_bounds(not_a_sunday, NEW_YORK)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 3, 1), date(2026, 3, 1), [date(2026, 3, 1)]),
        (date(2026, 3, 1), date(2026, 3, 22), [date(2026, 3, 1), date(2026, 3, 8), date(2026, 3, 15), date(2026, 3, 22)]),
        (date(2025, 12, 28), date(2026, 1, 4), [date(2025, 12, 28), date(2026, 1, 4)]),  # across new year
        (date(2026, 3, 8), date(2026, 3, 1), []),
    ],
)
def test_weeks_between_lists_every_sunday_both_ends_included(first, last, expected):
    assert weeks_between(first, last) == expected


def test_weeks_between_refuses_non_sundays():
    with pytest.raises(ValueError):
        weeks_between(date(2026, 3, 1), date(2026, 3, 10))


# --- the zone in force then (domain.md, "Time zone": each past week is judged in the zone in force then) ----------

MOVED = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # Wednesday: the patient moves from New York to Los Angeles
HISTORY = ZoneHistory.of([(datetime(2026, 1, 1, tzinfo=UTC), NEW_YORK), (MOVED, LOS_ANGELES)])


@pytest.mark.parametrize(
    ("instant", "zone", "local_day", "week"),
    [
        # Before the move: New York. Saturday 23:30 in New York is Saturday 20:30 in Los Angeles, same week; but
        # Sunday 01:00 in New York (05:00 UTC) stays in New York's new week, not Los Angeles' Saturday.
        (datetime(2026, 6, 7, 5, 0, tzinfo=UTC), NEW_YORK, date(2026, 6, 7), date(2026, 6, 7)),
        (datetime(2026, 6, 7, 3, 30, tzinfo=UTC), NEW_YORK, date(2026, 6, 6), date(2026, 5, 31)),
        # Exactly at the move the new zone is in force.
        (MOVED - timedelta(microseconds=1), NEW_YORK, date(2026, 6, 10), date(2026, 6, 7)),
        (MOVED, LOS_ANGELES, date(2026, 6, 10), date(2026, 6, 7)),
        # After the move: Sunday 03:00 UTC is Saturday 20:00 in Los Angeles (in New York it would be Saturday 23:00).
        (datetime(2026, 6, 14, 6, 30, tzinfo=UTC), LOS_ANGELES, date(2026, 6, 13), date(2026, 6, 7)),
        (datetime(2026, 6, 14, 7, 0, tzinfo=UTC), LOS_ANGELES, date(2026, 6, 14), date(2026, 6, 14)),
        # Before the first version: the first zone (a result the patient brought from before enrolment).
        (datetime(2025, 12, 1, 12, tzinfo=UTC), NEW_YORK, date(2025, 12, 1), date(2025, 11, 30)),
    ],
)
def test_an_instant_is_judged_in_the_zone_in_force_at_it(instant, zone, local_day, week):
    assert HISTORY.at(instant) == zone
    assert HISTORY.local_date(instant) == local_day
    assert HISTORY.week_of(instant) == week


def test_moving_zones_never_re_judges_a_saturday_night_test_of_a_week_already_past():
    # Saturday 6 June 22:30 in Los Angeles is Sunday 7 June 01:30 in New York: judged in New York (in force then),
    # it belongs to the week of 7 June; a later move west must not pull it back into the week of 31 May.
    saturday_night = datetime(2026, 6, 7, 5, 30, tzinfo=UTC)
    assert HISTORY.week_of(saturday_night) == date(2026, 6, 7)
    assert billing_week(saturday_night, LOS_ANGELES) == date(2026, 5, 31)  # what a single current zone would say


def test_a_zone_change_across_dst_keeps_each_side_in_its_own_rules():
    # Auckland to New York on 2026-04-05 (Auckland left DST that morning, New York had entered it in March).
    history = ZoneHistory.of([(datetime(2026, 1, 1, tzinfo=UTC), AUCKLAND),
                              (datetime(2026, 4, 5, 0, 0, tzinfo=UTC), NEW_YORK)])
    assert history.local_date(datetime(2026, 4, 4, 23, 0, tzinfo=UTC)) == date(2026, 4, 5)  # Auckland, Sunday
    assert history.local_date(datetime(2026, 4, 5, 1, 0, tzinfo=UTC)) == date(2026, 4, 4)  # New York, Saturday


def test_a_fixed_zone_is_a_history_that_never_changed():
    assert as_history(NEW_YORK).week_of(datetime(2026, 3, 15, 0, 0, tzinfo=NEW_YORK)) == date(2026, 3, 15)
    assert as_history(HISTORY) is HISTORY


@pytest.mark.parametrize(
    "versions",
    [[], [(datetime(2026, 1, 1), NEW_YORK)],
     [(datetime(2026, 2, 1, tzinfo=UTC), NEW_YORK), (datetime(2026, 1, 1, tzinfo=UTC), LOS_ANGELES)]],
)
def test_a_zone_history_needs_aware_ordered_versions(versions):
    with pytest.raises(ValueError):
        ZoneHistory(tuple(versions))
