"""Who reaches what, decided in one place: role checks, one loader per kind of object, and listing scopes.

Access follows relationships, always inside one practice: nobody reaches a person or a patient of another
practice on the same server. A patient reaches their own record, a caregiver the patients linked to them
while the link is active, a physician the patients they are physician of record for (and, for a few
actions, those of a colleague they cover). Administrators, trainers and billers work practice-wide but only on
what their work needs. Anything else is answered 404, as if it did not exist, and the refusal is audited.

The loaders are the second step of every view: they take the ids from the path, answer 404 (audited) for
what the caller may not reach, and, for a read, record the access in the audit trail and commit it before
anything is disclosed. Listings across patients get their scope here (`reachable_patients`, `visible_alerts`,
`visible_users`); the domain call that lists records one audit event per patient it shows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session, joinedload

from models import (
    Alert,
    AuditEvent,
    CareEpisodeEvent,
    CaregiverLink,
    ClaimGenerationRun,
    ClaimLine,
    CoveringPhysician,
    EligibilityFact,
    ExportBatch,
    InrResult,
    Patient,
    Review,
    TrainingSession,
    User,
)
from service import audit, clock, db
from service.errors import NotFound, Problem

# What each role may do with a patient it can reach. "read": the core record; "read_clinical": results,
# alerts, reviews, instructions; "report_result": post a home INR; "edit": demographics and indications;
# "set_target": the target range (a physician's order); "link_caregiver"; "train": training records;
# "read_training": training progress; "bill": claim lines; "review": review results and instruct;
# "acknowledge_alert": take ownership of an alert; "order": the home-testing order and eligibility facts
# (a physician's statements); "propose_fact": an eligibility fact for the physician to confirm (a trainer
# gathers them at intake); "clear": decide home-testing clearance; "end_care": record discharge, death
# or loss of coverage; "issue_supplies": record test supplies handed out; "em_visit": record the E/M visits that
# rule out a 93793 (staff and billers, from the practice management system); "correct_result": replace a result
# by a correction (staff any result; a patient or caregiver only their own entry, within a window: the domain
# decides that part, service.rules.entries); "import_history": bring in past results from another system (the
# physician of record and admins: clinical records staff vouch for; a trainer records training done elsewhere with
# "train").
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "read_clinical", "edit", "link_caregiver", "train", "read_training", "bill",
                        "report_result", "correct_result", "acknowledge_alert", "clear", "end_care",
                        "issue_supplies", "em_visit", "import_history"}),
    "physician": frozenset({"read", "read_clinical", "edit", "set_target", "link_caregiver", "train",
                            "read_training", "report_result", "correct_result", "review", "acknowledge_alert",
                            "order", "propose_fact", "clear", "end_care", "issue_supplies", "em_visit",
                            "import_history"}),
    "trainer": frozenset({"read", "link_caregiver", "train", "read_training", "issue_supplies", "propose_fact"}),
    "biller": frozenset({"read", "bill", "em_visit"}),
    "patient": frozenset({"read", "read_clinical", "report_result", "correct_result", "read_training"}),
    "caregiver": frozenset({"read", "read_clinical", "report_result", "correct_result", "read_training"}),
}

# What a covering physician may do for a colleague's patients: see the results, take the alert, review.
COVERING_ACTIONS = frozenset({"read", "read_clinical", "review", "acknowledge_alert"})

# Roles that see the staff directory (caregivers and physicians, to link and to name them).
DIRECTORY_ROLES = ("physician", "trainer")


# --- roles ---------------------------------------------------------------------------------------------


def roles(*allowed: str):
    """Refuse (403, audited) callers whose role is not among `allowed`; the first check of a view."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.user.role not in allowed:
                # The patient named in the path belongs in the trail: it is whose record was reached for.
                patient_id = kwargs.get("patient_id")
                _refused("access.refused", patient_id=patient_id, object_type="patient" if patient_id else None,
                         object_id=patient_id, detail={"endpoint": request.endpoint})
                raise Problem(403, "Forbidden", "Your role does not allow this action.", kind="forbidden")
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed
        return wrapped

    return decorate


