"""Training and competency records (CPT 93792): checklist versions, signed sessions, amendments, orders, facts."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.clinic import INR, Patient
from models.identity import User


class ChecklistTemplate(AppendOnly, PublicIdMixin, Base):
    """One version of the training checklist; sessions keep the version they were recorded with."""

    __tablename__ = "checklist_templates"

    version: Mapped[int] = mapped_column(unique=True)
    note: Mapped[str | None] = mapped_column(String(500))
    # The author's public id and name as plain values (None: seeded by the migration). No foreign key: the
    # checklist is clinic reference data that outlives any change to user accounts.
    created_by_id: Mapped[uuid.UUID | None]
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]

    items: Mapped[list[ChecklistItem]] = relationship(back_populates="template", order_by="ChecklistItem.position")


class ChecklistItem(AppendOnly, Base):
    """An element of a checklist version. `key` is stable across versions so progress can follow an item."""

    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("template_id", "key", name="uq_checklist_items_template_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(20))  # "93792" (the billed elements), "education", "clinic"
    required: Mapped[bool]

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


class TrainingSession(AppendOnly, PublicIdMixin, Base):
    """A signed face-to-face training, retraining or reassessment. Never changed: corrections are amendments."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint("kind IN ('initial', 'retraining', 'reassessment')", name="kind_known"),
        CheckConstraint("outcome IN ('competent', 'not_yet')", name="outcome_known"),
        CheckConstraint("trainee_kind IN ('patient', 'caregiver')", name="trainee_kind_known"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    trainee_kind: Mapped[str] = mapped_column(String(10))
    trainee_caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    occurred_at: Mapped[dt.datetime]
    place: Mapped[str] = mapped_column(String(200))
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    meter_serial: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))
    next_session_on: Mapped[dt.date | None]
    # The supervised test: the trainee's own meter reading, optionally checked against the clinic's.
    test_trainee_inr: Mapped[Decimal | None] = mapped_column(INR)
    test_clinic_inr: Mapped[Decimal | None] = mapped_column(INR)
    test_tolerance: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    test_agree: Mapped[bool | None]
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship()
    trainee_caregiver: Mapped[User | None] = relationship(foreign_keys=[trainee_caregiver_id])
    template: Mapped[ChecklistTemplate] = relationship()
    trainer: Mapped[User] = relationship(foreign_keys=[trainer_id])
    signed_by: Mapped[User] = relationship(foreign_keys=[signed_by_id])
    item_outcomes: Mapped[list[TrainingItemOutcome]] = relationship(
        back_populates="session", order_by="TrainingItemOutcome.id")
    amendments: Mapped[list[TrainingAmendment]] = relationship(
        back_populates="session", order_by="TrainingAmendment.amended_at, TrainingAmendment.id")


class TrainingItemOutcome(AppendOnly, Base):
    __tablename__ = "training_item_outcomes"
    __table_args__ = (
        UniqueConstraint("session_id", "item_id", name="uq_training_item_outcomes_session_item"),
        CheckConstraint("outcome IN ('demonstrated', 'explained', 'needs_practice')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(1000))

    session: Mapped[TrainingSession] = relationship(back_populates="item_outcomes")
    item: Mapped[ChecklistItem] = relationship()


class TrainingAmendment(AppendOnly, PublicIdMixin, Base):
    """A correction of a signed session: who, when, why, and the corrected values (JSON, as sent)."""

    __tablename__ = "training_amendments"

    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    amended_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amended_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(String(500))
    changes: Mapped[dict] = mapped_column(JSON)

    session: Mapped[TrainingSession] = relationship(back_populates="amendments")
    amended_by: Mapped[User] = relationship()


class HomeTestingOrder(AppendOnly, PublicIdMixin, Base):
    """The treating physician's order for home INR testing (NCD 190.11)."""

    __tablename__ = "home_testing_orders"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ordered_on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship()
    physician: Mapped[User] = relationship()


class EligibilityFact(AppendOnly, PublicIdMixin, Base):
    """A physician's answer to a payer's extra criterion (e.g. expected long-term anticoagulation); latest wins."""

    __tablename__ = "eligibility_facts"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    value: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(1000))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime]
    # A trainer's fact is a proposal until the physician confirms it: the confirmation is a new fact pointing at it.
    confirms_id: Mapped[int | None] = mapped_column(ForeignKey("eligibility_facts.id"))

    patient: Mapped[Patient] = relationship()
    recorded_by: Mapped[User] = relationship()
    confirms: Mapped[EligibilityFact | None] = relationship(remote_side="EligibilityFact.id")
