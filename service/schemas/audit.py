"""The audit trail as the administrator reads it."""

from __future__ import annotations

from marshmallow import fields, validate

from service.schemas.fields import Instant, OutSchema, QueryInteger, StrictSchema


class AuditQuery(StrictSchema):
    patient_id = fields.UUID()
    actor_id = fields.UUID()
    action = fields.String(validate=validate.Length(max=80))
    outcome = fields.String(validate=validate.OneOf(("success", "refused", "failed")))
    since = Instant()
    until = Instant()
    limit = QueryInteger(load_default=100, validate=validate.Range(min=1, max=1000))
    before_id = QueryInteger(validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "The last id of the previous page."})


class AuditEventOut(OutSchema):
    id = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor_id = fields.UUID(allow_none=True)
    actor_role = fields.String(allow_none=True)
    action = fields.String()
    outcome = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    patient_id = fields.UUID(allow_none=True)
    request_id = fields.String(allow_none=True)
    client_address = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)


class AuditPage(OutSchema):
    items = fields.List(fields.Nested(AuditEventOut))
