"""Clearance for home testing: the recorded decision that a patient may self-test, and its revocation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.clinic import Patient
from models.identity import User


class ClearanceDecision(AppendOnly, PublicIdMixin, Base):
    """A physician's (or admin's) decision, from a local date on, with the eligibility evidence it rested on.

    Append-only: revoking clearance is a new decision with status "revoked".
    """

    __tablename__ = "clearance_decisions"
    __table_args__ = (CheckConstraint("status IN ('cleared', 'revoked')", name="status_known"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    effective_on: Mapped[dt.date]  # in the patient's time zone
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[dict] = mapped_column(JSON)  # criterion -> {status, evidence} at decision time
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship()
    decided_by: Mapped[User] = relationship()
