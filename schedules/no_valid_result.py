"""Scheduler job: open the routine "no valid result" alert of each episode whose first invalid reading has waited
out its window (24 hours by default) with no valid INR since. A second invalid reading in a row opens it at once,
when it is recorded (service.results); this job finds the episodes that end in silence. An episode begun by an
imported reading is the past (service.history): it opens nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import InrResult, Patient
from models.results import superseded_clause
from service.results import watch_validity
from service.rules.history_import import IMPORT_SOURCE
from service.settings import Settings

LOOKBACK = timedelta(days=7)  # episodes whose window ended this long ago are still found after a scheduler outage


def detect_no_valid_results(session: Session, now: datetime, *, settings: Settings) -> dict:
    """Apply the rule to every patient with an invalid reading whose window ended in the last LOOKBACK. Each
    alert has its natural key (the episode's first reading): a re-run or a second scheduler opens nothing twice."""
    window = settings.no_valid_result_after
    patient_ids = list(session.scalars(select(InrResult.patient_id).distinct().where(
        InrResult.measured_at <= now - window, InrResult.measured_at > now - window - LOOKBACK,
        (InrResult.qc_passed.is_(False)) | (InrResult.meter_error_code.is_not(None)), ~superseded_clause(),
        InrResult.source != IMPORT_SOURCE)))
    opened = 0
    for patient in session.scalars(select(Patient).where(Patient.id.in_(patient_ids)).order_by(Patient.id)):
        opened += watch_validity(session, patient, settings, now) is not None
        session.commit()
    return {"patients": len(patient_ids), "opened": opened}
