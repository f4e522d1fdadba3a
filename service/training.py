"""The training aggregate: checklist versions, signed sessions and their amendments, progress, the 93792 event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import BillableEvent, CaregiverLink, Patient, User
from models.training import ChecklistItem, ChecklistTemplate, TrainingAmendment, TrainingItemOutcome, TrainingSession
from service import alerts, audit, clearance
from service.errors import Conflict, invalid
from service.patients import local_date, payer_rules
from service.rules.claim_plan import TRAINING_KIND
from service.rules.reassessment import suspends_at_once
from service.rules.training import ChecklistEntry, competency_gaps, readings_agree

# The keys of the elements 93792 names: every checklist version must keep them, required.
BILLED_KEYS = ("meter_use_and_care", "blood_sample", "reporting_results", "demonstration")
TRAINER_ROLES = ("trainer", "physician")
FUTURE_SLACK = timedelta(minutes=5)  # a trainer's clock may run a little ahead of ours


# ---- checklist versions ----

def templates(session: Session) -> list[ChecklistTemplate]:
    return list(session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.version)))


def template(session: Session, version: int | None = None) -> ChecklistTemplate | None:
    query = select(ChecklistTemplate)
    query = query.where(ChecklistTemplate.version == version) if version is not None \
        else query.order_by(ChecklistTemplate.version.desc()).limit(1)
    return session.scalar(query)


def create_template(session: Session, actor: User, items: list[dict], note: str | None,
                    now: datetime) -> ChecklistTemplate:
    """A new checklist version; earlier versions, and the sessions recorded with them, stay as they were."""
    keys = [item["key"] for item in items]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise invalid({"items": [f"Duplicate key: {key}." for key in duplicates]})
    by_key = {item["key"]: item for item in items}
    missing = [key for key in BILLED_KEYS if key not in by_key or not by_key[key]["required"]
               or by_key[key]["category"] != "93792"]
    if missing:
        raise invalid({"items": [f"{key}: the 93792 elements stay in every version, required, in category "
                                 f"93792." for key in missing]})
    latest = session.scalar(select(func.max(ChecklistTemplate.version))) or 0
    version = ChecklistTemplate(version=latest + 1, note=note, created_by_id=actor.public_id,
                                created_by_name=actor.full_name, created_at=now)
    version.items = [ChecklistItem(position=position, key=item["key"], text=item["text"],
                                   category=item["category"], required=item["required"])
                     for position, item in enumerate(items, start=1)]
    session.add(version)
    try:
        session.flush()
    except IntegrityError as exc:  # two versions written at once: the later one retries with a fresh number
        session.rollback()
        raise Conflict("Another checklist version was created at the same time; retry.") from exc
    audit.record(session, "training.template.create", object_type="checklist_template",
                 object_id=version.public_id, detail={"version": version.version}, now=now)
    session.commit()
    return version


# ---- the session as signed and as corrected ----

def _test_view(trainee_inr, clinic_inr, tolerance, agree) -> dict | None:
    if trainee_inr is None:
        return None
    return {"trainee_inr": Decimal(trainee_inr), "clinic_inr": None if clinic_inr is None else Decimal(clinic_inr),
            "tolerance": Decimal(tolerance), "agree": agree}


def recorded(ts: TrainingSession) -> dict:
    """The amendable part of the session exactly as it was signed."""
    outcomes = {row.item.key: row for row in ts.item_outcomes}
    return {
        "place": ts.place,
        "meter_serial": ts.meter_serial,
        "next_session_on": ts.next_session_on,
        "items": [{"key": item.key, "text": item.text, "category": item.category, "required": item.required,
                   "outcome": outcomes[item.key].outcome if item.key in outcomes else None,
                   "note": outcomes[item.key].note if item.key in outcomes else None}
                  for item in ts.template.items],
        "supervised_test": _test_view(ts.test_trainee_inr, ts.test_clinic_inr, ts.test_tolerance, ts.test_agree),
    }


def _apply(view: dict, changes: dict) -> dict:
    view = {**view, "items": [dict(item) for item in view["items"]]}
    for name in ("place", "meter_serial"):
        if name in changes:
            view[name] = changes[name]
    if "next_session_on" in changes:
        value = changes["next_session_on"]
        view["next_session_on"] = date.fromisoformat(value) if value else None
    for item in view["items"]:
        if item["key"] in changes.get("items", {}):
            item.update(changes["items"][item["key"]])
    if "supervised_test" in changes:
        test = changes["supervised_test"]
        view["supervised_test"] = _test_view(test["trainee_inr"], test["clinic_inr"], test["tolerance"],
                                             test["agree"])
    return view


def current(ts: TrainingSession) -> dict:
    """The session as corrected: the signed record with every amendment applied in order."""
    view = recorded(ts)
    for amendment in ts.amendments:
        view = _apply(view, amendment.changes)
    return view


def _gaps(view: dict) -> list[str]:
    checklist = [ChecklistEntry(item["key"], item["category"], item["required"]) for item in view["items"]]
    outcomes = {item["key"]: item["outcome"] for item in view["items"] if item["outcome"]}
    test = view["supervised_test"]
    return competency_gaps(checklist, outcomes, test is not None, test["agree"] if test else None)


# ---- recording ----

def _trainee(session: Session, patient: Patient, data: dict, now: datetime) -> User | None:
    caregiver_id = data.get("caregiver_id")
    if data["trainee"] == "patient":
        if caregiver_id is not None:
            raise invalid({"caregiver_id": ["Only for a caregiver trainee."]})
        return None
    if caregiver_id is None:
        raise invalid({"caregiver_id": ["Required when the trainee is a caregiver."]})
    links = session.scalars(select(CaregiverLink).join(CaregiverLink.caregiver).where(
        User.public_id == caregiver_id, CaregiverLink.patient_id == patient.id))
    # Staff often link a caregiver right after training them: a link in force at the session or now will do.
    link = next((link for link in links if link.active_at(data["occurred_at"]) or link.active_at(now)), None)
    if link is None:
        raise invalid({"caregiver_id": ["Not a caregiver linked to this patient."]})
    return link.caregiver


def _trainer(session: Session, actor: User, trainer_id: uuid.UUID | None) -> User:
    if trainer_id is None:
        if actor.role not in TRAINER_ROLES:
            raise invalid({"trainer_id": ["Required: the trainer or physician who ran the session."]})
        return actor
    trainer = session.scalar(select(User).where(User.public_id == trainer_id, User.active.is_(True),
                                                User.role.in_(TRAINER_ROLES), User.practice_id == actor.practice_id))
    if trainer is None:
        raise invalid({"trainer_id": ["No active trainer or physician has this id."]})
    return trainer


def _item_outcomes(checklist: ChecklistTemplate, entries: list[dict], field: str = "items") -> dict:
    by_key = {item.key: item for item in checklist.items}
    problems, seen, chosen = {}, set(), {}
    for position, entry in enumerate(entries):
        key = entry["key"]
        if key not in by_key:
            problems[str(position)] = [f"{key!r} is not an item of checklist version {checklist.version}."]
        elif key in seen:
            problems[str(position)] = [f"{key!r} appears twice."]
        seen.add(key)
        chosen[key] = {"outcome": entry["outcome"], "note": entry.get("note")}
    if problems:
        raise invalid({field: problems})
    return chosen


def _supervised_test(data: dict | None, tolerance: Decimal) -> dict | None:
    if data is None:
        return None
    clinic = data.get("clinic_inr")
    return {"trainee_inr": data["trainee_inr"], "clinic_inr": clinic, "tolerance": tolerance,
            "agree": readings_agree(data["trainee_inr"], clinic, tolerance)}


def record_training(session: Session, patient: Patient, actor: User, data: dict, tolerance: Decimal,
                    now: datetime) -> TrainingView:
    """Sign a session; the first competent initial training also writes the patient's one training event."""
    if data["occurred_at"] > now + FUTURE_SLACK:
        raise invalid({"occurred_at": ["Must not be in the future."]})
    checklist = template(session, data.get("template_version"))
    if checklist is None:
        raise invalid({"template_version": ["No checklist version with this number."]})
    trainee = _trainee(session, patient, data, now)
    trainer = _trainer(session, actor, data.get("trainer_id"))
    chosen = _item_outcomes(checklist, data["items"])
    test = _supervised_test(data.get("supervised_test"), tolerance)
    next_on = data.get("next_session_on")
    if next_on is not None and next_on < local_date(patient, data["occurred_at"]):
        raise invalid({"next_session_on": ["Must not be before the session."]})
    ts = TrainingSession(
        patient=patient, trainee_kind=data["trainee"], trainee_caregiver=trainee, kind=data["kind"],
        template=checklist, occurred_at=data["occurred_at"], place=data["place"], trainer=trainer,
        meter_serial=data["meter_serial"], outcome=data["outcome"], next_session_on=next_on,
        test_trainee_inr=test["trainee_inr"] if test else None, test_clinic_inr=test["clinic_inr"] if test else None,
        test_tolerance=test["tolerance"] if test else None, test_agree=test["agree"] if test else None,
        signed_by=actor, signed_at=now)
    by_key = {item.key: item for item in checklist.items}
    ts.item_outcomes = [TrainingItemOutcome(item=by_key[key], outcome=value["outcome"], note=value["note"])
                        for key, value in chosen.items()]
    if ts.outcome == "competent":
        gaps = _gaps(recorded(ts))
        if gaps:
            raise invalid({"outcome": gaps}, "The session cannot be signed competent yet.")
    session.add(ts)
    session.flush()
    audit.record(session, "training.session.sign", patient_id=patient.public_id, object_type="training_session",
                 object_id=ts.public_id, detail={"kind": ts.kind, "outcome": ts.outcome}, now=now)
    if ts.outcome == "competent" and ts.kind == "initial":
        _bill_initial_training(session, patient, ts, now)
    _continued_use(session, patient, actor, ts, now)
    session.commit()
    return describe(ts)


