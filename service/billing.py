"""The biller's ledger: claim lines listed by status, exported in batches, and voided (for good or for rebilling)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from models import Patient, User
from models.claims import ClaimLine, ClaimLineEvent
from service import audit
from service.errors import Conflict, invalid
from service.rules.code_reference import CODE_REFERENCE
from service.rules.codes import PHYSICIAN_REVIEW, RETIRED_CODES, SUPPLIES

STATUSES = ("pending", "exported", "void")
PER_TEST_CODES = (SUPPLIES, PHYSICIAN_REVIEW)  # lines that bill counted tests (G0249 and its -52, G0250)


def _has_event(kind: str):
    return exists().where(ClaimLineEvent.claim_line_id == ClaimLine.id, ClaimLineEvent.kind == kind)


def status_filter(status: str):
    if status == "void":
        return _has_event("void")
    if status == "exported":
        return _has_event("exported") & ~_has_event("void")
    return ~exists().where(ClaimLineEvent.claim_line_id == ClaimLine.id)


def claim_lines_query(*, status: str | None = None, code: str | None = None, patient: Patient | None = None,
                      date_from: date | None = None, date_to: date | None = None) -> Select[tuple[ClaimLine]]:
    query = (select(ClaimLine).options(selectinload(ClaimLine.events), joinedload(ClaimLine.patient),
                                       joinedload(ClaimLine.rendering_provider))
             .order_by(ClaimLine.date_of_service, ClaimLine.id))
    if status is not None:
        query = query.where(status_filter(status))
    if code is not None:
        query = query.where(ClaimLine.code == code)
    if patient is not None:
        query = query.where(ClaimLine.patient_id == patient.id)
    if date_from is not None:
        query = query.where(ClaimLine.date_of_service >= date_from)
    if date_to is not None:
        query = query.where(ClaimLine.date_of_service <= date_to)
    return query


def _audit_per_patient(session: Session, action: str, lines: Sequence[ClaimLine], now: datetime,
                       detail: dict) -> None:
    """One event per patient whose lines were read: the trail answers 'who saw this patient's claims'."""
    by_patient: dict[uuid.UUID, list[str]] = defaultdict(list)
    for line in lines:
        by_patient[line.patient.public_id].append(str(line.public_id))
    for patient_id, line_ids in by_patient.items():
        audit.record(session, action, patient_id=patient_id, object_type="claim_line",
                     detail={**detail, "lines": line_ids}, now=now)


def list_claims(session: Session, filters: dict, patient: Patient | None, limit: int, offset: int,
                now: datetime) -> list[ClaimLine]:
    lines = list(session.scalars(claim_lines_query(patient=patient, **filters).limit(limit).offset(offset)).unique())
    audit.record(session, "claim.list", patient_id=patient.public_id if patient else None, object_type="claim_line",
                 detail={"count": len(lines)}, now=now)
    _audit_per_patient(session, "claim.read", lines, now, {})
    session.commit()
    return lines


def export_claims(session: Session, actor: User, date_from: date, date_to: date,
                  now: datetime) -> tuple[uuid.UUID, list[ClaimLine]]:
    """Mark every pending line of the date range exported under one batch id, in one transaction."""
    if date_to < date_from:
        raise invalid({"to": ["Must not be before from."]})
    batch = uuid.uuid4()
    lines = list(session.scalars(claim_lines_query(status="pending", date_from=date_from, date_to=date_to)).unique())
    for line in lines:
        # By id, not through line.events: changing the collection would count as changing the append-only line.
        session.add(ClaimLineEvent(claim_line_id=line.id, kind="exported", export_batch_id=batch, actor_id=actor.id,
                                   occurred_at=now))
    audit.record(session, "claim.export", object_type="export_batch", object_id=batch,
                 detail={"from": date_from.isoformat(), "to": date_to.isoformat(), "count": len(lines)}, now=now)
    _audit_per_patient(session, "claim.export.read", lines, now, {"batch": str(batch)})
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        # Another export took some of these lines at the same moment: nothing was marked; export again.
        raise Conflict("Another export of these lines ran at the same time; retry.") from exc
    for line in lines:
        session.expire(line, ["events"])
    return batch, lines


def void_claim(session: Session, actor: User, line: ClaimLine, reason: str, rebill: bool,
               now: datetime) -> ClaimLine:
    """Void a line (audited). With `rebill`, its work is billed again by the next generation run as '<key>:v<n>'."""
    if line.void_event is not None:
        raise Conflict("This claim line is already void.")
    session.add(ClaimLineEvent(claim_line_id=line.id, kind="void", reason=reason, rebill=rebill, actor_id=actor.id,
                               occurred_at=now))
    audit.record(session, "claim.void", patient_id=line.patient.public_id, object_type="claim_line",
                 object_id=line.public_id, detail={"reason": reason, "rebill": rebill}, now=now)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("This claim line is already void.") from exc
    session.expire(line, ["events"])
    return line


def void_for_correction(session: Session, patient: Patient, result_ids: Sequence[str], actor: User, reason: str,
                        now: datetime) -> list[ClaimLine]:
    """Void, for rebilling, every standing G0249/G0250 line of `patient` that billed one of `result_ids` (a
    corrected result and the entries it corrects), in the caller's transaction (service.results.correct_result).

    The next generation run judges those weeks again: the line is reissued as it was if its tests all still
    count, or its key is released and the tests that still count are billed afresh (service.rules.claim_plan).
    """
    corrected = set(result_ids)
    lines = session.scalars(select(ClaimLine).options(selectinload(ClaimLine.events)).where(
        ClaimLine.patient_id == patient.id, ClaimLine.code.in_(PER_TEST_CODES), ~_has_event("void")))
    voided = [line for line in lines if corrected & set(line.result_ids)]
    for line in voided:
        session.add(ClaimLineEvent(claim_line_id=line.id, kind="void", reason=reason[:500], rebill=True,
                                   actor_id=actor.id, occurred_at=now))
        audit.record(session, "claim.void", patient_id=patient.public_id, object_type="claim_line",
                     object_id=line.public_id, detail={"reason": reason[:500], "rebill": True,
                                                       "by": "result correction"}, now=now)
    return voided


def code_reference() -> dict:
    """Every code this service produces, with the rules each line goes through, and the codes it never will."""
    return {"items": [CODE_REFERENCE[code] for code in sorted(CODE_REFERENCE)], "never_produced": sorted(RETIRED_CODES)}
