"""Home INR results: ingest from the app (one or a batch), phoned-in entries, listings, summary and FHIR."""

from __future__ import annotations

from flask import Response, g, json

from service import clock, db, policy, results, summary
from service.api import Blueprint
from service.policy import roles
from service.schemas.results import (
    BatchIn,
    BatchOut,
    CorrectionIn,
    ResultIn,
    ResultOut,
    ResultPage,
    ResultQuery,
    SummaryOut,
    SummaryQuery,
)
from service.settings import current_settings

bp = Blueprint("results", __name__, description="Home INR results, the patient's summary and FHIR export.")


@bp.post("/patients/<uuid:patient_id>/results")
@policy.loads("patient", "report_result")
@bp.arguments(ResultIn, example={
    "client_id": "app-2026-11-23-0930", "value": 2.4, "measured_at": "2026-11-23T09:30:00-05:00", "qc_passed": True,
    "meter_serial": "UP12345678", "strip_lot": "47312", "symptoms": [], "missed_doses": 0})
@bp.response(201, ResultOut, description="Stored")
@bp.alt_response(200, schema=ResultOut, description="A retry of a stored result (same client_id and content)")
def post_result(data, patient):
    """Report a home INR result; idempotent by `client_id` (a retry returns the stored result, 200).

    Staff may enter a result the patient phoned in; it is recorded with `source: phone`.
    """
    view, created = results.report_result(db.session(), patient, g.user, data, current_settings(), clock.now())
    return view, 201 if created else 200


@bp.post("/patients/<uuid:patient_id>/results/batch")
@policy.loads("patient", "report_result")
@bp.arguments(BatchIn)
@bp.response(200, BatchOut)
def post_results_batch(data, patient):
    """The app's offline queue: up to 100 results, each stored (or replayed) on its own with its own status."""
    return {"items": results.record_batch(db.session(), patient, g.user, data["results"], current_settings(),
                                          clock.now())}


@bp.get("/patients/<uuid:patient_id>/results")
@policy.loads("patient", "read_clinical", read="result.list")
@bp.arguments(ResultQuery, location="query")
@bp.response(200, ResultPage)
def list_results(query, patient):
    """The patient's results, newest first."""
    return {"items": results.result_page(db.session(), patient, query["limit"], query["offset"],
                                         current_settings())}


@bp.get("/patients/<uuid:patient_id>/results/<uuid:result_id>")
@policy.loads("result", "read_clinical", read="result.read")
@bp.response(200, ResultOut)
def get_result(result):
    return results.describe(db.session(), result.patient, [result], current_settings())[0]


@bp.post("/patients/<uuid:patient_id>/results/<uuid:result_id>/corrections")
@roles("physician", "admin", "patient", "caregiver")
@policy.loads("result", "correct_result")
@bp.arguments(CorrectionIn, example={
    "client_id": "app-2026-11-23-0930-fix", "value": 2.4, "measured_at": "2026-11-23T09:30:00-05:00",
    "qc_passed": True, "meter_serial": "UP12345678", "reason": "Typed 4.2 instead of 2.4."})
@bp.response(201, ResultOut, description="The correction, stored")
@bp.alt_response(200, schema=ResultOut, description="A retry of a stored correction (same client_id and content)")
def correct_result(data, result):
    """Replace a mistyped or wrong result by a correction that supersedes it (the full corrected result, and why).

    Staff (the physician of record, an admin) correct any result; a patient or caregiver only an entry they made,
    within INR_SELF_CORRECTION_HOURS of sending it (403 otherwise). A result is corrected once (409): correct the
    correction instead. The original leaves flags, TTR and counting and its open alert closes with the reason;
    the correction is flagged afresh; claim lines that billed the original are voided for rebilling.
    """
    view, created = results.correct_result(db.session(), result, g.user, data, current_settings(), clock.now())
    return view, 201 if created else 200


@bp.get("/patients/<uuid:patient_id>/results/fhir")
@policy.loads("patient", "read_clinical", read="result.export_fhir")
@bp.response(200, {"type": "object", "description": "A FHIR R4 Bundle (searchset) of Observations."},
             content_type="application/fhir+json")
def results_as_fhir(patient):
    """Every result as a FHIR R4 Observation (LOINC 34714-6); readings without a valid INR carry
    dataAbsentReason, corrected ones are entered-in-error."""
    bundle = results.fhir_bundle(db.session(), patient, current_settings(), clock.now())
    return Response(json.dumps(bundle), mimetype="application/fhir+json")


@bp.get("/patients/<uuid:patient_id>/summary")
@policy.loads("patient", "read_clinical", read="patient.summary.read")
@bp.arguments(SummaryQuery, location="query")
@bp.response(200, SummaryOut)
def patient_summary(query, patient):
    """Latest INR, trend, TTR over the period chosen (the last 90 days by default), adherence, next test due,
    open alerts and the critical thresholds."""
    return summary.patient_summary(db.session(), patient, current_settings(), clock.now(), query, query["trend"])
