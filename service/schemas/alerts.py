"""The physician's alert queue, covering physicians and the panel's time in therapeutic range."""

from __future__ import annotations

from marshmallow import fields, validate

from models.alerts import ALERT_SEVERITIES, ALERT_STATUSES
from service.rules.flags import LEVELS, displayed_reading
from service.schemas.common import Paging, PersonRef
from service.schemas.fields import OutSchema, QueryInteger, StrictSchema
from service.schemas.results import TtrOut


class AlertOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    patient = fields.Nested(PersonRef)
    physician = fields.Nested(PersonRef, metadata={"description": "The physician of record when it opened."})
    result_id = fields.UUID(attribute="result.public_id")
    reading = fields.Method("_reading", metadata={"type": "string", "description": "As the meter showed it."})
    measured_at = fields.AwareDateTime(attribute="result.measured_at")
    severity = fields.String(validate=validate.OneOf(ALERT_SEVERITIES))
    level = fields.String(validate=validate.OneOf(LEVELS))
    status = fields.String(validate=validate.OneOf(ALERT_STATUSES))
    opened_at = fields.AwareDateTime()
    acknowledged_by = fields.Nested(PersonRef, allow_none=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    resolved_by_review_id = fields.Method("_review_id", allow_none=True, metadata={"type": "string",
                                                                                   "format": "uuid"})
    resolved_at = fields.AwareDateTime(allow_none=True)
    escalation_level = fields.Integer(metadata={"description": "0: physician of record; 1: covering physician; "
                                                               "2: the practice."})
    escalated_at = fields.AwareDateTime(allow_none=True)
    escalated_to = fields.Nested(PersonRef, allow_none=True)

    def _reading(self, alert) -> str:
        return displayed_reading(alert.result.value, alert.result.comparator)

    def _review_id(self, alert) -> str | None:
        return str(alert.resolved_by_review.public_id) if alert.resolved_by_review else None


class AlertCounts(OutSchema):
    critical = fields.Integer()
    out_of_range = fields.Integer()


class AlertPage(OutSchema):
    items = fields.List(fields.Nested(AlertOut))
    counts = fields.Nested(AlertCounts, metadata={"description": "By severity, whatever the severity filter."})


class AlertQuery(Paging):
    physician_id = fields.UUID()
    severity = fields.String(validate=validate.OneOf(ALERT_SEVERITIES))
    status = fields.String(load_default="open", validate=validate.OneOf(ALERT_STATUSES))


class CoveringIn(StrictSchema):
    covering_physician_id = fields.UUID(required=True, allow_none=True,
                                        metadata={"description": "null ends the arrangement."})


class CoveringOut(OutSchema):
    physician = fields.Nested(PersonRef)
    covering_physician = fields.Nested(PersonRef, allow_none=True)


class PanelQuery(StrictSchema):
    window_days = QueryInteger(load_default=90, validate=validate.Range(min=1, max=3650))


class PanelPatientOut(OutSchema):
    patient = fields.Nested(PersonRef)
    ttr = fields.Nested(TtrOut)


class PanelOut(OutSchema):
    physician = fields.Nested(PersonRef)
    window_start = fields.AwareDateTime()
    window_end = fields.AwareDateTime()
    panel = fields.Nested(TtrOut)
    patients = fields.List(fields.Nested(PanelPatientOut))
