"""A patient's home-testing care as a history of events (start, end, resume, and corrections of them), folded into
the periods of care that billing and the weekly duty read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from service.rules.claim_plan import CarePeriod

START, END, RESUME = "start", "end", "resume"
KINDS = (START, END, RESUME)


@dataclass(frozen=True)
class CareEvent:
    """One recorded event, as the rules read it. `corrects` names the event it replaces (its id); a withdrawn
    correction takes the event back without replacing it."""

    id: int
    sequence: int
    kind: str
    effective_on: date
    reason: str | None = None
    corrects: int | None = None
    withdrawn: bool = False


def effective_events(events: Sequence[CareEvent]) -> list[CareEvent]:
    """The events in force: those no later event corrects, less the withdrawals; in date order."""
    corrected = {event.corrects for event in events if event.corrects is not None}
    standing = [event for event in events if event.id not in corrected and not event.withdrawn]
    return sorted(standing, key=lambda event: (event.effective_on, event.sequence))


def care_periods(events: Sequence[CareEvent]) -> list[CarePeriod]:
    """The periods of care the history describes. Without any event a patient is in care from the beginning of
    their record; an end closes the period on its (inclusive) last day; a resume opens the next one."""
    periods, problems = _fold(effective_events(events))
    if problems:
        raise ValueError("; ".join(problems))
    return periods


def history_problems(events: Sequence[CareEvent]) -> list[str]:
    """Why the history cannot stand (an end while care has ended, a resume while in care, a date out of order),
    or nothing: what recording or correcting an event must not leave behind."""
    return _fold(effective_events(events))[1]


def in_care(periods: Sequence[CarePeriod], day: date) -> bool:
    return any(period.covers(day) for period in periods)


def _fold(events: Sequence[CareEvent]) -> tuple[list[CarePeriod], list[str]]:
    periods: list[CarePeriod] = []
    problems: list[str] = []
    start: date | None = None
    open_ = True
    for event in events:
        if event.kind == START:
            if periods or start is not None or not open_:
                problems.append(f"start on {event.effective_on}: care had already started")
            start = event.effective_on
        elif event.kind == END:
            if not open_:
                problems.append(f"end on {event.effective_on}: care had already ended")
                continue
            if start is not None and event.effective_on < start:
                problems.append(f"end on {event.effective_on}: before care started on {start}")
            periods.append(CarePeriod(start, event.effective_on, event.reason))
            open_ = False
        elif event.kind == RESUME:
            if open_:
                problems.append(f"resume on {event.effective_on}: care had not ended")
                continue
            if periods and event.effective_on <= periods[-1].end:
                problems.append(f"resume on {event.effective_on}: not after the end on {periods[-1].end}")
            start, open_ = event.effective_on, True
        else:
            problems.append(f"unknown event kind {event.kind!r}")
    if open_:
        periods.append(CarePeriod(start, None))
    return periods, problems
