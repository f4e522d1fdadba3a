"""The biller's views of the claim ledger, the code reference, and the care episode's end and supplies."""

from __future__ import annotations

import csv
import io

from marshmallow import fields, validate

from service.rules.claims import END_REASONS
from service.rules.code_reference import CODE_REFERENCE
from service.schemas.common import PatientRef
from service.schemas.fields import Day, OutSchema, QueryInteger, StrictBoolean, StrictSchema

CLAIM_STATUSES = ("pending", "exported", "void")
CODES = sorted(CODE_REFERENCE)


class ProviderOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    full_name = fields.String()
    npi = fields.String(allow_none=True)


class BillingProviderOut(OutSchema):
    npi = fields.String(allow_none=True)
    name = fields.String()


class ClaimLineOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    claim_key = fields.String(metadata={"description": "The rule's natural key; `:v<n>` for a reissue."})
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    patient = fields.Nested(PatientRef)
    payer = fields.String(attribute="payer_code")
    code = fields.String(validate=validate.OneOf(CODES))
    modifier = fields.String(allow_none=True)
    units = fields.Integer()
    date_of_service = fields.Date()
    diagnosis = fields.String()
    rendering_provider = fields.Method("_rendering_provider", metadata={
        "type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "full_name": {"type": "string"},
                                         "npi": {"type": ["string", "null"]}}})
    billing_provider = fields.Method("_billing_provider", metadata={
        "type": "object", "properties": {"npi": {"type": ["string", "null"]}, "name": {"type": "string"}}})
    result_ids = fields.List(fields.String())
    rule = fields.String()
    note = fields.String()
    tests_done = fields.Integer(allow_none=True, metadata={"description": "For a -52 partial: tests done."})
    corrects = fields.Method("_corrects", allow_none=True, metadata={"type": "string", "format": "uuid"})
    created_at = fields.AwareDateTime()
    export_batch_id = fields.Method("_export_batch_id", allow_none=True,
                                    metadata={"type": "string", "format": "uuid"})
    void_reason = fields.Method("_void_reason", allow_none=True, metadata={"type": "string"})

    def _rendering_provider(self, line) -> dict:
        # The NPI as written on the line when it was produced, not the account's current one.
        return {"id": str(line.rendering_provider.public_id), "full_name": line.rendering_provider.full_name,
                "npi": line.rendering_provider_npi}

    def _billing_provider(self, line) -> dict:
        return {"npi": line.billing_provider_npi, "name": line.billing_provider_name}

    def _corrects(self, line) -> str | None:
        return str(line.corrects.public_id) if line.corrects else None

    def _export_batch_id(self, line) -> str | None:
        event = _event(line, "exported")
        return str(event.export_batch_id) if event is not None else None

    def _void_reason(self, line) -> str | None:
        event = _event(line, "void")
        return event.reason if event is not None else None


def _event(line, kind: str):
    return next((event for event in line.events if event.kind == kind), None)


class ClaimPage(OutSchema):
    items = fields.List(fields.Nested(ClaimLineOut))


class ClaimQuery(StrictSchema):
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    code = fields.String(validate=validate.OneOf(CODES))
    patient_id = fields.UUID()
    date_from = Day(data_key="from")
    date_to = Day(data_key="to")
    limit = QueryInteger(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = QueryInteger(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class ExportQuery(StrictSchema):
    date_from = Day(data_key="from", required=True)
    date_to = Day(data_key="to", required=True)
    format = fields.String(load_default="json", validate=validate.OneOf(["csv", "json"]))


class ExportOut(OutSchema):
    batch_id = fields.UUID()
    items = fields.List(fields.Nested(ClaimLineOut))


CSV_COLUMNS = ["claim_id", "claim_key", "patient_id", "patient_name", "patient_date_of_birth", "payer", "code",
               "modifier", "units", "date_of_service", "diagnosis", "rendering_provider_npi",
               "rendering_provider_name", "billing_provider_npi", "billing_provider_name", "tests_done",
               "result_ids", "rule", "note"]


def claims_csv(lines: list) -> str:
    """Claim lines as CSV (RFC 4180, CRLF), one row a line, in the columns a practice system imports."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in ClaimLineOut(many=True).dump(lines):
        writer.writerow([line["id"], line["claim_key"], line["patient"]["id"], line["patient"]["full_name"],
                         line["patient"]["date_of_birth"], line["payer"], line["code"], line["modifier"] or "",
                         line["units"], line["date_of_service"], line["diagnosis"],
                         line["rendering_provider"]["npi"] or "", line["rendering_provider"]["full_name"],
                         line["billing_provider"]["npi"] or "", line["billing_provider"]["name"],
                         "" if line["tests_done"] is None else line["tests_done"], " ".join(line["result_ids"]),
                         line["rule"], line["note"]])
    return out.getvalue()


class VoidIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    rebill = StrictBoolean(load_default=True, metadata={"description": "Bill the same work again as a correction."})


class AppliedRuleOut(OutSchema):
    id = fields.String()
    text = fields.String()


class CodeOut(OutSchema):
    code = fields.String()
    descriptor = fields.String()
    rules = fields.List(fields.Nested(AppliedRuleOut))


class CodeReferenceOut(OutSchema):
    items = fields.List(fields.Nested(CodeOut))
    never_produced = fields.List(fields.String(), metadata={"description": "Deleted codes (99363, 99364)."})


class DischargeIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.OneOf(END_REASONS))
    effective_on = Day(required=True)
    note = fields.String(validate=validate.Length(min=1, max=500))


class DischargeOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    reason = fields.String(validate=validate.OneOf(END_REASONS))
    effective_on = fields.Date()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class SupplyIssueIn(StrictSchema):
    issued_on = Day(required=True)
    note = fields.String(validate=validate.Length(min=1, max=500))


class SupplyIssueOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    issued_on = fields.Date()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
