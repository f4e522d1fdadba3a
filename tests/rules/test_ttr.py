"""Rosendaal time in therapeutic range."""

import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from service.rules.ttr import (
    ClippedPiece,
    RangePeriod,
    Ttr,
    TtrPoint,
    interval_pieces,
    panel_ttr,
    reading_window,
    time_in_therapeutic_range,
    ttr_of_pieces,
    ttr_of_readings,
    window_micros,
)

T0 = datetime(2024, 1, 1, 8, 0, tzinfo=timezone.utc)
STANDARD = (RangePeriod(T0, D("2.0"), D("3.0")),)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def points(*pairs: tuple[float, str]) -> list[TtrPoint]:
    return [TtrPoint(day(n), D(value)) for n, value in pairs]


def ttr(results, ranges=STANDARD, start=None, end=None, **kwargs) -> Ttr:
    return time_in_therapeutic_range(results, ranges, start or day(-1000), end or day(1000), **kwargs)


@pytest.mark.parametrize(
    ("results", "in_range", "total", "percent"),
    [
        # Rises through the upper bound at exactly day 5.
        (points((0, "2.0"), (10, "4.0")), 5, 10, 50.0),
        (points((0, "2.5"), (7, "2.5")), 7, 7, 100.0),
        (points((0, "1.5"), (7, "1.5")), 0, 7, 0.0),
        # Descends 0.5 a day: inside 2–3 from day 1 to day 3.
        (points((0, "3.5"), (4, "1.5")), 2, 4, 50.0),
        # Jumps right over the range: 1.0 -> 4.0 spends a third of the time crossing 2–3.
        (points((0, "1.0"), (3, "4.0")), 1, 3, pytest.approx(100 / 3)),
        # Flat on a bound counts as in range (bounds inclusive).
        (points((0, "3.0"), (4, "3.0")), 4, 4, 100.0),
        # Three results, unsorted input: 2.5 -> 2.5 (5 days in) then 2.5 -> 3.5 (half of 4 days in).
        (points((9, "3.5"), (0, "2.5"), (5, "2.5")), 7, 9, pytest.approx(700 / 9)),
        # Meter limits are interpolated as their stored values, 8.0 here.
        (points((0, "2.0"), (6, "8.0")), 1, 6, pytest.approx(100 / 6)),
    ],
)
def test_time_in_range_is_the_interpolated_share_of_days(results, in_range, total, percent):
    result = ttr(results)
    assert result.days_in_range == pytest.approx(in_range)
    assert result.days_total == pytest.approx(total)
    assert result.percent == percent


def test_crossing_point_is_counted_to_the_fraction_of_a_day():
    # 2.9 -> 3.2 over 3 hours crosses 3.0 after the first hour.
    result = ttr([TtrPoint(T0, D("2.9")), TtrPoint(T0 + timedelta(hours=3), D("3.2"))])
    assert result.days_total == pytest.approx(3 / 24)
    assert result.days_in_range == pytest.approx(1 / 24)


@pytest.mark.parametrize(
    ("gap_days", "total"),
    [(60, 0), (57, 0), (56, 56)],  # longer than 56 days is not interpolated; exactly 56 is
)
def test_gap_longer_than_max_is_not_interpolated(gap_days, total):
    result = ttr(points((0, "2.5"), (gap_days, "2.5")))
    assert result.days_total == total
    assert result.percent == (100.0 if total else None)


def test_long_gap_drops_only_its_own_interval():
    result = ttr(points((0, "2.5"), (10, "2.5"), (70, "1.0"), (80, "1.0")))
    assert result.days_total == pytest.approx(20)
    assert result.days_in_range == pytest.approx(10)


def test_max_gap_is_configurable():
    assert ttr(points((0, "2.5"), (30, "2.5")), max_gap_days=28).days_total == 0


def test_range_change_inside_an_interval_splits_it_at_the_change():
    ranges = (RangePeriod(day(0), D("2.0"), D("3.0")), RangePeriod(day(5), D("2.5"), D("3.5")))
    result = ttr(points((0, "2.2"), (10, "2.2")), ranges)
    assert result.days_in_range == pytest.approx(5)
    assert result.days_total == pytest.approx(10)
    assert result.percent == pytest.approx(50)


def test_range_change_splits_a_sloped_interval_using_the_line_not_the_endpoints():
    # 2.0 -> 4.0 over 10 days; range 2–3 until day 4 (all in: 2.0..2.8), then 3–4 (day 5 to 10 in).
    ranges = (RangePeriod(day(4), D("3.0"), D("4.0")), RangePeriod(day(0), D("2.0"), D("3.0")))
    result = ttr(points((0, "2.0"), (10, "4.0")), ranges)
    assert result.days_in_range == pytest.approx(4 + 5)


def test_first_range_applies_before_its_effective_date():
    ranges = (RangePeriod(day(5), D("2.0"), D("3.0")),)
    assert ttr(points((0, "2.5"), (10, "2.5")), ranges).percent == 100.0


