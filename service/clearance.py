"""Home-testing clearance as the billing rules need it: the local date periods a patient was cleared."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ClearanceDecision, Patient
from service.rules.counting import ClearancePeriod

_ONE_DAY = timedelta(days=1)


def clearance_periods(session: Session, patient: Patient) -> list[ClearancePeriod]:
    """Fold the decisions, in the order they take effect, into periods: cleared until the day before a
    revocation takes effect (the revocation day itself is not cleared)."""
    decisions = session.scalars(
        select(ClearanceDecision).where(ClearanceDecision.patient_id == patient.id)
        .order_by(ClearanceDecision.effective_on, ClearanceDecision.id))
    periods: list[ClearancePeriod] = []
    open_since = None
    for decision in decisions:
        if decision.status == "cleared" and open_since is None:
            open_since = decision.effective_on
        elif decision.status == "revoked" and open_since is not None:
            if decision.effective_on > open_since:
                periods.append(ClearancePeriod(open_since, decision.effective_on - _ONE_DAY))
            open_since = None
    if open_since is not None:
        periods.append(ClearancePeriod(open_since, None))
    return periods

