"""History a patient brings from before this service (domain.md "Existing patients"): training done elsewhere, and
past results imported in bulk from a FHIR R4 Bundle or a CSV export.

Imported results are recorded as such (`source: import`, who imported them, from what file) and count for TTR,
adherence, the trend and the weeks they were tested in; they are never billed here (service.rules.counting), open
no alert and send no message: they are the past, already looked after by whoever monitored the patient then.
Training done elsewhere satisfies the eligibility criteria a signed session would, and is never billed as 93792.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import InrResult, Patient, PriorTraining, ResultImport, User
from service import audit, ttr_intervals
from service.errors import invalid
from service.patients import local_date
from service.rules.history_import import (
    ALREADY_IMPORTED,
    IMPORT_SOURCE,
    IMPORTED,
    REFUSED,
    ROW_STATUSES,
    ImportedReading,
    Row,
    readings_from_csv,
    readings_from_fhir,
    same_reading,
    why_not_history,
)
from service.settings import Settings

MAX_IMPORT_ROWS = 5000  # about a hundred years of weekly tests: more in one file is not a patient's history
_ATTEMPTS = 3  # a concurrent import of the same rows wins the race at most once per row set; then we see its rows


# --- training done elsewhere ---------------------------------------------------------------------------------------


def record_prior_training(session: Session, patient: Patient, actor: User, data: dict,
                          now: datetime) -> PriorTraining:
    """Record a training (or reassessment) with documented competency given by another organization: it counts for
    the face-to-face training and continued-use criteria from its date, and is never billed here."""
    trained_on = data["trained_on"]
    if trained_on > local_date(patient, now):
        raise invalid({"trained_on": ["Must not be in the future."]})
    if trained_on < patient.date_of_birth:
        raise invalid({"trained_on": ["Must not be before the patient's date of birth."]})
    trainee = data.get("trainee", "patient")
    caregiver_name = data.get("caregiver_name")
    if trainee == "caregiver" and not caregiver_name:
        raise invalid({"caregiver_name": ["Required when the trainee is a caregiver: whom the training was for."]})
    if trainee == "patient" and caregiver_name:
        raise invalid({"caregiver_name": ["Only for a caregiver trainee."]})
    training = PriorTraining(
        patient_id=patient.id, kind=data.get("kind", "initial"), trainee_kind=trainee, caregiver_name=caregiver_name,
        trained_on=trained_on, organization=data["organization"], trainer_name=data["trainer_name"],
        document_reference=data["document_reference"], note=data.get("note"), recorded_by_id=actor.id,
        recorded_at=now)
    session.add(training)
    session.flush()
    audit.record(session, "training.prior.record", patient_id=patient.public_id, object_type="prior_training",
                 object_id=training.public_id,
                 detail={"kind": training.kind, "trained_on": trained_on.isoformat(),
                         "organization": training.organization}, now=now)
    session.commit()
    return training


def prior_trainings(session: Session, patient: Patient) -> list[PriorTraining]:
    return list(session.scalars(select(PriorTraining).where(PriorTraining.patient_id == patient.id)
                                .order_by(PriorTraining.trained_on, PriorTraining.id)))


def trainee_label(training: PriorTraining) -> str:
    """Whom a training elsewhere was for, and where, as eligibility evidence names it."""
    whom = f"caregiver {training.caregiver_name}" if training.trainee_kind == "caregiver" else "the patient"
    return f"{whom} (at {training.organization}, by {training.trainer_name}; {training.document_reference})"


# --- past results --------------------------------------------------------------------------------------------------


def import_results(session: Session, patient: Patient, actor: User, data: dict, settings: Settings,
                   now: datetime) -> ResultImport:
    """Import the patient's past results from `data["fhir"]` (a FHIR R4 Bundle) or `data["csv"]` (a CSV export),
    each row on its own: imported, already imported (the same source id with the same content: a second import of a
    file adds nothing), or refused with the reason (unreadable, not history, or the same id with other content).

    The import is recorded (who, when, which file, every row's outcome) with the results it adds, in one
    transaction. Nothing is flagged into an alert and nothing is sent: the results describe the past.
    """
    if "fhir" in data:
        kind, rows = "fhir", readings_from_fhir(data["fhir"])
    else:
        kind, rows = "csv", readings_from_csv(data["csv"])
    if len(rows) > MAX_IMPORT_ROWS:
        raise invalid({kind: [f"At most {MAX_IMPORT_ROWS} rows per import; split the file."]})
    for attempt in range(_ATTEMPTS):
        outcomes, new = _classify(session, patient, rows, settings, now)
        record = ResultImport(
            patient_id=patient.id, format=kind, file_name=data["file_name"], reference=data.get("reference"),
            imported_by_id=actor.id, imported_at=now, rows=outcomes,
            **{status: sum(1 for o in outcomes if o["status"] == status) for status in ROW_STATUSES})
        session.add(record)
        for public_id, reading in new:
            session.add(_stored_result(patient, actor, record, public_id, reading, now))
        try:
            session.flush()
        except IntegrityError:
            # Another import stored some of these ids first (its rows are committed): classify again, once they
            # are seen they are "already imported" or refused.
            session.rollback()
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        if new:
            # History fills the intervals it falls in (often before every result on record).
            ttr_intervals.readings_changed(session, patient.id, min(r.measured_at for _, r in new),
                                           max(r.measured_at for _, r in new))
        audit.record(session, "result.import", patient_id=patient.public_id, object_type="result_import",
                     object_id=record.public_id,
                     detail={"format": kind, "file_name": record.file_name, "imported": record.imported,
                             "already_imported": record.already_imported, "refused": record.refused}, now=now)
        session.commit()
        return record
    raise AssertionError("unreachable")


def imports(session: Session, patient: Patient) -> list[ResultImport]:
    """The patient's result imports, newest first."""
    return list(session.scalars(select(ResultImport).where(ResultImport.patient_id == patient.id)
                                .order_by(ResultImport.imported_at.desc(), ResultImport.id.desc())))


def _classify(session: Session, patient: Patient, rows: list[Row], settings: Settings,
              now: datetime) -> tuple[list[dict], list[tuple[uuid.UUID, ImportedReading]]]:
    """Each row's outcome, and the readings to store (with the public ids their outcomes name)."""
    ids = {row.source_id for row in rows if row.reading is not None}
    stored = {result.client_id: result for result in session.scalars(
        select(InrResult).where(InrResult.patient_id == patient.id, InrResult.client_id.in_(ids)))} if ids else {}
    outcomes: list[dict] = []
    new: list[tuple[uuid.UUID, ImportedReading]] = []
    earlier: dict[str, tuple[dict, ImportedReading]] = {}

    def outcome(row: Row, status: str, reason: str | None = None, result_id: str | None = None) -> dict:
        entry = {"position": row.position, "source_id": row.source_id, "status": status, "reason": reason,
                 "result_id": result_id}
        outcomes.append(entry)
        return entry

    for row in rows:
        reading = row.reading
        if reading is None:
            outcome(row, REFUSED, row.reason)
            continue
        why = why_not_history(reading.measured_at, local_date(patient, reading.measured_at),
                              warfarin_start=patient.warfarin_start_date, go_live_on=patient.go_live_on, now=now,
                              clock_skew=settings.clock_skew)
        if why is not None:
            outcome(row, REFUSED, why)
        elif reading.source_id in earlier:
            first, first_reading = earlier[reading.source_id]
            if same_reading(first_reading, reading):
                outcome(row, ALREADY_IMPORTED, f"The same reading as row {first['position']} of this file.",
                        first["result_id"])
            else:
                outcome(row, REFUSED, f"The id of row {first['position']} of this file, with other content.")
        elif reading.source_id in stored:
            result = stored[reading.source_id]
            if result.source != IMPORT_SOURCE:
                outcome(row, REFUSED, f"This id names a result reported to this service (source {result.source}), "
                                      "not imported history.")
            elif result.value is not None and same_reading(_as_reading(result), reading):
                earlier[reading.source_id] = (outcome(row, ALREADY_IMPORTED, None, str(result.public_id)), reading)
            else:
                outcome(row, REFUSED, f"Already imported with other content ({_described(result)}): correct that "
                                      "result instead of importing it again.")
        else:
            public_id = uuid.uuid4()
            earlier[reading.source_id] = (outcome(row, IMPORTED, None, str(public_id)), reading)
            new.append((public_id, reading))
    return outcomes, new


def _stored_result(patient: Patient, actor: User, record: ResultImport, public_id: uuid.UUID,
                   reading: ImportedReading, now: datetime) -> InrResult:
    return InrResult(
        public_id=public_id, patient_id=patient.id, client_id=reading.source_id, value=reading.value,
        comparator=reading.comparator, measured_at=reading.measured_at.astimezone(timezone.utc),
        measured_utc_offset_minutes=int(reading.measured_at.utcoffset().total_seconds() // 60),
        meter_serial=reading.meter_serial, qc_passed=reading.qc_passed, tested_by="patient", symptoms=[],
        source=IMPORT_SOURCE, imported_from=record, entered_by_id=actor.id, received_at=now)


def _as_reading(result: InrResult) -> ImportedReading:
    return ImportedReading(result.client_id, result.measured_at, Decimal(result.value), result.comparator,
                           result.meter_serial, result.qc_passed)


def _described(result: InrResult) -> str:
    reading = f"{result.comparator or ''}{result.value}"
    return f"INR {reading} measured {result.measured_at.isoformat()}, QC {'passed' if result.qc_passed else 'failed'}"
