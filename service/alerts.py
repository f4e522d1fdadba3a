"""The alert aggregate: alerts of a flagged result, of missed tests, of an episode with no valid INR and of an overdue
reassessment; listing, acknowledging, resolving and escalating them.

Every alert has a natural key (`Alert.alert_key`, unique): a retried result, a re-run job or a second scheduler
finds the alert already there and opens nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Row, Select, and_, bindparam, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from models import Alert, AlertEvent, CoveringPhysician, InrResult, Patient, Review, User
from service import audit, outbox, policy
from service.errors import Conflict, invalid
from service.rules.flags import InrFlag
from service.rules.no_valid_result import Episode

_SEVERITY_ORDER = case((Alert.severity == "critical", 0), (Alert.severity == "out_of_range", 1), else_=2)
PRACTICE_LEVEL = 2  # level 1: the covering physician (or the practice when none); level 2: the practice
ROUTINE = "routine"


def result_key(result: InrResult) -> str:
    return f"result:{result.public_id}"


def open_alert(session: Session, patient: Patient, result: InrResult, flag: InrFlag, now: datetime) -> Alert:
    """Open the alert of a flagged result and queue the physician's notification, in the caller's transaction."""
    # Its public id is set here rather than at the insert, so the notification can name it and the alert, its
    # event, the notification and the audit event go to the database in one flush with the rest of the request.
    alert = Alert(public_id=uuid.uuid4(), kind="result", alert_key=result_key(result), result_id=result.id,
                  patient_id=patient.id, physician_id=patient.physician_id, severity=flag.severity, level=flag.level,
                  opened_at=now, status="open", escalation_level=0)
    session.add(alert)
    _opened(session, alert, patient, result, now)
    return alert


def _opened(session: Session, alert: Alert, patient: Patient, result: InrResult | None, now: datetime,
            notify: bool = True) -> None:
    _event(session, alert, "opened", None, now, {"severity": alert.severity, "level": alert.level,
                                                 "kind": alert.kind})
    if notify:
        outbox.enqueue(session, key=f"alert.opened:{alert.public_id}", kind="alert.opened", now=now,
                       recipient_user_id=patient.physician_id, patient_id=patient.id,
                       payload=_payload(alert, patient, result), key_is_new=True)
    audit.record(session, "alert.open", patient_id=patient.public_id, object_type="alert",
                 object_id=alert.public_id, detail={"severity": alert.severity, "kind": alert.kind}, now=now)


def _open_once(session: Session, patient: Patient, *, kind: str, key: str, reason: str, detail: dict,
               now: datetime, result: InrResult | None = None, notify: bool = True) -> Alert | None:
    """Open a routine alert under its natural key unless it exists; None when it did (here, or written by another
    process at the same moment: the savepoint takes ours back and the caller's transaction goes on)."""
    if session.scalar(select(Alert.id).where(Alert.alert_key == key)) is not None:
        return None
    alert = Alert(kind=kind, alert_key=key, result_id=result.id if result else None, patient_id=patient.id,
                  physician_id=patient.physician_id, severity=ROUTINE, level=None, reason=reason, detail=detail,
                  opened_at=now, status="open", escalation_level=0)
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return None
    _opened(session, alert, patient, result, now, notify)
    return alert


def open_no_valid_result(session: Session, patient: Patient, episode: Episode, first: InrResult,
                         now: datetime) -> Alert | None:
    """The routine "no valid result" alert of an episode (keyed by its first reading), once."""
    return _open_once(session, patient, kind="no_valid_result", key=f"no_valid_result:{first.public_id}",
                      reason=episode.reason, result=first, now=now,
                      detail={"result_ids": list(episode.result_ids), "since": episode.started_at.isoformat()})


def open_missed_tests(session: Session, patient: Patient, weeks: Sequence[date], reason: str,
                      now: datetime) -> Alert | None:
    """The routine "missed tests" alert of a gap (keyed by its first week), once. Its notification is the
    "alert.missed_tests" message the missed-test job queues (schedules.missed), not a second "alert.opened"."""
    return _open_once(session, patient, kind="missed_tests", key=f"missed_tests:{patient.public_id}:{weeks[0]}",
                      reason=reason, detail={"weeks": [week.isoformat() for week in weeks]}, now=now, notify=False)


def open_reassessment_overdue(session: Session, patient: Patient, due_by: date, suspend_from: date,
                              now: datetime) -> Alert | None:
    """The routine alert that a reassessment of correct use is overdue (keyed by the day it was due), once."""
    return _open_once(session, patient, kind="reassessment_overdue",
                      key=f"reassessment_overdue:{patient.public_id}:{due_by}", reason="reassessment_overdue",
                      detail={"due_by": due_by.isoformat(), "suspends_on": suspend_from.isoformat()}, now=now)


def resolve(session: Session, found: Sequence[Alert], resolution: str, note: str | None, actor: User | None,
            now: datetime, detail: dict | None = None) -> int:
    """Close unresolved alerts with why, in the caller's transaction; returns how many."""
    pending = [alert for alert in found if alert.status != "resolved"]
    for alert in pending:
        alert.status, alert.resolved_at, alert.resolution, alert.resolution_note = "resolved", now, resolution, note
        _event(session, alert, "resolved", actor, now, {"resolution": resolution, "note": note, **(detail or {})})
        audit.record(session, "alert.resolve", patient_id=alert.patient.public_id, object_type="alert",
                     object_id=alert.public_id, detail={"resolution": resolution, **(detail or {})}, now=now)
    return len(pending)


def unresolved(session: Session, patient: Patient, kind: str) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.patient_id == patient.id, Alert.kind == kind,
                                                    Alert.status != "resolved").order_by(Alert.id)))