def test_unsorted_range_periods_are_applied_in_time_order():
    ranges = (RangePeriod(day(5), D("2.5"), D("3.5")), RangePeriod(day(0), D("2.0"), D("3.0")))
    assert ttr(points((0, "2.2"), (10, "2.2")), ranges).days_in_range == pytest.approx(5)


def test_window_clips_an_interval_and_interpolates_at_the_clip_points():
    # 2.0 -> 4.0 over days 0–10 seen through days 2–8: values 2.4 -> 3.6, in range from day 2 to day 5.
    result = ttr(points((0, "2.0"), (10, "4.0")), start=day(2), end=day(8))
    assert result.days_total == pytest.approx(6)
    assert result.days_in_range == pytest.approx(3)
    assert result.percent == pytest.approx(50)


def test_intervals_outside_the_window_are_ignored():
    result = ttr(points((0, "1.0"), (10, "1.0"), (20, "2.5"), (30, "2.5")), start=day(20), end=day(30))
    assert result.days_total == pytest.approx(10)
    assert result.percent == 100.0


def test_window_still_uses_a_long_interval_only_if_it_is_within_max_gap():
    # The 60-day gap is excluded even though only 10 of its days fall inside the window.
    result = ttr(points((0, "2.5"), (60, "2.5")), start=day(50), end=day(60))
    assert result.days_total == 0
    assert result.percent is None


@pytest.mark.parametrize(
    "results",
    [
        [],
        points((0, "2.5")),
        points((0, "2.5"), (0, "2.5")),  # same instant twice: no time to interpolate
    ],
)
def test_no_interpolable_days_gives_no_percent(results):
    assert ttr(results) == Ttr(days_in_range=0.0, days_total=0.0, percent=None)


def test_days_are_measured_in_real_time_across_a_dst_change():
    # 2024-03-10 is the US spring-forward day: midnight to midnight local is 23 hours.
    new_york = ZoneInfo("America/New_York")
    start = datetime(2024, 3, 10, 0, 0, tzinfo=new_york)
    end = datetime(2024, 3, 11, 0, 0, tzinfo=new_york)
    ranges = (RangePeriod(start, D("2.0"), D("3.0")),)
    result = time_in_therapeutic_range([TtrPoint(start, D("2.5")), TtrPoint(end, D("2.5"))], ranges, start, end)
    assert result.days_total == pytest.approx(23 / 24)


