"""Home-testing clearance: the physician's order and facts, eligibility per NCD criterion, and the decisions
(with the local date periods a patient was cleared, as the billing rules need them), suspension included. A patient
brought in with history is cleared from a past date, on the facts as they stood then (training done elsewhere
included)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ClearanceDecision, InrResult, Patient, PriorTraining, User
from models.training import EligibilityFact, HomeTestingOrder, TrainingSession
from service import audit, outbox
from service.errors import Conflict, invalid
from service.history import trainee_label as trained_elsewhere
from service.patients import local_date, payer_rules
from service.rules.counting import ClearancePeriod
from service.rules.eligibility import (
    Clearance,
    Demonstration,
    EligibilityFacts,
    PhysicianOrder,
    evaluate_clearance,
)
from service.rules.payer import PayerRules

_ONE_DAY = timedelta(days=1)


def clearance_periods(session: Session, patient: Patient) -> list[ClearancePeriod]:
    """The local date periods `patient` was cleared for home testing (see fold_periods)."""
    return fold_periods(session.execute(
        select(ClearanceDecision.status, ClearanceDecision.effective_on)
        .where(ClearanceDecision.patient_id == patient.id)
        .order_by(ClearanceDecision.effective_on, ClearanceDecision.id)))


def clearance_standing(session: Session, patient: Patient) -> tuple[list[ClearancePeriod], str]:
    """clearance_periods and status in one query: the periods in the order decisions take effect, the status from
    the decision made last."""
    rows = session.execute(select(ClearanceDecision.id, ClearanceDecision.status, ClearanceDecision.effective_on,
                                  ClearanceDecision.created_at).where(ClearanceDecision.patient_id == patient.id)).all()
    in_effect_order = sorted(rows, key=lambda row: (row.effective_on, row.id))
    in_order_made = sorted(rows, key=lambda row: (row.created_at, row.id))  # as `decisions` orders them
    return fold_periods(in_effect_order), _current(in_order_made)


def periods_by_patient(session: Session, patient_ids: Sequence[int]) -> dict[int, list[ClearancePeriod]]:
    """clearance_periods for many patients in one query (every id is a key, [] for one never cleared)."""
    decisions: dict[int, list] = {patient_id: [] for patient_id in patient_ids}
    for row in session.execute(
            select(ClearanceDecision.patient_id, ClearanceDecision.status, ClearanceDecision.effective_on)
            .where(ClearanceDecision.patient_id.in_(patient_ids))
            .order_by(ClearanceDecision.patient_id, ClearanceDecision.effective_on, ClearanceDecision.id)):
        decisions[row.patient_id].append(row)
    return {patient_id: fold_periods(rows) for patient_id, rows in decisions.items()}


def fold_periods(decisions: Iterable) -> list[ClearancePeriod]:
    """Fold decisions (with `status` and `effective_on`, in the order they take effect) into periods: cleared
    until the day before a revocation or suspension takes effect (that day itself is not cleared)."""
    periods: list[ClearancePeriod] = []
    open_since = None
    for decision in decisions:
        if decision.status == "cleared" and open_since is None:
            open_since = decision.effective_on
        elif decision.status in ("revoked", "suspended") and open_since is not None:
            if decision.effective_on > open_since:
                periods.append(ClearancePeriod(open_since, decision.effective_on - _ONE_DAY))
            open_since = None
    if open_since is not None:
        periods.append(ClearancePeriod(open_since, None))
    return periods



def record_order(session: Session, patient: Patient, physician: User, ordered_on: date, note: str | None,
                 now: datetime) -> HomeTestingOrder:
    if ordered_on > local_date(patient, now):
        raise invalid({"ordered_on": ["Must not be in the future."]})
    if patient.warfarin_start_date is not None and ordered_on < patient.warfarin_start_date:
        raise invalid({"ordered_on": [f"An order for home INR testing cannot predate the start of warfarin "
                                      f"({patient.warfarin_start_date.isoformat()})."]})
    if ordered_on < patient.date_of_birth:
        raise invalid({"ordered_on": ["Must not be before the patient's date of birth."]})
    order = HomeTestingOrder(patient=patient, physician=physician, ordered_on=ordered_on, note=note, created_at=now)
    session.add(order)
    session.flush()
    audit.record(session, "clearance.order.create", patient_id=patient.public_id, object_type="home_testing_order",
                 object_id=order.public_id, now=now)
    session.commit()
    return order


def orders(session: Session, patient: Patient) -> list[HomeTestingOrder]:
    return list(session.scalars(select(HomeTestingOrder).where(HomeTestingOrder.patient_id == patient.id)
                                .order_by(HomeTestingOrder.created_at, HomeTestingOrder.id)))


def record_fact(session: Session, patient: Patient, actor: User, name: str, value: bool, note: str | None,
                now: datetime) -> EligibilityFact:
    """A physician's statement of a fact a payer's criteria read; a trainer's is a proposal that counts only once
    the physician confirms it."""
    fact = EligibilityFact(patient=patient, name=name, value=value, note=note, recorded_by=actor, recorded_at=now)
    session.add(fact)
    session.flush()
    audit.record(session, "clearance.fact.record" if stated(fact) else "clearance.fact.propose",
                 patient_id=patient.public_id, object_type="eligibility_fact", object_id=fact.public_id,
                 detail={"name": name, "value": value}, now=now)
    session.commit()
    return fact


def confirm_fact(session: Session, proposal: EligibilityFact, physician: User, now: datetime) -> EligibilityFact:
    """The physician's confirmation of a proposed fact: a statement of their own that points at the proposal."""
    if stated(proposal):
        raise Conflict("This fact was stated by a physician; there is nothing to confirm.")
    if session.scalar(select(EligibilityFact.id).where(EligibilityFact.confirms_id == proposal.id)) is not None:
        raise Conflict("This proposal is already confirmed.")
    confirmation = EligibilityFact(patient_id=proposal.patient_id, name=proposal.name, value=proposal.value,
                                   note=proposal.note, recorded_by=physician, recorded_at=now,
                                   confirms_id=proposal.id)
    session.add(confirmation)
    session.flush()
    audit.record(session, "clearance.fact.confirm", patient_id=proposal.patient.public_id,
                 object_type="eligibility_fact", object_id=confirmation.public_id,
                 detail={"name": proposal.name, "value": proposal.value, "confirms": str(proposal.public_id)},
                 now=now)
    session.commit()
    return confirmation


