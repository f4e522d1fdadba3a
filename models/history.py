"""History a patient brings from before this service: training done elsewhere, and imports of past results."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.clinic import Patient
from models.identity import User


class PriorTraining(AppendOnly, PublicIdMixin, Base):
    """A face-to-face training (or reassessment) with documented competency, given by another organization before
    the patient came to this service. It satisfies the eligibility criteria a signed session would, and is never
    billed here (93792 pays the training this service gives)."""

    __tablename__ = "prior_trainings"
    __table_args__ = (
        CheckConstraint("kind IN ('initial', 'retraining', 'reassessment')", name="kind_known"),
        CheckConstraint("trainee_kind IN ('patient', 'caregiver')", name="trainee_kind_known"),
        CheckConstraint("trainee_kind = 'caregiver' OR caregiver_name IS NULL", name="caregiver_name_for_caregiver"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    trainee_kind: Mapped[str] = mapped_column(String(10))
    caregiver_name: Mapped[str | None] = mapped_column(String(200))  # a caregiver trained there may have no login
    trained_on: Mapped[dt.date]  # the date the other organization documented competency
    organization: Mapped[str] = mapped_column(String(200))
    trainer_name: Mapped[str] = mapped_column(String(200))
    document_reference: Mapped[str] = mapped_column(String(500))  # where the competency record is kept
    note: Mapped[str | None] = mapped_column(String(1000))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship()
    recorded_by: Mapped[User] = relationship()


class ResultImport(AppendOnly, PublicIdMixin, Base):
    """One import of a patient's past results from a file (a FHIR R4 Bundle or a CSV): who imported it, from what,
    and what became of each row (imported, already imported, or refused with the reason)."""

    __tablename__ = "result_imports"
    __table_args__ = (CheckConstraint("format IN ('fhir', 'csv')", name="format_known"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    format: Mapped[str] = mapped_column(String(10))
    file_name: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(500))  # the source system, the export's date, ...
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[dt.datetime]
    imported: Mapped[int]
    already_imported: Mapped[int]
    refused: Mapped[int]
    rows: Mapped[list[dict]] = mapped_column(JSON)  # per row: position, source_id, status, reason, result_id

    patient: Mapped[Patient] = relationship()
    imported_by: Mapped[User] = relationship()
