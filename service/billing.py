"""The biller's ledger: claim lines listed by status, held lines released, pending lines exported in batches that can
be downloaded again byte for byte (CSV, JSON, X12 837P), lines voided (for good or for rebilling), and the record of
each claim generation run."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from models import ClaimGenerationRun, Coverage, ExportBatch, Patient, Payer, Practice, User
from models.claims import ClaimLine, ClaimLineEvent
from service import audit, claim_generation, policy, practices
from service.errors import Conflict, invalid
from service.rules import x12_837p
from service.rules.code_reference import CODE_REFERENCE
from service.rules.codes import PHYSICIAN_REVIEW, RETIRED_CODES, SUPPLIES

STATUSES = ("pending", "held", "exported", "void")
EXPORT_FORMATS = {"x12": ("application/edi-x12", "837p"), "csv": ("text/csv", "csv"),
                  "json": ("application/json", "json")}
PER_TEST_CODES = (SUPPLIES, PHYSICIAN_REVIEW)  # lines that bill counted tests (G0249 and its -52, G0250)


def _has_event(kind: str):
    return exists().where(ClaimLineEvent.claim_line_id == ClaimLine.id, ClaimLineEvent.kind == kind)


def status_filter(status: str):
    if status == "void":
        return _has_event("void")
    if status == "exported":
        return _has_event("exported") & ~_has_event("void")
    waiting = ~_has_event("exported") & ~_has_event("void")
    if status == "held":
        return waiting & ClaimLine.held_reason.is_not(None) & ~_has_event("released")
    return waiting & (ClaimLine.held_reason.is_(None) | _has_event("released"))


def claim_lines_query(*, status: str | None = None, code: str | None = None, patient: Patient | None = None,
                      date_from: date | None = None, date_to: date | None = None,
                      practice: Practice | None = None) -> Select[tuple[ClaimLine]]:
    # Everything a line's answer or export names, read per page of lines: a reissue's `corrects` (a voided line,
    # never in the same listing) was read one line at a time.
    query = (select(ClaimLine).options(selectinload(ClaimLine.events), joinedload(ClaimLine.patient),
                                       joinedload(ClaimLine.rendering_provider), joinedload(ClaimLine.practice),
                                       selectinload(ClaimLine.corrects))
             .order_by(ClaimLine.date_of_service, ClaimLine.id))
    if practice is not None:
        query = query.where(ClaimLine.practice_id == practice.id)
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


def list_claims(session: Session, reader: User, filters: dict, patient: Patient | None, limit: int, offset: int,
                now: datetime) -> list[ClaimLine]:
    """Claim lines of the reader's practice (of one patient, with `patient`), by date of service."""
    query = claim_lines_query(patient=patient, **filters).where(policy.own_practice(ClaimLine, reader))
    lines = list(session.scalars(query.limit(limit).offset(offset)).unique())
    audit.record(session, "claim.list", patient_id=patient.public_id if patient else None, object_type="claim_line",
                 detail={"count": len(lines)}, now=now)
    _audit_per_patient(session, "claim.read", lines, now, {})
    session.commit()
    return lines


