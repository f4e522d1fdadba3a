"""The biller's routes: claim lines with filters, held lines released, exports (837P, CSV, JSON) as batches that can
be downloaded again, void, claim generation runs, the code reference, E/M visits, coverage; and the care episode
(start, end, resume, corrections) and supply issues."""

from __future__ import annotations

from flask import Response, g

from models import CareEpisodeEvent, ClaimGenerationRun, Coverage, EmVisit, SupplyIssue
from service import billing, care_episode, clock, coverage, db, em_visits, policy
from service.api import Blueprint
from service.idempotency import idempotent
from service.policy import roles
from service.schemas.billing import (
    CareEventCorrectionIn,
    CareEventIn,
    CareEventOut,
    CareHistoryOut,
    ClaimLineOut,
    ClaimPage,
    ClaimQuery,
    CodeReferenceOut,
    CoverageIn,
    CoverageOut,
    CoveragePage,
    DischargeIn,
    DischargeOut,
    EmVisitImportIn,
    EmVisitImportOut,
    EmVisitIn,
    EmVisitOut,
    EmVisitPage,
    ExportBatchOut,
    ExportBatchPage,
    ExportIn,
    GenerationRunIn,
    GenerationRunOut,
    GenerationRunPage,
    PageQuery,
    ReleaseIn,
    SupplyIssueIn,
    SupplyIssueOut,
    SupplyIssuePage,
    VoidIn,
)

bp = Blueprint("billing", __name__, description="The claim ledger, its exports and generation runs, E/M visits, "
                                                "coverage, and the care episode.")

BILLERS = ("biller", "admin")
CARE_STAFF = ("admin", "physician")


@bp.get("/claims")
@roles(*BILLERS)
@bp.arguments(ClaimQuery, location="query")
@bp.response(200, ClaimPage)
@bp.alt_response(404, response="NOT_FOUND", description="patient_id names no patient the caller may bill")
def list_claims(query):
    """Claim lines by date of service (status held: the lines waiting for the biller, with the reason); each
    patient whose lines are shown gets an audit event."""
    patient_id = query.pop("patient_id", None)
    patient = policy.patient(patient_id, "bill") if patient_id else None
    limit, offset = query.pop("limit"), query.pop("offset")
    return {"items": billing.list_claims(db.session(), g.user, query, patient, limit, offset, clock.now())}


@bp.post("/claims/exports")
@roles(*BILLERS)
@bp.arguments(ExportIn)
@bp.response(201, ExportBatchOut, description="The batch created: its pending lines are marked exported")
@bp.alt_response(200, schema=ExportBatchOut, description="The batch this client key already created")
def create_export(data):
    """Export every pending line of the date range as one batch: an 837P file (x12), CSV or JSON, kept byte for
    byte. Sending the same client key again returns the same batch and marks nothing."""
    batch, created = billing.create_export(db.session(), g.user, data["client_key"], data["format"], data["date_from"],
                                           data["date_to"], clock.now())
    return batch, 201 if created else 200


@bp.get("/claims/exports")
@roles(*BILLERS)
@bp.arguments(PageQuery, location="query")
@bp.response(200, ExportBatchPage)
def list_exports(query):
    """Export batches, newest first."""
    return {"items": billing.list_exports(db.session(), g.user, query["limit"], query["offset"])}


@bp.get("/claims/exports/<uuid:batch_id>")
@roles(*BILLERS)
@policy.loads("export_batch", "bill")
@bp.response(200, ExportBatchOut)
def get_export(export_batch):
    """One export batch."""
    return export_batch


@bp.get("/claims/exports/<uuid:batch_id>/file")
@roles(*BILLERS)
@policy.loads("export_batch", "bill")
@bp.response(200, description="The file as first exported, the same bytes every time (837P, CSV or JSON)",
             content_type="application/octet-stream")
