"""Home INR results as FHIR R4 Observations in a Bundle: a pure mapping, no database, no Flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from service.rules.flags import displayed_reading

LOINC_HOME_INR = {"system": "http://loinc.org", "code": "34714-6",
                  "display": "INR in Blood by Coagulation assay"}
_UCUM = {"unit": "INR", "system": "http://unitsofmeasure.org", "code": "{INR}"}
_CATEGORY = {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory",
             "display": "Laboratory"}
_INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_INTERPRETATION_DISPLAY = {"N": "Normal", "L": "Low", "H": "High", "LL": "Critical low", "HH": "Critical high"}
_DATA_ABSENT_ERROR = {"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error",
                      "display": "Error"}
_THERAPEUTIC = {"system": "http://terminology.hl7.org/CodeSystem/referencerange-meaning", "code": "therapeutic",
                "display": "Therapeutic Desired Level"}


@dataclass(frozen=True)
class ObservationFacts:
    """Everything one Observation states, as plain values."""

    result_id: str
    patient_id: str
    value: Decimal | None  # None: a meter error that showed no number
    comparator: str | None
    measured_at: datetime  # UTC
    offset_minutes: int  # as the device reported it: the Observation keeps the patient's local time
    received_at: datetime
    interpretation: str | None  # N, L, H, LL, HH; None for no valid INR
    target_low: Decimal
    target_high: Decimal
    meter_serial: str | None
    caregiver_id: str | None
    caregiver_name: str | None
    # Why the meter gave no valid INR ("strip quality check failed", "meter error E-406"); None: a valid INR.
    no_valid_inr: str | None = None
    corrected_by: str | None = None  # the result id of the correction that replaced this one
    corrects: str | None = None  # the result id this one corrects
    device_stated_at: datetime | None = None  # the time a meter with a fast clock stated (effective: the receipt)


def _note(facts: ObservationFacts) -> list[dict]:
    notes = []
    if facts.no_valid_inr:
        shown = displayed_reading(facts.value, facts.comparator)
        notes.append({"text": f"No valid INR: {facts.no_valid_inr}. " + (
            f"The meter showed {shown}; it is kept on record, not reported as a value." if shown
            else "The meter showed no number.")})
    if facts.device_stated_at:
        stated = facts.device_stated_at.astimezone(timezone(timedelta(minutes=facts.offset_minutes)))
        notes.append({"text": f"The meter's clock was ahead: it stated {stated.isoformat()}; the time given is when "
                              "the result was received."})
    if facts.corrected_by:
        notes.append({"text": f"Entered in error; replaced by Observation/{facts.corrected_by}."})
    if facts.corrects:
        notes.append({"text": f"Corrects Observation/{facts.corrects}, entered in error."})
    return notes


def _quantity(value: Decimal) -> dict:
    return {"value": float(value), **_UCUM}


def _status(facts: ObservationFacts) -> str:
    if facts.corrected_by:
        return "entered-in-error"  # a receiving system must not chart or trend it
    return "final"  # a correction is a final result of its own, pointing at what it replaces (derivedFrom, note)


def observation(facts: ObservationFacts) -> dict:
    """One Observation. A result without a valid INR (failed strip, meter error) carries no value and no
    interpretation, only why (dataAbsentReason and a note): another system would otherwise chart the number. An
    entry in error keeps what was entered but no interpretation; its correction is `final` and derived from it."""
    value = _quantity(facts.value) if facts.value is not None else None
    if value is not None and facts.comparator:
        value["comparator"] = facts.comparator  # the meter showed "<0.8" or ">8.0": the true value is beyond
    local = facts.measured_at.astimezone(timezone(timedelta(minutes=facts.offset_minutes)))
    performer = ({"reference": f"RelatedPerson/{facts.caregiver_id}", "display": facts.caregiver_name}
                 if facts.caregiver_id else {"reference": f"Patient/{facts.patient_id}"})
    resource = {
        "resourceType": "Observation",
        "id": facts.result_id,
        "status": _status(facts),
        "category": [{"coding": [_CATEGORY]}],
        "code": {"coding": [LOINC_HOME_INR], "text": "INR (home meter)"},
        "subject": {"reference": f"Patient/{facts.patient_id}"},
        "effectiveDateTime": local.isoformat(),
        "issued": facts.received_at.astimezone(timezone.utc).isoformat(),
        "performer": [performer],
        "referenceRange": [{"low": _quantity(facts.target_low), "high": _quantity(facts.target_high),
                            "type": {"coding": [_THERAPEUTIC]}}],
    }
    if facts.no_valid_inr:
        resource["dataAbsentReason"] = {"coding": [_DATA_ABSENT_ERROR], "text": facts.no_valid_inr}
    else:
        resource["valueQuantity"] = value
        if facts.interpretation:
            resource["interpretation"] = [{"coding": [{"system": _INTERPRETATION_SYSTEM, "code": facts.interpretation,
                                                       "display": _INTERPRETATION_DISPLAY[facts.interpretation]}]}]
    if facts.corrects:
        resource["derivedFrom"] = [{"reference": f"Observation/{facts.corrects}",
                                    "display": "the entry in error this result corrects"}]
    if notes := _note(facts):
        resource["note"] = notes
    if facts.meter_serial:
        resource["device"] = {"display": f"INR meter serial {facts.meter_serial}"}
    return resource


def bundle(observations: list[dict], generated_at: datetime) -> dict:
    """A searchset Bundle of the given Observations."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": generated_at.astimezone(timezone.utc).isoformat(),
        "total": len(observations),
        "entry": [{"fullUrl": f"urn:uuid:{o['id']}", "resource": o, "search": {"mode": "match"}}
                  for o in observations],
    }
