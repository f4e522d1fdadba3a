"""E/M visits with the practice (office/outpatient, telephone, online): recorded one by one or imported from the
practice management system's CSV; no 93793 is billed on their day."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import EmVisit, Patient, User
from service import audit, db
from service.errors import Conflict, invalid
from service.practices import local_date as practice_date
from service.rules.codes import EM_VISIT_CODES

IMPORT_COLUMNS = ("patient_id", "visit_date", "cpt_code", "rendering_npi")
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportReport:
    import_id: uuid.UUID
    accepted: int = 0
    duplicates: int = 0
    refused: list[dict] = field(default_factory=list)  # {row, errors}


def _check(code: str, visit_on: date, today: date) -> dict:
    errors = {}
    if code not in EM_VISIT_CODES:
        errors["code"] = ["Not an office/outpatient, telephone or online E/M code."]
    if visit_on > today:
        errors["visit_on"] = ["Must not be in the future (the practice's local date)."]
    return errors


def _physician(session: Session, **where) -> User | None:
    return session.scalar(select(User).where(User.role == "physician", User.active.is_(True),
                                             *(getattr(User, name) == value for name, value in where.items())))


def record_visit(session: Session, patient: Patient, actor: User, visit_on: date, code: str,
                 physician_id: uuid.UUID, now: datetime) -> EmVisit:
    """Record one E/M visit (date in the practice's calendar, CPT code, rendering physician); the same visit
    twice is a conflict."""
    errors = _check(code, visit_on, practice_date(patient.practice, now))
    physician = _physician(session, public_id=physician_id)
    if physician is None:
        errors["physician_id"] = ["No active physician with this id."]
    if errors:
        raise invalid(errors)
    row = dict(public_id=uuid.uuid4(), patient_id=patient.id, visit_on=visit_on, code=code,
               rendering_provider_id=physician.id, source="entry", import_id=None, recorded_by_id=actor.id,
               created_at=now)
    if not db.insert_new(session, EmVisit.__table__, [row], "public_id", conflict_columns=_NATURAL_KEY):
        session.rollback()
        raise Conflict("This visit is already recorded.")
    audit.record(session, "patient.em_visit.record", patient_id=patient.public_id, object_type="em_visit",
                 object_id=row["public_id"], detail={"visit_on": visit_on.isoformat(), "code": code}, now=now)
    session.commit()
    return session.scalar(select(EmVisit).where(EmVisit.public_id == row["public_id"]))


_NATURAL_KEY = ["patient_id", "visit_on", "code", "rendering_provider_id"]


def import_visits(session: Session, actor: User, text: str, now: datetime) -> ImportReport:
    """Import a CSV export (columns patient_id, visit_date, cpt_code, rendering_npi; a header row first): each row
    accepted, found already recorded, or refused with its reasons, on its own. Re-importing a file records
    nothing twice."""
    report = ImportReport(uuid.uuid4())
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not set(IMPORT_COLUMNS) <= {name.strip() for name in reader.fieldnames}:
        raise invalid({"csv": [f"The header row must name {', '.join(IMPORT_COLUMNS)}."]})
    rows, by_patient = [], {}
    for number, raw in enumerate(reader, start=2):  # row 1 is the header
        if number - 1 > MAX_IMPORT_ROWS:
            raise invalid({"csv": [f"At most {MAX_IMPORT_ROWS} rows per import."]})
        values = {key.strip(): (value or "").strip() for key, value in raw.items() if key is not None}
        errors: dict = {}
        patient = None
        try:
            patient = session.scalar(select(Patient).where(Patient.public_id == uuid.UUID(values["patient_id"]),
                                                           Patient.practice_id == actor.practice_id))
        except ValueError:
            pass
        if patient is None:
            errors["patient_id"] = ["No patient with this id."]
        try:
            visit_on = date.fromisoformat(values["visit_date"])
        except ValueError:
            visit_on = None
            errors["visit_date"] = ["Not a date (YYYY-MM-DD)."]
        physician = (_physician(session, npi=values["rendering_npi"], practice_id=actor.practice_id)
                     if values["rendering_npi"] else None)
        if physician is None:
            errors["rendering_npi"] = ["No active physician with this NPI."]
        if patient is not None and visit_on is not None:
            errors.update(_check(values["cpt_code"], visit_on, practice_date(patient.practice, now)))
        if errors:
            report.refused.append({"row": number, "errors": errors})
            continue
        by_patient[patient.id] = patient
        rows.append(dict(public_id=uuid.uuid4(), patient_id=patient.id, visit_on=visit_on, code=values["cpt_code"],
                         rendering_provider_id=physician.id, source="import", import_id=report.import_id,
                         recorded_by_id=actor.id, created_at=now))
    created = db.insert_new(session, EmVisit.__table__, rows, "public_id", conflict_columns=_NATURAL_KEY)
    report.accepted, report.duplicates = len(created), len(rows) - len(created)
    for patient_id in {row["patient_id"] for row in rows if row["public_id"] in created}:
        audit.record(session, "patient.em_visit.import", patient_id=by_patient[patient_id].public_id,
                     object_type="em_visit_import", object_id=report.import_id, now=now)
    audit.record(session, "em_visit.import", object_type="em_visit_import", object_id=report.import_id,
                 detail={"accepted": report.accepted, "duplicates": report.duplicates,
                         "refused": len(report.refused)}, now=now)
    session.commit()
    return report


def visits(session: Session, patient: Patient) -> list[EmVisit]:
    return list(session.scalars(select(EmVisit).where(EmVisit.patient_id == patient.id)
                                .order_by(EmVisit.visit_on, EmVisit.id)))
