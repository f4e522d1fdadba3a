"""Home-testing clearance: the physician's order and facts, eligibility per NCD criterion, and the decisions
(with the local date periods a patient was cleared, as the billing rules need them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ClearanceDecision, InrResult, Patient, User
from models.training import EligibilityFact, HomeTestingOrder, TrainingSession
from service import audit
from service.errors import Conflict, invalid
from service.patients import local_date, payer_rules
from service.rules.counting import ClearancePeriod
from service.rules.eligibility import Clearance, EligibilityFacts, PhysicianOrder, TrainingRecord, evaluate_clearance

_ONE_DAY = timedelta(days=1)


def clearance_periods(session: Session, patient: Patient) -> list[ClearancePeriod]:
    """The local date periods `patient` was cleared for home testing (see fold_periods)."""
    return fold_periods(session.execute(
        select(ClearanceDecision.status, ClearanceDecision.effective_on)
        .where(ClearanceDecision.patient_id == patient.id)
        .order_by(ClearanceDecision.effective_on, ClearanceDecision.id)))


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
    until the day before a revocation takes effect (the revocation day itself is not cleared)."""
    periods: list[ClearancePeriod] = []
    open_since = None
    for decision in decisions:
        if decision.status == "cleared" and open_since is None:
            open_since = decision.effective_on
        elif decision.status == "revoked" and open_since is not None:
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


def eligibility_facts(session: Session, patient: Patient) -> EligibilityFacts:
    """What is on file, in the form the pure eligibility rule reads."""
    competent = [ts for ts in session.scalars(
        select(TrainingSession).where(TrainingSession.patient_id == patient.id, TrainingSession.outcome == "competent")
        .order_by(TrainingSession.occurred_at, TrainingSession.id))]
    # Face-to-face training: the first competent training (it is what must precede home use); continued correct
    # use: the latest competent session of any kind, reassessments included.
    trainings = [ts for ts in competent if ts.kind in ("initial", "retraining")]
    training = TrainingRecord(local_date(patient, trainings[0].occurred_at), _trainee_label(trainings[0])) \
        if trainings else None
    last = local_date(patient, competent[-1].occurred_at) if competent else None
    order_list = orders(session, patient)
    order = PhysicianOrder(order_list[-1].ordered_on, order_list[-1].physician.full_name) if order_list else None
    first_test = session.scalar(select(func.min(InrResult.measured_at)).where(InrResult.patient_id == patient.id))
    return EligibilityFacts(
        indications=tuple(patient.current_indications), warfarin_start=patient.warfarin_start_date,
        home_testing_start=local_date(patient, first_test) if first_test else None, training=training,
        physician_order=order, last_competency_assessment=last,
        # In order, the latest wins; a trainer's proposal counts once the physician confirms it.
        extra_facts={fact.name: fact.value for fact in facts(session, patient) if stated(fact)},
    )


def evaluate(session: Session, patient: Patient, now: datetime) -> Clearance:
    return evaluate_clearance(eligibility_facts(session, patient), payer_rules(patient.payer),
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


def eligibility(session: Session, patient: Patient, now: datetime) -> Eligibility:
    """Each criterion of the patient's payer evaluated on what is recorded, and the clearance in force."""
    result = evaluate(session, patient, now)
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


def _current(history: list[ClearanceDecision]) -> str:
    return history[-1].status if history else "not_cleared"


def decide(session: Session, patient: Patient, actor: User, decision: str, reason: str,
           now: datetime) -> ClearanceDecision:
    """Clear a patient only when every criterion is met on recorded facts; revoke with a reason."""
    history = decisions(session, patient)
    current = _current(history)
    clearance = evaluate(session, patient, now)
    if decision == "cleared":
        if current == "cleared":
            raise Conflict("The patient is already cleared for home testing.")
        if not clearance.cleared:
            unmet = {c.name: [f"{c.status}: {c.evidence}"] for c in clearance.outstanding}
            raise Conflict("Not every eligibility criterion is met: " + ", ".join(unmet) + ".", errors=unmet)
    elif current != "cleared":
        raise Conflict("The patient is not cleared for home testing; there is nothing to revoke.")
    row = ClearanceDecision(patient=patient, sequence=len(history) + 1, status=decision,
                            effective_on=local_date(patient, now),
                            decided_by=actor, reason=reason, created_at=now,
                            evidence={c.name: {"status": c.status, "evidence": c.evidence} for c in clearance.criteria})
    session.add(row)
    session.flush()
    audit.record(session, f"clearance.{decision}", patient_id=patient.public_id, object_type="clearance_decision",
                 object_id=row.public_id, now=now)
    session.commit()
    return row
