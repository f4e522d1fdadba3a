"""Outbox delivery: each message POSTed as signed JSON to the configured webhook, retried with back-off."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DeliveryAttempt, OutboxMessage, User

SIGNATURE_HEADER = "X-INR-Signature"
TIMESTAMP_HEADER = "X-INR-Timestamp"
MAX_BACKOFF = timedelta(hours=6)


def sign(secret: str, body: bytes) -> str:
    """The signature header value: "sha256=" and the hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failure, at most 6 hours: never given up, so nothing is lost."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def deliver_outbox(session: Session, now: datetime, *, url: str, secret: str, timeout: float = 10.0,
                   limit: int = 100) -> dict:
    """Send due messages one at a time, each in its own transaction holding its row lock.

    On PostgreSQL the row is taken with FOR UPDATE SKIP LOCKED, so a second deliverer running at the same
    moment takes other messages and never sends the same one; a failed send moves next_attempt_at on.
    """
    if not url or not secret:
        return {"delivered": 0, "failed": 0, "skipped": "INR_WEBHOOK_URL or INR_WEBHOOK_SECRET not set"}
    delivered = failed = 0
    for _ in range(limit):
        query = (select(OutboxMessage)
                 .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= now)
                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        message = session.scalar(query)
        if message is None:
            break
        status, error = _post(url, secret, _body(session, message, now), now, message, timeout)
        succeeded = status is not None and 200 <= status < 300
        session.add(DeliveryAttempt(message_id=message.id, attempted_at=now, succeeded=succeeded,
                                    status_code=status, error=error))
        message.attempts += 1
        if succeeded:
            message.delivered_at = now
            delivered += 1
        else:
            message.next_attempt_at = now + backoff(message.attempts)
            failed += 1
        session.commit()
    session.commit()
    return {"delivered": delivered, "failed": failed}


def _body(session: Session, message: OutboxMessage, now: datetime) -> bytes:
    recipient = session.get(User, message.recipient_user_id) if message.recipient_user_id else None
    document = {
        "id": str(message.public_id), "kind": message.kind, "created_at": message.created_at.isoformat(),
        # Inside the signed body, so a receiver can refuse replays of old deliveries.
        "sent_at": now.isoformat(),
        "recipient_id": str(recipient.public_id) if recipient else None, "payload": message.payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _post(url: str, secret: str, body: bytes, now: datetime, message: OutboxMessage,
          timeout: float) -> tuple[int | None, str | None]:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(int(now.timestamp())), "X-INR-Message-Id": str(message.public_id)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL is configuration)
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