def create_export(session: Session, actor: User, client_key: str, fmt: str, date_from: date, date_to: date,
                  now: datetime) -> tuple[ExportBatch, bool]:
    """Export every pending line of the date range as one batch, in one transaction: the lines are marked exported
    under the batch and the file's exact bytes are kept with it. Idempotent by `client_key`: the same key finds
    the batch it made (created False) instead of exporting again; the same key with other terms is a conflict.
    An 837P file needs the practice's billing details and each patient's coverage; what is missing is refused
    by name, and nothing is marked."""
    if date_to < date_from:
        raise invalid({"to": ["Must not be before from."]})
    terms = {"format": fmt, "date_from": date_from, "date_to": date_to}
    existing = _batch_by_key(session, actor, client_key)
    if existing is not None:
        return _same_terms(existing, terms), False
    practice = session.get(Practice, actor.practice_id)  # a biller exports their own practice's lines
    lines = list(session.scalars(claim_lines_query(status="pending", date_from=date_from, date_to=date_to,
                                                   practice=practice)).unique())
    batch_id = uuid.uuid4()
    media_type, extension = EXPORT_FORMATS[fmt]
    body = _export_body(session, fmt, batch_id, lines, now)
    batch = ExportBatch(public_id=batch_id, practice_id=practice.id, client_key=client_key, format=fmt,
                        date_from=date_from, date_to=date_to,
                        line_count=len(lines), media_type=media_type, filename=f"claims-{batch_id}.{extension}",
                        body=body, sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(), created_by_id=actor.id,
                        created_at=now)
    session.add(batch)
    audit.record(session, "claim.export", object_type="export_batch", object_id=batch_id,
                 detail={"from": date_from.isoformat(), "to": date_to.isoformat(), "count": len(lines),
                         "format": fmt, "client_key": client_key}, now=now)
    _audit_per_patient(session, "claim.export.read", lines, now, {"batch": str(batch_id)})
    try:
        if lines:
            # One executemany, by id: not an object per line (SQLite then wrote them one at a time), and not
            # through line.events, which would count as changing the append-only line.
            session.execute(insert(ClaimLineEvent), [
                {"claim_line_id": line.id, "kind": "exported", "export_batch_id": batch_id, "actor_id": actor.id,
                 "occurred_at": now} for line in lines])
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        existing = _batch_by_key(session, actor, client_key)
        if existing is not None:  # the same request, retried while the first was being written
            return _same_terms(existing, terms), False
        # Another export took some of these lines at the same moment: nothing was marked; export again.
        raise Conflict("Another export of these lines ran at the same time; retry.") from exc
    return batch, True


def _same_terms(batch: ExportBatch, terms: dict) -> ExportBatch:
    if (batch.format, batch.date_from, batch.date_to) != (terms["format"], terms["date_from"], terms["date_to"]):
        raise Conflict("This client key was used for another export.",
                       errors={"client_key": ["Already used with other terms."]})
    return batch


def export_file(session: Session, batch: ExportBatch, now: datetime) -> ExportBatch:
    """The batch whose bytes are downloaded again (audited per patient whose lines it holds)."""
    lines = list(session.scalars(select(ClaimLine).join(ClaimLineEvent, ClaimLineEvent.claim_line_id == ClaimLine.id)
                                 .where(ClaimLineEvent.kind == "exported",
                                        ClaimLineEvent.export_batch_id == batch.public_id)
                                 .options(joinedload(ClaimLine.patient))).unique())
    audit.record(session, "claim.export.download", object_type="export_batch", object_id=batch.public_id,
                 detail={"count": len(lines)}, now=now)
    _audit_per_patient(session, "claim.export.read", lines, now, {"batch": str(batch.public_id)})
    session.commit()
    return batch


def _batch_by_key(session: Session, actor: User, client_key: str) -> ExportBatch | None:
    return session.scalar(select(ExportBatch).where(policy.own_practice(ExportBatch, actor),
                                                    ExportBatch.client_key == client_key))


def list_exports(session: Session, reader: User, limit: int, offset: int) -> list[ExportBatch]:
    """The export batches of the reader's practice, newest first."""
    return list(session.scalars(select(ExportBatch).where(policy.own_practice(ExportBatch, reader))
                                .order_by(ExportBatch.created_at.desc(), ExportBatch.id.desc())
                                .limit(limit).offset(offset)))


