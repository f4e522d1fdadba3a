"""Billable events: work that happened (training, anticoagulation management) in the form the ledger reads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String
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
