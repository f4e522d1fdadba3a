"""The patient's insurance as a claim names it (837P subscriber and payer loops): versioned, the latest in force."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Coverage, Patient, User
from service import audit


def record_coverage(session: Session, patient: Patient, actor: User, data: dict, now: datetime) -> Coverage:
    coverage = Coverage(patient_id=patient.id, recorded_by_id=actor.id, created_at=now, **data)
    session.add(coverage)
    session.flush()
    audit.record(session, "patient.coverage.record", patient_id=patient.public_id, object_type="coverage",
                 object_id=coverage.public_id, now=now)
    session.commit()
    return coverage


def coverages(session: Session, patient: Patient) -> list[Coverage]:
    """Every version, oldest first; the last is in force."""
    return list(session.scalars(select(Coverage).where(Coverage.patient_id == patient.id).order_by(Coverage.id)))
