"""Scheduler job (daily): continued correct use of the meter (NCD 190.11, criterion 3). For each patient in home
testing, a reassessment overdue since its due day opens a routine alert for the physician; once its grace has
passed too, home-testing clearance is suspended (nothing is billed from that day; results are still recorded and
alert; the patient is told to contact the clinic)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import PriorTraining
from models.training import TrainingSession
from service import alerts, clearance
from service.home_testing import home_testing_batches
from service.patients import local_date
from service.rules.reassessment import OVERDUE, SUSPEND, reassessment_schedule
from service.settings import Settings


def check_reassessments(session: Session, now: datetime, *, settings: Settings) -> dict:
    """Judge each cleared patient's last competent sign-off on their local today. Alerts and suspensions have
    natural keys (the due day; the decision's sequence in the patient's history): a re-run, or a second scheduler,
    does nothing twice."""
    outcome = {"checked": 0, "alerted": 0, "suspended": 0, "no_sign_off": 0, "conflicts": 0}
    for batch in home_testing_batches(session, now):
        ids = [patient.id for patient, _ in batch]
        by_id = {patient.id: patient for patient, _ in batch}
        # The last competent sign-off, as a local day: a session signed here, or a training (or reassessment) done
        # elsewhere before the patient came (service.history).
        latest: dict[int, dict[str, date]] = defaultdict(dict)
        for patient_id, trainee_kind, last in session.execute(
                select(TrainingSession.patient_id, TrainingSession.trainee_kind, func.max(TrainingSession.occurred_at))
                .where(TrainingSession.patient_id.in_(ids), TrainingSession.outcome == "competent")
                .group_by(TrainingSession.patient_id, TrainingSession.trainee_kind)):
            latest[patient_id][trainee_kind] = local_date(by_id[patient_id], last)
        for patient_id, trainee_kind, last in session.execute(
                select(PriorTraining.patient_id, PriorTraining.trainee_kind, func.max(PriorTraining.trained_on))
                .where(PriorTraining.patient_id.in_(ids))
                .group_by(PriorTraining.patient_id, PriorTraining.trainee_kind)):
            latest[patient_id][trainee_kind] = max(last, latest[patient_id].get(trainee_kind, last))
        for patient, _periods in batch:
            outcome["checked"] += 1
            rules = clearance.clinic_payer_rules(patient, settings.reassessment_months)
            signed = latest[patient.id]
            candidates = [signed.get("patient")]
            if rules.caregiver_demonstration_counts:
                candidates.append(signed.get("caregiver"))
            candidates = [moment for moment in candidates if moment is not None]
            if not candidates:
                outcome["no_sign_off"] += 1  # cleared without a sign-off on record: nothing to date from
                continue
            schedule = reassessment_schedule(max(candidates), rules.reassessment_months,
                                             settings.reassessment_grace.days)
            state = schedule.state(local_date(patient, now))
            if state not in (OVERDUE, SUSPEND):
                continue
            evidence = {"continued_correct_use": {"last_demonstrated_on": schedule.last_demonstrated_on.isoformat(),
                                                  "due_by": schedule.due_by.isoformat()}}
            try:
                with session.begin_nested():
                    outcome["alerted"] += alerts.open_reassessment_overdue(
                        session, patient, schedule.due_by, schedule.suspend_from, now) is not None
                    if state == SUSPEND:
                        outcome["suspended"] += clearance.suspend(
                            session, patient, None, schedule.suspend_from,
                            f"reassessment of correct use overdue since {schedule.overdue_from}, grace ended",
                            evidence, now) is not None
            except IntegrityError:
                outcome["conflicts"] += 1  # another scheduler suspended this patient first
        session.commit()
    return outcome
