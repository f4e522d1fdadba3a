"""Physician reviews of results, and the instructions the patient and caregivers read and acknowledge."""

from __future__ import annotations

from flask import g

from models import Review
from service import clock, db, policy, reviews
from service.api import Blueprint
from service.idempotency import idempotent
from service.policy import roles
from service.schemas.reviews import (
    AcknowledgementOut,
    InstructionsOut,
    ReviewIn,
    ReviewOut,
    ReviewPage,
    ReviewQuery,
)

bp = Blueprint("reviews", __name__, description="Reviews, instructions and their acknowledgement.")


@bp.post("/patients/<uuid:patient_id>/reviews")
@roles("physician")
@policy.loads("patient", "review")
@bp.arguments(ReviewIn, example={
    "result_ids": ["5b7c0c64-6a43-4a57-9f0e-2f4f3a1d9d10"], "interpretation": "Low after two missed doses.",
    "instruction_kind": "new_dose", "weekly_doses": {"sunday": 5, "monday": 5, "tuesday": 7.5, "wednesday": 5,
                                                     "thursday": 5, "friday": 7.5, "saturday": 5},
    "next_test_date": "2026-11-30"})
@bp.response(201, ReviewOut)
@idempotent(Review)
def create_review(data, patient):
    """Interpret results and instruct the patient; resolves the reviewed results' alerts."""
    return reviews.create_review(db.session(), patient, g.user, data, clock.now())


@bp.get("/patients/<uuid:patient_id>/reviews")
@policy.loads("patient", "read_clinical", read="review.list")
@bp.arguments(ReviewQuery, location="query")
@bp.response(200, ReviewPage)
def list_reviews(query, patient):
    """Every review of the patient, newest first, with its instructions and who acknowledged them."""
    return {"items": reviews.review_history(db.session(), patient, query["limit"], query["offset"])}


@bp.get("/patients/<uuid:patient_id>/instructions")
@policy.loads("patient", "read_clinical", read="instructions.read")
@bp.response(200, InstructionsOut)
def current_instructions(patient):
    """The instructions in force (the latest review) and who has acknowledged them."""
    return reviews.instructions_in_force(db.session(), patient)


@bp.post("/patients/<uuid:patient_id>/instructions/<uuid:review_id>/acknowledge")
@roles("patient", "caregiver")
@policy.loads("review", "read_clinical")
@bp.response(201, AcknowledgementOut, description="Acknowledged")
@bp.alt_response(200, schema=AcknowledgementOut, description="Already acknowledged: the first acknowledgement")
def acknowledge_instructions(review):
    """Record "I have read this" for the caller."""
    ack, created = reviews.acknowledge(db.session(), review, g.user, clock.now())
    return ack, 201 if created else 200