def stated(fact: EligibilityFact) -> bool:
    """A fact counts when a physician stated it (their own or their confirmation of a trainer's proposal)."""
    return fact.recorded_by.role == "physician"


def facts(session: Session, patient: Patient) -> list[EligibilityFact]:
    return list(session.scalars(select(EligibilityFact).where(EligibilityFact.patient_id == patient.id)
                                .order_by(EligibilityFact.recorded_at, EligibilityFact.id)))


def _trainee_label(ts: TrainingSession) -> str:
    return f"caregiver {ts.trainee_caregiver.full_name}" if ts.trainee_caregiver else "the patient"


def demonstrations(session: Session, patient: Patient) -> tuple[Demonstration, ...]:
    """Every signed session, and every training with documented competency done elsewhere before the patient came,
    as the eligibility and reassessment rules read them, oldest first."""
    signed = [Demonstration(local_date(patient, ts.occurred_at), ts.kind, ts.outcome == "competent",
                            _trainee_label(ts), ts.trainee_kind == "caregiver")
              for ts in session.scalars(select(TrainingSession).where(TrainingSession.patient_id == patient.id)
                                        .order_by(TrainingSession.occurred_at, TrainingSession.id))]
    elsewhere = [Demonstration(prior.trained_on, prior.kind, True, trained_elsewhere(prior),
                               prior.trainee_kind == "caregiver")
                 for prior in session.scalars(select(PriorTraining).where(PriorTraining.patient_id == patient.id)
                                              .order_by(PriorTraining.trained_on, PriorTraining.id))]
    return tuple(sorted(elsewhere + signed, key=lambda demonstration: demonstration.on))


