"""Scheduler job: escalate alerts nobody acknowledged in time to the covering physician, then the practice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.alerts import EscalationDelays, escalate_due


def escalate_overdue_alerts(session: Session, now: datetime, delays: EscalationDelays) -> dict:
    """Escalate every overdue alert one level. The scheduler claims the minute first (schedules.jobs); each
    escalation is also a conditional update with its own outbox key, so an overlapping run is harmless."""
    escalated = escalate_due(session, now, delays)
    return {"escalated": len(escalated),
            "alerts": [{"alert_id": alert_id, "level": level} for alert_id, level in escalated]}
