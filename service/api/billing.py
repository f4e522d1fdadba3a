"""The biller's routes: claim lines with filters, export (CSV or JSON), void, the code reference; end of care."""

from __future__ import annotations

from flask import Response, g, json

from models import SupplyIssue
from service import billing, care_episode, clock, db, policy
from service.api import Blueprint
from service.idempotency import idempotent
from service.policy import roles
from service.schemas.billing import (
    ClaimLineOut,
    ClaimPage,
    ClaimQuery,
    CodeReferenceOut,
    DischargeIn,
    DischargeOut,
    ExportOut,
    ExportQuery,
    SupplyIssueIn,
    SupplyIssueOut,
    VoidIn,
    claims_csv,
)

bp = Blueprint("billing", __name__, description="The claim ledger, its export, and the end of care.")

BILLERS = ("biller", "admin")


@bp.get("/claims")
@roles(*BILLERS)
@bp.arguments(ClaimQuery, location="query")
@bp.response(200, ClaimPage)
def list_claims(query):
    """Claim lines by date of service; each patient whose lines are shown gets an audit event."""
    patient_id = query.pop("patient_id", None)
    patient = policy.patient(patient_id, "bill") if patient_id else None
    limit, offset = query.pop("limit"), query.pop("offset")
    return {"items": billing.list_claims(db.session(), query, patient, limit, offset, clock.now())}


@bp.get("/claims/export")
@roles(*BILLERS)
@bp.arguments(ExportQuery, location="query")
@bp.response(200, ExportOut, description="The lines of the batch (JSON, or CSV with format=csv)")
def export_claims(query):
    """Mark every pending line of the date range exported under one batch id, and return them."""
    batch, lines = billing.export_claims(db.session(), g.user, query["date_from"], query["date_to"], clock.now())
    if query["format"] == "csv":
        response = Response(claims_csv(lines), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="claims-{batch}.csv"'
    else:
        body = {"batch_id": str(batch), "items": ClaimLineOut(many=True).dump(lines)}
        response = Response(json.dumps(body), mimetype="application/json")
    response.headers["X-Export-Batch-Id"] = str(batch)
    return response


@bp.post("/claims/<uuid:claim_id>/void")
@roles(*BILLERS)
@policy.loads("claim_line", "bill")
@bp.arguments(VoidIn)
@bp.response(200, ClaimLineOut)
def void_claim(data, claim_line):
    """Void a line (it stays on record); with `rebill` the next generation run bills the work again."""
    return billing.void_claim(db.session(), g.user, claim_line, data["reason"], data["rebill"], clock.now())


@bp.get("/billing/codes")
@roles(*BILLERS)
@bp.response(200, CodeReferenceOut)
def billing_codes():
    """Every code this service produces and the rules each line went through."""
    return billing.code_reference()


@bp.post("/patients/<uuid:patient_id>/discharge")
@roles("admin", "physician")
@policy.loads("patient", "end_care")
@bp.arguments(DischargeIn)
@bp.response(201, DischargeOut)
def discharge_patient(data, patient):
    """The end of home testing (discharged, died, left coverage); unbilled tests go out as a -52 partial."""
    return care_episode.discharge_patient(db.session(), patient, g.user, data["reason"], data["effective_on"],
                                          data.get("note"), clock.now())


@bp.post("/patients/<uuid:patient_id>/supply-issues")
@roles("admin", "physician", "trainer")
@policy.loads("patient", "issue_supplies")
@bp.arguments(SupplyIssueIn)
@bp.response(201, SupplyIssueOut)
@idempotent(SupplyIssue)
def record_supply_issue(data, patient):
    """Test supplies handed to the patient (the G0249 trigger for payers that bill on issue)."""
    return care_episode.record_supply_issue(db.session(), patient, g.user, data["issued_on"], data.get("note"),
                                            clock.now())
