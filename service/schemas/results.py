"""Home INR results as the app reports them and as every client reads them, the batch, and the summary."""

from __future__ import annotations

import functools
from datetime import timedelta, timezone

from marshmallow import ValidationError, fields, validate, validates_schema

from models.alerts import ALERT_KINDS, ALERT_SEVERITIES, ALERT_STATUSES
from service.rules.flags import LEVELS, READINGS, SYMPTOMS
from service.rules.next_test import REASONS as NEXT_TEST_REASONS
from service.rules.readings import METER_ERROR, QC_FAILED, SUPERSEDED
from service.schemas.common import Paging, PersonRef
from service.schemas.fields import (
    EachOnItsOwn,
    Inr,
    Instant,
    OutSchema,
    QueryInteger,
    StrictBoolean,
    StrictInteger,
    StrictSchema,
)
from service.schemas.period import PeriodQuery

BATCH_LIMIT = 100
_TEXT = r"^[\x20-\x7E]*$"  # meter serials, lots and codes are printable ASCII


class ResultIn(StrictSchema):
    client_id = fields.String(required=True, validate=[validate.Length(min=1, max=64),
                                                       validate.Regexp(r"^[A-Za-z0-9._:-]+$")],
                              metadata={"description": "The app's own id for this result: a retry with the same "
                                                       "id and content returns the stored result."})
    value = Inr(metadata={"description": "The INR the meter showed; or send `reading` for an out-of-range one; a "
                                         "meter error that showed no number sends neither (only meter_error_code)."})
    reading = fields.String(validate=validate.OneOf(sorted(READINGS)),
                            metadata={"description": "\"<0.8\" or \">8.0\" when the meter shows no number."})
    measured_at = Instant(required=True, metadata={
        "description": "When the test was done, with its UTC offset, as the meter says. Not before the patient's "
                       "warfarin start, nor more than INR_RESULT_DAYS_BEFORE_ENROLMENT days before enrolment. A "
                       "time ahead of the server's clock (beyond INR_CLOCK_SKEW_SECONDS) is kept as the device's "
                       "and the reading is placed at its receipt (`device_clock_ahead`)."})
    meter_serial = fields.String(allow_none=True, validate=[validate.Length(min=1, max=64), validate.Regexp(_TEXT)])
    strip_lot = fields.String(allow_none=True, validate=[validate.Length(min=1, max=64), validate.Regexp(_TEXT)])
    qc_passed = StrictBoolean(required=True, metadata={"description": "Whether the strip passed its quality check."})
    meter_error_code = fields.String(allow_none=True, validate=[validate.Length(min=1, max=32),
                                                                validate.Regexp(_TEXT)])
    tested_by = fields.String(validate=validate.OneOf(["patient", "caregiver"]))
    caregiver_id = fields.UUID(metadata={"description": "Staff reporting a caregiver's test name the caregiver."})
    symptoms = fields.List(fields.String(validate=validate.OneOf(SYMPTOMS)),
                           validate=validate.Length(max=len(SYMPTOMS)))
    symptom_note = fields.String(allow_none=True, validate=validate.Length(max=1000))
    missed_doses = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=60))

    @validates_schema
    def _checks(self, data, **_kwargs):
        if "value" in data and "reading" in data:
            raise ValidationError("Send either value or reading (\"<0.8\" or \">8.0\"), not both.", "value")
        if "value" not in data and "reading" not in data and not data.get("meter_error_code"):
            raise ValidationError("Send value, or reading (\"<0.8\" or \">8.0\"); only a meter error may come "
                                  "without a number (send meter_error_code).", "value")
        if "measured_at" in data and data["measured_at"].year < 2000:
            raise ValidationError("Not a plausible test time.", "measured_at")
        if len(set(data.get("symptoms", []))) != len(data.get("symptoms", [])):
            raise ValidationError("List each symptom once.", "symptoms")


class TargetOut(OutSchema):
    low = Inr()
    high = Inr()


