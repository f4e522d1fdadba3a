"""Home INR results as the meter and the app report them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    and_,
    exists,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.clinic import INR, Patient
from models.history import ResultImport
from models.identity import User


class InrResult(AppendOnly, PublicIdMixin, Base):
    """One INR reading. Never changed: a correction is a new row whose `supersedes_id` points here.

    Whether a result counts for billing is not stored: it depends on the other results of its week,
    which may arrive later (offline uploads), so the billing rules derive it whenever they run.
    """

    __tablename__ = "inr_results"
    __table_args__ = (
        # The app's offline queue retries with the same client id: one stored result per (patient, id).
        UniqueConstraint("patient_id", "client_id", name="uq_inr_results_patient_client"),
        # The missed-test job reads the clinic's last few weeks in (patient, time) order, streamed: this index gives
        # that order and skips the older results inside the index, without a sort or a read of every row (0022).
        Index("ix_inr_results_patient_id_measured_at", "patient_id", "measured_at"),
        CheckConstraint("comparator IS NULL OR comparator IN ('<', '>')", name="comparator_known"),
        CheckConstraint("value >= 0.8 AND value <= 8.0", name="value_in_meter_range"),
        # A meter error may come without a number (the meter shows none); anything else has one.
        CheckConstraint("value IS NOT NULL OR meter_error_code IS NOT NULL", name="value_or_meter_error"),
        CheckConstraint("comparator IS NULL OR value IS NOT NULL", name="comparator_needs_value"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal | None] = mapped_column(INR)  # None: a meter error that showed no number
    # "<" for a meter showing "<0.8" (value 0.8), ">" for ">8.0" (value 8.0); None for an exact reading.
    comparator: Mapped[str | None] = mapped_column(String(1))
    # When the test was done: the time every week, order and interval is judged by. It is the device's own time,
    # except from a meter whose clock ran ahead of the server's: then the receipt time (device_measured_at keeps
    # what the device said).
    measured_at: Mapped[dt.datetime] = mapped_column(index=True)
    measured_utc_offset_minutes: Mapped[int]  # the offset the device reported, kept as evidence
    device_measured_at: Mapped[dt.datetime | None]  # set only when the device's clock was ahead
    meter_serial: Mapped[str | None] = mapped_column(String(64))
    strip_lot: Mapped[str | None] = mapped_column(String(64))
    qc_passed: Mapped[bool]
    meter_error_code: Mapped[str | None] = mapped_column(String(32))
    tested_by: Mapped[str] = mapped_column(String(20))  # "patient" or "caregiver"
    tested_by_caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    symptom_note: Mapped[str | None] = mapped_column(String(1000))
    missed_doses: Mapped[int | None]
    # "app"; "phone" when staff entered a reported value; "import" when brought in from another system's history
    # (then client_id is the source's own id, entered_by who imported it, and import_id the file it came from).
    source: Mapped[str] = mapped_column(String(20))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("result_imports.id"), index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime]
    # Unique: a result is corrected once; a later correction corrects the correction.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("inr_results.id"), index=True, unique=True)
    correction_reason: Mapped[str | None] = mapped_column(String(500))

    patient: Mapped[Patient] = relationship()
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])
    tested_by_caregiver: Mapped[User | None] = relationship(foreign_keys=[tested_by_caregiver_id])
    supersedes: Mapped[InrResult | None] = relationship(remote_side="InrResult.id")
    imported_from: Mapped[ResultImport | None] = relationship()


# One alias for every such clause: building an alias anew costs about a millisecond of Python per statement
# (SQLAlchemy adapts the whole table to it); each clause is its own subquery, so sharing the name is safe.
_CORRECTION = aliased(InrResult, name="correction")


def superseded_clause(result=InrResult) -> ColumnElement[bool]:
    """SQL: a correction replaces `result` (a row of the same patient pointing at it, found by its index)."""
    return exists().where(_CORRECTION.patient_id == result.patient_id, _CORRECTION.supersedes_id == result.id)


def valid_inr_clause(result=InrResult) -> ColumnElement[bool]:
    """SQL for service.rules.readings.is_valid_inr: a passed strip, no meter error, not corrected."""
    return and_(result.qc_passed.is_(True), result.meter_error_code.is_(None), ~superseded_clause(result))


_PANEL_READS = ("patient_id", "piece_from", "piece_to", "span_us", "in_range_den", "in_range_num", "length_us")


class TtrInterval(Base):
    """One piece of the interval between two consecutive valid INRs of a patient, under one target range, with its
    in-range time (service.rules.ttr.interval_pieces). Derived, not a record: service.ttr_intervals rewrites a
    patient's pieces whenever their valid INRs or ranges change, so a panel's TTR is one aggregate query."""

    __tablename__ = "ttr_intervals"
    __table_args__ = (
        # A panel reads each patient's pieces inside a window: by patient, then by where the piece starts; the
        # columns it sums ride along, so a vacuumed table answers from the index alone.
        Index("ix_ttr_intervals_patient_id_piece_from", *_PANEL_READS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    starts_at: Mapped[dt.datetime]  # the interval's first valid INR
    ends_at: Mapped[dt.datetime]  # and the next one
    starts_value: Mapped[Decimal] = mapped_column(INR)
    ends_value: Mapped[Decimal] = mapped_column(INR)
    span_us: Mapped[int] = mapped_column(BigInteger)  # compared with the max gap (a setting) when summed
    piece_from: Mapped[dt.datetime]
    piece_to: Mapped[dt.datetime]
    length_us: Mapped[int] = mapped_column(BigInteger)
    low: Mapped[Decimal] = mapped_column(INR)  # the range in force over the piece
    high: Mapped[Decimal] = mapped_column(INR)
    # In-range microseconds of the piece, exactly: in_range_num / in_range_den (the denominator divides the change in
    # value, in tenths: small).
    in_range_num: Mapped[int] = mapped_column(BigInteger)
    in_range_den: Mapped[int] = mapped_column(BigInteger)
