"""Physician reviews of results, and the instructions the patient and caregivers read and acknowledge."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, g
from marshmallow import ValidationError, fields, validate, validates_schema

from models import Patient
from service import audit, clock, db, policy, reviews
from service.api.fields import StrictInteger, StrictSchema, json_number, load
from service.api.patients import PersonRef
from service.auth import roles

bp = Blueprint("reviews", __name__)

WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def patient_for(patient_id, action: str) -> Patient:
    return policy.patient_for(db.session(), g.user, patient_id, action, clock.now())


class Milligrams(fields.Field):
    """A warfarin dose in mg as a JSON number, 0 to 50 with at most two decimals (1.25 = half a 2.5 mg tablet)."""

    def _deserialize(self, value, attr, data, **kwargs):
        mg = json_number(value)
        if not Decimal(0) <= mg <= Decimal(50) or mg != mg.quantize(Decimal("0.01")):
            raise ValidationError("A dose is 0 to 50 mg with at most two decimals.")
        return mg.quantize(Decimal("0.01"))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else float(Decimal(value))


class WeeklyDoses(StrictSchema):
    sunday = Milligrams(required=True)
    monday = Milligrams(required=True)
    tuesday = Milligrams(required=True)
    wednesday = Milligrams(required=True)
    thursday = Milligrams(required=True)
    friday = Milligrams(required=True)
    saturday = Milligrams(required=True)


class ReviewIn(StrictSchema):
    result_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=50))
    interpretation = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    instruction_kind = fields.String(required=True, validate=validate.OneOf(
        ["keep_dose", "new_dose", "hold_doses", "go_to_emergency"]))
    dose_text = fields.String(allow_none=True, validate=validate.Length(min=1, max=1000))
    weekly_doses = fields.Nested(WeeklyDoses, allow_none=True)
    hold_days = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=14))
    next_test_date = fields.Date(allow_none=True)

    @validates_schema
    def _instruction_complete(self, data, **_kwargs):
        kind = data.get("instruction_kind")
        if kind == "new_dose" and not (data.get("dose_text") or data.get("weekly_doses")):
            raise ValidationError("A new dose needs dose_text or weekly_doses.", "dose_text")
        if kind == "hold_doses" and not data.get("hold_days"):
            raise ValidationError("Say how many days to hold.", "hold_days")
        if kind != "hold_doses" and data.get("hold_days") is not None:
            raise ValidationError("Only for hold_doses.", "hold_days")
        if len(set(data.get("result_ids", []))) != len(data.get("result_ids", [])):
            raise ValidationError("List each result once.", "result_ids")


class AcknowledgementOut(StrictSchema):
    user = fields.Nested(PersonRef)
    role = fields.String(attribute="user.role")
    acknowledged_at = fields.AwareDateTime()


class ReviewOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    physician = fields.Nested(PersonRef)
    reviewed_at = fields.AwareDateTime()
    result_ids = fields.Function(lambda r: [str(x.public_id) for x in r.results])
    interpretation = fields.String()
    instruction_kind = fields.String()
    dose_text = fields.String(allow_none=True)
    weekly_doses = fields.Function(
        lambda r: {day: float(Decimal(r.weekly_doses[day])) for day in WEEKDAYS} if r.weekly_doses else None)
    hold_days = fields.Integer(allow_none=True)
    next_test_date = fields.Date(allow_none=True)


@bp.post("/patients/<uuid:patient_id>/reviews")
@roles("physician")
def create_review(patient_id):
    patient = patient_for(patient_id, "review")
    data = load(ReviewIn())
    review = reviews.create_review(db.session(), patient, g.user, data, clock.now())
    return ReviewOut().dump(review), 201


@bp.get("/patients/<uuid:patient_id>/instructions")
def current_instructions(patient_id):
    patient = patient_for(patient_id, "read_clinical")
    session = db.session()
    review = reviews.current_instructions(session, patient)
    acks = reviews.acknowledgements(session, review) if review else []
    audit.record(session, "instructions.read", patient_id=patient.public_id, object_type="review",
                 object_id=review.public_id if review else None, now=clock.now())
    session.commit()
    return {"current": ReviewOut().dump(review) if review else None,
            "acknowledgements": AcknowledgementOut(many=True).dump(acks)}


@bp.post("/patients/<uuid:patient_id>/instructions/<uuid:review_id>/acknowledge")
@roles("patient", "caregiver")
def acknowledge_instructions(patient_id, review_id):
    patient = patient_for(patient_id, "read_clinical")
    session = db.session()
    review = reviews.review_of(session, patient, review_id)
    ack, created = reviews.acknowledge(session, patient, review, g.user, clock.now())
    return AcknowledgementOut().dump(ack), 201 if created else 200
