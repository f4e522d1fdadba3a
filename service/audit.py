"""Writing the audit trail: one call, in the caller's transaction, for every read or change of patient data."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from models import AuditEvent


def record(session: Session, action: str, *, outcome: str = "success", patient_id: uuid.UUID | None = None,
           object_type: str | None = None, object_id: Any = None, detail: dict | None = None,
           actor=None, now: datetime | None = None) -> AuditEvent:
    """Add an audit event to `session`; it commits (or rolls back) with the action it describes.

    The actor defaults to the authenticated user of the current request; scheduler jobs pass none
    and are recorded as the system.
    """
    request_id = client = None
    if has_request_context():
        actor = actor if actor is not None else g.get("user")
        request_id = g.get("request_id")
        client = request.remote_addr
    event = AuditEvent(
        occurred_at=now or datetime.now(timezone.utc),
        actor_id=actor.public_id if actor is not None else None,
        actor_role=actor.role if actor is not None else "system",
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        patient_id=patient_id,
        practice_id=actor.practice_id if actor is not None else None,
        request_id=request_id,
        client_address=client,
        detail=detail,
    )
    session.add(event)
    return event


def record_alone(session_factory, action: str, **kwargs) -> None:
    """Record an event in its own transaction: for refusals and failures, whose request rolls back."""
    with session_factory() as own:
        record(own, action, **kwargs)
        own.commit()
