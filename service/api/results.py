"""Home INR results: ingest from the app (one or a batch), phoned-in entries, listings, summary and FHIR."""

from __future__ import annotations

from datetime import timedelta, timezone

from flask import Blueprint, Response, current_app, g, json
from marshmallow import ValidationError, fields, validate, validates_schema

from models import Patient
from service import audit, clock, db, fhir, policy, results, summary
from service.api.fields import Inr, StrictBoolean, StrictInteger, StrictSchema, load, load_query
from service.api.patients import PersonRef
from service.errors import Problem
from service.rules.flags import SYMPTOMS

bp = Blueprint("results", __name__)

BATCH_LIMIT = 100
_TEXT = r"^[\x20-\x7E]*$"  # meter serials, lots and codes are printable ASCII


def patient_for(patient_id, action: str) -> Patient:
    return policy.patient_for(db.session(), g.user, patient_id, action, clock.now())


def settings() -> results.ResultSettings:
    return results.ResultSettings.from_config(current_app.config)


class ResultIn(StrictSchema):
    client_id = fields.String(required=True, validate=[validate.Length(min=1, max=64),
                                                       validate.Regexp(r"^[A-Za-z0-9._:-]+$")])
    value = Inr(validate=validate.Range(min=0.8, max=8.0))
    reading = fields.String(validate=validate.OneOf(sorted(results.READINGS)))
    measured_at = fields.AwareDateTime(required=True)
    meter_serial = fields.String(allow_none=True, validate=[validate.Length(min=1, max=64), validate.Regexp(_TEXT)])
    strip_lot = fields.String(allow_none=True, validate=[validate.Length(min=1, max=64), validate.Regexp(_TEXT)])
    qc_passed = StrictBoolean(required=True)
    meter_error_code = fields.String(allow_none=True, validate=[validate.Length(min=1, max=32),
                                                                validate.Regexp(_TEXT)])
    tested_by = fields.String(validate=validate.OneOf(["patient", "caregiver"]))
    caregiver_id = fields.UUID()
    symptoms = fields.List(fields.String(validate=validate.OneOf(SYMPTOMS)),
                           validate=validate.Length(max=len(SYMPTOMS)))
    symptom_note = fields.String(allow_none=True, validate=validate.Length(max=1000))
    missed_doses = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=60))

    @validates_schema
    def _checks(self, data, **_kwargs):
        if ("value" in data) == ("reading" in data):
            raise ValidationError("Send either value or reading (\"<0.8\" or \">8.0\"), not both.", "value")
        measured_at = data.get("measured_at")
        if measured_at is not None:
            try:
                measured_at.astimezone(timezone.utc)
                plausible = measured_at.year >= 2000
            except OverflowError:
                plausible = False
            if not plausible:
                raise ValidationError("Not a plausible test time.", "measured_at")
        if len(set(data.get("symptoms", []))) != len(data.get("symptoms", [])):
            raise ValidationError("List each symptom once.", "symptoms")


class FlagOut(StrictSchema):
    level = fields.String()
    severity = fields.String()
    interpretation = fields.String()
    target_range = fields.Function(lambda f: {"low": float(f.target.low), "high": float(f.target.high)})


class AlertRef(StrictSchema):
    id = fields.UUID(attribute="public_id")
    severity = fields.String()
    status = fields.String()


class BillingOut(StrictSchema):
    counts = fields.Boolean()
    reason = fields.String(allow_none=True)
    week = fields.Date()


def _local_measured_at(result) -> str:
    return result.measured_at.astimezone(timezone(timedelta(minutes=result.measured_utc_offset_minutes))).isoformat()


class ResultOut(StrictSchema):
    id = fields.UUID(attribute="result.public_id")
    client_id = fields.String(attribute="result.client_id")
    value = Inr(attribute="result.value")
    comparator = fields.String(attribute="result.comparator", allow_none=True)
    reading = fields.String(attribute="flag.reading")
    measured_at = fields.Function(lambda v: _local_measured_at(v.result))
    meter_serial = fields.String(attribute="result.meter_serial", allow_none=True)
    strip_lot = fields.String(attribute="result.strip_lot", allow_none=True)
    qc_passed = fields.Boolean(attribute="result.qc_passed")
    meter_error_code = fields.String(attribute="result.meter_error_code", allow_none=True)
    tested_by = fields.String(attribute="result.tested_by")
    caregiver = fields.Nested(PersonRef, attribute="result.tested_by_caregiver", allow_none=True)
    symptoms = fields.List(fields.String(), attribute="result.symptoms")
    symptom_note = fields.String(attribute="result.symptom_note", allow_none=True)
    missed_doses = fields.Integer(attribute="result.missed_doses", allow_none=True)
    source = fields.String(attribute="result.source")
    entered_by = fields.Nested(PersonRef, attribute="result.entered_by")
    received_at = fields.AwareDateTime(attribute="result.received_at")
    flag = fields.Nested(FlagOut)
    alert = fields.Nested(AlertRef, allow_none=True)
    billing = fields.Nested(BillingOut)
    next_test_due = fields.Date(allow_none=True)
    message = fields.String()


def _view(session, patient, result):
    return results.describe(session, patient, [result], settings())[0]