# --- the rule ------------------------------------------------------------------------------------------


def covers(session: Session, user: User, patient: Patient) -> bool:
    """Whether `user` is the covering physician named for the patient's physician of record."""
    return session.scalar(select(exists().where(CoveringPhysician.physician_id == patient.physician_id,
                                                CoveringPhysician.covering_id == user.id))) or False


def active_link(user_id, patient_id, now: datetime):
    """SQL: the caregiver `user_id` has a link to the patient that is in force at `now`."""
    return and_(
        CaregiverLink.caregiver_id == user_id,
        CaregiverLink.patient_id == patient_id,
        CaregiverLink.starts_at <= now,
        or_(CaregiverLink.ends_at.is_(None), CaregiverLink.ends_at > now),
    )


def may(session: Session, user: User, patient: Patient, action: str, now: datetime) -> bool:
    """Whether `user` may do `action` with `patient` at `now`: the rule every loader and listing follows."""
    if action not in PERMISSIONS.get(user.role, frozenset()) or patient.practice_id != user.practice_id:
        return False
    if user.role == "physician":
        return patient.physician_id == user.id or (action in COVERING_ACTIONS and covers(session, user, patient))
    if user.role == "patient":
        return patient.user_id == user.id
    if user.role == "caregiver":
        return session.scalar(select(exists().where(active_link(user.id, patient.id, now)))) or False
    return True


def reachable_patients(user: User, now: datetime, action: str = "read") -> Select[tuple[Patient]]:
    """A query for the patients `user` may do `action` with: `may` as SQL, for listings."""
    query = select(Patient).where(Patient.practice_id == user.practice_id)
    if action not in PERMISSIONS.get(user.role, frozenset()):
        return query.where(False)
    if user.role == "physician":
        own = Patient.physician_id == user.id
        if action not in COVERING_ACTIONS:
            return query.where(own)
        # The physicians `user` covers, read once (a hashed subquery), not once per patient of the practice.
        covered = select(CoveringPhysician.physician_id).where(CoveringPhysician.covering_id == user.id)
        return query.where(or_(own, Patient.physician_id.in_(covered)))
    if user.role == "patient":
        return query.where(Patient.user_id == user.id)
    if user.role == "caregiver":
        return query.where(exists().where(active_link(user.id, Patient.id, now)))
    return query  # admin, trainer, biller: practice-wide


def visible_alerts(user: User, now: datetime) -> Select[tuple[Alert]]:
    """Alerts of the patients whose results `user` may read: the same rule as acknowledging one."""
    patients = reachable_patients(user, now, "read_clinical").with_only_columns(Patient.id)
    return select(Alert).join(Patient, Patient.id == Alert.patient_id).where(Patient.id.in_(patients))


def visible_users(user: User) -> Select[tuple[User]]:
    """Admins see every account of their practice; physicians and trainers look up its caregivers and physicians
    to link them."""
    query = select(User).where(User.practice_id == user.practice_id)
    if user.role == "admin":
        return query
    if user.role in DIRECTORY_ROLES:
        return query.where(User.role.in_(("caregiver", "physician")))
    return query.where(User.id == user.id)


def own_practice(model, user: User):
    """The clause that keeps a practice-owned record (claim lines, export batches, patients) to `user`'s practice:
    two practices on one server never see each other's."""
    return model.practice_id == user.practice_id


def visible_audit_events(user: User) -> Select[tuple[AuditEvent]]:
    """The trail of the admin's practice: what its people did, and what the system did to its patients."""
    own_patients = select(Patient.public_id).where(own_practice(Patient, user))
    return select(AuditEvent).where(or_(own_practice(AuditEvent, user), AuditEvent.patient_id.in_(own_patients)))


# --- loaders -------------------------------------------------------------------------------------------

# A patient is loaded with the zones and target ranges every rule about their dates and values needs, in one
# statement (the token's, when the path names the patient: service.identity.user_and_patient).
PATIENT_RULES = (joinedload(Patient.time_zone_versions), joinedload(Patient.target_ranges))


