"""Home INR results as FHIR R4 Observations in a Bundle: a pure mapping, no database, no Flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

LOINC_HOME_INR = {"system": "http://loinc.org", "code": "34714-6",
                  "display": "INR in Blood by Coagulation assay"}
_UCUM = {"unit": "INR", "system": "http://unitsofmeasure.org", "code": "{INR}"}
_CATEGORY = {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory",
             "display": "Laboratory"}
_INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_INTERPRETATION_DISPLAY = {"N": "Normal", "L": "Low", "H": "High", "LL": "Critical low", "HH": "Critical high"}
_THERAPEUTIC = {"system": "http://terminology.hl7.org/CodeSystem/referencerange-meaning", "code": "therapeutic",
                "display": "Therapeutic Desired Level"}


@dataclass(frozen=True)
class ObservationFacts:
    """Everything one Observation states, as plain values."""

    result_id: str
    patient_id: str
    value: Decimal
    comparator: str | None
    measured_at: datetime  # UTC
    offset_minutes: int  # as the device reported it: the Observation keeps the patient's local time
    received_at: datetime
    interpretation: str  # N, L, H, LL, HH
    target_low: Decimal
    target_high: Decimal
    meter_serial: str | None
    caregiver_id: str | None
    caregiver_name: str | None


def _quantity(value: Decimal) -> dict:
    return {"value": float(value), **_UCUM}


def observation(facts: ObservationFacts) -> dict:
    value = _quantity(facts.value)
    if facts.comparator:
        value["comparator"] = facts.comparator  # the meter showed "<0.8" or ">8.0": the true value is beyond
    local = facts.measured_at.astimezone(timezone(timedelta(minutes=facts.offset_minutes)))
    performer = ({"reference": f"RelatedPerson/{facts.caregiver_id}", "display": facts.caregiver_name}
                 if facts.caregiver_id else {"reference": f"Patient/{facts.patient_id}"})
    resource = {
        "resourceType": "Observation",
        "id": facts.result_id,
        "status": "final",
        "category": [{"coding": [_CATEGORY]}],
        "code": {"coding": [LOINC_HOME_INR], "text": "INR (home meter)"},
        "subject": {"reference": f"Patient/{facts.patient_id}"},
        "effectiveDateTime": local.isoformat(),
        "issued": facts.received_at.astimezone(timezone.utc).isoformat(),
        "performer": [performer],
        "valueQuantity": value,
        "interpretation": [{"coding": [{"system": _INTERPRETATION_SYSTEM, "code": facts.interpretation,
                                        "display": _INTERPRETATION_DISPLAY[facts.interpretation]}]}],
        "referenceRange": [{"low": _quantity(facts.target_low), "high": _quantity(facts.target_high),
                            "type": {"coding": [_THERAPEUTIC]}}],
    }
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
