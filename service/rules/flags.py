"""How a reading is flagged, escalated and explained to the patient.

A reading that is not a valid INR (service.rules.readings: a failed strip, a meter error, a corrected entry) is
never flagged on its number: it gets the level "no_valid_inr", no interpretation and no alert of its own, and the
patient is told to retest now. Symptoms escalate urgently whatever the reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# The meter's measuring range (CoaguChek XS class); outside it the meter shows "<0.8" or ">8.0".
METER_LOW = Decimal("0.8")
METER_HIGH = Decimal("8.0")

COMPARATORS = (None, "<", ">")
# What the meter shows outside its range, and how it is stored: the limit with a comparator.
READINGS = {"<0.8": ("<", METER_LOW), ">8.0": (">", METER_HIGH)}

SYMPTOMS = (
    "nosebleed",
    "bleeding_gums",
    "blood_in_urine",
    "black_or_bloody_stool",
    "vomiting_blood",
    "unusual_bruising",
    "heavy_menstrual_bleeding",
    "severe_headache",
    "chest_pain",
    "shortness_of_breath",
    "leg_swelling_or_pain",
    "weakness_or_numbness",
    "trouble_speaking",
    "vision_change",
    "other",
)

NO_VALID_INR = "no_valid_inr"  # the level of a reading that is not a valid INR: no L/H/LL/HH on its number
LEVELS = ("in_range", "low", "high", "critical_low", "critical_high", NO_VALID_INR)

# FHIR R4 Observation.interpretation codes (v3 ObservationInterpretation).
_INTERPRETATION = {
    "in_range": "N",
    "low": "L",
    "high": "H",
    "critical_low": "LL",
    "critical_high": "HH",
}


def _require_decimal(value: object, name: str) -> None:
    # Floats would make 2.0–3.0 boundaries depend on binary rounding; refuse them rather than coerce.
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number, not {value}")


@dataclass(frozen=True)
class TherapeuticRange:
    """The physician's therapeutic range for one patient; both bounds count as in range."""

    low: Decimal = Decimal("2.0")
    high: Decimal = Decimal("3.0")

    def __post_init__(self) -> None:
        _require_decimal(self.low, "low")
        _require_decimal(self.high, "high")
        if not self.low < self.high:
            raise ValueError(f"target range low {self.low} must be below high {self.high}")
        # A range the meter cannot measure could never be confirmed by home testing.
        if self.low < METER_LOW or self.high > METER_HIGH:
            raise ValueError(f"target range {self.low}–{self.high} must lie within {METER_LOW}–{METER_HIGH}")


@dataclass(frozen=True)
class CriticalThresholds:
    """Values at or beyond which a result escalates urgently (labs vary, so this is configurable)."""

    low: Decimal = Decimal("1.5")
    high: Decimal = Decimal("5.0")

    def __post_init__(self) -> None:
        _require_decimal(self.low, "low")
        _require_decimal(self.high, "high")
        if not self.low < self.high:
            raise ValueError(f"critical low {self.low} must be below critical high {self.high}")


DEFAULT_TARGET = TherapeuticRange()
DEFAULT_THRESHOLDS = CriticalThresholds()


@dataclass(frozen=True)
class InrFlag:
    value: Decimal | None  # None: a meter error that showed no number
    comparator: str | None
    target: TherapeuticRange
    level: str
    symptoms: tuple[str, ...] = ()
    not_valid: str | None = None  # why the reading is not a valid INR (service.rules.readings); None: it is one

    @property
    def is_critical(self) -> bool:
        return self.level in ("critical_low", "critical_high")

    @property
    def in_range(self) -> bool:
        return self.level == "in_range"

    @property
    def urgent(self) -> bool:
        # Bleeding or clot signs escalate whatever the INR (domain.md, "Clinical thresholds").
        return self.is_critical or bool(self.symptoms)

    @property
    def severity(self) -> str:
        if self.urgent:
            return "critical"
        if self.level == NO_VALID_INR:
            return "none"  # its number means nothing: the "no valid result" rule watches what follows instead
        if not self.in_range:
            return "out_of_range"
        return "none"

    @property
    def needs_alert(self) -> bool:
        return self.severity != "none"

    @property
    def interpretation(self) -> str | None:
        return _INTERPRETATION.get(self.level)

    @property
    def reading(self) -> str | None:
        return displayed_reading(self.value, self.comparator)


def displayed_reading(value: Decimal | None, comparator: str | None) -> str | None:
    """The result as the meter showed it: "<0.8", ">8.0" or "2.4"; None when it showed no number."""
    return None if value is None else f"{comparator or ''}{value}"


def flag_inr(
    value: Decimal,
    comparator: str | None,
    target: TherapeuticRange,
    thresholds: CriticalThresholds = DEFAULT_THRESHOLDS,
    symptoms: Sequence[str] = (),
) -> InrFlag:
    """Classify one result against the patient's own range and the critical thresholds."""
    _require_decimal(value, "value")
    if comparator not in COMPARATORS:
        raise ValueError(f"comparator must be '<', '>' or None, not {comparator!r}")
    unknown = [symptom for symptom in symptoms if symptom not in SYMPTOMS]
    if unknown:
        raise ValueError(f"unknown symptoms: {', '.join(unknown)}")

    return InrFlag(value, comparator, target, _level(value, comparator, target, thresholds), tuple(symptoms))


