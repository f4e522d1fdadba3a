"""Training and competency (CPT 93792): checklist versions, signed sessions, amendments, progress, the PDF."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, g
from marshmallow import ValidationError, fields, validate

from models.training import TrainingSession
from service import audit, clock, competency_pdf, db, policy, training
from service.api.fields import Inr, StrictBoolean, StrictInteger, StrictSchema, load
from service.api.patients import PersonRef
from service.auth import roles
from service.rules.training import ITEM_OUTCOMES

bp = Blueprint("training", __name__)

SIGNERS = ("trainer", "physician", "admin")
_INR = validate.Range(min=0.8, max=8.0)


def patient_for(patient_id, action: str):
    return policy.patient_for(db.session(), g.user, patient_id, action, clock.now())


def plausible_instant(value: datetime) -> None:
    # Far-away years are typing mistakes, and converting them between zones can overflow.
    if not 2000 <= value.year <= 2100:
        raise ValidationError("Must be between the years 2000 and 2100.")


# ---- checklist versions ----

class TemplateItemIn(StrictSchema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,59}$",
                                                                error="Lower-case letters, digits and _."))
    text = fields.String(required=True, validate=validate.Length(min=1, max=300))
    category = fields.String(required=True, validate=validate.OneOf(("93792", "education", "clinic")))
    required = StrictBoolean(required=True)


class TemplateIn(StrictSchema):
    items = fields.List(fields.Nested(TemplateItemIn), required=True, validate=validate.Length(min=1, max=100))
    note = fields.String(validate=validate.Length(min=1, max=500))


class TemplateItemOut(StrictSchema):
    key = fields.String()
    text = fields.String()
    category = fields.String()
    required = fields.Boolean()


class TemplateOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    version = fields.Integer()
    note = fields.String(allow_none=True)
    created_by = fields.Function(
        lambda t: {"id": str(t.created_by_id), "full_name": t.created_by_name} if t.created_by_id else None)
    created_at = fields.AwareDateTime()
    items = fields.List(fields.Nested(TemplateItemOut))


@bp.get("/checklist-templates")
def list_templates():
    return {"items": TemplateOut(many=True).dump(training.templates(db.session()))}


@bp.post("/checklist-templates")
@roles("trainer", "admin")
def create_template():
    data = load(TemplateIn())
    version = training.create_template(db.session(), g.user, data["items"], data.get("note"), clock.now())
    return TemplateOut().dump(version), 201


# ---- sessions ----

class ItemIn(StrictSchema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=60))
    outcome = fields.String(required=True, validate=validate.OneOf(ITEM_OUTCOMES))
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class SupervisedTestIn(StrictSchema):
    trainee_inr = Inr(required=True, validate=_INR)
    clinic_inr = Inr(allow_none=True, validate=_INR)


class SessionIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(("initial", "retraining", "reassessment")))
    trainee = fields.String(required=True, validate=validate.OneOf(("patient", "caregiver")))
    caregiver_id = fields.UUID()
    template_version = StrictInteger(validate=validate.Range(min=1, max=1_000_000))
    occurred_at = fields.AwareDateTime(required=True, validate=plausible_instant)
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    trainer_id = fields.UUID()
    meter_serial = fields.String(required=True, validate=validate.Length(min=1, max=64))
    outcome = fields.String(required=True, validate=validate.OneOf(("competent", "not_yet")))
    next_session_on = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(ItemIn), required=True, validate=validate.Length(max=100))
    supervised_test = fields.Nested(SupervisedTestIn, allow_none=True)


class AmendmentIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    place = fields.String(validate=validate.Length(min=1, max=200))
    meter_serial = fields.String(validate=validate.Length(min=1, max=64))
    next_session_on = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(ItemIn), validate=validate.Length(min=1, max=100))
    supervised_test = fields.Nested(SupervisedTestIn)


class ItemOut(StrictSchema):
    key = fields.String()
    text = fields.String()
    category = fields.String()
    required = fields.Boolean()
    outcome = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class SupervisedTestOut(StrictSchema):
    trainee_inr = Inr()
    clinic_inr = Inr(allow_none=True)
    tolerance = Inr()
    agree = fields.Boolean(allow_none=True)


class SessionStateOut(StrictSchema):
    place = fields.String()
    meter_serial = fields.String()
    next_session_on = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(ItemOut))
    supervised_test = fields.Nested(SupervisedTestOut, allow_none=True)


class AmendmentOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    amended_by = fields.Nested(PersonRef)
    amended_at = fields.AwareDateTime()
    reason = fields.String()
    changes = fields.Dict()


class TraineeOut(StrictSchema):
    kind = fields.String(attribute="trainee_kind")
    caregiver = fields.Nested(PersonRef, attribute="trainee_caregiver", allow_none=True)


class SessionOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    patient_id = fields.Function(lambda ts: str(ts.patient.public_id))
    kind = fields.String()
    trainee = fields.Function(lambda ts: TraineeOut().dump(ts))
    template_version = fields.Function(lambda ts: ts.template.version)
    occurred_at = fields.AwareDateTime()
    local_date = fields.Function(lambda ts: training.local_date(ts.patient, ts.occurred_at).isoformat())
    trainer = fields.Nested(PersonRef)
    outcome = fields.String()
    signed_by = fields.Nested(PersonRef)
    signed_at = fields.AwareDateTime()
    recorded = fields.Function(lambda ts: SessionStateOut().dump(training.recorded(ts)))
    current = fields.Function(lambda ts: SessionStateOut().dump(training.current(ts)))
    amendments = fields.List(fields.Nested(AmendmentOut))


def _tolerance():
    return current_app.config["TRAINING_AGREEMENT_TOLERANCE"]


@bp.post("/patients/<uuid:patient_id>/training-sessions")
@roles(*SIGNERS)
def record_session(patient_id):
    patient = patient_for(patient_id, "train")
    data = load(SessionIn())
    ts = training.record_session(db.session(), patient, g.user, data, _tolerance(), clock.now())
    return SessionOut().dump(ts), 201


@bp.get("/patients/<uuid:patient_id>/training-sessions")
def list_sessions(patient_id):
    patient = patient_for(patient_id, "read_training")
    session = db.session()
    found = training.sessions_of(session, patient)
    audit.record(session, "training.session.list", patient_id=patient.public_id, object_type="training_session",
                 detail={"count": len(found)}, now=clock.now())
    session.commit()
    return {"items": SessionOut(many=True).dump(found)}


def _read_session(patient_id, session_id, action: str) -> TrainingSession:
    patient = patient_for(patient_id, "read_training")
    session = db.session()
    ts = training.session_of(session, patient, session_id)
    audit.record(session, action, patient_id=patient.public_id, object_type="training_session",
                 object_id=ts.public_id, now=clock.now())
    session.commit()
    return ts


@bp.get("/patients/<uuid:patient_id>/training-sessions/<uuid:session_id>")
def get_session(patient_id, session_id):
    return SessionOut().dump(_read_session(patient_id, session_id, "training.session.read"))


@bp.post("/patients/<uuid:patient_id>/training-sessions/<uuid:session_id>/amendments")
@roles(*SIGNERS)
def amend_session(patient_id, session_id):
    patient = patient_for(patient_id, "train")
    session = db.session()
    ts = training.session_of(session, patient, session_id)
    data = load(AmendmentIn())
    training.amend(session, patient, ts, g.user, data, _tolerance(), clock.now())
    return SessionOut().dump(ts), 201


@bp.get("/patients/<uuid:patient_id>/training-sessions/<uuid:session_id>/competency.pdf")
def competency_document(patient_id, session_id):
    ts = _read_session(patient_id, session_id, "training.session.pdf")
    body = competency_pdf.render(ts, clock.now())
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="competency-{ts.public_id}.pdf"'})


# ---- what the checklist client shows ----

class ProgressItemOut(StrictSchema):
    key = fields.String()
    text = fields.String()
    category = fields.String()
    required = fields.Boolean()
    status = fields.String()
    last_outcome = fields.String(allow_none=True)
    last_session_on = fields.Date(allow_none=True)


class ProgressOut(StrictSchema):
    template_version = fields.Integer()
    competent = fields.Boolean()
    competent_on = fields.Date(allow_none=True)
    sessions = fields.Integer()
    items = fields.List(fields.Nested(ProgressItemOut))
    done = fields.List(fields.String())
    left = fields.List(fields.String())
    next_session_on = fields.Date(allow_none=True)


@bp.get("/patients/<uuid:patient_id>/training-progress")
def training_progress(patient_id):
    patient = patient_for(patient_id, "read_training")
    session, now = db.session(), clock.now()
    found = training.progress(session, patient, now)
    audit.record(session, "training.progress.read", patient_id=patient.public_id, now=now)
    session.commit()
    return ProgressOut().dump(found)

