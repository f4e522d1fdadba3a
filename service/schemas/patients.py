"""Patients, their versioned target range and indications, and the caregivers linked to them."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from service import clock
from service.schemas.common import Paging, PersonRef
from service.schemas.fields import Day, Inr, Instant, OutSchema, PastDate, StrictSchema, TimeZoneName

_ICD10 = fields.String(validate=validate.Length(min=3, max=8))


class TargetRangeIn(StrictSchema):
    low = Inr(required=True)
    high = Inr(required=True)

    @validates_schema
    def _ordered(self, data, **_kwargs):
        if "low" in data and "high" in data and data["low"] >= data["high"]:
            raise ValidationError("Must be below high.", "low")


_HISTORY_START = ("For a patient brought in with their history: the past instant from which this version was in "
                  "force, before the patient's enrolment (the versions since enrolment stay as they were). Left out: "
                  "from now on.")


class TargetRangeChangeIn(TargetRangeIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    effective_from = Instant(metadata={"description": _HISTORY_START})


class TargetRangeOut(OutSchema):
    low = Inr()
    high = Inr()
    effective_from = fields.AwareDateTime()
    set_by = fields.Nested(PersonRef)
    reason = fields.String()


class TargetRangePage(OutSchema):
    items = fields.List(fields.Nested(TargetRangeOut))


class TimeZoneChangeIn(StrictSchema):
    time_zone = TimeZoneName(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    effective_from = Instant(metadata={"description": _HISTORY_START})


class TimeZoneOut(OutSchema):
    time_zone = fields.String()
    effective_from = fields.AwareDateTime()
    set_by = fields.Nested(PersonRef, allow_none=True, metadata={"description": "null: recorded by a migration."})
    reason = fields.String()


class TimeZonePage(OutSchema):
    items = fields.List(fields.Nested(TimeZoneOut))


class IndicationsChangeIn(StrictSchema):
    codes = fields.List(_ICD10, required=True, validate=validate.Length(min=1, max=20))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    secondary = fields.List(_ICD10, validate=validate.Length(max=20), metadata={
        "description": "Billable ICD-10-CM codes recorded beside the indications (e.g. Z79.01): they go on claims "
                       "and never establish eligibility. Left out: the secondary diagnoses in force are kept."})


class IndicationsOut(OutSchema):
    codes = fields.List(fields.String())
    secondary = fields.List(fields.String(), attribute="secondary_codes")
    code_list_version = fields.String()
    effective_from = fields.AwareDateTime()
    set_by = fields.Nested(PersonRef)
    reason = fields.String()


class IndicationsPage(OutSchema):
    items = fields.List(fields.Nested(IndicationsOut))


_GO_LIVE = ("The day this service starts billing for the patient (patient-local): a patient brought in with their "
            "history is billed for nothing dated before it (tests, reviews, training), and results from it on are "
            "reported here, not imported. Null: billed from enrolment, as a patient who started here. Cannot change "
            "once claim lines are recorded for the patient; at most a year ahead.")


_MRN = ("The practice's medical record number for the patient (letters, digits, `.`, `/`, `-`); "
        "unique within the practice.")
_mrn = dict(validate=validate.Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9./-]{0,29}$",
                error="1 to 30 letters, digits, '.', '/' or '-', starting with a letter or digit."),
            metadata={"description": _MRN})


class PatientIn(StrictSchema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date_of_birth = PastDate(required=True)
    time_zone = TimeZoneName(required=True)
    physician_id = fields.UUID(metadata={"description": "The physician of record; a physician's own id by default."})
    payer = fields.String(validate=validate.Length(min=1, max=40))
    warfarin_start_date = PastDate(earliest_year=1950, allow_none=True)
    indications = fields.List(_ICD10, required=True, validate=validate.Length(min=1, max=20))
    secondary_diagnoses = fields.List(_ICD10, validate=validate.Length(max=20), metadata={
        "description": "Billable ICD-10-CM codes beside the indications (e.g. Z79.01); never a reason for coverage."})
    target_range = fields.Nested(TargetRangeIn)
    user_id = fields.UUID(allow_none=True, metadata={"description": "The patient's own login, if they have one."})
    go_live_on = Day(allow_none=True, metadata={"description": _GO_LIVE})
    mrn = fields.String(allow_none=True, **_mrn)


class PatientChangeIn(StrictSchema):
    """Demographic and administrative fields; the target range and indications have their own routes."""

    full_name = fields.String(validate=validate.Length(min=1, max=200))
    date_of_birth = PastDate()
    time_zone = TimeZoneName(metadata={"description": "A new zone from now on (a new version, as POST "
                                                      "/patients/{id}/time-zones); past weeks keep theirs."})
    physician_id = fields.UUID()
    payer = fields.String(validate=validate.Length(min=1, max=40))
    warfarin_start_date = PastDate(earliest_year=1950, allow_none=True)
    user_id = fields.UUID(allow_none=True)
    go_live_on = Day(allow_none=True, metadata={"description": _GO_LIVE})
    mrn = fields.String(allow_none=True, **_mrn)


class PatientOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    full_name = fields.String()
    date_of_birth = fields.Date()
    time_zone = fields.String()
    physician = fields.Nested(PersonRef)
    payer = fields.String(attribute="payer_code")
    warfarin_start_date = fields.Date(allow_none=True)
    go_live_on = fields.Date(allow_none=True, metadata={"description": _GO_LIVE})
    mrn = fields.String(allow_none=True, metadata={"description": _MRN})
    target_range = fields.Nested(TargetRangeOut, attribute="current_target_range")
    indications = fields.List(fields.String(), attribute="current_indications")
    secondary_diagnoses = fields.List(fields.String(), attribute="current_secondary_diagnoses")
    practice_id = fields.Method("_practice_id", metadata={"type": "string", "format": "uuid"})
    user_id = fields.Method("_user_id", allow_none=True, metadata={"type": "string", "format": "uuid"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()

    def _practice_id(self, patient) -> str:
        return str(patient.practice.public_id)

    def _user_id(self, patient) -> str | None:
        return str(patient.user.public_id) if patient.user else None


class PatientPage(OutSchema):
    items = fields.List(fields.Nested(PatientOut))
    total = fields.Integer(metadata={"description": "How many patients match, over all pages."})


class PatientQuery(Paging):
    """Find patients by words of the name, the date of birth, or the practice's medical record number."""

    name = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "Words of the name, each found anywhere in it, in any case (`jon pat` finds Pat Jones)."})
    date_of_birth = Day()
    mrn = fields.String(validate=validate.Length(min=1, max=30), metadata={
        "description": "The medical record number, exactly as recorded."})


class CaregiverLinkIn(StrictSchema):
    caregiver_id = fields.UUID(required=True)
    relationship = fields.String(required=True, validate=validate.Length(min=1, max=100))
    starts_at = Instant()


class CaregiverLinkEndIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    ends_at = Instant()


class CaregiverLinkOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    caregiver = fields.Nested(PersonRef)
    relationship = fields.String(attribute="relationship_to_patient")
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    active = fields.Method("_active", metadata={"type": "boolean"})

    def _active(self, link) -> bool:
        return link.active_at(clock.now())


class CaregiverLinkPage(OutSchema):
    items = fields.List(fields.Nested(CaregiverLinkOut))
