"""Training and competency (CPT 93792): checklist versions, signed training sessions, amendments, progress."""

from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import fields, validate

from service.rules.training import ITEM_OUTCOMES
from service.schemas.common import PersonRef
from service.schemas.fields import Day, Inr, Instant, OutSchema, StrictBoolean, StrictInteger, StrictSchema

SESSION_KINDS = ("initial", "retraining", "reassessment")
ITEM_CATEGORIES = ("93792", "education", "clinic")


# ---- checklist versions ----

class TemplateItemIn(StrictSchema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,59}$",
                                                                error="Lower-case letters, digits and _."))
    text = fields.String(required=True, validate=validate.Length(min=1, max=300))
    category = fields.String(required=True, validate=validate.OneOf(ITEM_CATEGORIES))
    required = StrictBoolean(required=True)


class TemplateIn(StrictSchema):
    items = fields.List(fields.Nested(TemplateItemIn), required=True, validate=validate.Length(min=1, max=100))
    note = fields.String(validate=validate.Length(min=1, max=500))


class TemplateItemOut(OutSchema):
    key = fields.String()
    text = fields.String()
    category = fields.String(validate=validate.OneOf(ITEM_CATEGORIES))
    required = fields.Boolean()


class TemplateOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    version = fields.Integer()
    note = fields.String(allow_none=True)
    created_by = fields.Method("_created_by", allow_none=True,
                               metadata={"type": "object", "properties": {
                                   "id": {"type": "string", "format": "uuid"}, "full_name": {"type": "string"}}})
    created_at = fields.AwareDateTime()
    items = fields.List(fields.Nested(TemplateItemOut))

    def _created_by(self, template) -> dict | None:
        # Kept by name on the version itself: the seeded version 1 has no author account.
        if template.created_by_id is None:
            return None
        return {"id": str(template.created_by_id), "full_name": template.created_by_name}


class TemplatePage(OutSchema):
    items = fields.List(fields.Nested(TemplateOut))


# ---- training sessions ----

class ItemIn(StrictSchema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=60))
    outcome = fields.String(required=True, validate=validate.OneOf(ITEM_OUTCOMES))
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class SupervisedTestIn(StrictSchema):
    trainee_inr = Inr(required=True, metadata={"description": "What the trainee's meter showed."})
    clinic_inr = Inr(allow_none=True, metadata={"description": "The clinic's comparison INR, if taken."})


class SessionIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(SESSION_KINDS))
    trainee = fields.String(required=True, validate=validate.OneOf(("patient", "caregiver")))
    caregiver_id = fields.UUID()
    template_version = StrictInteger(validate=validate.Range(min=1, max=1_000_000))
    occurred_at = Instant(required=True, validate=validate.Range(
        min=datetime(2000, 1, 1, tzinfo=timezone.utc), max=datetime(2100, 1, 1, tzinfo=timezone.utc),
        error="Must be between the years 2000 and 2100."))
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    trainer_id = fields.UUID()
    meter_serial = fields.String(required=True, validate=validate.Length(min=1, max=64))
    outcome = fields.String(required=True, validate=validate.OneOf(("competent", "not_yet")))
    next_session_on = Day(allow_none=True)
    items = fields.List(fields.Nested(ItemIn), required=True, validate=validate.Length(max=100))
    supervised_test = fields.Nested(SupervisedTestIn, allow_none=True)


class AmendmentIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    place = fields.String(validate=validate.Length(min=1, max=200))
    meter_serial = fields.String(validate=validate.Length(min=1, max=64))
    next_session_on = Day(allow_none=True)
    items = fields.List(fields.Nested(ItemIn), validate=validate.Length(min=1, max=100))
    supervised_test = fields.Nested(SupervisedTestIn)


class ItemOut(OutSchema):
    key = fields.String()
    text = fields.String()
    category = fields.String()
    required = fields.Boolean()
    outcome = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class SupervisedTestOut(OutSchema):
    trainee_inr = Inr()
    clinic_inr = Inr(allow_none=True)
    tolerance = fields.Float()
    agree = fields.Boolean(allow_none=True)


class SessionStateOut(OutSchema):
    place = fields.String()
    meter_serial = fields.String()
    next_session_on = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(ItemOut))
    supervised_test = fields.Nested(SupervisedTestOut, allow_none=True)


class AmendmentOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    amended_by = fields.Nested(PersonRef)
    amended_at = fields.AwareDateTime()
    reason = fields.String()
    changes = fields.Dict()


class TraineeOut(OutSchema):
    kind = fields.String(attribute="trainee_kind")
    caregiver = fields.Nested(PersonRef, attribute="trainee_caregiver", allow_none=True)


class SessionOut(OutSchema):
    """A signed training session: as recorded, and as corrected by its amendments (the record is never
    changed in place)."""

    id = fields.UUID(attribute="record.public_id")
    patient_id = fields.UUID(attribute="record.patient.public_id")
    kind = fields.String(attribute="record.kind", validate=validate.OneOf(SESSION_KINDS))
    trainee = fields.Nested(TraineeOut, attribute="record")
    template_version = fields.Integer(attribute="record.template.version")
    occurred_at = fields.AwareDateTime(attribute="record.occurred_at")
    local_date = fields.Date(metadata={"description": "The date in the patient's time zone."})
    trainer = fields.Nested(PersonRef, attribute="record.trainer")
    outcome = fields.String(attribute="record.outcome")
    signed_by = fields.Nested(PersonRef, attribute="record.signed_by")
    signed_at = fields.AwareDateTime(attribute="record.signed_at")
    recorded = fields.Nested(SessionStateOut)
    current = fields.Nested(SessionStateOut)
    amendments = fields.List(fields.Nested(AmendmentOut), attribute="record.amendments")


class SessionPage(OutSchema):
    items = fields.List(fields.Nested(SessionOut))


# ---- what the checklist client shows ----

class ProgressItemOut(OutSchema):
    key = fields.String()
    text = fields.String()
    category = fields.String()
    required = fields.Boolean()
    status = fields.String(validate=validate.OneOf(("not_started", "needs_practice", "done")))
    last_outcome = fields.String(allow_none=True)
    last_session_on = fields.Date(allow_none=True)


class ProgressOut(OutSchema):
    template_version = fields.Integer()
    competent = fields.Boolean()
    competent_on = fields.Date(allow_none=True)
    sessions = fields.Integer()
    items = fields.List(fields.Nested(ProgressItemOut))
    done = fields.List(fields.String())
    left = fields.List(fields.String())
    next_session_on = fields.Date(allow_none=True)
