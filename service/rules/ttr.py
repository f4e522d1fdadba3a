"""Time in therapeutic range (TTR) by Rosendaal linear interpolation, per patient and per panel."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from operator import itemgetter
from typing import NamedTuple

# LOINC 72281-9: results further apart than this are not interpolated.
DEFAULT_MAX_GAP_DAYS = 56

_MICROSECONDS_PER_DAY = 86_400 * 1_000_000
_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class TtrPoint:
    """One INR result. A meter reading of "<0.8" or ">8.0" is passed as its stored limit, 0.8 or 8.0."""

    measured_at: datetime
    value: Decimal

    def __post_init__(self) -> None:
        _require_aware(self.measured_at, "measured_at")


@dataclass(frozen=True)
class RangePeriod:
    """The target range in force from effective_from until the next period starts."""

    effective_from: datetime
    low: Decimal
    high: Decimal

    def __post_init__(self) -> None:
        _require_aware(self.effective_from, "effective_from")
        if not self.low < self.high:
            raise ValueError(f"range low {self.low} must be below high {self.high}")


@dataclass(frozen=True)
class Ttr:
    days_in_range: float
    days_total: float
    percent: float | None  # None when no day could be interpolated


def reading_window(window_start: datetime, window_end: datetime,
                   max_gap_days: int = DEFAULT_MAX_GAP_DAYS) -> tuple[datetime, datetime]:
    """The results that can touch the window: an interval longer than the gap is never interpolated, so a
    result measured more than `max_gap_days` before the window (or after it) bounds no day inside it."""
    gap = timedelta(days=max_gap_days)
    return window_start - gap, window_end + gap


def time_in_therapeutic_range(
    results: Sequence[TtrPoint],
    ranges: Sequence[RangePeriod],
    window_start: datetime,
    window_end: datetime,
    max_gap_days: int = DEFAULT_MAX_GAP_DAYS,
) -> Ttr:
    """Rosendaal TTR over [window_start, window_end], counting fractional days exactly.

    Between consecutive results the INR is a straight line; the part of each interval during which the line
    lies within [low, high] is solved for, not sampled day by day. Where the range changes inside an
    interval, each piece is measured against the range then in force. Before the first range period the
    first period applies: a range is usually entered after the results that led to it, and leaving those
    days out would make early TTR depend on data-entry timing.
    """
    return ttr_of_readings([(p.measured_at, p.value) for p in results], ranges, window_start, window_end,
                           max_gap_days)


def ttr_of_readings(
    readings: Iterable[tuple[datetime, Decimal]],
    ranges: Sequence[RangePeriod],
    window_start: datetime,
    window_end: datetime,
    max_gap_days: int = DEFAULT_MAX_GAP_DAYS,
) -> Ttr:
    """`time_in_therapeutic_range` of plain (measured_at, value) pairs: a panel passes a thousand patients'
    readings as they come from the database, without a TtrPoint each. Times must be timezone-aware."""
    _require_aware(window_start, "window_start")
    _require_aware(window_end, "window_end")
    if window_end < window_start:
        raise ValueError("window_end must not be before window_start")
    if not ranges:
        raise ValueError("at least one target range period is required")

    # Times become integer microseconds since the epoch (real time, so DST needs no care); the sorts are stable,
    # so results measured at the same instant keep their given order.
    periods = sorted(((_micros(p.effective_from), p.low, p.high) for p in ranges), key=itemgetter(0))
    try:
        points = sorted([((at - _EPOCH) // _MICROSECOND, value) for at, value in readings], key=itemgetter(0))
    except TypeError:
        raise ValueError("measured_at must be timezone-aware") from None
    # Values and bounds become integers on one common scale (tenths, for a meter's INR), so that most intervals
    # are measured with integer arithmetic; every figure stays an exact rational until the final division.
    ratios = [value.as_integer_ratio() for _, value in points]
    bound_ratios = [(low.as_integer_ratio(), high.as_integer_ratio()) for _, low, high in periods]
    scale = math.lcm(*{d for _, d in ratios}, *{r[1] for pair in bound_ratios for r in pair})
    values = [n * (scale // d) for n, d in ratios]
    bounds = [(lo * (scale // lo_d), hi * (scale // hi_d)) for (lo, lo_d), (hi, hi_d) in bound_ratios]
    changes = [effective_from for effective_from, _, _ in periods]
    start_us, end_us = _micros(window_start), _micros(window_end)
    max_gap = timedelta(days=max_gap_days) // _MICROSECOND

    whole = 0  # microseconds wholly in range
    crossing: dict[int, int] = defaultdict(int)  # |change in value| -> sum of microseconds x in-range share of it
    clipped = Fraction(0)  # pieces cut by the window or a range change: exact, but few
    total = 0
    for i in range(len(points) - 1):
        t0, t1 = points[i][0], points[i + 1][0]
        span = t1 - t0
        if span <= 0 or span > max_gap:
            continue
        start = t0 if t0 > start_us else start_us
        end = t1 if t1 < end_us else end_us
        if start >= end:
            continue
        later = bisect_right(changes, start)  # the first range change after the start
        v0, v1 = values[i], values[i + 1]
        if start == t0 and end == t1 and (later == len(changes) or changes[later] >= end):
            # The usual case: a whole interval under one range (the first one before any is in force).
            low, high = bounds[later - 1 if later else 0]
            total += span
            if low <= v0 <= high and low <= v1 <= high:
                whole += span  # a straight segment between two points in range stays in range
            elif not ((v0 < low and v1 < low) or (v0 > high and v1 > high)):
                rise, to_low, to_high = v1 - v0, low - v0, high - v0
                if rise < 0:
                    rise, to_low, to_high = -rise, -to_low, -to_high
                share = min(rise, max(to_low, to_high)) - max(0, min(to_low, to_high))
                if share > 0:
                    crossing[rise] += span * share
            continue
        cuts = [change for change in changes if start < change < end]
        f0, f1 = Fraction(v0, scale), Fraction(v1, scale)
        for piece_start, piece_end in pairwise([start, *cuts, end]):
            low, high = bounds[max(bisect_right(changes, piece_start) - 1, 0)]
            micros = piece_end - piece_start
            clipped += micros * _fraction_within(_value_at(piece_start, t0, t1, f0, f1),
                                                 _value_at(piece_end, t0, t1, f0, f1),
                                                 Fraction(low, scale), Fraction(high, scale))
            total += micros

    # in_range = numerator / denominator, exactly; int / int rounds once, as float(Fraction) does.
    denominator = math.lcm(*crossing)
    numerator = whole * denominator + sum(share * (denominator // rise) for rise, share in crossing.items())
    numerator = numerator * clipped.denominator + clipped.numerator * denominator
    denominator *= clipped.denominator
    return Ttr(days_in_range=numerator / (denominator * _MICROSECONDS_PER_DAY),
               days_total=total / _MICROSECONDS_PER_DAY,
               percent=100 * numerator / (denominator * total) if total else None)


def panel_ttr(per_patient: Mapping[Hashable, Ttr]) -> Ttr:
    """A panel's TTR weighted by interpolated days, so a patient followed longer counts for more."""
    in_range = sum((ttr.days_in_range for ttr in per_patient.values()), 0.0)
    total = sum((ttr.days_total for ttr in per_patient.values()), 0.0)
    return Ttr(days_in_range=in_range, days_total=total, percent=100 * in_range / total if total else None)