def home_testing_start(session: Session, patient: Patient) -> date | None:
    """The patient-local day of the first home test on or after the patient was first cleared. Results before
    clearance (a test before training, a value phoned in early) are kept and shown, and block nothing."""
    first_cleared = session.scalar(select(func.min(ClearanceDecision.effective_on)).where(
        ClearanceDecision.patient_id == patient.id, ClearanceDecision.status == "cleared"))
    if first_cleared is None:
        return None
    # Local days start up to 14 hours before UTC midnight: read from the day before, keep the local day's.
    candidates = session.scalars(select(InrResult.measured_at).where(
        InrResult.patient_id == patient.id,
        InrResult.measured_at >= datetime.combine(first_cleared - _ONE_DAY, datetime.min.time(), timezone.utc))
        .order_by(InrResult.measured_at).limit(50))
    days = [local_date(patient, at) for at in candidates]
    return next((day for day in days if day >= first_cleared), None)


def eligibility_facts(session: Session, patient: Patient) -> EligibilityFacts:
    """What is on file, in the form the pure eligibility rule reads."""
    order_list = orders(session, patient)
    order = PhysicianOrder(order_list[-1].ordered_on, order_list[-1].physician.full_name) if order_list else None
    return EligibilityFacts(
        indications=tuple(patient.current_indications), warfarin_start=patient.warfarin_start_date,
        home_testing_start=home_testing_start(session, patient), demonstrations=demonstrations(session, patient),
        physician_order=order,
        # In order, the latest wins; a trainer's proposal counts once the physician confirms it.
        extra_facts={fact.name: fact.value for fact in facts(session, patient) if stated(fact)},
    )


def clinic_payer_rules(patient: Patient, reassessment_months: int) -> PayerRules:
    """The payer's terms with the clinic's reassessment interval when it is the shorter."""
    rules = payer_rules(patient.payer)
    return replace(rules, reassessment_months=min(rules.reassessment_months, reassessment_months))


def evaluate(session: Session, patient: Patient, now: datetime, reassessment_months: int) -> Clearance:
    return evaluate_clearance(eligibility_facts(session, patient), clinic_payer_rules(patient, reassessment_months),
                              local_date(patient, now))


@dataclass(frozen=True)
class FactListing:
    items: list[EligibilityFact]
    current: dict[str, bool]


def fact_listing(session: Session, patient: Patient) -> FactListing:
    found = facts(session, patient)
    return FactListing(found, {fact.name: fact.value for fact in found if stated(fact)})  # the latest wins


@dataclass(frozen=True)
class Eligibility:
    payer: str
    evaluated_on: date
    eligible: bool
    clearance_status: str
    criteria: tuple


def eligibility(session: Session, patient: Patient, now: datetime, reassessment_months: int) -> Eligibility:
    """Each criterion of the patient's payer evaluated on what is recorded, and the clearance in force."""
    result = evaluate(session, patient, now, reassessment_months)
    return Eligibility(patient.payer_code, local_date(patient, now), result.cleared, status(session, patient),
                       result.criteria)


@dataclass(frozen=True)
class ClearanceHistory:
    status: str
    decisions: list[ClearanceDecision]


def history(session: Session, patient: Patient) -> ClearanceHistory:
    found = decisions(session, patient)
    return ClearanceHistory(_current(found), found)


def decisions(session: Session, patient: Patient) -> list[ClearanceDecision]:
    return list(session.scalars(select(ClearanceDecision).where(ClearanceDecision.patient_id == patient.id)
                                .order_by(ClearanceDecision.created_at, ClearanceDecision.id)))


def status(session: Session, patient: Patient) -> str:
    return _current(decisions(session, patient))


def _current(history: Sequence) -> str:
    """The status in force: that of the decision made last (`history` in the order decisions were made)."""
    return history[-1].status if history else "not_cleared"


