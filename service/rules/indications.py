"""Which ICD-10-CM diagnoses make a patient eligible for home INR monitoring (NCD 190.11), and which may be recorded
beside them: every code must be a billable code of the real code set (service.rules.icd10cm); the covered list
alone decides coverage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.rules.icd10cm import CODE_SET_VERSION, code_status

# Letter, digit, letter-or-digit category; then up to four more characters (7th-character codes and the
# placeholder X included). The dot is optional on input and always put back after the category.
_CODE_PATTERN = re.compile(r"^([A-Z][0-9][0-9A-Z])\.?([0-9A-Z]{0,4})$")


class IndicationError(ValueError):
    """A diagnosis code that cannot clear a patient for home INR monitoring.

    reason is one of "malformed", "retired", "unknown" (not in the ICD-10-CM code set), "header" (a category
    with more specific codes), "not_covered", so callers can choose a response without parsing the message.
    """

    def __init__(self, code: str, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class CodeRange:
    """Inclusive range over ICD-10 code order; `last` also takes in every longer code that starts with it."""

    first: str
    last: str

    def __post_init__(self) -> None:
        if _key(self.first) > _key(self.last):
            raise ValueError(f"range {self.first}–{self.last} ends before it starts")


@dataclass(frozen=True)
class RetiredCode:
    code: str
    retired_on: str
    replaced_by: tuple[str, ...]


@dataclass(frozen=True)
class CoveredDiagnoses:
    """A versioned, replaceable list of covered diagnoses, so each payer can carry its own."""

    version: str
    ranges: tuple[CodeRange, ...]
    retired: tuple[RetiredCode, ...] = ()


def _key(code: str) -> str:
    # Without the dot, plain string order is ICD-10 code order: digits sort before letters (I82.9 < I82.A)
    # and a parent sorts before its children (I80 < I80.0 < I80.00).
    return code.replace(".", "")


def _range(first: str, last: str | None = None) -> CodeRange:
    return CodeRange(first, last or first)


# BCBS Florida's list, corrected for the FY2020 code set (domain.md, "Covered diagnoses").
DEFAULT_COVERED_DIAGNOSES = CoveredDiagnoses(
    version="2019-10-01",
    ranges=(
        _range("D68.51", "D68.59"),
        _range("D68.61", "D68.69"),
        _range("I26.01", "I26.99"),
        _range("I48.0"),
        _range("I48.11"),
        _range("I48.19"),
        _range("I48.20"),
        _range("I48.21"),
        _range("I48.91"),
        _range("I80.00", "I80.9"),
        _range("I82.211"),
        _range("I82.221"),
        _range("I82.291"),
        _range("I82.401", "I82.5Z9"),
        _range("I82.701", "I82.729"),
        _range("I82.811", "I82.891"),
        _range("I82.A21", "I82.A29"),
        _range("I82.B21", "I82.B29"),
        _range("I82.C21", "I82.C29"),
        _range("Z95.2"),
    ),
    retired=(
        RetiredCode("I48.1", "2019-10-01", ("I48.11", "I48.19")),
        RetiredCode("I48.2", "2019-10-01", ("I48.20", "I48.21")),
    ),
)


def check_indication(code: str, covered: CoveredDiagnoses = DEFAULT_COVERED_DIAGNOSES) -> str:
    """Return the normalized code ("i4891" -> "I48.91") if it is a billable ICD-10-CM code on the covered list,
    else raise IndicationError."""
    normalized = check_diagnosis(code, covered)
    key = _key(normalized)
    for code_range in covered.ranges:
        first, last = _key(code_range.first), _key(code_range.last)
        if first <= key <= last or key.startswith(last):
            return normalized
    raise IndicationError(
        code,
        f"{normalized} is not a covered diagnosis for home INR monitoring (covered list {covered.version}); "
        "it may be recorded as a secondary diagnosis",
        reason="not_covered",
    )


def check_diagnosis(code: str, covered: CoveredDiagnoses = DEFAULT_COVERED_DIAGNOSES) -> str:
    """Return the normalized code if it is a billable code of the ICD-10-CM code set, covered or not (a secondary
    diagnosis such as Z79.01, long-term use of anticoagulants); else raise IndicationError."""
    normalized = _normalize(code)
    for retired in covered.retired:
        if normalized == retired.code:
            raise IndicationError(
                code,
                f"{normalized} is a retired ICD-10-CM code (no longer valid since {retired.retired_on}); "
                f"use {' or '.join(retired.replaced_by)} instead",
                reason="retired",
            )
    status = code_status(normalized)
    if status == "unknown":
        raise IndicationError(code, f"{normalized} is not an ICD-10-CM code (code set {CODE_SET_VERSION})",
                              reason="unknown")
    if status == "header":
        raise IndicationError(
            code, f"{normalized} is a category header, not a billable code; a more specific code is required",
            reason="header")
    return normalized


def is_covered(code: str, covered: CoveredDiagnoses = DEFAULT_COVERED_DIAGNOSES) -> bool:
    try:
        check_indication(code, covered)
    except IndicationError:
        return False
    return True


def _normalize(code: str) -> str:
    match = _CODE_PATTERN.match(code.strip().upper())
    if match is None:
        raise IndicationError(
            code,
            f"{code!r} is not a well-formed ICD-10-CM code (expected a letter, a digit and a letter or digit, "
            "then up to four more characters, e.g. I48.91)",
            reason="malformed",
        )
    category, rest = match.groups()
    return f"{category}.{rest}" if rest else category