def patient(patient_id: uuid.UUID, action: str, *, read: str | None = None) -> Patient:
    """The patient the caller may do `action` with, or 404 (audited) whether missing or not theirs.

    `read` names the access in the audit trail when the view discloses the patient's data; it is committed
    before anything is returned.
    """
    session, user, now = db.session(), g.user, clock.now()
    preloaded = g.pop("path_patient", None)
    if preloaded is not None and preloaded[0] == patient_id:
        found = preloaded[1]  # read with the caller's token (service.auth), authorized below all the same
    else:
        found = session.scalars(select(Patient).options(*PATIENT_RULES)
                                .where(Patient.public_id == patient_id)).unique().one_or_none()
    if found is None or not may(session, user, found, action, now):
        _refused(f"patient.{action}", patient_id=patient_id, object_type="patient", object_id=patient_id)
        raise NotFound("patient")
    if read:
        _record_read(session, read, found, "patient", found.public_id)
    return found


def result(patient_id: uuid.UUID, result_id: uuid.UUID, action: str, *, read: str | None = None) -> InrResult:
    """One result of a patient the caller may do `action` with."""
    owner = patient(patient_id, action)
    return _part_of(owner, InrResult, result_id, "result", read)


def review(patient_id: uuid.UUID, review_id: uuid.UUID, action: str, *, read: str | None = None) -> Review:
    owner = patient(patient_id, action)
    return _part_of(owner, Review, review_id, "review", read)


def caregiver_link(patient_id: uuid.UUID, link_id: uuid.UUID, action: str) -> CaregiverLink:
    owner = patient(patient_id, action)
    return _part_of(owner, CaregiverLink, link_id, "caregiver link", None)


def training_session(patient_id: uuid.UUID, session_id: uuid.UUID, action: str, *,
                     read: str | None = None) -> TrainingSession:
    owner = patient(patient_id, action)
    return _part_of(owner, TrainingSession, session_id, "training session", read)


def eligibility_fact(patient_id: uuid.UUID, fact_id: uuid.UUID, action: str) -> EligibilityFact:
    owner = patient(patient_id, action)
    return _part_of(owner, EligibilityFact, fact_id, "eligibility fact", None)


def _part_of(owner: Patient, model, public_id: uuid.UUID, what: str, read: str | None):
    """A record that belongs to `owner` (already authorized); another patient's is as missing as none."""
    session = db.session()
    found = session.scalar(select(model).where(model.public_id == public_id, model.patient_id == owner.id))
    if found is None:
        raise NotFound(what)
    if read:
        _record_read(session, read, owner, what.replace(" ", "_"), found.public_id)
    return found


def alert(alert_id: uuid.UUID, action: str, *, read: str | None = None) -> Alert:
    """An alert whose patient the caller may do `action` with (the patient rule, covering included)."""
    session, user, now = db.session(), g.user, clock.now()
    found = session.scalar(select(Alert).where(Alert.public_id == alert_id))
    if found is None or not may(session, user, found.patient, action, now):
        _refused(f"alert.{action}", patient_id=found.patient.public_id if found else None, object_type="alert",
                 object_id=alert_id)
        raise NotFound("alert")
    if read:
        _record_read(session, read, found.patient, "alert", found.public_id)
    return found


def claim_line(claim_id: uuid.UUID, action: str = "bill") -> ClaimLine:
    session, user, now = db.session(), g.user, clock.now()
    found = session.scalar(select(ClaimLine).where(ClaimLine.public_id == claim_id))
    if found is None or not may(session, user, found.patient, action, now):
        _refused(f"claim.{action}", patient_id=found.patient.public_id if found else None,
                 object_type="claim_line", object_id=claim_id)
        raise NotFound("claim line")
    return found


def care_event(patient_id: uuid.UUID, event_id: uuid.UUID, action: str, *,
               read: str | None = None) -> CareEpisodeEvent:
    owner = patient(patient_id, action)
    return _part_of(owner, CareEpisodeEvent, event_id, "care event", read)