class FlagOut(OutSchema):
    level = fields.String(validate=validate.OneOf(LEVELS), metadata={
        "description": "no_valid_inr: a failed strip, a meter error or a corrected entry; its number is not "
                       "flagged and opens no alert (symptoms still do)."})
    severity = fields.String()
    interpretation = fields.String(allow_none=True, metadata={
        "description": "FHIR interpretation code: N, L, H, LL or HH; null for no valid INR."})
    no_valid_inr = fields.String(attribute="not_valid", allow_none=True,
                                 validate=validate.OneOf((QC_FAILED, METER_ERROR, SUPERSEDED)),
                                 metadata={"description": "Why the reading is not a valid INR; null when it is one."})
    target_range = fields.Nested(TargetOut, attribute="target")


class AlertRef(OutSchema):
    id = fields.UUID(attribute="public_id")
    kind = fields.String(validate=validate.OneOf(ALERT_KINDS))
    severity = fields.String(validate=validate.OneOf(ALERT_SEVERITIES))
    status = fields.String(validate=validate.OneOf(ALERT_STATUSES))


class BillingOut(OutSchema):
    counts = fields.Boolean(metadata={"description": "Whether this result counts as the week's billable test."})
    reason = fields.String(allow_none=True)
    week = fields.Date(metadata={"description": "The Sunday that starts its billing week (patient's zone)."})


def local_time(moment, offset_minutes: int) -> str:
    """An instant as ISO 8601 with the offset the client sent it with."""
    return moment.astimezone(_offset_zone(offset_minutes)).isoformat()


@functools.cache
def _offset_zone(minutes: int) -> timezone:
    # One zone object per offset (a few dozen exist), not one per instant written: a queue page writes a thousand.
    return timezone(timedelta(minutes=minutes))


class ResultOut(OutSchema):
    id = fields.UUID(attribute="result.public_id")
    client_id = fields.String(attribute="result.client_id")
    value = Inr(attribute="result.value", allow_none=True, metadata={"description": "null: a meter error, no number."})
    comparator = fields.String(attribute="result.comparator", allow_none=True)
    reading = fields.String(attribute="flag.reading", allow_none=True,
                            metadata={"description": "As the meter showed it; null when it showed no number."})
    measured_at = fields.Method("_measured_at", metadata={
        "type": "string", "format": "date-time",
        "description": "When the reading stands on the patient's timeline (its week and order): the device's time, "
                       "or its receipt when the device's clock was ahead."})
    device_measured_at = fields.Method("_device_measured_at", allow_none=True, metadata={
        "type": "string", "format": "date-time",
        "description": "The time the device stated, kept when its clock was ahead; null otherwise."})
    device_clock_ahead = fields.Method("_clock_ahead", metadata={"type": "boolean"})
    meter_serial = fields.String(attribute="result.meter_serial", allow_none=True)
    strip_lot = fields.String(attribute="result.strip_lot", allow_none=True)
    qc_passed = fields.Boolean(attribute="result.qc_passed")
    meter_error_code = fields.String(attribute="result.meter_error_code", allow_none=True)
    tested_by = fields.String(attribute="result.tested_by")
    caregiver = fields.Nested(PersonRef, attribute="result.tested_by_caregiver", allow_none=True)
    symptoms = fields.List(fields.String(), attribute="result.symptoms")
    symptom_note = fields.String(attribute="result.symptom_note", allow_none=True)
    missed_doses = fields.Integer(attribute="result.missed_doses", allow_none=True)
    source = fields.String(attribute="result.source", validate=validate.OneOf(("app", "phone", "import")), metadata={
        "description": "app: reported by the patient or a caregiver; phone: entered by staff as the patient reported "
                       "it; import: brought in from another system's history (never billed here, and it opened no "
                       "alert)."})
    import_id = fields.Method("_import_id", allow_none=True, metadata={
        "type": "string", "format": "uuid",
        "description": "The import that brought the result in (GET /patients/{id}/result-imports); null otherwise."})
    entered_by = fields.Nested(PersonRef, attribute="result.entered_by")
    received_at = fields.AwareDateTime(attribute="result.received_at")
    corrects = fields.Method("_corrects", allow_none=True, metadata={
        "type": "string", "format": "uuid", "description": "The result this one corrects."})
    correction_reason = fields.String(attribute="result.correction_reason", allow_none=True)
    corrected_by = fields.Method("_corrected_by", allow_none=True, metadata={
        "type": "string", "format": "uuid",
        "description": "The correction that replaced this result: it is kept and shown, but leaves flags, TTR and "
                       "counting."})
    flag = fields.Nested(FlagOut)
    alert = fields.Nested(AlertRef, allow_none=True)
    billing = fields.Nested(BillingOut)
    next_test_due = fields.Date(allow_none=True)
    next_test_reason = fields.String(allow_none=True, validate=validate.OneOf(NEXT_TEST_REASONS), metadata={
        "description": "weekly, critical_recheck, retest_invalid (today) or physician_instruction."})
    message = fields.String(metadata={"description": "What the app shows the patient."})

    def _measured_at(self, view) -> str:
        return local_time(view.result.measured_at, view.result.measured_utc_offset_minutes)

    def _device_measured_at(self, view) -> str | None:
        stated = view.result.device_measured_at
        return local_time(stated, view.result.measured_utc_offset_minutes) if stated else None

    def _clock_ahead(self, view) -> bool:
        return view.result.device_measured_at is not None

    def _corrects(self, view) -> str | None:
        return str(view.result.supersedes.public_id) if view.result.supersedes_id is not None else None

    def _import_id(self, view) -> str | None:
        return str(view.result.imported_from.public_id) if view.result.import_id is not None else None

    def _corrected_by(self, view) -> str | None:
        return str(view.corrected_by.public_id) if view.corrected_by else None