def _continued_use(session: Session, patient: Patient, actor: User, ts: TrainingSession, now: datetime) -> None:
    """NCD criterion 3, in the session's transaction: a reassessment (or retraining) signed "not yet competent"
    suspends a cleared patient's home testing at once; a competent sign-off closes an overdue-reassessment alert."""
    if suspends_at_once(ts.kind, ts.outcome):
        on = local_date(patient, ts.occurred_at)
        clearance.suspend(session, patient, actor, on, f"{ts.kind} on {on} signed not yet competent",
                          {"continued_correct_use": {"session_id": str(ts.public_id), "outcome": ts.outcome}}, now)
    elif ts.outcome == "competent":
        alerts.resolve(session, alerts.unresolved(session, patient, "reassessment_overdue"), "reassessed",
                       f"{ts.kind} signed competent on {local_date(patient, ts.occurred_at)}", actor, now,
                       {"session_id": str(ts.public_id)})


def training_event_key(patient: Patient) -> str:
    return f"training:{patient.public_id}"


def _bill_initial_training(session: Session, patient: Patient, ts: TrainingSession, now: datetime) -> None:
    """93792 (or the payer's G0248) is billed once per patient, at initiation; later sessions are not billed."""
    key = training_event_key(patient)
    if session.scalar(select(BillableEvent.id).where(BillableEvent.event_key == key)) is not None:
        return
    event = BillableEvent(event_key=key, patient=patient, kind=TRAINING_KIND,
                          code=payer_rules(patient.payer).training_code,
                          service_date=local_date(patient, ts.occurred_at), occurred_at=ts.occurred_at,
                          rendering_provider=ts.trainer, source_type="training_session",
                          source_id=str(ts.public_id), result_ids=[])
    try:
        with session.begin_nested():  # a concurrent sign-off may have written it first: one event either way
            session.add(event)
    except IntegrityError:
        return
    audit.record(session, "billing.event.create", patient_id=patient.public_id, object_type="billable_event",
                 object_id=event.public_id, detail={"code": event.code, "event_key": key}, now=now)