def _payload(alert: Alert, patient: Patient, result: InrResult | None) -> dict:
    # Identifiers and severity only: the receiver fetches details through the authenticated API.
    return {"alert_id": str(alert.public_id), "patient_id": str(patient.public_id),
            "result_id": str(result.public_id) if result else None, "kind": alert.kind, "severity": alert.severity,
            "level": alert.level}


def _event(session: Session, alert: Alert, kind: str, actor: User | None, now: datetime, detail=None) -> None:
    session.add(AlertEvent(alert=alert, kind=kind, occurred_at=now, actor_id=actor.id if actor else None,
                           detail=detail))


@dataclass(frozen=True, slots=True)
class Shown:
    """An alert as its document shows it (schemas.alerts.alert_document), as plain rows: the alert's columns with
    its patient's, its result's (None without one), the people it names (public_id, full_name) and its review's id.
    Plain rows, not ORM objects: a queue page of 500 alerts built about 1,500 objects only to be read once."""

    alert: Row
    result: Row | None
    physician: Row
    acknowledged_by: Row | None
    escalated_to: Row | None
    review_id: uuid.UUID | None


def _shown(session: Session, statement: Select) -> list[Shown]:
    """The alerts `statement` selects (joined to their patients, ordered and paged as shown), then what they name,
    each looked up by its ids. Not one join: the planner, its statistics older than the newest alerts (which name
    the newest results and reviews), read the whole results table to join a few hundred."""
    alerts = session.execute(statement.with_only_columns(
        Alert.public_id.label("id"), Alert.kind, Alert.severity, Alert.level, Alert.reason, Alert.detail,
        Alert.status, Alert.opened_at, Alert.acknowledged_at, Alert.resolved_at, Alert.resolution,
        Alert.resolution_note, Alert.escalation_level, Alert.escalated_at, Alert.result_id, Alert.physician_id,
        Alert.acknowledged_by_id, Alert.escalated_to_id, Alert.resolved_by_review_id,
        Patient.public_id.label("patient_id"), Patient.full_name.label("patient_name"))).all()

    def by_id(*columns, ids: set) -> dict:
        ids.discard(None)
        if not ids:
            return {}
        model = columns[0].class_
        # The ids written into the statement: as 500 parameters, the driver parsed the statement anew each time.
        written = bindparam("ids", list(ids), expanding=True, literal_execute=True)
        return {row[0]: row for row in session.execute(select(model.id, *columns).where(model.id.in_(written)))}

    results = by_id(InrResult.public_id, InrResult.value, InrResult.comparator, InrResult.measured_at,
                    InrResult.measured_utc_offset_minutes, ids={a.result_id for a in alerts})
    people = by_id(User.public_id, User.full_name, ids={i for a in alerts for i in (
        a.physician_id, a.acknowledged_by_id, a.escalated_to_id)})
    reviews = by_id(Review.public_id, ids={a.resolved_by_review_id for a in alerts})
    return [Shown(a, results.get(a.result_id), people[a.physician_id], people.get(a.acknowledged_by_id),
                  people.get(a.escalated_to_id),
                  reviews[a.resolved_by_review_id].public_id if a.resolved_by_review_id else None) for a in alerts]