class CorrectionIn(ResultIn):
    """The corrected result in full, as the app or the clinic would report it, and why."""

    client_id = fields.String(required=True, validate=[validate.Length(min=1, max=64),
                                                       validate.Regexp(r"^[A-Za-z0-9._:-]+$")],
                              metadata={"description": "The correction's own id: a retry with the same id and "
                                                       "content returns the stored correction."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"description": "Why the original was wrong (it closes its open alert)."})


class ResultPage(OutSchema):
    items = fields.List(fields.Nested(ResultOut))


class ResultQuery(Paging):
    pass


class BatchIn(StrictSchema):
    results = EachOnItsOwn(fields.Nested(ResultIn), required=True, validate=validate.Length(min=1, max=BATCH_LIMIT),
                           metadata={"description": "Each item is stored (or replayed) on its own: one bad item "
                                                    "spoils nothing."})


class BatchItemOut(OutSchema):
    index = fields.Integer()
    status = fields.Integer(metadata={"description": "201 stored, 200 replayed, 409 or 422 refused."})
    result = fields.Nested(ResultOut, allow_none=True, metadata={"description": "null when refused."})
    errors = fields.Dict(allow_none=True, metadata={"description": "Why it was refused; null when stored."})


class BatchOut(OutSchema):
    items = fields.List(fields.Nested(BatchItemOut))


class SummaryQuery(PeriodQuery):
    """The period of the TTR (the last 90 days by default), and how many latest results make the trend."""

    trend = QueryInteger(load_default=10, validate=validate.Range(min=1, max=100))


class TtrOut(OutSchema):
    percent = fields.Float(allow_none=True)
    days_in_range = fields.Float()
    days_total = fields.Float()


class AdherenceOut(OutSchema):
    since = fields.Date(allow_none=True)
    weeks_expected = fields.Integer()
    weeks_tested = fields.Integer()
    percent = fields.Float(allow_none=True)


class SummaryOut(OutSchema):
    latest = fields.Nested(ResultOut, allow_none=True)
    trend = fields.List(fields.Nested(ResultOut))
    window_start = fields.AwareDateTime()
    window_end = fields.AwareDateTime()
    ttr = fields.Nested(TtrOut)
    adherence = fields.Nested(AdherenceOut)
    next_test_due = fields.Date(allow_none=True)
    next_test_reason = fields.String(allow_none=True, validate=validate.OneOf(NEXT_TEST_REASONS))
    open_alerts = fields.Integer()
    critical = fields.Nested(TargetOut, metadata={"description": "The clinic's critical thresholds: at or beyond "
                                                                 "them a result escalates urgently."})
