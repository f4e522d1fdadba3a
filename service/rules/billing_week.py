"""The billing week: Sunday 00:00 to Saturday 24:00 in the patient's own time zone (Noridian's calendar week), and
the patient's zones over time: a week is judged in the zone in force then."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

_SUNDAY = 6  # date.weekday(): Monday is 0, Sunday is 6
_WEEK = timedelta(days=7)


def billing_week(measured_at: datetime, tz: ZoneInfo) -> date:
    """The local Sunday that starts the billing week holding `measured_at`."""
    # A naive time has no instant: guessing its zone could move a test into the neighbouring week.
    if measured_at.tzinfo is None or measured_at.utcoffset() is None:
        raise ValueError("measured_at must be timezone-aware")
    return week_of_day(measured_at.astimezone(tz).date())


def week_of_day(local_day: date) -> date:
    """The Sunday that starts the billing week holding the local date `local_day`."""
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


@dataclass(frozen=True)
class ZoneHistory:
    """A patient's time zones: each in force from its instant until the next one's. The first is also in force
    before its own start (a result the patient brought from before enrolment is judged in it).

    Moving zones never re-judges the past: an instant keeps the local date, and so the billing week, it had in the
    zone in force at it.
    """

    versions: tuple[tuple[datetime, ZoneInfo], ...]

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError("a zone history needs at least one zone")
        starts = [start for start, _ in self.versions]
        if any(start.tzinfo is None or start.utcoffset() is None for start in starts):
            raise ValueError("zone versions start at timezone-aware instants")
        if any(later < earlier for earlier, later in zip(starts, starts[1:], strict=False)):
            raise ValueError("zone versions must be in the order they took effect")

    @classmethod
    def fixed(cls, zone: ZoneInfo) -> ZoneHistory:
        return cls(((datetime(2000, 1, 1, tzinfo=timezone.utc), zone),))

    @classmethod
    def of(cls, versions: Iterable[tuple[datetime, ZoneInfo]]) -> ZoneHistory:
        return cls(tuple(sorted(versions, key=lambda version: version[0])))

    def at(self, instant: datetime) -> ZoneInfo:
        """The zone in force at `instant`."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("instant must be timezone-aware")
        zone = self.versions[0][1]
        if len(self.versions) == 1:
            return zone  # most patients never moved: no need to walk the history
        for start, candidate in self.versions:
            if start <= instant:
                zone = candidate
            else:
                break
        return zone

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.at(instant)).date()

    def week_of(self, instant: datetime) -> date:
        """The billing week of `instant`, judged in the zone in force at it."""
        return billing_week(instant, self.at(instant))


def as_history(zones: ZoneInfo | ZoneHistory) -> ZoneHistory:
    """A single zone is a history that never changed."""
    return zones if isinstance(zones, ZoneHistory) else ZoneHistory.fixed(zones)