def shown(session: Session, alert: Alert) -> Shown:
    """One alert as its document shows it (what the queue lists for it)."""
    [found] = _shown(session, select(Alert).join(Patient, Patient.id == Alert.patient_id).where(Alert.id == alert.id))
    return found


@dataclass(frozen=True)
class AlertListing:
    items: list[Shown]
    counts: dict[str, int]


def list_alerts(session: Session, user: User, filters: dict, now: datetime) -> AlertListing:
    """A page of the alerts `user` may see (policy.visible_alerts), most severe then oldest first, with the
    counts by severity; the page is audited as one event linked to each patient shown."""
    statement = policy.visible_alerts(user, now)
    if "physician_id" in filters:
        statement = statement.join(User, User.id == Patient.physician_id).where(
            User.public_id == filters["physician_id"])
    if "patient_id" in filters:
        statement = statement.where(Patient.public_id == filters["patient_id"])
    statement = statement.where(Alert.status.in_(filters["status"]))
    if "kind" in filters:
        statement = statement.where(Alert.kind == filters["kind"])
    counted = statement
    if "severity" in filters:
        statement = statement.where(Alert.severity == filters["severity"])
    found = _shown(session, statement.order_by(_SEVERITY_ORDER, Alert.opened_at, Alert.id)
                   .limit(filters["limit"]).offset(filters["offset"]))
    counts = {"critical": 0, "out_of_range": 0, ROUTINE: 0}
    visible = counted.with_only_columns(Alert.id, Alert.severity).subquery()
    counts.update(dict(session.execute(select(visible.c.severity, func.count()).group_by(visible.c.severity)).all()))
    # One event for the page, linked to each patient shown, so each patient's trail says who saw their alerts.
    audit.record(session, "alert.list", object_type="alert", detail={"count": len(found)}, now=now,
                 patient_ids=[item.alert.patient_id for item in found])
    session.commit()
    return AlertListing(found, counts)


def acknowledge(session: Session, alert: Alert, actor: User, now: datetime) -> Shown:
    """open -> acknowledged; a conditional update, so two physicians acknowledging at once both see one winner."""
    changed = session.execute(update(Alert).where(Alert.id == alert.id, Alert.status == "open").values(
        status="acknowledged", acknowledged_by_id=actor.id, acknowledged_at=now)).rowcount
    if not changed:
        session.rollback()
        raise Conflict(f"This alert is already {session.get(Alert, alert.id).status}.")
    _event(session, alert, "acknowledged", actor, now)
    audit.record(session, "alert.acknowledge", patient_id=alert.patient.public_id, object_type="alert",
                 object_id=alert.public_id, now=now)
    session.commit()
    return shown(session, alert)


def resolve_for_review(session: Session, review, results: list[InrResult], actor: User, now: datetime) -> int:
    """Resolve the unresolved alerts of reviewed results (a "no valid result" alert by its first reading too), in
    the review's transaction; returns how many."""
    pending = list(session.scalars(select(Alert).where(Alert.result_id.in_([r.id for r in results]),
                                                       Alert.status != "resolved")))
    for alert in pending:
        alert.resolved_by_review_id = review.id
    return resolve(session, pending, "review", None, actor, now, {"review_id": str(review.public_id)})


def covering_physician_of(session: Session, physician_id: int) -> User | None:
    return session.scalar(select(User).join(CoveringPhysician, CoveringPhysician.covering_id == User.id).where(
        CoveringPhysician.physician_id == physician_id, User.active.is_(True)))


@dataclass(frozen=True)
class Covering:
    physician: User
    covering_physician: User | None


