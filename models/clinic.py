"""Payers, patients, their clinical settings (versioned) and the caregivers linked to them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.identity import User
from models.practices import Practice

INR = Numeric(3, 1)  # the meter's resolution: one decimal place, 0.8 to 8.0


class Payer(Base):
    """A payer's contract terms as data (see service.rules.payer.PayerRules)."""

    __tablename__ = "payers"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    supply_trigger: Mapped[str] = mapped_column(String(20), default="fourth_test")
    review_code: Mapped[str] = mapped_column(String(10), default="G0250")
    training_code: Mapped[str] = mapped_column(String(10), default="93792")
    extra_criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    # NCD 190.11: anticoagulated "at least 3 months" before home use, counted in calendar months.
    minimum_anticoagulation_months: Mapped[int] = mapped_column(default=3)
    reassessment_months: Mapped[int] = mapped_column(default=12)
    # The written policy these terms follow (title, number, revision), shown in the biller's code reference.
    policy_reference: Mapped[str | None] = mapped_column(String(300))
    # Whether a trained caregiver's demonstration of correct use satisfies the payer (Medicare: no, the NCD says
    # "the patient ... demonstrated correct use").
    caregiver_demonstration_counts: Mapped[bool] = mapped_column(default=False)


class Patient(PublicIdMixin, Base):
    __tablename__ = "patients"
    __table_args__ = (Index("uq_patients_practice_id_mrn", "practice_id", "mrn", unique=True),)

    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[dt.date]
    # IANA zone in force now: weekly billing rules and reminders are evaluated in the patient's own local time.
    # Its history is in TimeZoneVersion: a past week is judged in the zone in force then.
    time_zone: Mapped[str] = mapped_column(String(64))
    physician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The practice the patient belongs to: the billing provider of their claims.
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    payer_code: Mapped[str] = mapped_column(ForeignKey("payers.code"))
    warfarin_start_date: Mapped[dt.date | None]
    # The day this service starts billing for the patient (domain.md "Existing patients"): a patient brought in
    # with history is billed from their go-live on. None: from enrolment, as a patient who started here.
    go_live_on: Mapped[dt.date | None]
    # The practice's own medical record number, as staff look a patient up by it (unique within the practice).
    mrn: Mapped[str | None] = mapped_column(String(30))
    # The patient's own login, when they have one (a patient may be cared for entirely by caregivers).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    physician: Mapped[User] = relationship(foreign_keys=[physician_id])
    practice: Mapped[Practice] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    payer: Mapped[Payer] = relationship()
    target_ranges: Mapped[list[TargetRange]] = relationship(
        back_populates="patient", order_by="TargetRange.effective_from, TargetRange.id"
    )
    indication_sets: Mapped[list[IndicationSet]] = relationship(
        back_populates="patient", order_by="IndicationSet.effective_from, IndicationSet.id"
    )
    # Loaded with the patient (one query per batch of patients): every local date depends on it.
    time_zone_versions: Mapped[list[TimeZoneVersion]] = relationship(
        back_populates="patient", order_by="TimeZoneVersion.effective_from, TimeZoneVersion.id", lazy="selectin"
    )

    @property
    def current_target_range(self) -> TargetRange:
        return self.target_ranges[-1]

    @property
    def current_indications(self) -> list[str]:
        return list(self.indication_sets[-1].codes) if self.indication_sets else []

    @property
    def current_secondary_diagnoses(self) -> list[str]:
        return list(self.indication_sets[-1].secondary_codes or ()) if self.indication_sets else []


class TargetRange(AppendOnly, Base):
    """One version of a patient's INR target range: in force from `effective_from` until the next version."""

    __tablename__ = "target_ranges"
    __table_args__ = (CheckConstraint("low < high", name="low_below_high"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    low: Mapped[Decimal] = mapped_column(INR)
    high: Mapped[Decimal] = mapped_column(INR)
    effective_from: Mapped[dt.datetime]
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship(back_populates="target_ranges")
    set_by: Mapped[User] = relationship()


class TimeZoneVersion(AppendOnly, Base):
    """One version of a patient's time zone: in force from `effective_from` until the next version."""

    __tablename__ = "time_zone_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[dt.datetime]
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: recorded by a migration
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship(back_populates="time_zone_versions")
    set_by: Mapped[User | None] = relationship()


class IndicationSet(AppendOnly, Base):
    """One version of a patient's covered indications (ICD-10-CM codes)."""

    __tablename__ = "indication_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    codes: Mapped[list[str]] = mapped_column(JSON)  # covered diagnoses: the first is the claim's principal
    # Other billable ICD-10-CM codes recorded beside them (e.g. Z79.01): on claims, never a reason for coverage.
    secondary_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    code_list_version: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[dt.datetime]
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship(back_populates="indication_sets")
    set_by: Mapped[User] = relationship()


class CaregiverLink(PublicIdMixin, Base):
    """A caregiver's access to a patient, from `starts_at` until `ends_at` (set once, when staff end it)."""

    __tablename__ = "caregiver_links"
    __table_args__ = (
        # At most one open link per caregiver and patient, also when two staff link them at the same moment.
        Index("uq_caregiver_links_open", "patient_id", "caregiver_id", unique=True,
              postgresql_where=text("ends_at IS NULL"), sqlite_where=text("ends_at IS NULL")),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    relationship_to_patient: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship()
    caregiver: Mapped[User] = relationship(foreign_keys=[caregiver_id])

    def active_at(self, when: dt.datetime) -> bool:
        return self.starts_at <= when and (self.ends_at is None or when < self.ends_at)
