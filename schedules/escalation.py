"""Scheduler job: escalate alerts nobody acknowledged in time to the covering physician, then the practice."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from schedules.runs import claim_run, finish_run
from service.alerts import EscalationDelays, escalate_due

JOB = "escalate_overdue_alerts"


def delays_from_environment() -> EscalationDelays:
    return EscalationDelays(
        critical=timedelta(minutes=int(os.environ.get("INR_ESCALATE_CRITICAL_MINUTES", "30"))),
        out_of_range=timedelta(minutes=int(os.environ.get("INR_ESCALATE_OUT_OF_RANGE_MINUTES", "1440"))),
    )


def escalate_overdue_alerts(session: Session, now: datetime, delays: EscalationDelays | None = None) -> dict:
    """Run once per minute-period; each escalation is itself conditional and keyed, so overlaps are harmless."""
    run = claim_run(session, JOB, now.strftime("%Y-%m-%dT%H:%M"), now)
    if run is None:
        return {"claimed": False, "escalated": 0}
    escalated = escalate_due(session, now, delays or delays_from_environment())
    outcome = {"claimed": True, "escalated": len(escalated),
               "alerts": [{"alert_id": alert_id, "level": level} for alert_id, level in escalated]}
    finish_run(session, run, now, outcome)
    return outcome