def _billing_record(model, what: str, public_id: uuid.UUID, action: str):
    """A billing record beyond one patient (an export batch of the caller's practice, a generation run over all):
    billers and admins reach them (the role check says who)."""
    session = db.session()
    found = session.scalar(select(model).where(model.public_id == public_id))
    foreign = getattr(found, "practice_id", g.user.practice_id) != g.user.practice_id
    if found is None or foreign or action not in PERMISSIONS.get(g.user.role, frozenset()):
        _refused(f"{what.replace(' ', '_')}.{action}", object_type=what.replace(" ", "_"), object_id=public_id)
        raise NotFound(what)
    return found


def export_batch(batch_id: uuid.UUID, action: str = "bill") -> ExportBatch:
    return _billing_record(ExportBatch, "export batch", batch_id, action)


def generation_run(run_id: uuid.UUID, action: str = "bill") -> ClaimGenerationRun:
    return _billing_record(ClaimGenerationRun, "generation run", run_id, action)


def physician(physician_id: uuid.UUID, action: str) -> User:
    """A physician's account: "read_panel" (their patients' figures) reaches only the physician themselves or
    an admin; "set_covering" is an admin's (the role check says so)."""
    session, user = db.session(), g.user
    found = session.scalar(select(User).where(User.public_id == physician_id, User.role == "physician",
                                              User.practice_id == user.practice_id))
    if found is None or (action == "read_panel" and user.role != "admin" and found.id != user.id):
        _refused(f"physician.{action}", object_type="user", object_id=physician_id)
        raise NotFound("physician")
    return found


def account(user_id: uuid.UUID, action: str) -> User:
    """A user's account, for an administrator to manage ("administer")."""
    found = db.session().scalar(select(User).where(User.public_id == user_id,
                                                   User.practice_id == g.user.practice_id))
    if found is None or g.user.role != "admin":
        _refused(f"user.{action}", object_type="user", object_id=user_id)
        raise NotFound("user")
    return found


# What each kind of object is loaded with, and the path parameters that name it.
LOADERS = {
    "patient": (patient, ("patient_id",)),
    "result": (result, ("patient_id", "result_id")),
    "review": (review, ("patient_id", "review_id")),
    "caregiver_link": (caregiver_link, ("patient_id", "link_id")),
    "training_session": (training_session, ("patient_id", "session_id")),
    "eligibility_fact": (eligibility_fact, ("patient_id", "fact_id")),
    "alert": (alert, ("alert_id",)),
    "claim_line": (claim_line, ("claim_id",)),
    "care_event": (care_event, ("patient_id", "event_id")),
    "export_batch": (export_batch, ("batch_id",)),
    "generation_run": (generation_run, ("run_id",)),
    "physician": (physician, ("physician_id",)),
    "user": (account, ("user_id",)),
}


def loads(kind: str, action: str, *, read: str | None = None):
    """Load the object the path names through its loader, before anything else of the request is read: the
    view receives the object (as `kind`) in place of its ids.

    Authorization comes before parsing, so a caller who may not reach a patient gets the same 404 whatever
    they sent, and the refusal is on record.
    """
    loader, parameters = LOADERS[kind]

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            ids = [kwargs.pop(name) for name in parameters]
            kwargs[kind] = loader(*ids, action, read=read) if read else loader(*ids, action)
            return view(*args, **kwargs)

        return wrapped

    return decorate


# --- the trail -----------------------------------------------------------------------------------------


def _record_read(session: Session, action: str, owner: Patient, object_type: str, object_id) -> None:
    audit.record(session, action, patient_id=owner.public_id, object_type=object_type, object_id=object_id,
                 now=clock.now())
    session.commit()


def _refused(action: str, **details) -> None:
    # Its own transaction: the request's will roll back, the refusal must stay on record.
    audit.record_alone(current_app.extensions["db_sessionmaker"], action, outcome="refused", actor=g.user,
                       now=clock.now(), **details)
