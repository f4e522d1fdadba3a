"""The biller's views of the claim ledger, its exports and generation runs, the code reference, E/M visits,
coverage, and the care episode's history and supplies."""

from __future__ import annotations

import csv
import io

from marshmallow import ValidationError, fields, validate, validates_schema

from service.rules.care_episode import KINDS as CARE_EVENT_KINDS
from service.rules.claims import END_REASONS
from service.rules.code_reference import CODE_REFERENCE
from service.rules.codes import EM_VISIT_CODES
from service.rules.payer import EXTRA_CRITERIA
from service.schemas.common import Paging, PatientRef, PersonRef
from service.schemas.fields import Day, OutSchema, QueryInteger, StrictBoolean, StrictInteger, StrictSchema

CLAIM_STATUSES = ("pending", "held", "exported", "void")
CODES = sorted(CODE_REFERENCE)
EXPORT_FORMATS = ("x12", "csv", "json")


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
    secondary_diagnoses = fields.List(fields.String())
    held_reason = fields.String(allow_none=True, metadata={
        "description": "Why the line waits for the biller (status held until released); null: never held."})
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


class ExportIn(StrictSchema):
    client_key = fields.String(required=True, validate=validate.Length(min=8, max=100), metadata={
        "description": "The biller's key for this export (e.g. a UUID): sending it again finds the same batch."})
    date_from = Day(data_key="from", required=True)
    date_to = Day(data_key="to", required=True)
    format = fields.String(required=True, validate=validate.OneOf(EXPORT_FORMATS), metadata={
        "description": "x12: an ASC X12 837P (005010X222A1) file; csv; json. The lines are the biller's own "
                       "practice's (an 837P has one billing provider)."})


class ExportBatchOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    client_key = fields.String()
    format = fields.String(validate=validate.OneOf(EXPORT_FORMATS))
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    line_count = fields.Integer()
    media_type = fields.String()
    filename = fields.String()
    sha256 = fields.String(metadata={"description": "Of the file's bytes: every download gives the same."})
    created_by = fields.Nested(PersonRef)
    created_at = fields.AwareDateTime()


class ExportBatchPage(OutSchema):
    items = fields.List(fields.Nested(ExportBatchOut))


class GenerationRunIn(StrictSchema):
    recheck_all = StrictBoolean(load_default=False, metadata={
        "description": "Check every patient, not only those whose record changed."})


class GenerationRunOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    trigger = fields.String(metadata={"description": "job (the scheduler), cli or api (a biller)."})
    actor = fields.Nested(PersonRef, allow_none=True)
    recheck_all = fields.Boolean()
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime()
    patients = fields.Integer(metadata={"description": "Patients whose record was checked."})
    unchanged = fields.Integer(metadata={"description": "Patients left alone: nothing new, nothing due."})
    created = fields.Integer()
    conflicts = fields.Integer()
    created_lines = fields.List(fields.String())
    skipped = fields.List(fields.Dict(), metadata={"description": "{patient_id, key, reason} per day or set not "
                                                                  "billed."})
    held = fields.List(fields.Dict(), metadata={"description": "{claim_id, patient_id, claim_key, code, reason} per "
                                                               "line recorded held."})
    errors = fields.List(fields.Dict())


class GenerationRunPage(OutSchema):
    items = fields.List(fields.Nested(GenerationRunOut))


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


class ReleaseIn(StrictSchema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "Why the held line may go out (e.g. the payer accepts it)."})


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


class PayerTermsOut(OutSchema):
    code = fields.String()
    name = fields.String()
    supply_trigger = fields.String()
    review_code = fields.String()
    training_code = fields.String()
    extra_criteria = fields.List(fields.String())
    criteria_text = fields.Method("_criteria_text", metadata={
        "type": "object", "additionalProperties": {"type": "string"},
        "description": "What each extra criterion asks the physician to state."})
    minimum_anticoagulation_months = fields.Integer(metadata={"description": "Calendar months on warfarin "
                                                                             "before home testing."})
    reassessment_months = fields.Integer()
    caregiver_demonstration_counts = fields.Boolean(metadata={"description": "Whether a trained caregiver's "
                                                                             "demonstration satisfies the payer."})
    policy_reference = fields.String(allow_none=True, metadata={"description": "The written policy these terms "
                                                                              "follow."})


    def _criteria_text(self, payer) -> dict:
        return {name: EXTRA_CRITERIA.get(name, "(not described)") for name in payer.extra_criteria or ()}


class CodeReferenceOut(OutSchema):
    items = fields.List(fields.Nested(CodeOut))
    never_produced = fields.List(fields.String(), metadata={"description": "Deleted codes (99363, 99364)."})
    payers = fields.List(fields.Nested(PayerTermsOut))


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


class CareEventIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(CARE_EVENT_KINDS))
    effective_on = Day(required=True, metadata={"description": "Patient-local: the first day of care (start, "
                                                               "resume) or the last (end)."})
    reason = fields.String(validate=validate.OneOf(END_REASONS), metadata={"description": "End only."})
    note = fields.String(validate=validate.Length(min=1, max=400))


