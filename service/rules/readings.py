"""Whether a stored reading is a valid INR: the one derivation counting, TTR, flags, FHIR and the SQL follow.

A strip that failed its quality check, a meter error, or a result a correction replaced is not an INR: it is
kept and shown, but nothing clinical or billable is computed from its number.
"""

from __future__ import annotations

from collections.abc import Iterable

# Why a reading is not a valid INR (also the counting reasons the API shows as is).
SUPERSEDED = "superseded"  # a correction replaced it; the correction is judged on its own
QC_FAILED = "qc_failed"  # the meter's strip quality check failed
METER_ERROR = "meter_error"  # the meter reported an error code


def why_not_valid(qc_passed: bool, meter_error: str | None, superseded: bool = False) -> str | None:
    """The reason a reading is not a valid INR, or None when it is one. The most final fact comes first:
    a superseded reading is out whatever it says."""
    if superseded:
        return SUPERSEDED
    if not qc_passed:
        return QC_FAILED
    if meter_error is not None:
        return METER_ERROR
    return None


def is_valid_inr(qc_passed: bool, meter_error: str | None, superseded: bool = False) -> bool:
    return why_not_valid(qc_passed, meter_error, superseded) is None


def in_words(reason: str, meter_error: str | None = None) -> str:
    """The reason as a clinician reads it (FHIR notes, messages)."""
    return {SUPERSEDED: "corrected by a later entry", QC_FAILED: "strip quality check failed",
            METER_ERROR: f"meter error {meter_error}"}[reason]


def superseded_ids(results: Iterable) -> set:
    """The ids of the results that a correction among `results` replaces (each has `supersedes_id`)."""
    return {result.supersedes_id for result in results if result.supersedes_id is not None}
