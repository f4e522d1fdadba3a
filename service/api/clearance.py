"""Home-testing clearance: the physician's order and eligibility facts, eligibility per criterion, decisions."""

from __future__ import annotations

from flask import Blueprint, g
from marshmallow import fields, validate

from service import audit, clearance, clock, db, policy
from service.api.fields import StrictBoolean, StrictSchema, load
from service.api.patients import PersonRef
from service.auth import roles

bp = Blueprint("clearance", __name__)


def patient_for(patient_id, action: str):
    return policy.patient_for(db.session(), g.user, patient_id, action, clock.now())


def _read(patient, action: str, now) -> None:
    session = db.session()
    audit.record(session, action, patient_id=patient.public_id, now=now)
    session.commit()


class OrderIn(StrictSchema):
    ordered_on = fields.Date(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class OrderOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    physician = fields.Nested(PersonRef)
    ordered_on = fields.Date()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


@bp.post("/patients/<uuid:patient_id>/home-testing-orders")
@roles("physician")
def record_order(patient_id):
    patient = patient_for(patient_id, "order")
    data = load(OrderIn())
    order = clearance.record_order(db.session(), patient, g.user, data["ordered_on"], data.get("note"), clock.now())
    return OrderOut().dump(order), 201


@bp.get("/patients/<uuid:patient_id>/home-testing-orders")
def list_orders(patient_id):
    patient = patient_for(patient_id, "read_training")
    found = clearance.orders(db.session(), patient)
    _read(patient, "clearance.order.list", clock.now())
    return {"items": OrderOut(many=True).dump(found)}


class FactIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{2,79}$",
                                                                 error="Lower-case letters, digits and _."))
    value = StrictBoolean(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class FactOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    name = fields.String()
    value = fields.Boolean()
    note = fields.String(allow_none=True)
    recorded_by = fields.Nested(PersonRef)
    recorded_at = fields.AwareDateTime()


@bp.post("/patients/<uuid:patient_id>/eligibility-facts")
@roles("physician")
def record_fact(patient_id):
    patient = patient_for(patient_id, "order")
    data = load(FactIn())
    fact = clearance.record_fact(db.session(), patient, g.user, data["name"], data["value"], data.get("note"),
                                 clock.now())
    return FactOut().dump(fact), 201


@bp.get("/patients/<uuid:patient_id>/eligibility-facts")
def list_facts(patient_id):
    patient = patient_for(patient_id, "read_training")
    found = clearance.facts(db.session(), patient)
    _read(patient, "clearance.fact.list", clock.now())
    return {"items": FactOut(many=True).dump(found), "current": {fact.name: fact.value for fact in found}}


class CriterionOut(StrictSchema):
    name = fields.String()
    status = fields.String()
    evidence = fields.String()


class EligibilityOut(StrictSchema):
    payer = fields.String()
    evaluated_on = fields.Date()
    eligible = fields.Boolean()
    clearance_status = fields.String()
    criteria = fields.List(fields.Nested(CriterionOut))


@bp.get("/patients/<uuid:patient_id>/eligibility")
def eligibility(patient_id):
    patient = patient_for(patient_id, "read_training")
    session, now = db.session(), clock.now()
    result = clearance.evaluate(session, patient, now)
    document = EligibilityOut().dump({
        "payer": patient.payer_code, "evaluated_on": clearance.local_date(patient, now), "eligible": result.cleared,
        "clearance_status": clearance.status(session, patient), "criteria": result.criteria})
    _read(patient, "clearance.eligibility.read", now)
    return document


class DecisionIn(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(("cleared", "revoked")))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class DecisionOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    status = fields.String()
    effective_on = fields.Date()
    decided_by = fields.Nested(PersonRef)
    reason = fields.String()
    evidence = fields.Dict()
    created_at = fields.AwareDateTime()


@bp.post("/patients/<uuid:patient_id>/clearance")
@roles("physician", "admin")
def decide(patient_id):
    patient = patient_for(patient_id, "clear")
    data = load(DecisionIn())
    decision = clearance.decide(db.session(), patient, g.user, data["status"], data["reason"], clock.now())
    return DecisionOut().dump(decision), 201


@bp.get("/patients/<uuid:patient_id>/clearance")
def clearance_history(patient_id):
    patient = patient_for(patient_id, "read_training")
    session = db.session()
    history = clearance.decisions(session, patient)
    _read(patient, "clearance.read", clock.now())
    return {"status": history[-1].status if history else "not_cleared",
            "decisions": DecisionOut(many=True).dump(history)}
