"""Scheduler job: escalate alerts nobody acknowledged in time to the covering physician, then the practice."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from service.alerts import EscalationDelays, escalate_due

def delays_from_environment() -> EscalationDelays:
    return EscalationDelays(
        critical=timedelta(minutes=int(os.environ.get("INR_ESCALATE_CRITICAL_MINUTES", "30"))),
        out_of_range=timedelta(minutes=int(os.environ.get("INR_ESCALATE_OUT_OF_RANGE_MINUTES", "1440"))),
    )


def escalate_overdue_alerts(session: Session, now: datetime, delays: EscalationDelays | None = None) -> dict:
    """Escalate every overdue alert one level. The scheduler claims the minute first (schedules.jobs); each
    escalation is also a conditional update with its own outbox key, so an overlapping run is harmless."""
    escalated = escalate_due(session, now, delays or delays_from_environment())
    return {"escalated": len(escalated),
            "alerts": [{"alert_id": alert_id, "level": level} for alert_id, level in escalated]}
