"""Daily claim generation: every claim line due by now, recorded once (see service.billing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service import billing


def generate_claims(session: Session, now: datetime, settings: billing.BillingSettings | None = None) -> dict:
    return billing.generate_claims(session, now, settings)
