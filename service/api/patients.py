"""Patients, their versioned target range and indications, and the caregivers linked to them."""

from __future__ import annotations

from flask import Blueprint, g
from marshmallow import ValidationError, fields, validate, validates_schema

from models import Patient
from service import audit, clock, db, patients, policy
from service.api.fields import Inr, PastDate, StrictSchema, TimeZoneName, load, load_query
from service.auth import roles

bp = Blueprint("patients", __name__)


def patient_for(patient_id, action: str) -> Patient:
    return policy.patient_for(db.session(), g.user, patient_id, action, clock.now())


class TargetRangeIn(StrictSchema):
    low = Inr(required=True, validate=validate.Range(min=0.8, max=8.0))
    high = Inr(required=True, validate=validate.Range(min=0.8, max=8.0))

    @validates_schema
    def _ordered(self, data, **_kwargs):
        if "low" in data and "high" in data and data["low"] >= data["high"]:
            raise ValidationError("Must be below high.", "low")


class TargetRangeChangeIn(TargetRangeIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PersonRef(StrictSchema):
    id = fields.UUID(attribute="public_id")
    full_name = fields.String()


class TargetRangeOut(StrictSchema):
    low = Inr()
    high = Inr()
    effective_from = fields.AwareDateTime()
    set_by = fields.Nested(PersonRef)
    reason = fields.String()


class IndicationsOut(StrictSchema):
    codes = fields.List(fields.String())
    code_list_version = fields.String()
    effective_from = fields.AwareDateTime()
    set_by = fields.Nested(PersonRef)
    reason = fields.String()


_ICD10 = fields.String(validate=validate.Length(min=3, max=8))


class PatientIn(StrictSchema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date_of_birth = PastDate(required=True)
    time_zone = TimeZoneName(required=True)
    physician_id = fields.UUID()
    payer = fields.String(validate=validate.Length(min=1, max=40))
    warfarin_start_date = PastDate(earliest_year=1950, allow_none=True)
    indications = fields.List(_ICD10, required=True, validate=validate.Length(min=1, max=20))
    target_range = fields.Nested(TargetRangeIn)
    user_id = fields.UUID(allow_none=True)


class PatientChangeIn(StrictSchema):
    """Demographic and administrative fields; the target range and indications have their own routes."""

    full_name = fields.String(validate=validate.Length(min=1, max=200))
    date_of_birth = PastDate()
    time_zone = TimeZoneName()
    physician_id = fields.UUID()
    payer = fields.String(validate=validate.Length(min=1, max=40))
    warfarin_start_date = PastDate(earliest_year=1950, allow_none=True)
    user_id = fields.UUID(allow_none=True)


class PatientOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    full_name = fields.String()
    date_of_birth = PastDate()
    time_zone = fields.String()
    physician = fields.Nested(PersonRef)
    payer = fields.String(attribute="payer_code")
    warfarin_start_date = PastDate(earliest_year=1950, allow_none=True)
    target_range = fields.Nested(TargetRangeOut, attribute="current_target_range")
    indications = fields.List(fields.String(), attribute="current_indications")
    user_id = fields.Function(lambda p: str(p.user.public_id) if p.user else None)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


@bp.post("/patients")
@roles("admin", "physician")
def create_patient():
    data = load(PatientIn())
    patient = patients.create_patient(db.session(), g.user, data, clock.now())
    return PatientOut().dump(patient), 201


class PatientQuery(StrictSchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


@bp.get("/patients")
def list_patients():
    query = load_query(PatientQuery())
    session, now = db.session(), clock.now()
    statement = policy.reachable_patients(g.user, now).order_by(Patient.full_name, Patient.id)
    found = list(session.scalars(statement.limit(query["limit"]).offset(query["offset"])))
    audit.record(session, "patient.list", object_type="patient", detail={"count": len(found)}, now=now)
    session.commit()
    return {"items": PatientOut(many=True).dump(found)}


@bp.get("/patients/<uuid:patient_id>")
def get_patient(patient_id):
    patient = patient_for(patient_id, "read")
    session = db.session()
    audit.record(session, "patient.read", patient_id=patient.public_id, object_type="patient",
                 object_id=patient.public_id, now=clock.now())
    session.commit()
    return PatientOut().dump(patient)


@bp.patch("/patients/<uuid:patient_id>")
@roles("admin", "physician")
def update_patient(patient_id):
    patient = patient_for(patient_id, "edit")
    changes = load(PatientChangeIn())
    patients.update_patient(db.session(), patient, g.user, changes, clock.now())
    return PatientOut().dump(patient)


@bp.get("/patients/<uuid:patient_id>/target-ranges")
def list_target_ranges(patient_id):
    patient = patient_for(patient_id, "read")
    session = db.session()
    audit.record(session, "patient.target_range.list", patient_id=patient.public_id, now=clock.now())
    session.commit()
    return {"items": TargetRangeOut(many=True).dump(patient.target_ranges)}


@bp.post("/patients/<uuid:patient_id>/target-ranges")
@roles("physician")
def set_target_range(patient_id):
    patient = patient_for(patient_id, "set_target")
    data = load(TargetRangeChangeIn())
    version = patients.set_target_range(db.session(), patient, g.user, data["low"], data["high"], data["reason"],
                                        clock.now())
    return TargetRangeOut().dump(version), 201


class IndicationsChangeIn(StrictSchema):
    codes = fields.List(_ICD10, required=True, validate=validate.Length(min=1, max=20))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


@bp.get("/patients/<uuid:patient_id>/indications")
def list_indications(patient_id):
    patient = patient_for(patient_id, "read")
    session = db.session()
    audit.record(session, "patient.indications.list", patient_id=patient.public_id, now=clock.now())
    session.commit()
    return {"items": IndicationsOut(many=True).dump(patient.indication_sets)}


@bp.post("/patients/<uuid:patient_id>/indications")
@roles("admin", "physician")
def set_indications(patient_id):
    patient = patient_for(patient_id, "edit")
    data = load(IndicationsChangeIn())
    version = patients.set_indications(db.session(), patient, g.user, data["codes"], data["reason"], clock.now())
    return IndicationsOut().dump(version), 201


class CaregiverLinkIn(StrictSchema):
    caregiver_id = fields.UUID(required=True)
    relationship = fields.String(required=True, validate=validate.Length(min=1, max=100))
    starts_at = fields.AwareDateTime()


class CaregiverLinkEndIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    ends_at = fields.AwareDateTime()


class CaregiverLinkOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    caregiver = fields.Nested(PersonRef)
    relationship = fields.String(attribute="relationship_to_patient")
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    active = fields.Function(lambda link: link.active_at(clock.now()))


@bp.get("/patients/<uuid:patient_id>/caregivers")
def list_caregivers(patient_id):
    patient = patient_for(patient_id, "read")
    session = db.session()
    links = patients.caregiver_links(session, patient)
    audit.record(session, "patient.caregiver.list", patient_id=patient.public_id, now=clock.now())
    session.commit()
    return {"items": CaregiverLinkOut(many=True).dump(links)}


@bp.post("/patients/<uuid:patient_id>/caregivers")
@roles("admin", "physician", "trainer")
def link_caregiver(patient_id):
    patient = patient_for(patient_id, "link_caregiver")
    data = load(CaregiverLinkIn())
    link = patients.link_caregiver(db.session(), patient, g.user, data["caregiver_id"], data["relationship"],
                                   data.get("starts_at"), clock.now())
    return CaregiverLinkOut().dump(link), 201


@bp.post("/patients/<uuid:patient_id>/caregivers/<uuid:link_id>/end")
@roles("admin", "physician", "trainer")
def end_caregiver_link(patient_id, link_id):
    patient = patient_for(patient_id, "link_caregiver")
    data = load(CaregiverLinkEndIn())
    link = patients.end_caregiver_link(db.session(), patient, g.user, link_id, data["reason"], data.get("ends_at"),
                                       clock.now())
    return CaregiverLinkOut().dump(link)