def _export_body(session: Session, fmt: str, batch_id: uuid.UUID, lines: list[ClaimLine], now: datetime) -> str:
    from service.schemas.billing import ClaimLineOut, claims_csv

    if fmt == "csv":
        return claims_csv(lines)
    if fmt == "json":
        items = ClaimLineOut(many=True).dump(lines)
        for item in items:  # as they are once this batch is stored
            item.update(status="exported", export_batch_id=str(batch_id))
        return json.dumps({"batch_id": str(batch_id), "items": items}, sort_keys=True)
    return _claims_837p(session, batch_id, lines, now)


def _claims_837p(session: Session, batch_id: uuid.UUID, lines: list[ClaimLine], now: datetime) -> str:
    if not lines:
        raise invalid({"from": ["No pending line in this range: an 837P file needs at least one claim."]})
    practice_ids = {line.practice_id for line in lines}
    if len(practice_ids) > 1:
        raise invalid({"practice_id": ["These lines have more than one billing provider: export one practice."]})
    practice = lines[0].practice
    missing = {f"practice.{name}" for name in practices.missing_for_claims(practice, {line.code for line in lines})}
    coverage = _coverage_by_patient(session, {line.patient_id for line in lines})
    payers = {payer.code: payer for payer in session.scalars(select(Payer))}
    missing |= {f"patient {line.patient.public_id}: coverage" for line in lines if line.patient_id not in coverage}
    missing |= {f"rendering provider of {line.public_id}: npi" for line in lines if not line.rendering_provider_npi}
    missing |= {f"line {line.public_id}: diagnosis" for line in lines if not line.diagnosis}
    if missing:
        raise Conflict("The 837P file cannot be written until these are completed: " + ", ".join(sorted(missing)),
                       errors={"missing": sorted(missing)})
    provider = x12_837p.BillingProvider(
        practice.name, practice.group_npi, practice.tax_id,
        x12_837p.Address(practice.address_line1, practice.address_line2, practice.city, practice.state,
                         practice.postal_code),
        practice.phone, practice.x12_submitter_id or practice.group_npi, practice.x12_receiver_id,
        practice.x12_receiver_name)
    by_claim: dict[tuple, list[ClaimLine]] = defaultdict(list)
    for line in sorted(lines, key=lambda line: (line.patient_id, line.payer_code, line.date_of_service, line.id)):
        by_claim[(line.patient_id, line.payer_code)].append(line)
    claims = []
    for (patient_id, payer_code), claim_lines in by_claim.items():
        cover, patient = coverage[patient_id], claim_lines[0].patient
        subscriber = x12_837p.Subscriber(
            cover.last_name, cover.first_name, cover.member_id,
            x12_837p.Address(cover.address_line1, cover.address_line2, cover.city, cover.state, cover.postal_code),
            patient.date_of_birth, cover.sex, payer_code, payers[payer_code].name, cover.payer_identifier)
        for start in range(0, len(claim_lines), x12_837p.LINES_PER_CLAIM):
            chunk = claim_lines[start:start + x12_837p.LINES_PER_CLAIM]
            secondary = tuple(dict.fromkeys(code for line in chunk for code in line.secondary_diagnoses or ()))
            claims.append(x12_837p.Claim(chunk[0].public_id.hex[:20] + f"{start // x12_837p.LINES_PER_CLAIM:02d}",
                                         subscriber, tuple(_service_line(practice, line) for line in chunk),
                                         secondary))
    return x12_837p.claims_837p(provider, claims, control_number=batch_id.int % 999_999_999 + 1,
                                created_at=now.astimezone(practices.zone(practice)), batch_reference=batch_id.hex)


def _service_line(practice: Practice, line: ClaimLine) -> x12_837p.ServiceLine:
    last, first = _split_name(line.rendering_provider.full_name)
    return x12_837p.ServiceLine(str(line.public_id), line.code, line.modifier, practices.charge_of(practice, line.code),
                                line.units, line.date_of_service, line.diagnosis,
                                x12_837p.Person(last, first, line.rendering_provider_npi))