@bp.post("/patients/<uuid:patient_id>/results")
def post_result(patient_id):
    patient = patient_for(patient_id, "report_result")
    data = load(ResultIn())
    session = db.session()
    result, created = results.record_result(session, patient, g.user, data, settings(), clock.now())
    return ResultOut().dump(_view(session, patient, result)), 201 if created else 200


class BatchIn(StrictSchema):
    results = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=BATCH_LIMIT))


@bp.post("/patients/<uuid:patient_id>/results/batch")
def post_results_batch(patient_id):
    """The app's offline queue: each item is stored (or replayed) on its own; one bad item spoils nothing."""
    patient = patient_for(patient_id, "report_result")
    items = load(BatchIn())["results"]
    session, now, config = db.session(), clock.now(), settings()
    outcomes = []
    for index, item in enumerate(items):
        try:
            result, created = results.record_result(session, patient, g.user, ResultIn().load(item), config, now)
            outcomes.append({"index": index, "status": 201 if created else 200,
                             "result": ResultOut().dump(_view(session, patient, result))})
        except ValidationError as exc:
            session.rollback()
            outcomes.append({"index": index, "status": 422, "errors": exc.messages})
        except Problem as exc:
            session.rollback()
            outcomes.append({"index": index, "status": exc.status, "errors": exc.errors or {"_schema": [exc.detail]}})
    return {"items": outcomes}


class ResultQuery(StrictSchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


@bp.get("/patients/<uuid:patient_id>/results")
def list_results(patient_id):
    patient = patient_for(patient_id, "read_clinical")
    query = load_query(ResultQuery())
    session, now = db.session(), clock.now()
    newest_first = list(reversed(results.patient_results(session, patient)))
    chosen = newest_first[query["offset"]:query["offset"] + query["limit"]]
    views = results.describe(session, patient, chosen, settings())
    audit.record(session, "result.list", patient_id=patient.public_id, object_type="inr_result",
                 detail={"count": len(chosen)}, now=now)
    session.commit()
    return {"items": ResultOut(many=True).dump(views)}


@bp.get("/patients/<uuid:patient_id>/results/<uuid:result_id>")
def get_result(patient_id, result_id):
    patient = patient_for(patient_id, "read_clinical")
    session = db.session()
    result = results.result_of(session, patient, result_id)
    view = _view(session, patient, result)
    audit.record(session, "result.read", patient_id=patient.public_id, object_type="inr_result",
                 object_id=result.public_id, now=clock.now())
    session.commit()
    return ResultOut().dump(view)


@bp.get("/patients/<uuid:patient_id>/results/fhir")
def results_as_fhir(patient_id):
    patient = patient_for(patient_id, "read_clinical")
    session, now = db.session(), clock.now()
    everything = results.patient_results(session, patient)
    views = results.describe(session, patient, everything, settings())
    by_id = {r.id: str(r.public_id) for r in everything}
    correction_of = {r.supersedes_id: str(r.public_id) for r in everything if r.supersedes_id is not None}
    observations = [fhir.observation(fhir.ObservationFacts(
        result_id=str(v.result.public_id), patient_id=str(patient.public_id), value=v.result.value,
        comparator=v.result.comparator, measured_at=v.result.measured_at,
        offset_minutes=v.result.measured_utc_offset_minutes, received_at=v.result.received_at,
        interpretation=v.flag.interpretation, target_low=v.flag.target.low, target_high=v.flag.target.high,
        meter_serial=v.result.meter_serial,
        caregiver_id=str(v.result.tested_by_caregiver.public_id) if v.result.tested_by_caregiver else None,
        caregiver_name=v.result.tested_by_caregiver.full_name if v.result.tested_by_caregiver else None,
        no_valid_inr=results.why_no_valid_inr(v.result), corrected_by=correction_of.get(v.result.id),
        corrects=by_id.get(v.result.supersedes_id)))
        for v in views]
    audit.record(session, "result.export_fhir", patient_id=patient.public_id, object_type="inr_result",
                 detail={"count": len(observations)}, now=now)
    session.commit()
    return Response(json.dumps(fhir.bundle(observations, now)), mimetype="application/fhir+json")


class SummaryQuery(StrictSchema):
    window_days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=3650))
    trend = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class TtrOut(StrictSchema):
    percent = fields.Float(allow_none=True)
    days_in_range = fields.Float()
    days_total = fields.Float()


class AdherenceOut(StrictSchema):
    since = fields.Date(allow_none=True)
    weeks_expected = fields.Integer()
    weeks_tested = fields.Integer()
    percent = fields.Float(allow_none=True)


class SummaryOut(StrictSchema):
    latest = fields.Nested(ResultOut, allow_none=True)
    trend = fields.List(fields.Nested(ResultOut))
    window_start = fields.AwareDateTime()
    window_end = fields.AwareDateTime()
    ttr = fields.Nested(TtrOut)
    adherence = fields.Nested(AdherenceOut)
    next_test_due = fields.Date(allow_none=True)
    open_alerts = fields.Integer()


def max_gap_days() -> int:
    return current_app.config["TTR_MAX_GAP_DAYS"]


@bp.get("/patients/<uuid:patient_id>/summary")
def patient_summary(patient_id):
    patient = patient_for(patient_id, "read_clinical")
    query = load_query(SummaryQuery())
    found = summary.patient_summary(db.session(), patient, settings(), clock.now(), query["window_days"],
                                    query["trend"], max_gap_days())
    return SummaryOut().dump(found)