class CareEventCorrectionIn(StrictSchema):
    why = fields.String(required=True, validate=validate.Length(min=1, max=200))
    effective_on = Day()
    reason = fields.String(validate=validate.OneOf(END_REASONS))
    note = fields.String(validate=validate.Length(min=1, max=250))
    withdraw = StrictBoolean(load_default=False, metadata={"description": "Take the event back altogether."})

    @validates_schema
    def _something(self, data, **_kwargs):
        if not data.get("withdraw") and not {"effective_on", "reason", "note"} & set(data):
            raise ValidationError("Correct the date, the reason or the note, or withdraw the event.", "_schema")


class CareEventOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    sequence = fields.Integer()
    kind = fields.String(validate=validate.OneOf(CARE_EVENT_KINDS))
    effective_on = fields.Date()
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    corrects = fields.Method("_corrects", allow_none=True, metadata={"type": "string", "format": "uuid"})
    withdrawn = fields.Boolean()
    recorded_by = fields.Nested(PersonRef)
    created_at = fields.AwareDateTime()

    def _corrects(self, event) -> str | None:
        return str(event.corrects.public_id) if event.corrects else None


class CarePeriodOut(OutSchema):
    start = fields.Date(allow_none=True, metadata={"description": "null: from the beginning of the record."})
    end = fields.Date(allow_none=True, metadata={"description": "null: still in care."})
    end_reason = fields.String(allow_none=True)


class CareHistoryOut(OutSchema):
    in_care = fields.Boolean()
    periods = fields.List(fields.Nested(CarePeriodOut))
    events = fields.List(fields.Nested(CareEventOut), metadata={"description": "Every event, corrections included, "
                                                                               "oldest first."})


class SupplyIssueIn(StrictSchema):
    issued_on = Day(required=True)
    tests_issued = StrictInteger(load_default=4, validate=validate.Range(min=1, max=400), metadata={
        "description": "Tests the supplies are for; backs tests_issued / 4 units of G0249 (default 4: one unit)."})
    note = fields.String(validate=validate.Length(min=1, max=500))


class SupplyIssueOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    issued_on = fields.Date()
    tests_issued = fields.Integer()
    note = fields.String(allow_none=True)
    recorded_by = fields.Nested(PersonRef)
    created_at = fields.AwareDateTime()


class SupplyIssuePage(OutSchema):
    items = fields.List(fields.Nested(SupplyIssueOut))


class EmVisitIn(StrictSchema):
    visit_on = Day(required=True, metadata={"description": "The practice's local date."})
    code = fields.String(required=True, validate=validate.OneOf(sorted(EM_VISIT_CODES)))
    physician_id = fields.UUID(required=True, metadata={"description": "The rendering physician."})


class EmVisitOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    visit_on = fields.Date()
    code = fields.String()
    physician = fields.Nested(PersonRef, attribute="rendering_provider")
    source = fields.String(validate=validate.OneOf(("entry", "import")))
    import_id = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()


class EmVisitPage(OutSchema):
    items = fields.List(fields.Nested(EmVisitOut))


class EmVisitImportIn(StrictSchema):
    csv = fields.String(required=True, validate=validate.Length(min=1, max=900_000), metadata={
        "description": "The practice management system's export: a header row naming patient_id, visit_date "
                       "(YYYY-MM-DD, practice-local), cpt_code, rendering_npi; one visit a row."})


class ImportRefusalOut(OutSchema):
    row = fields.Integer()
    errors = fields.Dict()


class EmVisitImportOut(OutSchema):
    import_id = fields.UUID()
    accepted = fields.Integer()
    duplicates = fields.Integer(metadata={"description": "Rows already recorded (a file imported again)."})
    refused = fields.List(fields.Nested(ImportRefusalOut))


_ZIP = validate.Regexp(r"^[0-9]{5}([0-9]{4})?$", error="Five or nine digits.")


class CoverageIn(StrictSchema):
    member_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    payer_identifier = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata={
        "description": "The payer's id at the practice's clearinghouse (837P loop 2010BB)."})
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=35))
    sex = fields.String(required=True, validate=validate.OneOf(("F", "M", "U")))
    address_line1 = fields.String(required=True, validate=validate.Length(min=1, max=55))
    address_line2 = fields.String(validate=validate.Length(min=1, max=55))
    city = fields.String(required=True, validate=validate.Length(min=1, max=30))
    state = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="Two capital letters."))
    postal_code = fields.String(required=True, validate=_ZIP)


class CoverageOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    member_id = fields.String()
    payer_identifier = fields.String()
    last_name = fields.String()
    first_name = fields.String()
    sex = fields.String()
    address_line1 = fields.String()
    address_line2 = fields.String(allow_none=True)
    city = fields.String()
    state = fields.String()
    postal_code = fields.String()
    created_at = fields.AwareDateTime()


class CoveragePage(OutSchema):
    items = fields.List(fields.Nested(CoverageOut), metadata={"description": "Oldest first; the last is in force."})


class PageQuery(Paging):
    pass