@pytest.mark.parametrize(
    "call",
    [
        lambda: TtrPoint(datetime(2024, 1, 1), D("2.5")),
        lambda: RangePeriod(datetime(2024, 1, 1), D("2.0"), D("3.0")),
        lambda: RangePeriod(T0, D("3.0"), D("2.0")),
        lambda: time_in_therapeutic_range([], STANDARD, datetime(2024, 1, 1), day(1)),
        lambda: time_in_therapeutic_range([], STANDARD, day(1), day(0)),
        lambda: time_in_therapeutic_range([], (), day(0), day(1)),
    ],
)
def test_naive_times_inverted_ranges_and_missing_ranges_are_refused(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("seed", range(25))
def test_percent_is_always_between_0_and_100(seed):
    rng = random.Random(seed)
    elapsed = 0.0
    results = []
    for _ in range(rng.randint(2, 15)):
        elapsed += rng.choice([0, 0.5, 3, 7, 14, 30, 70])
        results.append(TtrPoint(day(elapsed), D(rng.randint(8, 80)) / 10))
    ranges = [RangePeriod(day(rng.uniform(-10, elapsed)), D("2.0"), D("3.0")) for _ in range(rng.randint(1, 3))]
    start = day(rng.uniform(-5, 20))
    end = max(start, day(elapsed + rng.uniform(-20, 5)))
    result = ttr(results, ranges, start=start, end=end)
    assert 0 <= result.days_in_range <= result.days_total + 1e-9
    assert result.percent is None or 0 <= result.percent <= 100
    assert (result.percent is None) == (result.days_total == 0)


def test_panel_ttr_weights_patients_by_interpolated_days():
    panel = {
        "a": Ttr(days_in_range=30.0, days_total=30.0, percent=100.0),
        "b": Ttr(days_in_range=0.0, days_total=90.0, percent=0.0),
        "c": Ttr(days_in_range=0.0, days_total=0.0, percent=None),
    }
    assert panel_ttr(panel) == Ttr(days_in_range=30.0, days_total=120.0, percent=25.0)


@pytest.mark.parametrize("panel", [{}, {"a": Ttr(0.0, 0.0, None)}])
def test_panel_without_interpolable_days_has_no_percent(panel):
    assert panel_ttr(panel).percent is None


@pytest.mark.parametrize("seed", range(20))
def test_results_outside_the_reading_window_never_change_the_ttr(seed):
    # Random results over two years, some weeks apart and some months apart; any window inside them.
    rng = random.Random(seed)
    moments = sorted(rng.uniform(0, 730) for _ in range(rng.randrange(2, 40)))
    results = [TtrPoint(day(n), D(str(round(rng.uniform(1.0, 5.0), 1)))) for n in moments]
    start = day(rng.uniform(0, 700))
    end = start + timedelta(days=rng.uniform(1, 365))
    earliest, latest = reading_window(start, end)
    near = [r for r in results if earliest < r.measured_at < latest]
    assert ttr(near, start=start, end=end) == ttr(results, start=start, end=end)


def _random_case(rng: random.Random):
    """Readings, ranges and a window of the shapes a clinic produces: one-decimal INRs and the meter's limits,
    repeated instants, gaps past the maximum, a range changed inside an interval (or dated before every result),
    bounds to the hundredth, times in several zones."""
    zones = (timezone.utc, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Chatham"))
    moments = sorted(rng.uniform(0, 200) for _ in range(rng.randint(0, 30)))
    if moments and rng.random() < 0.3:
        moments.insert(rng.randrange(len(moments)), rng.choice(moments))  # two results at one instant
    results = [TtrPoint(day(n).astimezone(rng.choice(zones)),
                        D(rng.choice(("0.8", "8.0", f"{rng.randint(8, 80) / 10:.1f}")))) for n in moments]
    rng.shuffle(results)
    ranges = []
    for _ in range(rng.randint(1, 3)):
        low = D(rng.choice(("1.5", "2.0", "2.25", "2.5")))
        ranges.append(RangePeriod(day(rng.uniform(-20, 220)).astimezone(rng.choice(zones)), low,
                                  low + D(rng.choice(("0.5", "1.0", "1.25")))))
    start = rng.uniform(-30, 200)
    return results, ranges, day(start), day(rng.uniform(start, 230)), rng.choice((7, 14, 56))


@pytest.mark.parametrize("seed", range(300))
def test_the_arithmetic_matches_the_all_fraction_reference_to_the_last_bit(seed):
    from tests.rules.ttr_reference import reference_ttr

    results, ranges, start, end, max_gap = _random_case(random.Random(seed))
    assert time_in_therapeutic_range(results, ranges, start, end, max_gap) == \
        reference_ttr(results, ranges, start, end, max_gap)


def test_plain_readings_give_what_points_give_and_naive_times_are_refused():
    results = points((0, "1.8"), (7, "2.6"), (14, "3.4"))
    assert ttr_of_readings([(p.measured_at, p.value) for p in results], STANDARD, day(-1), day(20)) == \
        ttr(results, start=day(-1), end=day(20))
    with pytest.raises(ValueError, match="timezone-aware"):
        ttr_of_readings([(datetime(2024, 1, 1), D("2.5")), (day(1), D("2.5"))], STANDARD, day(-1), day(20))


def _summed_as_a_panel(pieces, start, end, max_gap_days):
    """What service.summary asks the database for: per denominator, the pieces wholly inside the window; and the
    pieces a window's end cuts (of intervals no longer than the max gap)."""
    gap = timedelta(days=max_gap_days) // timedelta(microseconds=1)
    kept = [p for p in pieces if p.span_us <= gap]
    sums = defaultdict(lambda: [0, 0])
    for p in kept:
        if start <= p.piece_from and p.piece_to <= end:
            sums[p.in_range_den][0] += p.in_range_num
            sums[p.in_range_den][1] += p.length_us
    cut = [ClippedPiece(p.starts_at, p.ends_at, p.starts_value, p.ends_value, p.piece_from, p.piece_to, p.low,
                        p.high)
           for p in kept if (p.piece_from < start < p.piece_to) or (p.piece_from < end < p.piece_to)]
    return ttr_of_pieces([(den, num, length) for den, (num, length) in sums.items()], cut, window_micros(start, end))


@pytest.mark.parametrize("seed", range(300))
def test_stored_interval_pieces_give_the_rules_ttr_to_the_last_bit(seed):
    results, ranges, start, end, max_gap = _random_case(random.Random(seed))
    readings = [(p.measured_at, p.value) for p in results]
    pieces = interval_pieces(readings, ranges)
    assert _summed_as_a_panel(pieces, start, end, max_gap) == ttr_of_readings(readings, ranges, start, end, max_gap)


def test_a_piece_keeps_its_in_range_time_exact_with_a_small_denominator():
    # 2.0 -> 4.3 over 7 days against 2.0-3.0: in range for 10/23 of the interval.
    pieces = interval_pieces([(day(0), D("2.0")), (day(7), D("4.3"))], STANDARD)
    assert len(pieces) == 1
    assert Fraction(pieces[0].in_range_num, pieces[0].in_range_den) == Fraction(10, 23) * 7 * 86_400_000_000
    assert pieces[0].in_range_den == 23
    # A range change inside the interval cuts it in two, each measured against its own range.
    changed = [RangePeriod(day(-1), D("2.0"), D("3.0")), RangePeriod(day(3), D("2.5"), D("3.5"))]
    assert [(p.piece_from, p.piece_to, p.low) for p in interval_pieces([(day(0), D("2.0")), (day(7), D("4.1"))],
                                                                       changed)] == \
        [(day(0), day(3), D("2.0")), (day(3), day(7), D("2.5"))]
