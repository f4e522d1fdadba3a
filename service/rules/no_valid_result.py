"""When the clinic is told that a patient has no valid INR: the routine "no valid result" alert.

An episode begins with a reading that is not a valid INR (a failed strip, a meter error) after the last valid one,
and lasts until a valid INR is measured. It calls for one alert (keyed by its first reading) as soon as either
holds: a second invalid reading came in a row, or `window` (24 hours by default) has passed since the first with no
valid INR. Readings a correction replaced are left out by the caller: the correction stands in their place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

TWO_IN_A_ROW = "two_invalid_in_a_row"
NONE_VALID_IN_TIME = "no_valid_in_time"  # none valid within the window after the first invalid reading


@dataclass(frozen=True)
class Reading:
    result_id: str
    at: datetime  # the instant the reading stands at on the patient's timeline
    valid: bool


@dataclass(frozen=True)
class Episode:
    """The readings since the last valid INR, and whether (and since when, and why) they call for the alert."""

    result_ids: tuple[str, ...]
    started_at: datetime
    reason: str | None  # TWO_IN_A_ROW, NONE_VALID_IN_TIME, or None: not (yet) alerting
    due_at: datetime | None  # when the alert became due

    @property
    def first(self) -> str:
        return self.result_ids[0]


def open_episode(readings: Sequence[Reading], now: datetime, window: timedelta = timedelta(hours=24)) -> Episode | None:
    """The episode still open at `now` (None when the latest reading is a valid INR, or there is none)."""
    ordered = sorted(readings, key=lambda r: (r.at.astimezone(timezone.utc), r.result_id))
    tail: list[Reading] = []
    for reading in ordered:
        tail = [] if reading.valid else [*tail, reading]
    if not tail:
        return None
    started = tail[0].at
    # Elapsed time in UTC: between datetimes sharing a zone Python subtracts wall clocks (a DST day has 25 hours).
    started_utc = started.astimezone(timezone.utc)
    candidates = []
    if len(tail) >= 2:
        candidates.append((tail[1].at.astimezone(timezone.utc), TWO_IN_A_ROW))
    if now.astimezone(timezone.utc) - started_utc >= window:  # exactly `window` later: none came "within" it
        candidates.append((started_utc + window, NONE_VALID_IN_TIME))
    due_at, reason = min(candidates) if candidates else (None, None)
    return Episode(tuple(r.result_id for r in tail), started, reason, due_at)
