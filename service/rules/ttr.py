"""Time in therapeutic range (TTR) by Rosendaal linear interpolation, per patient and per panel."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

# LOINC 72281-9: results further apart than this are not interpolated.
DEFAULT_MAX_GAP_DAYS = 56

_MICROSECONDS_PER_DAY = 86_400 * 1_000_000
_MICROSECOND = timedelta(microseconds=1)


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
class _ExactPeriod:
    effective_from: datetime
    low: Fraction
    high: Fraction


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
    _require_aware(window_start, "window_start")
    _require_aware(window_end, "window_end")
    if window_end < window_start:
        raise ValueError("window_end must not be before window_start")
    if not ranges:
        raise ValueError("at least one target range period is required")

    # Python subtracts two times sharing a tzinfo by wall clock, which is wrong across DST; work in UTC.
    window_start, window_end = _utc(window_start), _utc(window_end)
    periods = sorted(
        (_ExactPeriod(_utc(p.effective_from), Fraction(p.low), Fraction(p.high)) for p in ranges),
        key=lambda p: p.effective_from,
    )
    points = sorted((TtrPoint(_utc(p.measured_at), p.value) for p in results), key=lambda p: p.measured_at)
    max_gap = timedelta(days=max_gap_days)

    # Exact arithmetic is most of the cost: values and bounds become Fractions once, durations stay integer
    # microseconds until the end.
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


def panel_ttr(per_patient: Mapping[Hashable, Ttr]) -> Ttr:
    """A panel's TTR weighted by interpolated days, so a patient followed longer counts for more."""
    in_range = sum((ttr.days_in_range for ttr in per_patient.values()), 0.0)
    total = sum((ttr.days_total for ttr in per_patient.values()), 0.0)
    return Ttr(days_in_range=in_range, days_total=total, percent=100 * in_range / total if total else None)


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


def _require_aware(moment: datetime, name: str) -> None:
    # Naive times would silently mix clocks across time zones and DST changes.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
