"""A physician's review of results with the instructions, and the acknowledgements of those who read them."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from models.alerts import INSTRUCTION_KINDS
from service.schemas.common import Paging, PersonRef
from service.schemas.fields import Day, Milligrams, OutSchema, StrictInteger, StrictSchema


class WeeklyDoses(StrictSchema):
    """The warfarin dose for each day of the week, in mg."""

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
    instruction_kind = fields.String(required=True, validate=validate.OneOf(INSTRUCTION_KINDS))
    dose_text = fields.String(allow_none=True, validate=validate.Length(min=1, max=1000))
    weekly_doses = fields.Nested(WeeklyDoses, allow_none=True)
    hold_days = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=14))
    next_test_date = Day(allow_none=True)

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


class WeeklyDosesOut(OutSchema):
    sunday = Milligrams()
    monday = Milligrams()
    tuesday = Milligrams()
    wednesday = Milligrams()
    thursday = Milligrams()
    friday = Milligrams()
    saturday = Milligrams()


class ResultIdOut(OutSchema):
    id = fields.UUID(attribute="public_id")


class ReviewOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    physician = fields.Nested(PersonRef)
    reviewed_at = fields.AwareDateTime()
    result_ids = fields.Pluck(ResultIdOut, "id", many=True, attribute="results")
    interpretation = fields.String()
    instruction_kind = fields.String(validate=validate.OneOf(INSTRUCTION_KINDS))
    dose_text = fields.String(allow_none=True)
    weekly_doses = fields.Nested(WeeklyDosesOut, allow_none=True)
    hold_days = fields.Integer(allow_none=True)
    next_test_date = fields.Date(allow_none=True)


class AcknowledgementOut(OutSchema):
    user = fields.Nested(PersonRef)
    role = fields.String(attribute="user.role")
    acknowledged_at = fields.AwareDateTime()


class ReviewRecordOut(ReviewOut):
    """A review with the acknowledgements of its instructions."""

    in_force = fields.Boolean(metadata={"description": "Whether these are the instructions in force (the newest)."})
    acknowledgements = fields.List(fields.Nested(AcknowledgementOut))


class ReviewPage(OutSchema):
    items = fields.List(fields.Nested(ReviewRecordOut))


class ReviewQuery(Paging):
    pass


class InstructionsOut(OutSchema):
    current = fields.Nested(ReviewOut, allow_none=True)
    acknowledgements = fields.List(fields.Nested(AcknowledgementOut))
