"""Training and competency (CPT 93792): checklist versions, signed sessions, amendments, progress, the PDF."""

from __future__ import annotations

from flask import Response, g

from models import ChecklistTemplate, TrainingAmendment, TrainingSession
from service import clock, competency_pdf, db, policy, training
from service.api import Blueprint
from service.idempotency import idempotent
from service.policy import roles
from service.schemas.training import (
    AmendmentIn,
    ProgressOut,
    SessionIn,
    SessionOut,
    SessionPage,
    TemplateIn,
    TemplateOut,
    TemplatePage,
)
from service.settings import current_settings

bp = Blueprint("training", __name__, description="Checklists, signed training sessions and competency (93792).")

SIGNERS = ("trainer", "physician", "admin")


@bp.get("/checklist-templates")
@bp.response(200, TemplatePage)
def list_templates():
    """Every version of the training checklist (no patient data)."""
    return {"items": training.templates(db.session())}


@bp.post("/checklist-templates")
@roles("trainer", "admin")
@bp.arguments(TemplateIn)
@bp.response(201, TemplateOut)
@idempotent(ChecklistTemplate)
def create_template(data):
    """A new checklist version; it must keep the four 93792 elements, required."""
    return training.create_template(db.session(), g.user, data["items"], data.get("note"), clock.now())


@bp.post("/patients/<uuid:patient_id>/training-sessions")
@roles(*SIGNERS)
@policy.loads("patient", "train")
@bp.arguments(SessionIn)
@bp.response(201, SessionOut)
@idempotent(TrainingSession, training.describe)
def record_training(data, patient):
    """Sign a face-to-face training session; "competent" needs every required item and an agreeing
    supervised test, and an initial one emits the 93792 billable event."""
    return training.record_training(db.session(), patient, g.user, data,
                                    current_settings().training_agreement_tolerance, clock.now())


@bp.get("/patients/<uuid:patient_id>/training-sessions")
@policy.loads("patient", "read_training", read="training.session.list")
@bp.response(200, SessionPage)
def list_trainings(patient):
    """The patient's signed sessions, oldest first."""
    return {"items": training.trainings_of(db.session(), patient)}


@bp.get("/patients/<uuid:patient_id>/training-sessions/<uuid:session_id>")
@policy.loads("training_session", "read_training", read="training.session.read")
@bp.response(200, SessionOut)
def get_training(training_session):
    """One signed session, as signed and as corrected."""
    return training.describe(training_session)


@bp.post("/patients/<uuid:patient_id>/training-sessions/<uuid:session_id>/amendments")
@roles(*SIGNERS)
@policy.loads("training_session", "train")
@bp.arguments(AmendmentIn)
@bp.response(201, SessionOut)
@idempotent(TrainingAmendment, lambda amendment: training.describe(amendment.session))
def amend_training(data, training_session):
    """Correct a signed session by a new, attributed entry; the signed record is never changed."""
    return training.amend(db.session(), training_session, g.user, data,
                          current_settings().training_agreement_tolerance, clock.now())


@bp.get("/patients/<uuid:patient_id>/training-sessions/<uuid:session_id>/competency.pdf")
@policy.loads("training_session", "read_training", read="training.session.pdf")
@bp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
             description="The competency document (PDF)")
def competency_document(training_session):
    """The signed competency record as a PDF: the legal 93792 document."""
    return Response(competency_pdf.render(training_session, clock.now()), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="competency-{training_session.public_id}.pdf"'})


@bp.get("/patients/<uuid:patient_id>/training-progress")
@policy.loads("patient", "read_training", read="training.progress.read")
@bp.response(200, ProgressOut)
def training_progress(patient):
    """Per item of the current checklist, the latest outcome; what is done and left; the next session."""
    return training.progress(db.session(), patient, clock.now())
