"""The audit trail: who did what to which patient's data, when, and with what outcome."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import AppendOnly, Base


class AuditEvent(AppendOnly, Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    # Actor kept as plain values, not a foreign key: the trail must outlive any change to users.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(80), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # success, refused, failed
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # The actor's practice (a plain value too): an administrator reads the trail of their own practice only.
    practice_id: Mapped[int | None] = mapped_column(index=True)
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSON)


class AuditEventPatient(AppendOnly, Base):
    """A patient whose data one audited read disclosed along with others' (a panel, an alert queue): the read is
    one event, and the trail by patient still finds it through this link."""

    __tablename__ = "audit_event_patients"

    event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True)
    # The patient's public id, a plain value like AuditEvent.patient_id: the trail outlives any change to patients.
    patient_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