def set_covering(session: Session, physician: User, covering_id: uuid.UUID | None, actor: User,
                 now: datetime) -> Covering:
    """Name (or clear, with None) the physician who covers `physician`'s alerts."""
    row = session.scalar(select(CoveringPhysician).where(CoveringPhysician.physician_id == physician.id))
    covering = None
    if covering_id is not None:
        covering = session.scalar(select(User).where(User.public_id == covering_id, User.role == "physician",
                                                     User.practice_id == physician.practice_id,
                                                     User.active.is_(True)))
        if covering is None or covering.id == physician.id:
            raise invalid({"covering_physician_id": ["Another active physician's id is required."]})
    if covering is None and row is not None:
        session.delete(row)
    elif covering is not None and row is None:
        session.add(CoveringPhysician(physician_id=physician.id, covering_id=covering.id, set_by_id=actor.id,
                                      set_at=now))
    elif covering is not None:
        row.covering_id, row.set_by_id, row.set_at = covering.id, actor.id, now
    audit.record(session, "physician.covering.set", object_type="user", object_id=physician.public_id,
                 detail={"covering_physician_id": str(covering.public_id) if covering else None}, now=now)
    session.commit()
    return Covering(physician, covering)


@dataclass(frozen=True)
class EscalationDelays:
    critical: timedelta
    out_of_range: timedelta

    def of(self, severity: str) -> timedelta:
        # Routine alerts (missed tests, no valid result, an overdue reassessment) wait as long as an out-of-range one.
        return self.critical if severity == "critical" else self.out_of_range


def due_for_escalation(now: datetime, delays: EscalationDelays):
    """SQL: the open alerts below the practice level whose current level has waited its delay (`EscalationDelays.of`:
    critical ones their own, every other severity the out-of-range one), oldest first, with patient and result.
    Only these are read: the open alerts still within their delay stay in the database."""
    waited_since = func.coalesce(Alert.escalated_at, Alert.opened_at)
    return (select(Alert)
            .where(Alert.status == "open", Alert.escalation_level < PRACTICE_LEVEL,
                   or_(and_(Alert.severity == "critical", waited_since <= now - delays.critical),
                       and_(Alert.severity != "critical", waited_since <= now - delays.out_of_range)))
            .options(selectinload(Alert.patient), selectinload(Alert.result))
            .order_by(Alert.opened_at, Alert.id))


def escalate_due(session: Session, now: datetime, delays: EscalationDelays) -> list[tuple[str, int]]:
    """Escalate each open, unacknowledged alert whose current level has waited past its delay, one level.

    The UPDATE is conditional on the level read, so of two processes escalating together only one wins;
    the outbox key carries the level, so a message can never be queued twice for the same step.
    """
    escalated = []
    for alert in session.scalars(due_for_escalation(now, delays)).all():
        old_level = alert.escalation_level
        covering = covering_physician_of(session, alert.patient.physician_id) if old_level == 0 else None
        new_level = 1 if covering is not None else PRACTICE_LEVEL
        changed = session.execute(update(Alert).where(
            Alert.id == alert.id, Alert.status == "open", Alert.escalation_level == old_level).values(
            escalation_level=new_level, escalated_at=now, escalated_to_id=covering.id if covering else None)
            # Not "evaluate": matching the WHERE against every alert in the session, once per alert, made a run
            # over N due alerts take N² steps. The escalation columns of this one are reloaded if read again.
            .execution_options(synchronize_session=False)).rowcount
        if not changed:
            session.rollback()
            continue
        session.expire(alert, ["escalation_level", "escalated_at", "escalated_to_id"])
        target = "covering_physician" if covering else "practice"
        _event(session, alert, "escalated", None, now, {"level": new_level, "to": target})
        outbox.enqueue(session, key=f"alert.escalated:{alert.public_id}:{new_level}", kind="alert.escalated",
                       now=now, recipient_user_id=covering.id if covering else None, patient_id=alert.patient_id,
                       payload={**_payload(alert, alert.patient, alert.result), "escalation_level": new_level,
                                "to": target})
        audit.record(session, "alert.escalate", patient_id=alert.patient.public_id, object_type="alert",
                     object_id=alert.public_id, detail={"level": new_level, "to": target}, now=now)
        session.commit()
        escalated.append((str(alert.public_id), new_level))
    return escalated
