"""The physician's alert queue, covering physicians and the panel's time in therapeutic range."""

from __future__ import annotations

from marshmallow import fields, validate

from models.alerts import ALERT_KINDS, ALERT_RESOLUTIONS, ALERT_SEVERITIES, ALERT_STATUSES
from service.rules.flags import LEVELS, displayed_reading
from service.schemas.common import Paging, PatientRef, PersonRef
from service.schemas.fields import OutSchema, StrictSchema
from service.schemas.period import PeriodQuery
from service.schemas.results import TtrOut, local_time


def _person(row) -> dict | None:
    return None if row is None else {"id": str(row.public_id), "full_name": row.full_name}


def alert_document(shown) -> dict:
    """An alert's document from its rows (service.alerts.Shown: the alert and its patient, result, people, review).

    Written directly rather than field by field: a queue page of 500 alerts is about 13,000 fields, and
    marshmallow's dump of them took as long as reading them. `AlertOut` documents the same keys and values."""
    alert, result = shown.alert, shown.result
    # Every instant of the alert is written with the UTC offset its result was measured with (the patient's clock
    # when they tested), so the alert's times read in one local time; UTC when it has no result.
    offset = result.measured_utc_offset_minutes if result is not None else 0

    def at(moment):
        return None if moment is None else local_time(moment, offset)

    return {
        "id": str(alert.id),
        "kind": alert.kind,
        "patient": {"id": str(alert.patient_id), "full_name": alert.patient_name},
        "physician": _person(shown.physician),
        "result_id": None if result is None else str(result.public_id),
        "reading": None if result is None else displayed_reading(result.value, result.comparator),
        "measured_at": None if result is None else at(result.measured_at),
        "severity": alert.severity,
        "level": alert.level,
        "reason": alert.reason,
        "detail": None if alert.detail is None else dict(alert.detail),
        "status": alert.status,
        "opened_at": at(alert.opened_at),
        "acknowledged_by": _person(shown.acknowledged_by),
        "acknowledged_at": at(alert.acknowledged_at),
        "resolved_by_review_id": None if shown.review_id is None else str(shown.review_id),
        "resolved_at": at(alert.resolved_at),
        "resolution": alert.resolution,
        "resolution_note": alert.resolution_note,
        "escalation_level": alert.escalation_level,
        "escalated_at": at(alert.escalated_at),
        "escalated_to": _person(shown.escalated_to),
    }


class AlertOut(OutSchema):
    """An alert as the queue lists it. The fields document it; `alert_document` writes it, from the rows of
    service.alerts.Shown (one alone or a page of them)."""

    id = fields.UUID()
    kind = fields.String(validate=validate.OneOf(ALERT_KINDS), metadata={
        "description": "result: a flagged result; missed_tests: two or more weeks with no valid INR (one alert per "
                       "gap); no_valid_result: invalid readings with no valid INR since (one per episode); "
                       "reassessment_overdue: correct use of the meter is due to be reassessed."})
    patient = fields.Nested(PersonRef)
    physician = fields.Nested(PersonRef, metadata={"description": "The physician of record when it opened."})
    result_id = fields.Raw(dump_only=True, allow_none=True, metadata={
        "type": "string", "format": "uuid",
        "description": "The flagged result; a no_valid_result alert's first reading; null for the other kinds."})
    reading = fields.Raw(dump_only=True, allow_none=True, metadata={
        "type": "string", "description": "As the meter showed it (null: no result, or no number)."})
    measured_at = fields.Raw(dump_only=True, allow_none=True, metadata={"type": "string", "format": "date-time"})
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
    resolved_by_review_id = fields.Raw(dump_only=True, allow_none=True, metadata={"type": "string", "format": "uuid"})
    resolved_at = fields.AwareDateTime(allow_none=True)
    resolution = fields.String(allow_none=True, validate=validate.OneOf(ALERT_RESOLUTIONS), metadata={
        "description": "review, corrected (its result was corrected), valid_result (a valid INR ended the "
                       "episode) or reassessed."})
    resolution_note = fields.String(allow_none=True)
    escalation_level = fields.Integer(metadata={"description": "0: physician of record; 1: covering physician; "
                                                               "2: the practice."})
    escalated_at = fields.AwareDateTime(allow_none=True)
    escalated_to = fields.Nested(PersonRef, allow_none=True)

    def dump(self, obj, *, many=None):
        many = self.many if many is None else many
        return [alert_document(row) for row in obj] if many else alert_document(obj)


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
    patient_id = fields.UUID(metadata={"description": "One patient's alerts."})
    severity = fields.String(validate=validate.OneOf(ALERT_SEVERITIES))
    status = fields.List(fields.String(validate=validate.OneOf(ALERT_STATUSES)), load_default=lambda: ["open"],
                         validate=validate.Length(min=1, max=len(ALERT_STATUSES)),
                         metadata={"description": "One or more (`status=open&status=acknowledged`); open by default."})


class CoveringIn(StrictSchema):
    covering_physician_id = fields.UUID(required=True, allow_none=True,
                                        metadata={"description": "null ends the arrangement."})


class CoveringOut(OutSchema):
    physician = fields.Nested(PersonRef)
    covering_physician = fields.Nested(PersonRef, allow_none=True)


class PanelQuery(PeriodQuery):
    """The period of the TTR: the last 90 days by default; a date is a whole UTC day (one window for all)."""


class PanelPatientOut(OutSchema):
    patient = fields.Nested(PersonRef)
    ttr = fields.Nested(TtrOut)


class PanelOut(OutSchema):
    physician = fields.Nested(PersonRef)
    window_start = fields.AwareDateTime()
    window_end = fields.AwareDateTime()
    panel = fields.Nested(TtrOut)
    patients = fields.List(fields.Nested(PanelPatientOut))


class LastInrOut(OutSchema):
    result_id = fields.UUID()
    reading = fields.String(metadata={"description": "As the meter showed it."})
    measured_at = fields.Method("_measured_at", metadata={"type": "string", "format": "date-time"})
    level = fields.String(validate=validate.OneOf(LEVELS),
                          metadata={"description": "Against the target range in force when it was measured."})

    def _measured_at(self, last) -> str:
        return local_time(last.measured_at, last.offset_minutes)


class PanelRowOut(OutSchema):
    patient = fields.Nested(PatientRef)
    ttr = fields.Nested(TtrOut)
    last_inr = fields.Nested(LastInrOut, allow_none=True, metadata={"description": "The latest valid INR."})
    last_valid_test_on = fields.Date(allow_none=True, metadata={"description": "In the patient's time zone."})
    days_since_last_valid_test = fields.Integer(allow_none=True)
    open_alerts = fields.Integer(metadata={"description": "Alerts not yet resolved by a review."})
    open_critical_alerts = fields.Integer()


class PanelPageOut(OutSchema):
    physician = fields.Nested(PersonRef)
    window_start = fields.AwareDateTime()
    window_end = fields.AwareDateTime()
    panel = fields.Nested(TtrOut, metadata={"description": "The panel's TTR, weighted by interpolated days."})
    patients = fields.List(fields.Nested(PanelRowOut))
