"""Outbox delivery: each message POSTed as signed JSON to the configured webhook, retried with back-off, most
urgent first. Delivery is at least once: every delivery of a message is byte-identical (body, signature and
headers), so a receiver dedupes on X-INR-Message-Id."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import DeliveryAttempt, OutboxMessage, User

SIGNATURE_HEADER = "X-INR-Signature"
TIMESTAMP_HEADER = "X-INR-Timestamp"
MESSAGE_ID_HEADER = "X-INR-Message-Id"
MAX_BACKOFF = timedelta(hours=6)
# With messages waiting and no attempt for this long, the most urgent one is tried ahead of its back-off: the
# receiver may be back, and then everything waiting goes out at once.
PROBE_AFTER = timedelta(minutes=5)


def sign(secret: str, body: bytes) -> str:
    """The signature header value: "sha256=" and the hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failure, at most 6 hours: never given up, so nothing is lost."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def deliver_outbox(session: Session, now: datetime, *, url: str, secret: str, timeout: float = 10.0,
                   limit: int = 100, probe_after: timedelta = PROBE_AFTER) -> dict:
    """Send due messages one at a time, most urgent first (priority, then due time), each in its own
    transaction holding its row lock.

    Each message backs off on its own while the receiver fails. Once a delivery succeeds the receiver is back, so
    every message still waiting is due at once: the rest go out in this run, critical alerts first. When nothing
    is due but messages wait and nothing was tried for `probe_after`, the most urgent one is tried early.

    On PostgreSQL the row is taken with FOR UPDATE SKIP LOCKED, so a second deliverer running at the same
    moment takes other messages and never sends the same one; a failed send moves next_attempt_at on.
    """
    if not url or not secret:
        return {"delivered": 0, "failed": 0, "skipped": "INR_WEBHOOK_URL or INR_WEBHOOK_SECRET not set"}
    delivered = failed = 0
    probe = _quiet_for(session, now, probe_after)
    for _ in range(limit):
        message = _next(session, now, due_only=not probe)
        probe = False
        if message is None:
            break
        if message.body is None:  # fixed at the first attempt: every redelivery sends these very bytes
            message.body = _body(session, message)
        body = message.body.encode()
        status, error = _post(url, secret, body, message, timeout)
        succeeded = status is not None and 200 <= status < 300
        session.add(DeliveryAttempt(message_id=message.id, attempted_at=now, succeeded=succeeded,
                                    status_code=status, error=error))
        message.attempts += 1
        if succeeded:
            message.delivered_at = now
            delivered += 1
            if delivered == 1:
                _receiver_is_back(session, now)
        else:
            message.next_attempt_at = now + backoff(message.attempts)
            failed += 1
        session.commit()
    session.commit()
    return {"delivered": delivered, "failed": failed}


def _next(session: Session, now: datetime, due_only: bool) -> OutboxMessage | None:
    query = (select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
             .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
    if due_only:
        query = query.where(OutboxMessage.next_attempt_at <= now)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)


def _quiet_for(session: Session, now: datetime, probe_after: timedelta) -> bool:
    """Whether the last delivery attempt (of any message) is older than `probe_after`, or there was none."""
    last = session.scalar(select(DeliveryAttempt.attempted_at).order_by(DeliveryAttempt.id.desc()).limit(1))
    return last is None or now - last >= probe_after


def _receiver_is_back(session: Session, now: datetime) -> None:
    """A delivery succeeded: the back-off of every waiting message is over (they are sent in priority order).

    Rows another deliverer holds are skipped rather than waited for: it is sending them, and two deliverers
    each waiting for the other's row would deadlock."""
    waiting = select(OutboxMessage.id).where(OutboxMessage.delivered_at.is_(None),
                                             OutboxMessage.next_attempt_at > now)
    if session.get_bind().dialect.name == "postgresql":
        waiting = waiting.with_for_update(skip_locked=True)
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(waiting))
                    .values(next_attempt_at=now).execution_options(synchronize_session=False))


def _body(session: Session, message: OutboxMessage) -> str:
    """The JSON document of `message`: only what never changes, so building it twice gives the same text."""
    recipient = session.get(User, message.recipient_user_id) if message.recipient_user_id else None
    document = {
        # created_at, inside the signed body, lets a receiver refuse a replay of a very old message.
        "id": str(message.public_id), "kind": message.kind, "created_at": message.created_at.isoformat(),
        "recipient_id": str(recipient.public_id) if recipient else None, "payload": message.payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _post(url: str, secret: str, body: bytes, message: OutboxMessage,
          timeout: float) -> tuple[int | None, str | None]:
    # Every header is a function of the message alone: a redelivery is byte-identical to the first delivery.
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(int(message.created_at.timestamp())), MESSAGE_ID_HEADER: str(message.public_id)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL is configuration)
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