def flag_reading(
    value: Decimal | None,
    comparator: str | None,
    target: TherapeuticRange,
    thresholds: CriticalThresholds = DEFAULT_THRESHOLDS,
    symptoms: Sequence[str] = (),
    not_valid: str | None = None,
) -> InrFlag:
    """Classify any stored reading: a valid INR as `flag_inr` does; one that is not (`not_valid` names why, as
    service.rules.readings.why_not_valid does) gets the level "no_valid_inr" whatever its number, and only its
    symptoms can make it urgent."""
    if not_valid is None:
        if value is None:
            raise ValueError("a valid INR has a value")
        return flag_inr(value, comparator, target, thresholds, symptoms)
    if value is not None:
        _require_decimal(value, "value")
    if comparator not in COMPARATORS or (comparator is not None and value is None):
        raise ValueError(f"comparator must be '<', '>' or None (and only with a value), not {comparator!r}")
    unknown = [symptom for symptom in symptoms if symptom not in SYMPTOMS]
    if unknown:
        raise ValueError(f"unknown symptoms: {', '.join(unknown)}")
    return InrFlag(value, comparator, target, NO_VALID_INR, tuple(symptoms), not_valid)


def _level(value: Decimal, comparator: str | None, target: TherapeuticRange, thresholds: CriticalThresholds) -> str:
    # Beyond the meter's measuring range the true value is unknown, so it is always treated as critical.
    if comparator == "<":
        return "critical_low"
    if comparator == ">":
        return "critical_high"
    # A value inside the patient's own target range is never critical, even where the range touches a
    # critical threshold (1.5–2.0 for an On-X valve: 1.5 is what the physician asked for, not an emergency).
    if target.low <= value <= target.high:
        return "in_range"
    if value < target.low:
        return "critical_low" if value <= thresholds.low else "low"
    return "critical_high" if value >= thresholds.high else "high"


def patient_message(flag: InrFlag, next_test_due: date | None, emergency_instructions: str, *,
                    no_valid_inr_words: str | None = None, clock_ahead: bool = False,
                    home_testing_suspended: bool = False) -> str:
    """Plain words for the patient after a result is recorded.

    `no_valid_inr_words` says why a reading is not a valid INR as the patient reads it ("strip quality check
    failed"); `clock_ahead`: the meter's clock runs ahead of the clinic's; `home_testing_suspended`: clearance is
    suspended until correct use is reassessed (the patient is told to contact the clinic).
    """
    # Checked on every call, not only urgent ones, so missing clinic configuration shows up at once.
    if not emergency_instructions.strip():
        raise ValueError("emergency_instructions must not be empty")

    notes = []
    if clock_ahead:
        notes.append("Your meter's clock is ahead of the time: please set its date and time.")
    if home_testing_suspended:
        notes.append("Your home testing is paused until your use of the meter is checked again: please contact "
                     "your clinic.")
    target = f"{flag.target.low}–{flag.target.high}"
    if flag.level == NO_VALID_INR:
        why = no_valid_inr_words or "no valid result"
        if flag.not_valid == "superseded":
            return " ".join(["This entry was corrected by a later one; the correction is what counts.", *notes])
        first = f"Your meter gave no valid INR ({why}), so this reading cannot guide your dose."
        if flag.urgent:
            return " ".join([first, "You reported symptoms that can be a sign of bleeding or a clot.",
                             "Contact your clinic now.", *notes, emergency_instructions.strip()])
        return " ".join([first, "Retest now with a new test strip; if that fails too, call your clinic or get a "
                         "lab INR.", _next_test_sentence(next_test_due), *notes])
    if flag.urgent:
        parts = [f"Your INR is {flag.reading}."]
        if flag.is_critical:
            parts.append(f"This is far outside your target range of {target}.")
        elif not flag.in_range:
            parts.append(f"This is outside your target range of {target}.")
        if flag.symptoms:
            parts.append("You reported symptoms that can be a sign of bleeding or a clot.")
        parts.append("Contact your clinic now.")
        parts.extend(notes)
        parts.append(emergency_instructions.strip())
        return " ".join(parts)

    next_test = _next_test_sentence(next_test_due)
    if not flag.in_range:
        direction = "below" if flag.level == "low" else "above"
        return " ".join([
            f"Your INR is {flag.reading}, {direction} your target range of {target}. "
            f"Your physician has been notified and will tell you if your dose needs to change. {next_test}", *notes])
    return " ".join([f"Your INR is {flag.reading}, within your target range of {target}. {next_test}", *notes])


def _next_test_sentence(next_test_due: date | None) -> str:
    if next_test_due is None:
        return "Test again when your clinic has scheduled."
    return f"Your next test is due on {next_test_due:%A}, {next_test_due:%B} {next_test_due.day}, {next_test_due.year}."
