"""Which INR results count toward billing: at most one valid result per billing week, every other one with its
reason. A result imported from another system's history takes its week (the week had its test) but is never
billed by this service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from service.rules.billing_week import ZoneHistory, as_history, week_of_day
from service.rules.readings import METER_ERROR, QC_FAILED, SUPERSEDED, why_not_valid

# Why a result does not count. A small fixed vocabulary: the API and the biller's screens show these as is.
# SUPERSEDED, QC_FAILED and METER_ERROR: not a valid INR (service.rules.readings).
NOT_CLEARED = "not_cleared"  # the patient was not cleared for home testing on the local test date
SECOND_IN_WEEK = "second_in_week"  # a valid test already counts this week (NCD 190.11: at most weekly)
# Brought in from another system's history (domain.md "Existing patients"): the week had its test, billed (if at
# all) by whoever monitored the patient then; this service never bills it.
IMPORTED = "imported"
REASONS = (SUPERSEDED, QC_FAILED, METER_ERROR, NOT_CLEARED, SECOND_IN_WEEK, IMPORTED)


@dataclass(frozen=True, slots=True)
class ResultForCounting:
    """One stored result, as counting sees it.

    entered_by_staff: the patient tested at home and phoned the value in; staff typed it. It still counts:
    the home test is the billable work, and who keyed it in changes nothing about it.
    imported: brought in from another system's history (source "import"): it takes its week like any valid test,
    so a later test that week is a second one, but it never counts for this service's billing.
    """

    result_id: str
    measured_at: datetime
    qc_passed: bool
    meter_error: str | None
    entered_by_staff: bool
    superseded: bool = False
    imported: bool = False


@dataclass(frozen=True, slots=True)
class ClearancePeriod:
    """Local dates, both ends included, on which the patient was cleared for home testing; end None is open."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class CountDecision:
    result_id: str
    week: date
    counts: bool
    reason: str | None
    # The patient-local day the test was measured (the day its week and clearance were judged on): carried so that
    # a caller dating the counted tests need not convert the instant again. Not part of the decision itself.
    measured_on: date | None = field(default=None, compare=False)


def count_weekly_tests(
    results: Sequence[ResultForCounting], clearance: Sequence[ClearancePeriod], tz: ZoneInfo | ZoneHistory
) -> list[CountDecision]:
    """One decision per result, in input order: the first valid result of each week counts, the rest say why not.

    `tz` is the patient's zone, or their zone history: each result's week and local day are judged in the zone in
    force when it was measured.
    """
    ids = [r.result_id for r in results]
    if len(set(ids)) != len(ids):
        raise ValueError("result ids must be unique")
    zones = as_history(tz)

    # Each result's local day is worked out once: its week is the Sunday on or before it (billing_week), and the
    # clearance is judged on it.
    by_week: dict[date, list[tuple[datetime, str, date, ResultForCounting]]] = defaultdict(list)  # in input order
    for result in results:
        local_day = zones.local_date(result.measured_at)
        by_week[week_of_day(local_day)].append((result.measured_at, result.result_id, local_day, result))

    decisions: dict[str, CountDecision] = {}
    for week, in_week in by_week.items():
        week_taken = False
        if len(in_week) > 1:  # most weeks hold one test
            # Instant order, then id, so re-running on the same rows always picks the same result. Compared in
            # UTC because Python ignores `fold` between datetimes sharing a tzinfo (the repeated DST hour).
            in_week.sort(key=lambda entry: (entry[0].astimezone(timezone.utc), entry[1]))
        for _, result_id, local_day, result in in_week:
            # An invalid result never takes the week: a later valid retest that week still counts. An imported one
            # does: the week had its test, in the other system's care.
            reason = why_not_valid(result.qc_passed, result.meter_error, result.superseded)
            if reason is None:
                for period in clearance:
                    if period.covers(local_day):
                        break
                else:
                    reason = NOT_CLEARED
            takes_week = reason is None
            if reason is None and result.imported:
                reason = IMPORTED
            elif reason is None and week_taken:
                reason = SECOND_IN_WEEK
            week_taken = week_taken or takes_week
            decisions[result_id] = CountDecision(result_id, week, reason is None, reason, local_day)
    return [decisions[result_id] for result_id in ids]


def managed_while_cleared(decisions: Sequence[CountDecision]) -> set[str]:
    """The results that are valid INRs measured while the patient was cleared for home testing, whether or not
    they were the week's counted test: what anticoagulant management (93793) may bill. A reading that is no valid
    INR, or one taken while home testing was not cleared (before clearance, suspended, revoked), bills nothing.
    Imported history is kept in the set so that the claim rules skip it with its own reason (imported_inr_only)."""
    return {d.result_id for d in decisions if d.counts or d.reason in (SECOND_IN_WEEK, IMPORTED)}
