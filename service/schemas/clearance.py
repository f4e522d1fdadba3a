"""Home-testing clearance: the physician's order and eligibility facts, eligibility per criterion, decisions."""

from __future__ import annotations

from marshmallow import fields, validate

from service.schemas.common import PersonRef
from service.schemas.fields import Day, OutSchema, StrictBoolean, StrictSchema

CLEARANCE_STATUSES = ("cleared", "revoked")  # what a physician or admin decides
# Also what a decision may record: "suspended" (NCD criterion 3) by a "not yet competent" reassessment or an overdue
# one; ended by a new "cleared".
RECORDED_STATUSES = (*CLEARANCE_STATUSES, "suspended")


class OrderIn(StrictSchema):
    ordered_on = Day(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class OrderOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    physician = fields.Nested(PersonRef)
    ordered_on = fields.Date()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class OrderPage(OutSchema):
    items = fields.List(fields.Nested(OrderOut))


class FactIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{2,79}$",
                                                                 error="Lower-case letters, digits and _."),
                         metadata={"description": "A payer's extra criterion, e.g. expected_long_term."})
    value = StrictBoolean(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class FactOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    name = fields.String()
    value = fields.Boolean()
    note = fields.String(allow_none=True)
    recorded_by = fields.Nested(PersonRef)
    recorded_at = fields.AwareDateTime()
    status = fields.Method("_status", metadata={"type": "string", "enum": ["stated", "proposed", "confirmation"],
                                                "description": "A trainer's proposal counts once a physician "
                                                               "confirms it."})
    confirms_id = fields.Method("_confirms", allow_none=True, metadata={"type": "string", "format": "uuid"})

    def _status(self, fact) -> str:
        if fact.recorded_by.role != "physician":
            return "proposed"
        return "confirmation" if fact.confirms_id else "stated"

    def _confirms(self, fact) -> str | None:
        return str(fact.confirms.public_id) if fact.confirms else None


class FactPage(OutSchema):
    items = fields.List(fields.Nested(FactOut))
    current = fields.Dict(keys=fields.String(), values=fields.Boolean(),
                          metadata={"description": "Each fact's latest value a physician stated, by name."})


class CriterionOut(OutSchema):
    name = fields.String()
    status = fields.String(validate=validate.OneOf(("met", "not_met", "unknown")))
    evidence = fields.String()


class EligibilityOut(OutSchema):
    payer = fields.String()
    evaluated_on = fields.Date()
    eligible = fields.Boolean()
    clearance_status = fields.String(validate=validate.OneOf(("not_cleared", *RECORDED_STATUSES)))
    criteria = fields.List(fields.Nested(CriterionOut))


class DecisionIn(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(CLEARANCE_STATUSES))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    effective_on = Day(metadata={
        "description": "A clearance only: the past day (patient-local) it took effect, for a patient brought in "
                       "with their history. Every criterion must have been met that day on the facts recorded for "
                       "it (training done elsewhere, the order's date) and still be met today; not after today, "
                       "not before the decision in force, and before enrolment only once the go-live date is "
                       "recorded. Left out: today."})


class DecisionOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    status = fields.String(validate=validate.OneOf(RECORDED_STATUSES))
    effective_on = fields.Date()
    decided_by = fields.Nested(PersonRef, allow_none=True, metadata={"description": "null: the scheduler (an "
                                                                                    "overdue reassessment)."})
    reason = fields.String()
    evidence = fields.Dict()
    created_at = fields.AwareDateTime()


class ClearanceHistoryOut(OutSchema):
    status = fields.String(validate=validate.OneOf(("not_cleared", *RECORDED_STATUSES)))
    decisions = fields.List(fields.Nested(DecisionOut))
