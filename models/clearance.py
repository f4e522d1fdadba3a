"""Clearance for home testing: the recorded decision that a patient may self-test, and its revocation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.clinic import Patient
from models.identity import User


class ClearanceDecision(AppendOnly, PublicIdMixin, Base):
    """A physician's (or admin's) decision, from a local date on, with the eligibility evidence it rested on.

    Append-only: revoking clearance is a new decision with status "revoked". A "suspended" decision pauses it
    (NCD criterion 3: a reassessment signed "not yet competent", or one overdue past its grace); a new "cleared"
    decision ends the pause.
    """

    __tablename__ = "clearance_decisions"
    __table_args__ = (
        CheckConstraint("status IN ('cleared', 'revoked', 'suspended')", name="status_known"),
        # Each decision takes the next number in the patient's history: two decisions made at the same
        # moment on the same history cannot both be stored (the second answers 409).
        UniqueConstraint("patient_id", "sequence", name="uq_clearance_decisions_patient_sequence"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    sequence: Mapped[int]
    status: Mapped[str] = mapped_column(String(10))
    effective_on: Mapped[dt.date]  # in the patient's time zone
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduler
    reason: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[dict] = mapped_column(JSON)  # criterion -> {status, evidence} at decision time
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship()
    decided_by: Mapped[User | None] = relationship()
