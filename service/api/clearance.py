"""Home-testing clearance: the physician's order and eligibility facts, eligibility per criterion, decisions."""

from __future__ import annotations

from flask import g

from models import EligibilityFact, HomeTestingOrder
from service import clearance, clock, db, policy
from service.api import Blueprint
from service.idempotency import idempotent
from service.policy import roles
from service.schemas.clearance import (
    ClearanceHistoryOut,
    DecisionIn,
    DecisionOut,
    EligibilityOut,
    FactIn,
    FactOut,
    FactPage,
    OrderIn,
    OrderOut,
    OrderPage,
)
from service.settings import current_settings

bp = Blueprint("clearance", __name__, description="Orders, eligibility (NCD 190.11) and clearance decisions.")


@bp.post("/patients/<uuid:patient_id>/home-testing-orders")
@roles("physician")
@policy.loads("patient", "order")
@bp.arguments(OrderIn)
@bp.response(201, OrderOut)
@idempotent(HomeTestingOrder)
def record_order(data, patient):
    """The physician's order for home INR testing, dated the day it was signed (today or earlier: a patient
    brought in with their history has an order from before; not before their warfarin start)."""
    return clearance.record_order(db.session(), patient, g.user, data["ordered_on"], data.get("note"), clock.now())


@bp.get("/patients/<uuid:patient_id>/home-testing-orders")
@policy.loads("patient", "read_training", read="clearance.order.list")
@bp.response(200, OrderPage)
def list_orders(patient):
    return {"items": clearance.orders(db.session(), patient)}


@bp.post("/patients/<uuid:patient_id>/eligibility-facts")
@roles("physician", "trainer")
@policy.loads("patient", "propose_fact")
@bp.arguments(FactIn)
@bp.response(201, FactOut)
@idempotent(EligibilityFact)
def record_fact(data, patient):
    """A fact a payer's criteria read (true or false), stated by the physician; the latest of a name wins.

    A trainer's fact (gathered at intake) is a proposal: it counts once the physician confirms it.
    """
    return clearance.record_fact(db.session(), patient, g.user, data["name"], data["value"], data.get("note"),
                                 clock.now())


@bp.post("/patients/<uuid:patient_id>/eligibility-facts/<uuid:fact_id>/confirm")
@roles("physician")
@policy.loads("eligibility_fact", "order")
@bp.response(201, FactOut)
def confirm_fact(eligibility_fact):
    """The physician confirms a trainer's proposed fact; from then on it counts for eligibility."""
    return clearance.confirm_fact(db.session(), eligibility_fact, g.user, clock.now())


@bp.get("/patients/<uuid:patient_id>/eligibility-facts")
@policy.loads("patient", "read_training", read="clearance.fact.list")
@bp.response(200, FactPage)
def list_facts(patient):
    return clearance.fact_listing(db.session(), patient)


@bp.get("/patients/<uuid:patient_id>/eligibility")
@policy.loads("patient", "read_training", read="clearance.eligibility.read")
@bp.response(200, EligibilityOut)
def eligibility(patient):
    """Each coverage criterion of the patient's payer, met or not, with its evidence."""
    return clearance.eligibility(db.session(), patient, clock.now(), current_settings().reassessment_months)


@bp.post("/patients/<uuid:patient_id>/clearance")
@roles("physician", "admin")
@policy.loads("patient", "clear")
@bp.arguments(DecisionIn)
@bp.response(201, DecisionOut)
def decide(data, patient):
    """Clear the patient for home testing (every criterion met on recorded facts; also ends a suspension), or
    revoke it.

    A patient brought in with their history is cleared from the day they were (`effective_on`, in the past), on the
    facts as they stood then; the decision records both days and is audited.
    """
    return clearance.decide(db.session(), patient, g.user, data["status"], data["reason"], clock.now(),
                            current_settings().reassessment_months, data.get("effective_on"))


@bp.get("/patients/<uuid:patient_id>/clearance")
@policy.loads("patient", "read_training", read="clearance.read")
@bp.response(200, ClearanceHistoryOut)
def clearance_history(patient):
    """Every clearance decision, oldest first, and the status in force."""
    return clearance.history(db.session(), patient)
