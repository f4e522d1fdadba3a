"""The Rosendaal arithmetic as first written, all in Fractions, one TtrPoint per result: the oracle that
service.rules.ttr (integer arithmetic for whole intervals) must match to the last bit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from itertools import pairwise

from service.rules.ttr import DEFAULT_MAX_GAP_DAYS, RangePeriod, Ttr, TtrPoint

_MICROSECONDS_PER_DAY = 86_400 * 1_000_000
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class _ExactPeriod:
    effective_from: datetime
    low: Fraction
    high: Fraction


def reference_ttr(
    results: Sequence[TtrPoint],
    ranges: Sequence[RangePeriod],
    window_start: datetime,
    window_end: datetime,
    max_gap_days: int = DEFAULT_MAX_GAP_DAYS,
) -> Ttr:
    # Python subtracts two times sharing a tzinfo by wall clock, which is wrong across DST; work in UTC.
    window_start, window_end = _utc(window_start), _utc(window_end)
    periods = sorted(
        (_ExactPeriod(_utc(p.effective_from), Fraction(p.low), Fraction(p.high)) for p in ranges),
        key=lambda p: p.effective_from,
    )
    points = sorted((TtrPoint(_utc(p.measured_at), p.value) for p in results), key=lambda p: p.measured_at)
    max_gap = timedelta(days=max_gap_days)

    in_range = Fraction(0)
    total = 0
    values = [Fraction(p.value) for p in points]
    for i, (earlier, later) in enumerate(pairwise(points)):
        span = later.measured_at - earlier.measured_at
        if span <= timedelta(0) or span > max_gap:
            continue
        start = max(earlier.measured_at, window_start)
        end = min(later.measured_at, window_end)
        if start >= end:
            continue
        for piece_start, piece_end in _split_at_range_changes(start, end, periods):
            period = _period_in_force(piece_start, periods)
            v0 = _value_at(piece_start, earlier, later, values[i], values[i + 1])
            v1 = _value_at(piece_end, earlier, later, values[i], values[i + 1])
            micros = (piece_end - piece_start) // _MICROSECOND
            in_range += micros * _fraction_within(v0, v1, period.low, period.high)
            total += micros

    percent = float(100 * in_range / total) if total else None
    return Ttr(days_in_range=float(in_range / _MICROSECONDS_PER_DAY), days_total=total / _MICROSECONDS_PER_DAY,
               percent=percent)



def _split_at_range_changes(
    start: datetime, end: datetime, periods: Sequence[_ExactPeriod]
) -> list[tuple[datetime, datetime]]:
    cuts = [start] + [p.effective_from for p in periods if start < p.effective_from < end] + [end]
    return list(pairwise(cuts))


def _period_in_force(moment: datetime, periods: Sequence[_ExactPeriod]) -> _ExactPeriod:
    in_force = periods[0]
    for period in periods:
        if period.effective_from <= moment:
            in_force = period
    return in_force


def _value_at(moment: datetime, earlier: TtrPoint, later: TtrPoint, v_earlier: Fraction,
              v_later: Fraction) -> Fraction:
    """The interpolated INR at `moment`, given the two results' values as Fractions.

    Fractions keep the hand-checkable cases exact (2.0 -> 4.0 over 10 days crosses 3.0 at exactly day 5). At a
    result itself (the usual case: a whole interval under one range) its value is returned as is.
    """
    if moment == earlier.measured_at:
        return v_earlier
    if moment == later.measured_at:
        return v_later
    span = (later.measured_at - earlier.measured_at) // _MICROSECOND
    share = Fraction((moment - earlier.measured_at) // _MICROSECOND, span)
    return v_earlier + (v_later - v_earlier) * share


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


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)
