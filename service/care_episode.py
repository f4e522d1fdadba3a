"""The patient's home-testing care: its history of events (start, end, resume) with their corrections, the periods
of care it describes, and the supplies issued during it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import CareEpisodeEvent, Patient, SupplyIssue, User
from service import audit
from service.errors import Conflict, invalid
from service.patients import local_date
from service.rules.care_episode import END, RESUME, START, CareEvent, care_periods, history_problems
from service.rules.claim_plan import CarePeriod


@dataclass(frozen=True)
class CareHistory:
    """Every event recorded (corrections included, oldest first) and the periods of care they describe."""

    events: list[CareEpisodeEvent]
    periods: list[CarePeriod]

    @property
    def in_care(self) -> bool:
        return bool(self.periods) and self.periods[-1].end is None


def as_rule_event(event: CareEpisodeEvent) -> CareEvent:
    return CareEvent(event.id, event.sequence, event.kind, event.effective_on, event.reason, event.corrects_id,
                     event.withdrawn)


def _events(session: Session, patient: Patient) -> list[CareEpisodeEvent]:
    return list(session.scalars(select(CareEpisodeEvent).where(CareEpisodeEvent.patient_id == patient.id)
                                .order_by(CareEpisodeEvent.sequence)))


def care_history(session: Session, patient: Patient) -> CareHistory:
    events = _events(session, patient)
    return CareHistory(events, care_periods([as_rule_event(event) for event in events]))


def care_periods_by_patient(session: Session, ids: Sequence[int]) -> dict[int, list[CarePeriod]]:
    """The periods of care of each of `ids` (one query); a patient without events is in care throughout."""
    events: dict[int, list[CareEvent]] = defaultdict(list)
    for row in session.execute(select(CareEpisodeEvent.patient_id, CareEpisodeEvent.id, CareEpisodeEvent.sequence,
                                      CareEpisodeEvent.kind, CareEpisodeEvent.effective_on, CareEpisodeEvent.reason,
                                      CareEpisodeEvent.corrects_id, CareEpisodeEvent.withdrawn)
                               .where(CareEpisodeEvent.patient_id.in_(list(ids)))):
        events[row.patient_id].append(CareEvent(row.id, row.sequence, row.kind, row.effective_on, row.reason,
                                                row.corrects_id, row.withdrawn))
    return {patient_id: care_periods(events.get(patient_id, [])) for patient_id in ids}


def record_care_event(session: Session, patient: Patient, actor: User, kind: str, effective_on: date,
                      reason: str | None, note: str | None, now: datetime) -> CareEpisodeEvent:
    """Record a start, end (with its reason) or resume of home testing. An end bills the 1-3 tests left unbilled
    as a -52 line at the next generation run; a resume opens a new period of care."""
    if kind == END and reason is None:
        raise invalid({"reason": ["Required: why care ended."]})
    if kind != END and reason is not None:
        raise invalid({"reason": ["Only an end has a reason."]})
    return _append(session, patient, actor, now, kind=kind, effective_on=effective_on, reason=reason, note=note)


def discharge_patient(session: Session, patient: Patient, actor: User, reason: str, effective_on: date,
                      note: str | None, now: datetime) -> CareEpisodeEvent:
    """Record the end of home testing (discharged, died, left coverage)."""
    return record_care_event(session, patient, actor, END, effective_on, reason, note, now)


def correct_care_event(session: Session, patient: Patient, actor: User, event: CareEpisodeEvent, changes: dict,
                       now: datetime) -> CareEpisodeEvent:
    """Correct a recorded event by a new one that replaces it (another date, reason or note) or withdraws it;
    the corrected event stays in the history. A correction of billed care is billed by void and rebill."""
    if event.patient_id != patient.id:
        raise invalid({"event_id": ["Not an event of this patient."]})
    if session.scalar(select(CareEpisodeEvent.id).where(CareEpisodeEvent.corrects_id == event.id)) is not None:
        raise Conflict("This event was already corrected: correct the correction.")
    withdraw = changes.get("withdraw", False)
    reason = changes.get("reason", event.reason)
    if event.kind != END and changes.get("reason") is not None:
        raise invalid({"reason": ["Only an end has a reason."]})
    return _append(session, patient, actor, now, kind=event.kind,
                   effective_on=changes.get("effective_on", event.effective_on), reason=reason,
                   note=changes.get("note", event.note), corrects_id=event.id, withdrawn=withdraw,
                   why=changes["why"])


def _append(session: Session, patient: Patient, actor: User, now: datetime, *, kind: str, effective_on: date,
            reason: str | None, note: str | None, corrects_id: int | None = None, withdrawn: bool = False,
            why: str | None = None) -> CareEpisodeEvent:
    if effective_on > local_date(patient, now):
        raise invalid({"effective_on": ["Must not be in the future (the patient's local date)."]})
    existing = _events(session, patient)
    sequence = 1 + max((event.sequence for event in existing), default=0)
    candidate = CareEvent(0, sequence, kind, effective_on, reason, corrects_id, withdrawn)
    problems = history_problems([*(as_rule_event(event) for event in existing), candidate])
    if problems:
        raise Conflict("The care history would not stand: " + "; ".join(problems) + ".")
    event = CareEpisodeEvent(patient_id=patient.id, sequence=sequence, kind=kind, effective_on=effective_on,
                             reason=reason, note=note if why is None else _with_why(note, why),
                             corrects_id=corrects_id, withdrawn=withdrawn, recorded_by_id=actor.id, created_at=now)
    session.add(event)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("Another change to this patient's care was recorded at the same time; retry.") from exc
    action = "patient.care." + ("correct" if corrects_id else {START: "start", END: "end", RESUME: "resume"}[kind])
    audit.record(session, action, patient_id=patient.public_id, object_type="care_episode_event",
                 object_id=event.public_id, detail={"kind": kind, "effective_on": effective_on.isoformat(),
                                                    "reason": reason, "withdrawn": withdrawn}, now=now)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("Another change to this patient's care was recorded at the same time; retry.") from exc
    return event


def _with_why(note: str | None, why: str) -> str:
    return (f"correction: {why}" + (f"; {note}" if note else ""))[:500]


def record_supply_issue(session: Session, patient: Patient, actor: User, issued_on: date, tests_issued: int,
                        note: str | None, now: datetime) -> SupplyIssue:
    """Record supplies handed to the patient; for payers that bill G0249 on supply issue, the issue backs
    tests_issued // 4 units and dates them."""
    if issued_on > local_date(patient, now):
        raise invalid({"issued_on": ["Must not be in the future (the patient's local date)."]})
    issue = SupplyIssue(patient_id=patient.id, issued_on=issued_on, tests_issued=tests_issued, note=note,
                        recorded_by_id=actor.id, created_at=now)
    session.add(issue)
    session.flush()
    audit.record(session, "patient.supply_issue", patient_id=patient.public_id, object_type="supply_issue",
                 object_id=issue.public_id, detail={"issued_on": issued_on.isoformat(), "tests_issued": tests_issued},
                 now=now)
    session.commit()
    return issue


def supply_issues(session: Session, patient: Patient) -> list[SupplyIssue]:
    return list(session.scalars(select(SupplyIssue).where(SupplyIssue.patient_id == patient.id)
                                .order_by(SupplyIssue.issued_on, SupplyIssue.id)))