def _value_at(moment: int, t0: int, t1: int, v0: Fraction, v1: Fraction) -> Fraction:
    """The interpolated INR at `moment` (microseconds) on the line from (t0, v0) to (t1, v1).

    Fractions keep the hand-checkable cases exact (2.0 -> 4.0 over 10 days crosses 3.0 at exactly day 5). At a
    result itself its value is returned as is.
    """
    if moment == t0:
        return v0
    if moment == t1:
        return v1
    return v0 + (v1 - v0) * Fraction(moment - t0, t1 - t0)


def _fraction_within(v0: Fraction, v1: Fraction, low: Fraction, high: Fraction) -> Fraction:
    """Share of a straight segment from v0 to v1 that lies within [low, high], bounds inclusive."""
    if low <= v0 <= high and low <= v1 <= high:
        return Fraction(1)  # a straight segment between two points in range stays in range
    if (v0 < low and v1 < low) or (v0 > high and v1 > high):
        return Fraction(0)  # both ends on the same side outside: it never enters
    at_low = (low - v0) / (v1 - v0)
    at_high = (high - v0) / (v1 - v0)
    enters, leaves = min(at_low, at_high), max(at_low, at_high)
    return max(Fraction(0), min(Fraction(1), leaves) - max(Fraction(0), enters))


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch; subtracting aware datetimes compares instants, whatever their zones."""
    return (moment - _EPOCH) // _MICROSECOND


def _require_aware(moment: datetime, name: str) -> None:
    # Naive times would silently mix clocks across time zones and DST changes.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


# --- TTR kept per interval (service.ttr_intervals keeps them up to date; a panel sums them) -------------------------


class IntervalPiece(NamedTuple):
    """One piece of the interval between two consecutive valid results, under one target range.

    An interval is cut where the range changes inside it; each piece keeps the interval's two results (for the
    max-gap filter and for clipping it at a window's ends) and its in-range time in microseconds as an exact
    rational, `in_range_num / in_range_den` (the denominator divides the change in value, so it stays small).
    """

    starts_at: datetime  # the interval's first result
    ends_at: datetime  # and its next valid result
    starts_value: Decimal
    ends_value: Decimal
    span_us: int  # ends_at - starts_at: an interval longer than the max gap is never interpolated
    piece_from: datetime
    piece_to: datetime
    length_us: int
    low: Decimal
    high: Decimal
    in_range_num: int
    in_range_den: int


def interval_pieces(readings: Sequence[tuple[datetime, Decimal]], ranges: Sequence[RangePeriod]) -> list[IntervalPiece]:
    """The pieces of every interval between consecutive `readings` (valid INRs in (measured_at, id) order), each
    under the range then in force, whatever its length: the max gap is a setting, applied when they are summed.

    Exactly what `ttr_of_readings` measures: the same pairs (readings at one instant bound no interval; the last of
    them starts the next), the same cuts at range changes, the same range before the first one.
    """
    if not ranges:
        raise ValueError("at least one target range period is required")
    periods = sorted(((_micros(p.effective_from), p.effective_from, p.low, p.high) for p in ranges),
                     key=itemgetter(0))
    changes = [micros for micros, _, _, _ in periods]
    points = sorted([(_micros(at), at, value) for at, value in readings], key=itemgetter(0))
    pieces = []
    for (t0, at0, v0), (t1, at1, v1) in pairwise(points):
        span = t1 - t0
        if span <= 0:
            continue
        later = bisect_right(changes, t0)
        if later == len(changes) or changes[later] >= t1:
            _, _, low, high = periods[later - 1 if later else 0]
            num, den = _whole_in_range(span, v0, v1, low, high)
            pieces.append(IntervalPiece(at0, at1, v0, v1, span, at0, at1, span, low, high, num, den))
            continue
        cut_at = [(t0, at0)] + [(p[0], p[1]) for p in periods if t0 < p[0] < t1] + [(t1, at1)]
        for (a, at_a), (b, at_b) in pairwise(cut_at):
            if b <= a:
                continue  # two ranges from one instant: the later one is in force, over no time here
            _, _, low, high = periods[max(bisect_right(changes, a) - 1, 0)]
            share = in_range_micros(a, b, t0, t1, v0, v1, low, high)
            pieces.append(IntervalPiece(at0, at1, v0, v1, span, at_a, at_b, b - a, low, high, share.numerator,
                                        share.denominator))
    return pieces


def in_range_micros(a: int, b: int, t0: int, t1: int, v0: Decimal, v1: Decimal, low: Decimal,
                    high: Decimal) -> Fraction:
    """Microseconds of [a, b] (inside [t0, t1]) during which the straight line from (t0, v0) to (t1, v1) lies within
    [low, high], bounds inclusive: the length of [a, b] where it meets the in-range part of the line, exactly."""
    return Fraction(*_in_range_ratio(a, b, t0, t1, v0, v1, low, high))


def _in_range_ratio(a: int, b: int, t0: int, t1: int, v0: Decimal, v1: Decimal, low: Decimal,
                    high: Decimal) -> tuple[int, int]:
    """`in_range_micros` as (numerator, denominator), in integers: values and bounds on one scale (tenths, for a
    meter's INR), every instant multiplied by the change in value so that the crossings are integers too."""
    if v0 == v1:
        return (b - a if low <= v0 <= high else 0), 1
    ratios = [x.as_integer_ratio() for x in (v0, v1, low, high)]
    scale = math.lcm(*(d for _, d in ratios))
    s0, s1, lo, hi = (n * (scale // d) for n, d in ratios)
    rise, span = s1 - s0, t1 - t0
    # The line is at x at t0 + span * (x - s0) / rise; times `rise` (made positive), an integer.
    at_low, at_high = t0 * rise + span * (lo - s0), t0 * rise + span * (hi - s0)
    if rise < 0:
        rise, at_low, at_high = -rise, -at_low, -at_high
    enters, leaves = min(at_low, at_high), max(at_low, at_high)
    return max(0, min(b * rise, leaves) - max(a * rise, enters)), rise


def _whole_in_range(span: int, v0: Decimal, v1: Decimal, low: Decimal, high: Decimal) -> tuple[int, int]:
    """`in_range_micros` of a whole interval under one range, in integers (values and bounds on one scale)."""
    if low <= v0 <= high and low <= v1 <= high:
        return span, 1
    if (v0 < low and v1 < low) or (v0 > high and v1 > high):
        return 0, 1
    ratios = [x.as_integer_ratio() for x in (v0, v1, low, high)]
    scale = math.lcm(*(d for _, d in ratios))
    s0, s1, lo, hi = (n * (scale // d) for n, d in ratios)
    rise, to_low, to_high = s1 - s0, lo - s0, hi - s0
    if rise < 0:
        rise, to_low, to_high = -rise, -to_low, -to_high
    share = max(0, min(rise, max(to_low, to_high)) - max(0, min(to_low, to_high)))
    num = span * share
    common = math.gcd(num, rise)
    return num // common, rise // common


class ClippedPiece(NamedTuple):
    """A stored piece that a window's end cuts: what clipping it needs."""

    starts_at: datetime
    ends_at: datetime
    starts_value: Decimal
    ends_value: Decimal
    piece_from: datetime
    piece_to: datetime
    low: Decimal
    high: Decimal


def window_micros(window_start: datetime, window_end: datetime) -> tuple[int, int]:
    """A TTR window as `ttr_of_pieces` takes it (microseconds since the epoch), converted once for a panel."""
    _require_aware(window_start, "window_start")
    _require_aware(window_end, "window_end")
    return _micros(window_start), _micros(window_end)


def ttr_of_pieces(sums: Iterable[tuple[int, int, int]], clipped: Iterable[ClippedPiece],
                  window: tuple[int, int]) -> Ttr:
    """One patient's TTR over the window (`window_micros`) from their stored pieces: `sums` of the pieces wholly
    inside it as (in_range_den, sum of in_range_num, sum of length_us), and the pieces a window's end cuts,
    measured here. The same figure as `ttr_of_readings` to the last bit: both divide the same exact rational once."""
    start_us, end_us = window
    by_den: dict[int, int] = defaultdict(int)
    total = 0
    for den, num, length in sums:
        by_den[den] += num
        total += length
    for piece in clipped:
        a = max(_micros(piece.piece_from), start_us)
        b = min(_micros(piece.piece_to), end_us)
        if a >= b:
            continue
        num, den = _in_range_ratio(a, b, _micros(piece.starts_at), _micros(piece.ends_at), piece.starts_value,
                                   piece.ends_value, piece.low, piece.high)
        by_den[den] += num
        total += b - a
    denominator = math.lcm(*by_den)
    numerator = sum(num * (denominator // den) for den, num in by_den.items())
    return Ttr(days_in_range=numerator / (denominator * _MICROSECONDS_PER_DAY),
               days_total=total / _MICROSECONDS_PER_DAY,
               percent=100 * numerator / (denominator * total) if total else None)