def recorded_sessions(session: Session, patient: Patient) -> list[TrainingSession]:
    return list(session.scalars(select(TrainingSession).where(TrainingSession.patient_id == patient.id)
                                .order_by(TrainingSession.occurred_at, TrainingSession.id)))


def trainings_of(session: Session, patient: Patient) -> list[TrainingView]:
    """The patient's signed sessions, oldest first, as the checklist client and the dashboard read them."""
    return [describe(ts) for ts in recorded_sessions(session, patient)]


@dataclass(frozen=True)
class TrainingView:
    """A signed session with what is derived from it: its local date, the state as signed and as corrected."""

    record: TrainingSession
    local_date: date
    recorded: dict
    current: dict


def describe(ts: TrainingSession) -> TrainingView:
    return TrainingView(ts, local_date(ts.patient, ts.occurred_at), recorded(ts), current(ts))


def amend(session: Session, ts: TrainingSession, actor: User, data: dict, tolerance: Decimal,
          now: datetime) -> TrainingView:
    """Correct a signed session with a new entry; a competent session must stay competent once corrected."""
    patient = ts.patient
    changes: dict = {}
    for name in ("place", "meter_serial"):
        if name in data:
            changes[name] = data[name]
    if "next_session_on" in data:
        next_on = data["next_session_on"]
        if next_on is not None and next_on < local_date(patient, ts.occurred_at):
            raise invalid({"next_session_on": ["Must not be before the session."]})
        changes["next_session_on"] = next_on.isoformat() if next_on else None
    if "items" in data:
        changes["items"] = _item_outcomes(ts.template, data["items"])
    if "supervised_test" in data:
        test = _supervised_test(data["supervised_test"], ts.test_tolerance or tolerance)
        changes["supervised_test"] = {name: (str(value) if isinstance(value, Decimal) else value)
                                      for name, value in test.items()}
    if not changes:
        raise invalid({"_schema": ["Name at least one corrected field."]})
    if ts.outcome == "competent":
        gaps = _gaps(_apply(current(ts), changes))
        if gaps:
            raise invalid({"outcome": gaps}, "The correction would leave a competent sign-off incomplete; "
                                             "record a new session instead.")
    # By id, not through ts.amendments: appending to the signed session's collection would mark it changed.
    amendment = TrainingAmendment(session_id=ts.id, amended_by=actor, amended_at=now, reason=data["reason"],
                                  changes=changes)
    session.add(amendment)
    session.flush()
    audit.record(session, "training.session.amend", patient_id=patient.public_id, object_type="training_session",
                 object_id=ts.public_id, detail={"amendment": str(amendment.public_id), "fields": sorted(changes)},
                 now=now)
    session.commit()
    session.expire(ts, ["amendments"])
    return describe(ts)


