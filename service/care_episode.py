"""The patient's home-testing episode: the supplies issued during it and its end (discharged, died, left coverage)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Patient, User
from models.claims import PatientDischarge, SupplyIssue
from service import audit
from service.errors import Conflict, invalid
from service.patients import local_date


def discharge_patient(session: Session, patient: Patient, actor: User, reason: str, effective_on: date,
                      note: str | None, now: datetime) -> PatientDischarge:
    """Record the end of home testing; the next generation run bills a -52 line for 1-3 unbilled tests."""
    if effective_on > local_date(patient, now):
        raise invalid({"effective_on": ["Must not be in the future (the patient's local date)."]})
    if session.scalar(select(PatientDischarge.id).where(PatientDischarge.patient_id == patient.id)) is not None:
        raise Conflict("This patient's end of care is already recorded.")
    discharge = PatientDischarge(patient_id=patient.id, reason=reason, effective_on=effective_on, note=note,
                                 recorded_by_id=actor.id, created_at=now)
    session.add(discharge)
    session.flush()
    audit.record(session, "patient.discharge", patient_id=patient.public_id, object_type="patient_discharge",
                 object_id=discharge.public_id, detail={"reason": reason, "effective_on": effective_on.isoformat()},
                 now=now)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("This patient's end of care is already recorded.") from exc
    return discharge


def record_supply_issue(session: Session, patient: Patient, actor: User, issued_on: date, note: str | None,
                        now: datetime) -> SupplyIssue:
    """Record supplies handed to the patient; payers that bill G0249 on supply issue date the line by it."""
    if issued_on > local_date(patient, now):
        raise invalid({"issued_on": ["Must not be in the future (the patient's local date)."]})
    issue = SupplyIssue(patient_id=patient.id, issued_on=issued_on, note=note, recorded_by_id=actor.id,
                        created_at=now)
    session.add(issue)
    session.flush()
    audit.record(session, "patient.supply_issue", patient_id=patient.public_id, object_type="supply_issue",
                 object_id=issue.public_id, detail={"issued_on": issued_on.isoformat()}, now=now)
    session.commit()
    return issue
