"""Reading the audit trail: the admin's view of who did what to which patient's data (itself an audited read)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from models import AuditEvent, User
from service import audit, policy


def list_events(session: Session, reader: User, filters: dict, now: datetime) -> list[AuditEvent]:
    """Events of the reader's practice matching `filters`, newest first. Reading the trail is recorded in it too."""
    statement = policy.visible_audit_events(reader).order_by(AuditEvent.id.desc()).limit(filters["limit"])
    if "patient_id" in filters:  # events about the patient, and reads that showed them among others (a panel)
        statement = statement.where(audit.naming_patient(filters["patient_id"]))
    for name in ("actor_id", "action", "outcome"):
        if name in filters:
            statement = statement.where(getattr(AuditEvent, name) == filters[name])
    if "since" in filters:
        statement = statement.where(AuditEvent.occurred_at >= filters["since"])
    if "until" in filters:
        statement = statement.where(AuditEvent.occurred_at < filters["until"])
    if "before_id" in filters:
        statement = statement.where(AuditEvent.id < filters["before_id"])
    events = list(session.scalars(statement))
    audit.record(session, "audit.list", detail={k: str(v) for k, v in filters.items()}, now=now)
    session.commit()
    return events
