"""Bringing existing patients in: training done elsewhere and past results imported in bulk (domain.md "Existing
patients"). The order (dated in the past), the clearance from a past day, the go-live date, and past target ranges
and zones have their places on the routes of the patient and of clearance."""

from __future__ import annotations

from flask import g

from models import PriorTraining
from service import clock, db, history, policy
from service.api import Blueprint
from service.idempotency import idempotent
from service.policy import roles
from service.schemas.history import (
    PriorTrainingIn,
    PriorTrainingOut,
    PriorTrainingPage,
    ResultImportIn,
    ResultImportOut,
    ResultImportPage,
)
from service.settings import current_settings

bp = Blueprint("history", __name__, description="Bringing existing patients in: training done elsewhere and past "
                                                "results imported from a FHIR R4 Bundle or a CSV export.")


@bp.post("/patients/<uuid:patient_id>/prior-trainings")
@roles("trainer", "physician", "admin")
@policy.loads("patient", "train")
@bp.arguments(PriorTrainingIn, example={
    "trained_on": "2025-11-18", "kind": "initial", "trainee": "patient", "organization": "Acme Home INR (IDTF)",
    "trainer_name": "R. Nurse, RN", "document_reference": "scan 2025-11-18-0042 (competency checklist, signed)"})
@bp.response(201, PriorTrainingOut)
@idempotent(PriorTraining)
def record_prior_training(data, patient):
    """Record a training with documented competency done elsewhere before the patient came (never billed).

    It satisfies the face-to-face training criterion (initial, retraining) and dates the continued-use
    reassessment (every kind) as a session signed here would; it is never billed (93792 pays the training this
    service gives).
    """
    return history.record_prior_training(db.session(), patient, g.user, data, clock.now())


@bp.get("/patients/<uuid:patient_id>/prior-trainings")
@policy.loads("patient", "read_training", read="training.prior.list")
@bp.response(200, PriorTrainingPage)
def list_prior_trainings(patient):
    """Training done elsewhere, oldest first."""
    return {"items": history.prior_trainings(db.session(), patient)}


@bp.post("/patients/<uuid:patient_id>/result-imports")
@roles("physician", "admin")
@policy.loads("patient", "import_history")
@bp.arguments(ResultImportIn, example={
    "file_name": "acme-export-2026-11-20.csv", "reference": "Acme Home INR (IDTF), export of 20 Nov 2026",
    "csv": "source_id,measured_at,value,comparator,meter_serial,qc_passed\n"
           "acme-81723,2026-11-17T08:40:00-05:00,2.6,,UP12345678,true\n"})
@bp.response(201, ResultImportOut)
def import_results(data, patient):
    """Import the patient's past results from a FHIR R4 Bundle or a CSV export, each row on its own.

    The file goes in the JSON body: `fhir` (the Bundle) or `csv` (the export's text). Each row is imported, already
    imported, or refused with the reason. Rows are keyed by the source's own id (a result's `client_id`): importing
    a file again adds nothing, and the same id with other content is refused for that row. A row is history when
    measured on or after the patient's warfarin start, before their go-live date, and not in the future. Results are
    stored with `source: import`, who imported them and from which file; they count for TTR, adherence, the trend
    and the weeks they were tested in, are never billed, and open no alert and send no message about the past.
    """
    return history.import_results(db.session(), patient, g.user, data, current_settings(), clock.now())


@bp.get("/patients/<uuid:patient_id>/result-imports")
@policy.loads("patient", "read_clinical", read="result.import.list")
@bp.response(200, ResultImportPage)
def list_result_imports(patient):
    """The patient's result imports, newest first, each with what became of every row."""
    return {"items": history.imports(db.session(), patient)}
