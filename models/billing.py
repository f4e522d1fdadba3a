"""Billable events: work that happened (training, anticoagulation management) in the form the ledger reads; the E/M
visits that rule a 93793 out; the coverage a claim names."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.clinic import Patient
from models.identity import User


class BillableEvent(AppendOnly, PublicIdMixin, Base):
    """A fact the billing ledger turns into claim lines; written by training and review, never by billing.

    `event_key` is a natural unique key ("training:<patient>", "review:<review>") so a retry or a second
    process can never record the same billable work twice.
    """

    __tablename__ = "billable_events"

    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # "training" or "result_review"
    code: Mapped[str] = mapped_column(String(10))  # 93792, G0248, 93793
    service_date: Mapped[dt.date]  # in the patient's time zone
    occurred_at: Mapped[dt.datetime]
    rendering_provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source_type: Mapped[str] = mapped_column(String(40))  # "training_session", "review"
    source_id: Mapped[str] = mapped_column(String(64))
    result_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

    patient: Mapped[Patient] = relationship()
    rendering_provider: Mapped[User] = relationship()


class EmVisit(AppendOnly, PublicIdMixin, Base):
    """An office/outpatient, telephone or online E/M service the patient had with the practice: no 93793 that day.

    Recorded one by one or imported from the practice management system's CSV; the natural key (patient, day, code,
    rendering physician) makes a re-imported file record nothing twice.
    """

    __tablename__ = "em_visits"
    __table_args__ = (
        UniqueConstraint("patient_id", "visit_on", "code", "rendering_provider_id", name="uq_em_visits_visit"),
        CheckConstraint("source IN ('entry', 'import')", name="source_known"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    visit_on: Mapped[dt.date]  # the practice's local date
    code: Mapped[str] = mapped_column(String(5))  # CPT, one of service.rules.codes.EM_VISIT_CODES
    rendering_provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(10))
    import_id: Mapped[uuid.UUID | None]  # the import the row came from
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship()
    rendering_provider: Mapped[User] = relationship(foreign_keys=[rendering_provider_id])


class Coverage(AppendOnly, PublicIdMixin, Base):
    """The patient's insurance as the claim names it (837P loops 2010BA subscriber and 2010BB payer); the latest
    version is in force. The patient is the subscriber (self)."""

    __tablename__ = "coverages"
    __table_args__ = (CheckConstraint("sex IN ('F', 'M', 'U')", name="sex_known"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    member_id: Mapped[str] = mapped_column(String(80))
    payer_identifier: Mapped[str] = mapped_column(String(80))  # the payer id the practice's clearinghouse uses
    last_name: Mapped[str] = mapped_column(String(60))  # as on the insurance card
    first_name: Mapped[str] = mapped_column(String(35))
    sex: Mapped[str] = mapped_column(String(1))
    address_line1: Mapped[str] = mapped_column(String(55))
    address_line2: Mapped[str | None] = mapped_column(String(55))
    city: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(9))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]