def _split_name(full_name: str) -> tuple[str, str]:
    """(last, first) of a name written "First Last"; the last word is the family name."""
    parts = full_name.split()
    return (parts[-1], " ".join(parts[:-1])) if len(parts) > 1 else (full_name, "")


def _coverage_by_patient(session: Session, patient_ids: set[int]) -> dict[int, Coverage]:
    latest: dict[int, Coverage] = {}
    for cover in session.scalars(select(Coverage).where(Coverage.patient_id.in_(patient_ids)).order_by(Coverage.id)):
        latest[cover.patient_id] = cover
    return latest


def release_claim(session: Session, actor: User, line: ClaimLine, note: str, now: datetime) -> ClaimLine:
    """Hand a held line to the next export, with the biller's note on why it may go (audited)."""
    if line.status != "held":
        raise Conflict(f"This claim line is {line.status}, not held.")
    session.add(ClaimLineEvent(claim_line_id=line.id, kind="released", reason=note, actor_id=actor.id,
                               occurred_at=now))
    audit.record(session, "claim.release", patient_id=line.patient.public_id, object_type="claim_line",
                 object_id=line.public_id, detail={"note": note, "held_reason": line.held_reason}, now=now)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("This claim line was already released.") from exc
    session.expire(line, ["events"])
    return line


def run_generation(session: Session, actor: User, recheck_all: bool, now: datetime) -> RunSeen:
    """Run claim generation now, as the biller (recorded like the scheduler's run; it covers every practice)."""
    summary = claim_generation.generate_claims(session, now, trigger="api", actor=actor, recheck_all=recheck_all)
    run_id = uuid.UUID(summary["run_id"])
    run = session.scalar(select(ClaimGenerationRun).where(ClaimGenerationRun.public_id == run_id))
    return run_seen_by(session, run, actor)


def list_runs(session: Session, reader: User, limit: int, offset: int) -> list[RunSeen]:
    """Generation runs, newest first, as the reader's practice sees them."""
    runs = session.scalars(select(ClaimGenerationRun).order_by(ClaimGenerationRun.started_at.desc(),
                                                               ClaimGenerationRun.id.desc()).limit(limit).offset(offset))
    return [run_seen_by(session, run, reader) for run in runs]


@dataclass(frozen=True)
class RunSeen:
    """A generation run as one practice sees it: the run covers every practice on the server, but a practice reads
    only its own patients' skipped days, held lines and errors, and its own lines (the counts are the run's)."""

    run: ClaimGenerationRun
    created_lines: list[str]
    skipped: list[dict]
    held: list[dict]
    errors: list[dict]

    def __getattr__(self, name):
        return getattr(self.run, name)


def run_seen_by(session: Session, run: ClaimGenerationRun, reader: User) -> RunSeen:
    named = {item["patient_id"] for item in (*run.skipped, *run.held, *run.errors) if item.get("patient_id")}
    own = {str(pid) for pid in session.scalars(select(Patient.public_id).where(
        policy.own_practice(Patient, reader), Patient.public_id.in_([uuid.UUID(p) for p in named])))} \
        if named else set()
    lines = {str(lid) for lid in session.scalars(select(ClaimLine.public_id).where(
        policy.own_practice(ClaimLine, reader),
        ClaimLine.public_id.in_([uuid.UUID(line) for line in run.created_lines])))} if run.created_lines else set()

    def mine(items):
        return [item for item in items if item.get("patient_id") in own]

    return RunSeen(run, [line for line in run.created_lines if line in lines], mine(run.skipped), mine(run.held),
                   mine(run.errors))


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


def code_reference(session: Session) -> dict:
    """Every code this service produces, with the rules each line goes through, the codes it never will, and each
    payer's terms with the policy they follow."""
    payers = list(session.scalars(select(Payer).order_by(Payer.code)))
    return {"items": [CODE_REFERENCE[code] for code in sorted(CODE_REFERENCE)], "never_produced": sorted(RETIRED_CODES),
            "payers": payers}