def decide(session: Session, patient: Patient, actor: User, decision: str, reason: str, now: datetime,
           reassessment_months: int, effective_on: date | None = None) -> ClearanceDecision:
    """Clear a patient only when every criterion is met on recorded facts (also to end a suspension); revoke with
    a reason (also a suspended clearance).

    A clearance takes effect today, or on `effective_on` (a past day) for a patient brought in with their history:
    every criterion must have been met on that day, on the facts recorded for it (training done elsewhere, the
    order's date, the anticoagulation by then), and must still be met today. It is never dated before the decision
    in force, and a day before the patient's enrolment needs their go-live date first (billing starts there).
    """
    history = decisions(session, patient)
    current = _current(history)
    today = local_date(patient, now)
    clearance = evaluate(session, patient, now, reassessment_months)
    if decision == "cleared":
        if current == "cleared":
            raise Conflict("The patient is already cleared for home testing.")
        if effective_on is not None:
            _check_past_day(patient, history, effective_on, today)
        if not clearance.cleared:
            unmet = {c.name: [f"{c.status}: {c.evidence}"] for c in clearance.outstanding}
            raise Conflict("Not every eligibility criterion is met: " + ", ".join(unmet) + ".", errors=unmet)
        if effective_on is not None:
            clearance = _cleared_on(session, patient, effective_on, reassessment_months)
    elif current not in ("cleared", "suspended"):
        raise Conflict("The patient is not cleared for home testing; there is nothing to revoke.")
    elif effective_on is not None:
        raise invalid({"effective_on": ["Only a clearance takes effect on a past day; a revocation takes effect the "
                                        "day it is decided (void what was billed after it, if anything)."]})
    on = effective_on or today
    row = ClearanceDecision(patient=patient, sequence=len(history) + 1, status=decision, effective_on=on,
                            decided_by=actor, reason=reason, created_at=now,
                            evidence={c.name: {"status": c.status, "evidence": c.evidence} for c in clearance.criteria})
    session.add(row)
    session.flush()
    audit.record(session, f"clearance.{decision}", patient_id=patient.public_id, object_type="clearance_decision",
                 object_id=row.public_id,
                 detail={"effective_on": on.isoformat(), "decided_on": today.isoformat()} if on != today else None,
                 now=now)
    session.commit()
    return row


def _check_past_day(patient: Patient, history: list[ClearanceDecision], effective_on: date, today: date) -> None:
    if effective_on > today:
        raise invalid({"effective_on": [f"Must not be after today ({today})."]})
    if history and effective_on < history[-1].effective_on:
        raise invalid({"effective_on": [f"Must not be before the decision in force ({history[-1].status} from "
                                        f"{history[-1].effective_on})."]})
    if effective_on < local_date(patient, patient.created_at) and patient.go_live_on is None:
        raise invalid({"effective_on": ["Before the patient's enrolment: record their go-live date first, so that "
                                        "their history is not billed here."]})


def _cleared_on(session: Session, patient: Patient, effective_on: date, reassessment_months: int) -> Clearance:
    """The eligibility on `effective_on` that a clearance from that past day rests on, or the reason it cannot."""
    then = evaluate_clearance(eligibility_facts(session, patient),
                              clinic_payer_rules(patient, reassessment_months), effective_on)
    if not then.cleared:
        unmet = {c.name: [f"{c.status} on {effective_on}: {c.evidence}"] for c in then.outstanding}
        raise Conflict(f"Not every eligibility criterion was met on {effective_on}: " + ", ".join(unmet) + ".",
                       errors=unmet)
    return then


def suspend(session: Session, patient: Patient, decided_by: User | None, effective_on: date, reason: str,
            evidence: dict, now: datetime) -> ClearanceDecision | None:
    """Suspend a cleared patient's home testing from `effective_on` (NCD criterion 3), in the caller's transaction:
    nothing is billed from that day, results are still recorded and alert, and the patient is told to contact the
    clinic. None when the patient is not cleared. `decided_by` None: the scheduler."""
    history = decisions(session, patient)
    if _current(history) != "cleared":
        return None
    row = ClearanceDecision(patient=patient, sequence=len(history) + 1, status="suspended",
                            effective_on=max(effective_on, history[-1].effective_on), decided_by=decided_by,
                            reason=reason, evidence=evidence, created_at=now)
    session.add(row)
    session.flush()
    outbox.enqueue(session, key=f"clearance.suspended:{row.public_id}", kind="reminder.home_testing_suspended",
                   now=now, recipient_user_id=patient.user_id, patient_id=patient.id,
                   payload={"patient_id": str(patient.public_id), "effective_on": row.effective_on.isoformat(),
                            "message": "Your home testing is paused until your use of the meter is checked again: "
                                       "please contact your clinic."})
    audit.record(session, "clearance.suspended", patient_id=patient.public_id, object_type="clearance_decision",
                 object_id=row.public_id, detail={"reason": reason, "by": "scheduler" if decided_by is None else
                                                  decided_by.role}, now=now)
    return row
