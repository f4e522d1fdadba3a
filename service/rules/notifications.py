"""Which notifications go out first when several wait: the order the outbox delivers them in."""

from __future__ import annotations

CRITICAL, ALERT, ROUTINE = 0, 1, 2  # lower goes first


def delivery_priority(kind: str, payload: dict) -> int:
    """Critical alerts (opened or escalated) first, then other alerts for the clinic, then reminders and the rest.

    After an outage of the receiver, this is the order in which the waiting messages are sent.
    """
    if kind.startswith("alert."):
        return CRITICAL if payload.get("severity") == "critical" else ALERT
    return ROUTINE
