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
    """`time_in_therapeutic_range` of plain (measured_at, value) pairs. Times must be timezone-aware.

    The intervals' pieces (`interval_pieces`) no longer than the gap, summed over the window by `ttr_of_pieces`:
    the same arithmetic a panel applies to the pieces it keeps (service.ttr_intervals), so the two agree by
    construction."""
    window = window_micros(window_start, window_end)
    if window_end < window_start:
        raise ValueError("window_end must not be before window_start")
    try:
        pieces = interval_pieces(list(readings), ranges)
    except TypeError:  # a naive time cannot be subtracted from the epoch
        raise ValueError("measured_at must be timezone-aware") from None
    start_us, end_us = window
    max_gap = timedelta(days=max_gap_days) // _MICROSECOND
    whole: list[tuple[int, int, int]] = []
    clipped: list[ClippedPiece] = []
    for piece in pieces:
        if piece.span_us > max_gap:
            continue
        piece_from, piece_to = _micros(piece.piece_from), _micros(piece.piece_to)
        if start_us <= piece_from and piece_to <= end_us:
            whole.append((piece.in_range_den, piece.in_range_num, piece.length_us))
        elif piece_from < end_us and piece_to > start_us:
            clipped.append(ClippedPiece(*(getattr(piece, name) for name in ClippedPiece._fields)))
    return ttr_of_pieces(whole, clipped, window)


def panel_ttr(per_patient: Mapping[Hashable, Ttr]) -> Ttr:
    """A panel's TTR weighted by interpolated days, so a patient followed longer counts for more."""
    in_range = sum((ttr.days_in_range for ttr in per_patient.values()), 0.0)
    total = sum((ttr.days_total for ttr in per_patient.values()), 0.0)
    return Ttr(days_in_range=in_range, days_total=total, percent=100 * in_range / total if total else None)


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
    """`in_range_micros` of a whole interval under one range (most intervals: wholly in range or wholly out)."""
    if low <= v0 <= high and low <= v1 <= high:
        return span, 1
    if (v0 < low and v1 < low) or (v0 > high and v1 > high):
        return 0, 1
    share = in_range_micros(0, span, 0, span, v0, v1, low, high)
    return share.numerator, share.denominator


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
