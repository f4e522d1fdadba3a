"""FHIR R4 export of results, validated with fhir.resources (its R4B models, which R4 Observations satisfy)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation

from service import fhir
from tests.factories import post_result


def facts(**changes):
    data = dict(result_id="7c0a3a5e-2b1f-4a4e-9a47-3f0a0c1d2e3f", patient_id="0b6f0c39-0f5e-4d1c-8f3e-1d2a3b4c5d6e",
                value=Decimal("2.4"), comparator=None, measured_at=datetime(2026, 11, 23, 14, 30, tzinfo=timezone.utc),
                offset_minutes=-300, received_at=datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc),
                interpretation="N", target_low=Decimal("2.0"), target_high=Decimal("3.0"), meter_serial="UP123",
                caregiver_id=None, caregiver_name=None)
    data.update(changes)
    return fhir.ObservationFacts(**data)


def test_an_observation_carries_loinc_ucum_therapeutic_range_and_local_time():
    resource = fhir.observation(facts())
    Observation.model_validate(resource)
    assert resource["code"]["coding"][0] == {"system": "http://loinc.org", "code": "34714-6",
                                              "display": "INR in Blood by Coagulation assay"}
    assert resource["valueQuantity"] == {"value": 2.4, "unit": "INR", "system": "http://unitsofmeasure.org",
                                         "code": "{INR}"}
    assert resource["effectiveDateTime"] == "2026-11-23T09:30:00-05:00"
    assert resource["referenceRange"][0]["type"]["coding"][0]["code"] == "therapeutic"
    assert resource["referenceRange"][0]["low"]["value"] == 2.0
    assert resource["performer"] == [{"reference": "Patient/0b6f0c39-0f5e-4d1c-8f3e-1d2a3b4c5d6e"}]
    assert resource["device"] == {"display": "INR meter serial UP123"}


def test_a_reading_beyond_the_meter_keeps_its_comparator_and_a_caregiver_is_a_related_person():
    resource = fhir.observation(facts(value=Decimal("8.0"), comparator=">", interpretation="HH",
                                      caregiver_id="3f7c2a1e-1111-4222-8333-444455556666", caregiver_name="Dana",
                                      meter_serial=None))
    Observation.model_validate(resource)
    assert resource["valueQuantity"]["comparator"] == ">"
    assert resource["interpretation"][0]["coding"][0]["code"] == "HH"
    assert resource["performer"][0]["reference"] == "RelatedPerson/3f7c2a1e-1111-4222-8333-444455556666"
    assert "device" not in resource


def test_the_results_export_is_a_valid_fhir_bundle(app, client, clinic):
    post_result(client, clinic, client_id="a", value=2.5)
    low = {"client_id": "b", "reading": "<0.8", "measured_at": "2026-11-22T09:30:00-05:00", "qc_passed": True}
    client.post(f"/patients/{clinic.patient_id}/results", json=low, headers=clinic.headers["patient"])
    post_result(client, clinic, who="caregiver", client_id="c", value=3.4, measured_at="2026-11-21T09:30:00-05:00")
    response = client.get(f"/patients/{clinic.patient_id}/results/fhir", headers=clinic.headers["physician"])
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    document = json.loads(response.data)
    bundle = Bundle.model_validate(document)
    assert bundle.type == "searchset" and bundle.total == 3
    by_interpretation = {e["resource"]["interpretation"][0]["coding"][0]["code"]: e["resource"]
                         for e in document["entry"]}
    assert set(by_interpretation) == {"N", "LL", "H"}
    assert by_interpretation["LL"]["valueQuantity"]["comparator"] == "<"
    assert by_interpretation["H"]["performer"][0]["reference"] == f"RelatedPerson/{clinic.id('caregiver')}"
    assert by_interpretation["N"]["subject"]["reference"] == f"Patient/{clinic.patient_id}"
    assert client.get(f"/patients/{clinic.patient_id}/results/fhir",
                      headers=clinic.headers["other_physician"]).status_code == 404


def test_a_result_without_a_valid_inr_carries_no_value_only_why():
    resource = fhir.observation(facts(value=Decimal("7.9"), interpretation="HH",
                                      no_valid_inr="strip quality check failed"))
    Observation.model_validate(resource)
    assert "valueQuantity" not in resource and "interpretation" not in resource
    assert resource["dataAbsentReason"]["coding"][0]["code"] == "error"
    assert resource["dataAbsentReason"]["text"] == "strip quality check failed"
    assert "The meter showed 7.9" in resource["note"][0]["text"]  # kept on record, in words, not as a value
    assert resource["status"] == "final"


def test_a_corrected_result_is_entered_in_error_and_its_correction_is_final_and_points_back():
    wrong = fhir.observation(facts(corrected_by="c0ffee00-0000-4000-8000-000000000001"))
    right = fhir.observation(facts(result_id="c0ffee00-0000-4000-8000-000000000001", corrects=facts().result_id))
    for resource in (wrong, right):
        Observation.model_validate(resource)
    assert wrong["status"] == "entered-in-error" and "replaced by Observation/c0ffee00" in wrong["note"][0]["text"]
    assert right["status"] == "final" and f"Corrects Observation/{facts().result_id}" in right["note"][0]["text"]
    assert right["derivedFrom"] == [{"reference": f"Observation/{facts().result_id}",
                                     "display": "the entry in error this result corrects"}]
    assert fhir.observation(facts())["status"] == "final" and "note" not in fhir.observation(facts())


def test_the_export_marks_failed_strips_meter_errors_and_corrections(app, client, clinic):
    from datetime import timedelta

    from tests import factories
    from tests.conftest import NOW

    strip = factories.make_result(app, clinic.patient, NOW - timedelta(days=3), value="7.9", qc_passed=False)
    error = factories.make_result(app, clinic.patient, NOW - timedelta(days=2), value="6.5", meter_error="E-406")
    wrong = factories.make_result(app, clinic.patient, NOW - timedelta(days=1), value="6.0")
    right = factories.make_result(app, clinic.patient, NOW - timedelta(days=1), value="2.6", supersedes=wrong)
    response = client.get(f"/patients/{clinic.patient_id}/results/fhir", headers=clinic.headers["physician"])
    document = json.loads(response.data)
    Bundle.model_validate(document)
    by_id = {e["resource"]["id"]: e["resource"] for e in document["entry"]}
    assert by_id[str(strip.public_id)]["dataAbsentReason"]["text"] == "strip quality check failed"
    assert by_id[str(error.public_id)]["dataAbsentReason"]["text"] == "meter error E-406"
    assert "valueQuantity" not in by_id[str(error.public_id)]
    assert by_id[str(wrong.public_id)]["status"] == "entered-in-error"
    assert by_id[str(right.public_id)]["status"] == "final"
    assert by_id[str(right.public_id)]["derivedFrom"][0]["reference"] == f"Observation/{wrong.public_id}"
    assert "interpretation" not in by_id[str(wrong.public_id)]  # an entry in error is not interpreted
    assert by_id[str(right.public_id)]["valueQuantity"]["value"] == 2.6
