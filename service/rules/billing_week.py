"""The billing week: Sunday 00:00 to Saturday 24:00 in the patient's own time zone (Noridian's calendar week)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

_SUNDAY = 6  # date.weekday(): Monday is 0, Sunday is 6
_WEEK = timedelta(days=7)


def billing_week(measured_at: datetime, tz: ZoneInfo) -> date:
    """The local Sunday that starts the billing week holding `measured_at`."""
    # A naive time has no instant: guessing its zone could move a test into the neighbouring week.
    if measured_at.tzinfo is None or measured_at.utcoffset() is None:
        raise ValueError("measured_at must be timezone-aware")
    local_day = measured_at.astimezone(tz).date()
    return local_day - timedelta(days=(local_day.weekday() - _SUNDAY) % 7)


def week_bounds(week_start: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants [start, end) of the billing week starting on local Sunday `week_start`."""
    _require_sunday(week_start)
    # Built from local midnights, not start + 7 days: a DST week lasts 167 or 169 hours.
    # Where midnight itself falls in a DST gap (e.g. America/Santiago), fold=0 maps it to the
    # transition instant, which is still the first instant of the local Sunday.
    return _local_midnight_utc(week_start, tz), _local_midnight_utc(week_start + _WEEK, tz)


def weeks_between(first_week: date, last_week: date) -> list[date]:
    """Every week start from `first_week` to `last_week`, both included; empty when last is before first."""
    _require_sunday(first_week)
    _require_sunday(last_week)
    count = (last_week - first_week).days // 7 + 1
    return [first_week + i * _WEEK for i in range(max(count, 0))]


def _local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def _require_sunday(day: date) -> None:
    # A week named by any other day would silently shift every bound by that many days.
    if day.weekday() != _SUNDAY:
        raise ValueError(f"{day.isoformat()} is not a Sunday; billing weeks start on Sunday")