def download_export(export_batch):
    """Download the batch's file again (audited per patient)."""
    batch = billing.export_file(db.session(), export_batch, clock.now())
    response = Response(batch.body.encode("utf-8"), mimetype=batch.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{batch.filename}"'
    response.headers["X-Export-Batch-Id"] = str(batch.public_id)
    return response


@bp.post("/claims/<uuid:claim_id>/release")
@roles(*BILLERS)
@policy.loads("claim_line", "bill")
@bp.arguments(ReleaseIn)
@bp.response(200, ClaimLineOut)
def release_claim(data, claim_line):
    """Hand a held line (e.g. a -52 within 28 days of the previous G0249) to the next export."""
    return billing.release_claim(db.session(), g.user, claim_line, data["note"], clock.now())


@bp.post("/claims/<uuid:claim_id>/void")
@roles(*BILLERS)
@policy.loads("claim_line", "bill")
@bp.arguments(VoidIn)
@bp.response(200, ClaimLineOut)
def void_claim(data, claim_line):
    """Void a line (it stays on record); with `rebill` the next generation run bills the work again."""
    return billing.void_claim(db.session(), g.user, claim_line, data["reason"], data["rebill"], clock.now())


@bp.post("/billing/generation-runs")
@roles(*BILLERS)
@bp.arguments(GenerationRunIn)
@bp.response(201, GenerationRunOut)
@idempotent(ClaimGenerationRun, lambda run: billing.run_seen_by(db.session(), run, g.user))
def run_generation(data):
    """Run claim generation now; the run is recorded with the lines it created, the days it skipped and the
    lines it held, each with the reason."""
    return billing.run_generation(db.session(), g.user, data["recheck_all"], clock.now())


@bp.get("/billing/generation-runs")
@roles(*BILLERS)
@bp.arguments(PageQuery, location="query")
@bp.response(200, GenerationRunPage)
def list_generation_runs(query):
    """Generation runs (the scheduler's, the CLI's, the billers'), newest first."""
    return {"items": billing.list_runs(db.session(), g.user, query["limit"], query["offset"])}


@bp.get("/billing/generation-runs/<uuid:run_id>")
@roles(*BILLERS)
@policy.loads("generation_run", "bill")
@bp.response(200, GenerationRunOut)
def get_generation_run(generation_run):
    """One generation run, as the caller's practice sees it."""
    return billing.run_seen_by(db.session(), generation_run, g.user)


@bp.get("/billing/codes")
@roles(*BILLERS)
@bp.response(200, CodeReferenceOut)
def billing_codes():
    """Every code this service produces, the rules each line went through, and each payer's terms with the
    policy they follow."""
    return billing.code_reference(db.session())


@bp.post("/billing/em-visit-imports")
@roles(*BILLERS)
@bp.arguments(EmVisitImportIn)
@bp.response(201, EmVisitImportOut)
def import_em_visits(data):
    """Import E/M visits from the practice management system's CSV: each row accepted, already recorded, or
    refused with its reasons; importing a file again records nothing twice."""
    return em_visits.import_visits(db.session(), g.user, data["csv"], clock.now())


@bp.post("/patients/<uuid:patient_id>/em-visits")
@roles("admin", "physician", "biller")
@policy.loads("patient", "em_visit")
@bp.arguments(EmVisitIn)
@bp.response(201, EmVisitOut)
@idempotent(EmVisit)
def record_em_visit(data, patient):
    """An office/outpatient, telephone or online E/M service with the practice: no 93793 that day."""
    return em_visits.record_visit(db.session(), patient, g.user, data["visit_on"], data["code"], data["physician_id"],
                                  clock.now())


@bp.get("/patients/<uuid:patient_id>/em-visits")
@roles("admin", "physician", "biller")
@policy.loads("patient", "em_visit", read="patient.em_visit.list")
@bp.response(200, EmVisitPage)
def list_em_visits(patient):
    """The patient's recorded E/M visits, by date."""
    return {"items": em_visits.visits(db.session(), patient)}


@bp.post("/patients/<uuid:patient_id>/coverage")
@roles(*BILLERS)
@policy.loads("patient", "bill")
@bp.arguments(CoverageIn)
@bp.response(201, CoverageOut)
@idempotent(Coverage)
def record_coverage(data, patient):
    """The patient's insurance as claims name it (member id, payer id, name and address as on the card); the new
    version is in force from now."""
    return coverage.record_coverage(db.session(), patient, g.user, data, clock.now())


@bp.get("/patients/<uuid:patient_id>/coverage")
@roles("admin", "physician", "biller")
@policy.loads("patient", "read", read="patient.coverage.list")
@bp.response(200, CoveragePage)
def list_coverage(patient):
    """Every version of the patient's coverage, oldest first."""
    return {"items": coverage.coverages(db.session(), patient)}


@bp.get("/patients/<uuid:patient_id>/care-episode")
@roles("admin", "physician", "trainer", "biller")
@policy.loads("patient", "read", read="patient.care.read")
@bp.response(200, CareHistoryOut)
def care_history(patient):
    """The patient's home-testing care: its periods (start, end, resume) and every event, corrections included."""
    return care_episode.care_history(db.session(), patient)


@bp.post("/patients/<uuid:patient_id>/care-episode/events")
@roles(*CARE_STAFF)
@policy.loads("patient", "end_care")
@bp.arguments(CareEventIn)
@bp.response(201, CareEventOut)
@idempotent(CareEpisodeEvent)
def record_care_event(data, patient):
    """Start, end (discharged, died, left coverage) or resume home testing. After an end, the tests left unbilled
    go out as a -52 line; a resume opens a new period of care."""
    return care_episode.record_care_event(db.session(), patient, g.user, data["kind"], data["effective_on"],
                                          data.get("reason"), data.get("note"), clock.now())


@bp.post("/patients/<uuid:patient_id>/care-episode/events/<uuid:event_id>/correction")
@roles(*CARE_STAFF)
@policy.loads("care_event", "end_care")
@bp.arguments(CareEventCorrectionIn)
@bp.response(201, CareEventOut)
@idempotent(CareEpisodeEvent)
def correct_care_event(data, care_event):
    """Correct an event (its date, reason or note) or withdraw it: a new event that replaces it; both stay in the
    history. Billed lines the correction changes are corrected by void and rebill."""
    return care_episode.correct_care_event(db.session(), care_event.patient, g.user, care_event, data, clock.now())


@bp.post("/patients/<uuid:patient_id>/discharge")
@roles(*CARE_STAFF)
@policy.loads("patient", "end_care")
@bp.arguments(DischargeIn)
@bp.response(201, DischargeOut)
@idempotent(CareEpisodeEvent)
def discharge_patient(data, patient):
    """The end of home testing (discharged, died, left coverage): an end event of the care episode."""
    return care_episode.discharge_patient(db.session(), patient, g.user, data["reason"], data["effective_on"],
                                          data.get("note"), clock.now())


@bp.post("/patients/<uuid:patient_id>/supply-issues")
@roles("admin", "physician", "trainer")
@policy.loads("patient", "issue_supplies")
@bp.arguments(SupplyIssueIn)
@bp.response(201, SupplyIssueOut)
@idempotent(SupplyIssue)
def record_supply_issue(data, patient):
    """Test supplies handed to the patient (the G0249 trigger for payers that bill on issue): they back
    tests_issued / 4 units."""
    return care_episode.record_supply_issue(db.session(), patient, g.user, data["issued_on"], data["tests_issued"],
                                            data.get("note"), clock.now())


@bp.get("/patients/<uuid:patient_id>/supply-issues")
@roles("admin", "physician", "trainer", "biller")
@policy.loads("patient", "read", read="patient.supply_issue.list")
@bp.response(200, SupplyIssuePage)
def list_supply_issues(patient):
    """The supplies issued to the patient, by date."""
    return {"items": care_episode.supply_issues(db.session(), patient)}
