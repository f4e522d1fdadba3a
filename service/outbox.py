"""Queueing notifications in the outbox, in the same transaction as the change that causes them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import OutboxMessage
from service import db
from service.rules.notifications import delivery_priority


def enqueue(session: Session, *, key: str, kind: str, payload: dict, now: datetime, recipient_user_id=None,
            patient_id=None, key_is_new: bool = False) -> OutboxMessage:
    """Add a message unless one with the same natural `key` exists (then return that one).

    The unique key is what makes a re-run job or a retried request harmless; a concurrent insert of the
    same key fails at commit on the unique constraint, and the caller's transaction retries or gives up.
    `key_is_new`: the key names a row this transaction just created (a new alert), so nothing can hold it yet
    and the lookup is skipped (the constraint still guards it).
    """
    existing = None if key_is_new else session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(dedupe_key=key, kind=kind, payload=payload, created_at=now, next_attempt_at=now,
                            recipient_user_id=recipient_user_id, patient_id=patient_id,
                            priority=delivery_priority(kind, payload))
    session.add(message)
    return message


def enqueue_many(session: Session, messages: list[dict], now: datetime) -> set[str]:
    """Add many messages (dicts of dedupe_key, kind, payload, recipient_user_id, patient_id) in a few statements;
    a key that exists already, or that a concurrent transaction is writing, is left alone.

    Returns the keys this call added. Same rule as `enqueue`, but set-based for jobs over a whole clinic.
    """
    rows = [{"public_id": uuid.uuid4(), "created_at": now, "next_attempt_at": now, "attempts": 0,
             "recipient_user_id": None, "patient_id": None,
             "priority": delivery_priority(message["kind"], message["payload"]), **message} for message in messages]
    return db.insert_new(session, OutboxMessage.__table__, rows, "dedupe_key")
