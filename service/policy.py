"""Object access in one place: who may do what with which patient's data.

Access follows relationships: a patient reaches their own record, a caregiver the patients linked to them
while the link is active, a physician the patients they are physician of record for. Trainers and billers
work clinic-wide but only on what their work needs. Anything else is answered 404, as if it did not exist,
and the refusal is audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from models import CaregiverLink, CoveringPhysician, Patient, User
from service import audit
from service.errors import NotFound

# What each role may do with a patient it can reach. "read": the core record; "read_clinical": results,
# alerts, reviews, instructions; "report_result": post a home INR; "edit": demographics and indications;
# "set_target": the target range (a physician's order); "link_caregiver"; "train": training records;
# "read_training": training progress; "bill": claim lines; "review": review results and instruct;
# "acknowledge_alert": take ownership of an alert; "order": the home-testing order and eligibility facts
# (a physician's statements); "clear": decide home-testing clearance; "end_care": record discharge, death
# or loss of coverage; "issue_supplies": record test supplies handed out.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "read_clinical", "edit", "link_caregiver", "train", "read_training", "bill",
                        "report_result", "acknowledge_alert", "clear", "end_care", "issue_supplies"}),
    "physician": frozenset({"read", "read_clinical", "edit", "set_target", "link_caregiver", "train",
                            "read_training", "report_result", "review", "acknowledge_alert", "order", "clear",
                            "end_care", "issue_supplies"}),
    "trainer": frozenset({"read", "link_caregiver", "train", "read_training", "issue_supplies"}),
    "biller": frozenset({"read", "bill"}),
    "patient": frozenset({"read", "read_clinical", "report_result", "read_training"}),
    "caregiver": frozenset({"read", "read_clinical", "report_result", "read_training"}),
}


# What a covering physician may do for a colleague's patients: see the results, take the alert, review.
COVERING_ACTIONS = frozenset({"read", "read_clinical", "review", "acknowledge_alert"})


def covers(session: Session, user: User, patient: Patient) -> bool:
    """Whether `user` is the covering physician named for the patient's physician of record."""
    return session.scalar(select(exists().where(CoveringPhysician.physician_id == patient.physician_id,
                                                CoveringPhysician.covering_id == user.id))) or False


def _active_link(user_id, patient_id, now: datetime):
    return and_(
        CaregiverLink.caregiver_id == user_id,
        CaregiverLink.patient_id == patient_id,
        CaregiverLink.starts_at <= now,
        or_(CaregiverLink.ends_at.is_(None), CaregiverLink.ends_at > now),
    )


def reachable_patients(user: User, now: datetime) -> Select[tuple[Patient]]:
    """A query for the patients `user` may see at all, for listings."""
    query = select(Patient)
    if user.role == "physician":
        return query.where(Patient.physician_id == user.id)
    if user.role == "patient":
        return query.where(Patient.user_id == user.id)
    if user.role == "caregiver":
        return query.where(exists().where(_active_link(user.id, Patient.id, now)))
    return query  # admin, trainer, biller: clinic-wide


def may(session: Session, user: User, patient: Patient, action: str, now: datetime) -> bool:
    if action not in PERMISSIONS.get(user.role, frozenset()):
        return False
    if user.role == "physician":
        return patient.physician_id == user.id or (action in COVERING_ACTIONS and covers(session, user, patient))
    if user.role == "patient":
        return patient.user_id == user.id
    if user.role == "caregiver":
        return session.scalar(select(exists().where(_active_link(user.id, patient.id, now)))) or False
    return True


def patient_for(session: Session, user: User, patient_id: uuid.UUID, action: str, now: datetime) -> Patient:
    """Load a patient the caller may act on, or answer 404 (audited) whether it is missing or not theirs."""
    patient = session.scalar(select(Patient).where(Patient.public_id == patient_id))
    if patient is None or not may(session, user, patient, action, now):
        audit.record_alone(current_app.extensions["db_sessionmaker"], f"patient.{action}", outcome="refused",
                           actor=user, patient_id=patient_id, object_type="patient", object_id=patient_id, now=now)
        raise NotFound("patient")
    return patient

