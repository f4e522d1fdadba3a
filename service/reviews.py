"""The review aggregate: a physician's interpretation and instructions, its billable event, and the
acknowledgements of the patient and caregivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from models import BillableEvent, InrResult, InstructionAcknowledgement, Patient, Review, User
from service import alerts, audit
from service.errors import invalid
from service.patients import local_date
from service.rules import codes, entries
from service.rules.claim_plan import REVIEW_KIND


def create_review(session: Session, patient: Patient, physician: User, data: dict, now: datetime) -> Review:
    """Record the review, resolve the alerts of the reviewed results and emit its billable event, at once."""
    results = list(session.scalars(select(InrResult).where(InrResult.patient_id == patient.id,
                                                           InrResult.public_id.in_(data["result_ids"]))))
    found = {r.public_id for r in results}
    missing = [str(i) for i in data["result_ids"] if i not in found]
    if missing:
        raise invalid({"result_ids": [f"Not results of this patient: {', '.join(missing)}."]})
    local_today = local_date(patient, now)
    next_on = data.get("next_test_date")
    if next_on is not None and next_on < local_today:
        raise invalid({"next_test_date": ["Must not be in the past."]})
    if next_on is not None and next_on > entries.latest_next_test_date(local_today):
        raise invalid({"next_test_date": [f"Must be within a year (by {entries.latest_next_test_date(local_today)}): "
                                          "a later date is no plan for weekly home monitoring."]})
    review = Review(patient=patient, physician=physician, reviewed_at=now, interpretation=data["interpretation"],
                    instruction_kind=data["instruction_kind"], dose_text=data.get("dose_text"),
                    weekly_doses={day: str(mg) for day, mg in data["weekly_doses"].items()}
                    if data.get("weekly_doses") else None,
                    hold_days=data.get("hold_days"), next_test_date=data.get("next_test_date"), results=results)
    session.add(review)
    session.flush()
    resolved = alerts.resolve_for_review(session, review, results, physician, now)
    session.add(BillableEvent(
        event_key=f"review:{review.public_id}", patient_id=patient.id, kind=REVIEW_KIND, code=codes.MANAGEMENT,
        service_date=local_today, occurred_at=now, rendering_provider_id=physician.id, source_type="review",
        source_id=str(review.public_id), result_ids=[str(r.public_id) for r in results]))
    audit.record(session, "review.create", patient_id=patient.public_id, object_type="review",
                 object_id=review.public_id, detail={"results": len(results), "alerts_resolved": resolved}, now=now)
    session.commit()
    return review


def current_instructions(session: Session, patient: Patient) -> Review | None:
    return session.scalar(select(Review).where(Review.patient_id == patient.id)
                          .order_by(Review.reviewed_at.desc(), Review.id.desc()).limit(1))


@dataclass(frozen=True)
class InstructionsInForce:
    current: Review | None
    acknowledgements: list[InstructionAcknowledgement]


def instructions_in_force(session: Session, patient: Patient) -> InstructionsInForce:
    review = current_instructions(session, patient)
    return InstructionsInForce(review, acknowledgements(session, review) if review else [])


@dataclass(frozen=True)
class ReviewRecord:
    """A review with its acknowledgements, and whether its instructions are the ones in force."""

    review: Review
    acknowledgements: list[InstructionAcknowledgement]
    in_force: bool

    def __getattr__(self, name):
        return getattr(self.review, name)


def review_history(session: Session, patient: Patient, limit: int, offset: int) -> list[ReviewRecord]:
    """A page of the patient's reviews, newest first, each with its acknowledgements (a few queries a page)."""
    page = list(session.scalars(select(Review).where(Review.patient_id == patient.id)
                                .options(selectinload(Review.results), selectinload(Review.physician))
                                .order_by(Review.reviewed_at.desc(), Review.id.desc()).limit(limit).offset(offset)))
    acks: dict[int, list[InstructionAcknowledgement]] = {review.id: [] for review in page}
    if page:
        for ack in session.scalars(select(InstructionAcknowledgement).options(
                selectinload(InstructionAcknowledgement.user)).where(
                InstructionAcknowledgement.review_id.in_(list(acks)))
                .order_by(InstructionAcknowledgement.acknowledged_at, InstructionAcknowledgement.id)):
            acks[ack.review_id].append(ack)
    newest = current_instructions(session, patient)
    return [ReviewRecord(review, acks[review.id], newest is not None and review.id == newest.id) for review in page]


def acknowledgements(session: Session, review: Review) -> list[InstructionAcknowledgement]:
    return list(session.scalars(select(InstructionAcknowledgement).where(
        InstructionAcknowledgement.review_id == review.id).order_by(InstructionAcknowledgement.acknowledged_at)))


def acknowledge(session: Session, review: Review, user: User, now: datetime) -> tuple[InstructionAcknowledgement, bool]:
    """Record that `user` read the instructions; acknowledging again returns the first acknowledgement."""
    def stored():
        return session.scalar(select(InstructionAcknowledgement).where(
            InstructionAcknowledgement.review_id == review.id, InstructionAcknowledgement.user_id == user.id))

    existing = stored()
    if existing is not None:
        return existing, False
    try:
        ack = InstructionAcknowledgement(review_id=review.id, user_id=user.id, acknowledged_at=now)
        session.add(ack)
        session.flush()
        audit.record(session, "instructions.acknowledge", patient_id=review.patient.public_id, object_type="review",
                     object_id=review.public_id, now=now)
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = stored()
        if existing is None:
            raise
        return existing, False
    return ack, True
