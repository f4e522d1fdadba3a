"""The period a figure such as TTR is computed over: the last N days, or from one day or instant to another."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

DEFAULT_WINDOW_DAYS = 90


class PeriodError(ValueError):
    """A period that ends before it starts; `field` names the bound to change ("from")."""

    def __init__(self, message: str, field: str = "from"):
        super().__init__(message)
        self.field = field


def _start_of(day: date, zone: tzinfo) -> datetime:
    # Local midnight; where a DST change skips midnight, the first instant of the day.
    return datetime.combine(day, time(0), tzinfo=zone)


def period(now: datetime, zone: tzinfo, *, window_days: int | None = None, start: date | datetime | None = None,
           end: date | datetime | None = None) -> tuple[datetime, datetime]:
    """The instants [start, end) of a period, judged at `now`.

    A date is a whole day in `zone` (a `from` date starts at its local midnight, a `to` date ends at the next
    one); an instant is taken as it is. The period never reaches past `now`. Without `from`, it is the
    `window_days` (90 by default) before its end; without `to`, it ends now.
    """
    if window_days is not None and start is not None:
        raise PeriodError("Give window_days or from, not both.", "window_days")
    if isinstance(end, datetime):
        until = end
    elif isinstance(end, date):
        until = _start_of(end + timedelta(days=1), zone)
    else:
        until = now
    until = min(until, now)
    if isinstance(start, datetime):
        since = start
    elif isinstance(start, date):
        since = _start_of(start, zone)
    else:
        since = until - timedelta(days=window_days or DEFAULT_WINDOW_DAYS)
    # In UTC: Python compares and subtracts times sharing a zone by wall clock, which is wrong across DST.
    since, until = since.astimezone(timezone.utc), until.astimezone(timezone.utc)
    if since >= until:
        raise PeriodError("The period must start before it ends (and before now).")
    return since, until
