"""The claim ledger: claim lines, their status events, export batches and generation runs, and the supply issues and
care episode events billing reads."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin
from models.clinic import Patient
from models.identity import User
from models.practices import Practice


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
    # The billing provider (837P loop 2010AA): the patient's practice when the line was produced.
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    # Other diagnoses of the indication version in force on the date of service (claim HI, after the principal).
    secondary_diagnoses: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Why the line waits for the biller instead of going out with the next export (e.g. a -52 within 28 days of
    # the previous G0249); None: ready. A `released` event hands it to the export.
    held_reason: Mapped[str | None] = mapped_column(String(300))
    # The public id of the generation run that recorded it (ClaimGenerationRun.public_id; the run's row is written
    # when the run ends, so no foreign key). None: recorded before 0025.
    generation_run_id: Mapped[uuid.UUID | None] = mapped_column(index=True)

    patient: Mapped[Patient] = relationship()
    practice: Mapped[Practice] = relationship()
    rendering_provider: Mapped[User] = relationship()
    events: Mapped[list[ClaimLineEvent]] = relationship(back_populates="line", order_by="ClaimLineEvent.id")
    corrects: Mapped[ClaimLine | None] = relationship(remote_side="ClaimLine.id")

    @property
    def status(self) -> str:
        kinds = {event.kind for event in self.events}
        if "void" in kinds:
            return "void"
        if "exported" in kinds:
            return "exported"
        return "held" if self.held_reason and "released" not in kinds else "pending"

    @property
    def void_event(self) -> ClaimLineEvent | None:
        return next((event for event in self.events if event.kind == "void"), None)


class ClaimLineEvent(AppendOnly, Base):
    """A status change of a claim line; at most one of each kind per line (exported once, voided once)."""

    __tablename__ = "claim_line_events"
    __table_args__ = (
        UniqueConstraint("claim_line_id", "kind", name="uq_claim_line_events_line_kind"),
        CheckConstraint("kind IN ('exported', 'void', 'released')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_line_id: Mapped[int] = mapped_column(ForeignKey("claim_lines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    export_batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(String(500))  # void: why; released: the biller's note
    # Void only: False keeps the voided line's tests billed (nothing is produced again for them).
    rebill: Mapped[bool | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[dt.datetime]

    line: Mapped[ClaimLine] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class SupplyIssue(AppendOnly, PublicIdMixin, Base):
    """Test strips and supplies handed to a patient: the G0249 date for payers billing on supply issue. One issue
    backs the units it supplies (tests_issued // 4) and no more."""

    __tablename__ = "supply_issues"
    __table_args__ = (CheckConstraint("tests_issued >= 1", name="tests_issued_positive"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    issued_on: Mapped[dt.date]  # in the patient's time zone
    tests_issued: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]

    recorded_by: Mapped[User] = relationship()


CARE_EVENT_KINDS = ("start", "end", "resume")


class CareEpisodeEvent(AppendOnly, PublicIdMixin, Base):
    """One step of a patient's home-testing care: start, end (discharged, died, left coverage) or resume.

    Append-only: a mistaken event is corrected by a new event that names it in `corrects_id` (with the right date
    or reason) or withdraws it (`withdrawn`); the history keeps both.
    """

    __tablename__ = "care_episode_events"
    __table_args__ = (
        CheckConstraint("kind IN ('start', 'end', 'resume')", name="kind_known"),
        CheckConstraint("reason IS NULL OR reason IN ('discharged', 'died', 'left_coverage')", name="reason_known"),
        # Each event takes the next number in the patient's history: two staff recording at once cannot both win.
        UniqueConstraint("patient_id", "sequence", name="uq_care_episode_events_patient_sequence"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    effective_on: Mapped[dt.date]  # patient-local: the first day of care (start, resume) or the last (end)
    reason: Mapped[str | None] = mapped_column(String(20))  # end only
    note: Mapped[str | None] = mapped_column(String(500))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("care_episode_events.id"))
    withdrawn: Mapped[bool] = mapped_column(default=False)  # a correction that takes the corrected event back
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]

    patient: Mapped[Patient] = relationship()
    recorded_by: Mapped[User] = relationship()
    corrects: Mapped[CareEpisodeEvent | None] = relationship(remote_side="CareEpisodeEvent.id")


class ExportBatch(AppendOnly, PublicIdMixin, Base):
    """One export of pending lines, kept with the exact bytes handed out: downloading it again gives the same file.

    `client_key` is the biller's idempotency key, within their practice: a retried POST finds the batch instead of
    exporting again. A batch holds the lines of one practice (one billing provider).
    """

    __tablename__ = "export_batches"
    __table_args__ = (CheckConstraint("format IN ('x12', 'csv', 'json')", name="format_known"),
                      UniqueConstraint("practice_id", "client_key", name="uq_export_batches_practice_id_client_key"))

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    client_key: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(10))
    date_from: Mapped[dt.date]
    date_to: Mapped[dt.date]
    line_count: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]

    created_by: Mapped[User] = relationship()


class ClaimGenerationRun(AppendOnly, PublicIdMixin, Base):
    """What one claim generation run did: when, who or which job started it, the lines it recorded, the patients
    and days it skipped and the lines it held, each with the reason."""

    __tablename__ = "claim_generation_runs"
    __table_args__ = (CheckConstraint("trigger IN ('job', 'cli', 'api')", name="trigger_known"),)

    trigger: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduler or the CLI
    recheck_all: Mapped[bool]
    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    finished_at: Mapped[dt.datetime]
    patients: Mapped[int]
    unchanged: Mapped[int]
    created: Mapped[int]
    conflicts: Mapped[int]
    created_lines: Mapped[list[str]] = mapped_column(JSON, default=list)  # public ids of the lines recorded
    skipped: Mapped[list[dict]] = mapped_column(JSON, default=list)  # {patient_id, key, reason}
    held: Mapped[list[dict]] = mapped_column(JSON, default=list)  # {claim_id, patient_id, code, reason}
    errors: Mapped[list[dict]] = mapped_column(JSON, default=list)  # {patient_id, error}

    actor: Mapped[User | None] = relationship()


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
    care_events: Mapped[int]
    clearance_decisions: Mapped[int]
    orders: Mapped[int]
    em_visits: Mapped[int]
    # Payer settings, time zone, billing entity and rules version the check ran under (service.claim_generation._terms).
    terms: Mapped[str] = mapped_column(String(300))
    next_due_on: Mapped[dt.date | None]  # patient-local day; None: nothing waits on a date
    checked_at: Mapped[dt.datetime]
