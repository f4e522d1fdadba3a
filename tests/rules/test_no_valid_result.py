"""The routine "no valid result" alert: two invalid readings in a row, or none valid within 24 hours of an invalid
one (domain.md, "Readings that are not a valid INR")."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from service.rules.no_valid_result import NONE_VALID_IN_TIME, TWO_IN_A_ROW, Reading, open_episode

NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2026, 11, 2, 9, tzinfo=NEW_YORK)
DAY = timedelta(hours=24)


def r(rid: str, hours: float, valid: bool) -> Reading:
    return Reading(rid, T0 + timedelta(hours=hours), valid)


@pytest.mark.parametrize(
    ("readings", "now", "ids", "reason"),
    [
        ([], T0, None, None),
        ([r("a", 0, True)], T0 + 2 * DAY, None, None),
        # One invalid reading: an episode, not yet alerting until 24 hours have passed (exactly 24 h: alerting).
        ([r("a", 0, False)], T0 + DAY - timedelta(seconds=1), ("a",), None),
        ([r("a", 0, False)], T0 + DAY, ("a",), NONE_VALID_IN_TIME),
        # A valid INR within the window ends the episode.
        ([r("a", 0, False), r("b", 1, True)], T0 + 2 * DAY, None, None),
        # Two invalid readings in a row alert at once, however close together.
        ([r("a", 0, False), r("b", 0.1, False)], T0 + timedelta(hours=1), ("a", "b"), TWO_IN_A_ROW),
        # Two invalid readings separated by a valid one are two episodes of one each.
        ([r("a", 0, False), r("b", 1, True), r("c", 2, False)], T0 + timedelta(hours=3), ("c",), None),
        # The episode starts after the last valid INR, whatever came before it.
        ([r("v", -48, True), r("x", -47, False), r("v2", -40, True), r("a", 0, False)], T0 + DAY, ("a",),
         NONE_VALID_IN_TIME),
        # Order is by instant, not by the order given (an offline upload arrives late).
        ([r("b", 1, True), r("a", 0, False)], T0 + 2 * DAY, None, None),
    ],
)
def test_an_episode_alerts_after_two_invalid_in_a_row_or_none_valid_within_the_window(readings, now, ids, reason):
    episode = open_episode(readings, now)
    if ids is None:
        assert episode is None
    else:
        assert (episode.result_ids, episode.reason, episode.first) == (ids, reason, ids[0])


def test_the_alert_is_due_at_whichever_came_first():
    episode = open_episode([r("a", 0, False), r("b", 30, False)], T0 + timedelta(hours=31))
    assert (episode.reason, episode.due_at) == (NONE_VALID_IN_TIME, (T0 + DAY).astimezone(timezone.utc))
    early = open_episode([r("a", 0, False), r("b", 2, False)], T0 + timedelta(hours=30))
    assert (early.reason, early.due_at) == (TWO_IN_A_ROW, (T0 + timedelta(hours=2)).astimezone(timezone.utc))


def test_the_window_is_the_clinics():
    readings = [r("a", 0, False)]
    assert open_episode(readings, T0 + timedelta(hours=6), timedelta(hours=6)).reason == NONE_VALID_IN_TIME
    assert open_episode(readings, T0 + timedelta(hours=6), timedelta(hours=12)).reason is None


def test_twenty_four_hours_are_elapsed_time_across_a_dst_change():
    # Saturday 31 Oct 12:00 EDT + 24 h is Sunday 1 Nov 11:00 EST (the clocks went back an hour).
    start = datetime(2026, 10, 31, 12, tzinfo=NEW_YORK)
    readings = [Reading("a", start, False)]
    assert open_episode(readings, datetime(2026, 11, 1, 10, 59, tzinfo=NEW_YORK)).reason is None
    assert open_episode(readings, datetime(2026, 11, 1, 11, 0, tzinfo=NEW_YORK)).reason == NONE_VALID_IN_TIME
