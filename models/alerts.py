"""Alerts (on flagged results, missed tests, readings with no valid INR, overdue reassessments), their history,
physician reviews with instructions, and covering physicians."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.clinic import Patient
from models.identity import User
from models.results import InrResult

# "routine": an alert that is not about a value (missed tests, no valid result, an overdue reassessment); it
# escalates after the same delay as an out-of-range value.
ALERT_SEVERITIES = ("critical", "out_of_range", "routine")
ALERT_STATUSES = ("open", "acknowledged", "resolved")
# What an alert is about: one result, a gap of missed weeks, an episode of readings with no valid INR, or a
# reassessment of correct device use that is overdue.
ALERT_KINDS = ("result", "missed_tests", "no_valid_result", "reassessment_overdue")
# How a resolved alert was closed: by a review of its result, by a correction of its result, by a valid reading
# ending its episode, or by a competent reassessment.
ALERT_RESOLUTIONS = ("review", "corrected", "valid_result", "reassessed")
INSTRUCTION_KINDS = ("keep_dose", "new_dose", "hold_doses", "go_to_emergency")


class Alert(PublicIdMixin, Base):
    """One per flagged result, per gap of missed weeks, per episode of readings with no valid INR, per overdue
    reassessment. Operational state: status and escalation change in place, and every change is also written as
    an `AlertEvent` (and an audit event), so the history is never lost."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("severity IN ('critical', 'out_of_range', 'routine')", name="severity_known"),
        CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name="status_known"),
        CheckConstraint("kind IN ('result', 'missed_tests', 'no_valid_result', 'reassessment_overdue')",
                        name="kind_known"),
        CheckConstraint("kind <> 'result' OR result_id IS NOT NULL", name="result_alert_has_result"),
    )

    kind: Mapped[str] = mapped_column(String(30), default="result")
    # The alert's natural key (service.alerts: "result:<result>", "missed_tests:<patient>:<first week>", ...):
    # a retried result, a re-run job or a second scheduler can never open the same alert twice.
    alert_key: Mapped[str] = mapped_column(String(200), unique=True)
    # The flagged result; for a "no valid result" alert the first reading of the episode; None otherwise.
    result_id: Mapped[int | None] = mapped_column(ForeignKey("inr_results.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # of record at opening
    severity: Mapped[str] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(20))  # a result's flag level (low, high, ...); None otherwise
    reason: Mapped[str | None] = mapped_column(String(40))  # why a non-result alert opened (service.rules names)
    detail: Mapped[dict | None] = mapped_column(JSON)  # the weeks missed, the readings of the episode, due dates
    opened_at: Mapped[dt.datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[dt.datetime | None]
    resolved_by_review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(20))  # ALERT_RESOLUTIONS
    resolution_note: Mapped[str | None] = mapped_column(String(500))
    # 0: the physician of record only; each escalation adds one (covering physician, then the practice).
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[dt.datetime | None]
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: practice

    result: Mapped[InrResult | None] = relationship()
    patient: Mapped[Patient] = relationship()
    physician: Mapped[User] = relationship(foreign_keys=[physician_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    escalated_to: Mapped[User | None] = relationship(foreign_keys=[escalated_to_id])
    resolved_by_review: Mapped[Review | None] = relationship(foreign_keys=[resolved_by_review_id])


class AlertEvent(AppendOnly, Base):
    """One step in an alert's life: opened, acknowledged, escalated, resolved."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[dt.datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduler
    detail: Mapped[dict | None] = mapped_column(JSON)

    # Lets an event be added beside an alert not yet flushed: both are written in the same flush.
    alert: Mapped[Alert] = relationship()


review_results = Table(
    "review_results",
    Base.metadata,
    Column("review_id", ForeignKey("reviews.id"), primary_key=True),
    Column("result_id", ForeignKey("inr_results.id"), primary_key=True),
)


class Review(AppendOnly, PublicIdMixin, Base):
    """A physician's review of one or more results, with the instructions given to the patient."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("instruction_kind IN ('keep_dose', 'new_dose', 'hold_doses', 'go_to_emergency')",
                        name="instruction_kind_known"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime] = mapped_column(index=True)
    interpretation: Mapped[str] = mapped_column(Text)
    instruction_kind: Mapped[str] = mapped_column(String(20))
    dose_text: Mapped[str | None] = mapped_column(String(1000))
    # Weekday name -> mg as a decimal string ("2.5"), so no binary rounding touches a dose.
    weekly_doses: Mapped[dict | None] = mapped_column(JSON)
    hold_days: Mapped[int | None]
    next_test_date: Mapped[dt.date | None]

    patient: Mapped[Patient] = relationship()
    physician: Mapped[User] = relationship()
    results: Mapped[list[InrResult]] = relationship(secondary=review_results, order_by="InrResult.measured_at")


class InstructionAcknowledgement(AppendOnly, Base):
    """The patient or a caregiver confirming they have read a review's instructions."""

    __tablename__ = "instruction_acknowledgements"
    __table_args__ = (UniqueConstraint("review_id", "user_id", name="uq_instruction_acknowledgements_review_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[dt.datetime]

    review: Mapped[Review] = relationship()
    user: Mapped[User] = relationship()


class CoveringPhysician(Base):
    """Who covers a physician's alerts when they do not answer in time; set by an admin."""

    __tablename__ = "covering_physicians"

    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    covering_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[dt.datetime]

    physician: Mapped[User] = relationship(foreign_keys=[physician_id])
    covering: Mapped[User] = relationship(foreign_keys=[covering_id])
