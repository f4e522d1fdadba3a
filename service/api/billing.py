"""The biller's routes: claim lines with filters, export (CSV or JSON), void, the code reference; end of care."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, g, json
from marshmallow import fields, validate

from service import audit, billing, care_episode, clock, db, policy
from service.api.fields import StrictBoolean, StrictSchema, load, load_query
from service.auth import roles
from service.rules.claims import END_REASONS
from service.rules.code_reference import CODE_REFERENCE
from service.rules.codes import RETIRED_CODES

bp = Blueprint("billing", __name__)

BILLERS = ("biller", "admin")


class PatientBrief(StrictSchema):
    id = fields.UUID(attribute="public_id")
    full_name = fields.String()
    date_of_birth = fields.Date()


def _event_value(kind: str, attribute: str):
    def value(line):
        event = next((e for e in line.events if e.kind == kind), None)
        found = getattr(event, attribute) if event is not None else None
        return str(found) if found is not None and attribute == "export_batch_id" else found

    return fields.Function(value, allow_none=True)


class ClaimLineOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    claim_key = fields.String()
    status = fields.String()
    patient = fields.Nested(PatientBrief)
    payer = fields.String(attribute="payer_code")
    code = fields.String()
    modifier = fields.String(allow_none=True)
    units = fields.Integer()
    date_of_service = fields.Date()
    diagnosis = fields.String()
    rendering_provider = fields.Function(lambda line: {"id": str(line.rendering_provider.public_id),
                                                       "full_name": line.rendering_provider.full_name,
                                                       "npi": line.rendering_provider_npi})
    billing_provider = fields.Function(lambda line: {"npi": line.billing_provider_npi,
                                                     "name": line.billing_provider_name})
    result_ids = fields.List(fields.String())
    rule = fields.String()
    note = fields.String()
    tests_done = fields.Integer(allow_none=True)
    corrects = fields.Function(lambda line: str(line.corrects.public_id) if line.corrects else None, allow_none=True)
    created_at = fields.AwareDateTime()
    export_batch_id = _event_value("exported", "export_batch_id")
    void_reason = _event_value("void", "reason")


_CODES = sorted(CODE_REFERENCE)


class ClaimQuery(StrictSchema):
    status = fields.String(validate=validate.OneOf(billing.STATUSES))
    code = fields.String(validate=validate.OneOf(_CODES))
    patient_id = fields.UUID()
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


@bp.get("/claims")
@roles(*BILLERS)
def list_claims():
    query = load_query(ClaimQuery())
    session, now = db.session(), clock.now()
    patient_id = query.pop("patient_id", None)
    patient = policy.patient_for(session, g.user, patient_id, "bill", now) if patient_id else None
    limit, offset = query.pop("limit"), query.pop("offset")
    lines = billing.list_claims(session, query, patient, limit, offset, now)
    return {"items": ClaimLineOut(many=True).dump(lines)}


class ExportQuery(StrictSchema):
    date_from = fields.Date(data_key="from", required=True)
    date_to = fields.Date(data_key="to", required=True)
    format = fields.String(load_default="json", validate=validate.OneOf(["csv", "json"]))


CSV_COLUMNS = ["claim_id", "claim_key", "patient_id", "patient_name", "patient_date_of_birth", "payer", "code",
               "modifier", "units", "date_of_service", "diagnosis", "rendering_provider_npi",
               "rendering_provider_name", "billing_provider_npi", "billing_provider_name", "tests_done",
               "result_ids", "rule", "note"]


def _csv(lines: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow([line["id"], line["claim_key"], line["patient"]["id"], line["patient"]["full_name"],
                         line["patient"]["date_of_birth"], line["payer"], line["code"], line["modifier"] or "",
                         line["units"], line["date_of_service"], line["diagnosis"],
                         line["rendering_provider"]["npi"] or "", line["rendering_provider"]["full_name"],
                         line["billing_provider"]["npi"] or "", line["billing_provider"]["name"],
                         "" if line["tests_done"] is None else line["tests_done"], " ".join(line["result_ids"]),
                         line["rule"], line["note"]])
    return out.getvalue()


@bp.get("/claims/export")
@roles(*BILLERS)
def export_claims():
    query = load_query(ExportQuery())
    batch, lines = billing.export_claims(db.session(), g.user, query["date_from"], query["date_to"], clock.now())
    items = ClaimLineOut(many=True).dump(lines)
    if query["format"] == "csv":
        response = Response(_csv(items), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="claims-{batch}.csv"'
    else:
        response = Response(json.dumps({"batch_id": str(batch), "items": items}), mimetype="application/json")
    response.headers["X-Export-Batch-Id"] = str(batch)
    return response


class VoidIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    rebill = StrictBoolean(load_default=True)


@bp.post("/claims/<uuid:claim_id>/void")
@roles(*BILLERS)
def void_claim(claim_id):
    data = load(VoidIn())
    line = billing.void_claim(db.session(), g.user, claim_id, data["reason"], data["rebill"], clock.now())
    return ClaimLineOut().dump(line)


@bp.get("/billing/codes")
@roles(*BILLERS)
def billing_codes():
    session = db.session()
    audit.record(session, "billing.codes.read", now=clock.now())
    session.commit()
    items = [{"code": ref.code, "descriptor": ref.descriptor,
              "rules": [{"id": rule.id, "text": rule.text} for rule in ref.rules]}
             for ref in (CODE_REFERENCE[code] for code in _CODES)]
    return {"items": items, "never_produced": sorted(RETIRED_CODES)}


class DischargeIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.OneOf(END_REASONS))
    effective_on = fields.Date(required=True)
    note = fields.String(validate=validate.Length(min=1, max=500))


class DischargeOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    reason = fields.String()
    effective_on = fields.Date()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


@bp.post("/patients/<uuid:patient_id>/discharge")
@roles("admin", "physician")
def discharge_patient(patient_id):
    now = clock.now()
    patient = policy.patient_for(db.session(), g.user, patient_id, "end_care", now)
    data = load(DischargeIn())
    discharge = care_episode.discharge_patient(db.session(), patient, g.user, data["reason"], data["effective_on"],
                                               data.get("note"), now)
    return DischargeOut().dump(discharge), 201


class SupplyIssueIn(StrictSchema):
    issued_on = fields.Date(required=True)
    note = fields.String(validate=validate.Length(min=1, max=500))


class SupplyIssueOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    issued_on = fields.Date()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


@bp.post("/patients/<uuid:patient_id>/supply-issues")
@roles("admin", "physician", "trainer")
def record_supply_issue(patient_id):
    now = clock.now()
    patient = policy.patient_for(db.session(), g.user, patient_id, "issue_supplies", now)
    data = load(SupplyIssueIn())
    issue = care_episode.record_supply_issue(db.session(), patient, g.user, data["issued_on"], data.get("note"), now)
    return SupplyIssueOut().dump(issue), 201
