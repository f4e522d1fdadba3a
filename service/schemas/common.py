"""Schemas several resources share: references to people and patients, paging, the problem document."""

from __future__ import annotations

from marshmallow import fields, validate

from service.schemas.fields import OutSchema, QueryInteger, StrictSchema


class ProblemOut(OutSchema):
    """RFC 9457 problem details, as every error answers (documentation only: service.errors writes them)."""

    type = fields.String(metadata={"description": "A URI naming the kind of problem."})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String(metadata={"description": "What went wrong, in words."})
    errors = fields.Dict(metadata={"description": "Per field, what is wrong with it (422)."})
    request_id = fields.String(metadata={"description": "Quote it when reporting the problem."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("detail", "errors", "request_id"):
            self.fields[name].required = False


class PersonRef(OutSchema):
    """A user named in a record (who set, signed, reviewed or acknowledged it)."""

    id = fields.UUID(attribute="public_id")
    full_name = fields.String()


class PatientRef(OutSchema):
    """A patient named in a listing of other things (a caregiver's patients, a claim line)."""

    id = fields.UUID(attribute="public_id")
    full_name = fields.String()
    date_of_birth = fields.Date()


class Paging(StrictSchema):
    limit = QueryInteger(load_default=100, validate=validate.Range(min=1, max=500))
    offset = QueryInteger(load_default=0, validate=validate.Range(min=0, max=1_000_000))
