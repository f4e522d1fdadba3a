"""The physician's alert queue, covering physicians and the panel's time in therapeutic range."""

from __future__ import annotations

from marshmallow import fields, validate

from models.alerts import ALERT_KINDS, ALERT_RESOLUTIONS, ALERT_SEVERITIES, ALERT_STATUSES
from service.rules.flags import LEVELS, displayed_reading
from service.schemas.common import Paging, PersonRef
from service.schemas.fields import OutSchema, QueryInteger, StrictSchema
from service.schemas.results import TtrOut


class AlertOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    kind = fields.String(validate=validate.OneOf(ALERT_KINDS), metadata={
        "description": "result: a flagged result; missed_tests: two or more weeks with no valid INR (one alert per "
                       "gap); no_valid_result: invalid readings with no valid INR since (one per episode); "
                       "reassessment_overdue: correct use of the meter is due to be reassessed."})
    patient = fields.Nested(PersonRef)
    physician = fields.Nested(PersonRef, metadata={"description": "The physician of record when it opened."})
    result_id = fields.Method("_result_id", allow_none=True, metadata={
        "type": "string", "format": "uuid",
        "description": "The flagged result; a no_valid_result alert's first reading; null for the other kinds."})
    reading = fields.Method("_reading", allow_none=True, metadata={
        "type": "string", "description": "As the meter showed it (null: no result, or no number)."})
    measured_at = fields.Method("_measured_at", allow_none=True, metadata={"type": "string",
                                                                           "format": "date-time"})
    severity = fields.String(validate=validate.OneOf(ALERT_SEVERITIES), metadata={
        "description": "critical, out_of_range, or routine (not about a value: it escalates like out_of_range)."})
    level = fields.String(validate=validate.OneOf(LEVELS), allow_none=True,
                          metadata={"description": "A result alert's flag level; null for the other kinds."})
    reason = fields.String(allow_none=True, metadata={
        "description": "Why a non-result alert opened: two_missed_weeks, two_invalid_in_a_row, no_valid_in_time, "
                       "reassessment_overdue."})
    detail = fields.Dict(allow_none=True, metadata={
        "description": "missed_tests: {weeks}; no_valid_result: {result_ids, since}; reassessment_overdue: "
                       "{due_by, suspends_on}."})
    status = fields.String(validate=validate.OneOf(ALERT_STATUSES))
    opened_at = fields.AwareDateTime()
    acknowledged_by = fields.Nested(PersonRef, allow_none=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    resolved_by_review_id = fields.Method("_review_id", allow_none=True, metadata={"type": "string",
                                                                                   "format": "uuid"})
    resolved_at = fields.AwareDateTime(allow_none=True)
    resolution = fields.String(allow_none=True, validate=validate.OneOf(ALERT_RESOLUTIONS), metadata={
        "description": "review, corrected (its result was corrected), valid_result (a valid INR ended the "
                       "episode) or reassessed."})
    resolution_note = fields.String(allow_none=True)
    escalation_level = fields.Integer(metadata={"description": "0: physician of record; 1: covering physician; "
                                                               "2: the practice."})
    escalated_at = fields.AwareDateTime(allow_none=True)
    escalated_to = fields.Nested(PersonRef, allow_none=True)

    def _result_id(self, alert) -> str | None:
        return str(alert.result.public_id) if alert.result else None

    def _reading(self, alert) -> str | None:
        return displayed_reading(alert.result.value, alert.result.comparator) if alert.result else None

    def _measured_at(self, alert) -> str | None:
        return alert.result.measured_at.isoformat() if alert.result else None

    def _review_id(self, alert) -> str | None:
        return str(alert.resolved_by_review.public_id) if alert.resolved_by_review else None


class AlertCounts(OutSchema):
    critical = fields.Integer()
    out_of_range = fields.Integer()
    routine = fields.Integer()


class AlertPage(OutSchema):
    items = fields.List(fields.Nested(AlertOut))
    counts = fields.Nested(AlertCounts, metadata={"description": "By severity, whatever the severity filter (the "
                                                                 "kind filter applies)."})


class AlertQuery(Paging):
    physician_id = fields.UUID()
    kind = fields.String(validate=validate.OneOf(ALERT_KINDS))
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
