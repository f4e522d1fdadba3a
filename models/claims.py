"""The claim ledger: claim lines, their status events, and the supply issues and discharges billing reads."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.clinic import Patient
from models.identity import User


class ClaimLine(AppendOnly, PublicIdMixin, Base):
    """One claim line, never changed. Its status lives in ClaimLineEvent rows (exported, void).

    `base_key` is the rule's natural key (service.rules.claims.ClaimDraft.key); `claim_key` is unique: the
    base key for the first version, "<base key>:v<n>" for the line that replaces n-1 voided versions.
    """

    __tablename__ = "claim_lines"
    __table_args__ = (
        CheckConstraint("code NOT IN ('99363', '99364')", name="code_not_retired"),
        CheckConstraint("units >= 1", name="units_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    claim_key: Mapped[str] = mapped_column(String(220), unique=True)
    base_key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    payer_code: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(10), index=True)
    modifier: Mapped[str | None] = mapped_column(String(2))
    units: Mapped[int]
    date_of_service: Mapped[dt.date] = mapped_column(index=True)
    diagnosis: Mapped[str] = mapped_column(String(8))
    rendering_provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rendering_provider_npi: Mapped[str | None] = mapped_column(String(10))
    billing_provider_npi: Mapped[str | None] = mapped_column(String(10))
    billing_provider_name: Mapped[str] = mapped_column(String(200))
    result_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    rule: Mapped[str] = mapped_column(String(60))
    note: Mapped[str] = mapped_column(String(1000))
    tests_done: Mapped[int | None]
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("claim_lines.id"))
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship()
    rendering_provider: Mapped[User] = relationship()
    events: Mapped[list[ClaimLineEvent]] = relationship(back_populates="line", order_by="ClaimLineEvent.id")
    corrects: Mapped[ClaimLine | None] = relationship(remote_side="ClaimLine.id")

    @property
    def status(self) -> str:
        kinds = {event.kind for event in self.events}
        return "void" if "void" in kinds else "exported" if "exported" in kinds else "pending"

    @property
    def void_event(self) -> ClaimLineEvent | None:
        return next((event for event in self.events if event.kind == "void"), None)


class ClaimLineEvent(AppendOnly, Base):
    """A status change of a claim line; at most one of each kind per line (exported once, voided once)."""

    __tablename__ = "claim_line_events"
    __table_args__ = (
        UniqueConstraint("claim_line_id", "kind", name="uq_claim_line_events_line_kind"),
        CheckConstraint("kind IN ('exported', 'void')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_line_id: Mapped[int] = mapped_column(ForeignKey("claim_lines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    export_batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    # Void only: False keeps the voided line's tests billed (nothing is produced again for them).
    rebill: Mapped[bool | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[dt.datetime]

    line: Mapped[ClaimLine] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class SupplyIssue(AppendOnly, PublicIdMixin, Base):
    """Test strips and supplies handed to a patient: the G0249 date for payers billing on supply issue."""

    __tablename__ = "supply_issues"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    issued_on: Mapped[dt.date]  # in the patient's time zone
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]


class PatientDischarge(AppendOnly, PublicIdMixin, Base):
    """The end of home testing for a patient (discharged, died, left coverage); one per patient."""

    __tablename__ = "patient_discharges"
    __table_args__ = (CheckConstraint("reason IN ('discharged', 'died', 'left_coverage')", name="reason_known"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    effective_on: Mapped[dt.date]  # last day of care, in the patient's time zone
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]

    recorded_by: Mapped[User] = relationship()


class ClaimCheck(Base):
    """When claim generation last went through a patient's record, what it saw there, and the day a line still
    waiting (the 28-day rule) falls due with nothing new recorded.

    Generation leaves a patient alone while the record still holds what was seen and that day has not come:
    every input is append-only, so its row counts tell whether anything was added. Working state, not a record:
    overwritten at every check, and safe to empty (the next run then checks everyone).
    """

    __tablename__ = "claim_checks"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    results: Mapped[int]
    billable_events: Mapped[int]
    claim_lines: Mapped[int]
    claim_line_events: Mapped[int]
    supply_issues: Mapped[int]
    discharges: Mapped[int]
    clearance_decisions: Mapped[int]
    # Payer settings, time zone, billing entity and rules version the check ran under (service.claim_generation._terms).
    terms: Mapped[str] = mapped_column(String(300))
    next_due_on: Mapped[dt.date | None]  # patient-local day; None: nothing waits on a date
    checked_at: Mapped[dt.datetime]