# ---- what the checklist client shows ----

def progress(session: Session, patient: Patient, now: datetime) -> dict:
    """Per item of the current checklist, the latest outcome across sessions; the next planned session."""
    checklist = template(session)
    history = recorded_sessions(session, patient)
    latest: dict[str, tuple[str, date]] = {}
    next_on = None
    for ts in history:
        view = current(ts)
        for item in view["items"]:
            if item["outcome"]:
                latest[item["key"]] = (item["outcome"], local_date(patient, ts.occurred_at))
        next_on = view["next_session_on"]
    items = []
    for item in checklist.items:
        outcome, on = latest.get(item.key, (None, None))
        status = "not_started" if outcome is None else "needs_practice" if outcome == "needs_practice" else "done"
        items.append({"key": item.key, "text": item.text, "category": item.category, "required": item.required,
                      "status": status, "last_outcome": outcome, "last_session_on": on})
    competent = [ts for ts in history if ts.outcome == "competent"]
    return {
        "template_version": checklist.version,
        "competent": bool(competent),
        "competent_on": local_date(patient, competent[-1].occurred_at) if competent else None,
        "sessions": len(history),
        "items": items,
        "done": [item["key"] for item in items if item["status"] == "done"],
        "left": [item["key"] for item in items if item["status"] != "done" and item["required"]],
        "next_session_on": next_on if next_on is not None and next_on >= local_date(patient, now) else None,
    }
