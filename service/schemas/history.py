"""History a patient brings from before this service: training done elsewhere, and imports of past results."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from service.rules.history_import import ROW_STATUSES
from service.schemas.common import PersonRef
from service.schemas.fields import Day, OutSchema, StrictSchema
from service.schemas.training import SESSION_KINDS

_NAME = validate.Length(min=1, max=200)


class PriorTrainingIn(StrictSchema):
    trained_on = Day(required=True, metadata={
        "description": "The day the other organization documented the trainee's competency (not in the future)."})
    kind = fields.String(load_default="initial", validate=validate.OneOf(SESSION_KINDS), metadata={
        "description": "initial or retraining: the face-to-face training (NCD 190.11 criterion 2); reassessment: a "
                       "later check of correct use (criterion 3). Each counts as a competent sign-off from its day."})
    trainee = fields.String(load_default="patient", validate=validate.OneOf(("patient", "caregiver")))
    caregiver_name = fields.String(validate=_NAME, metadata={
        "description": "Whom a caregiver's training was for (they may have no login here); only for a caregiver."})
    organization = fields.String(required=True, validate=_NAME, metadata={
        "description": "Who gave the training: the IDTF, clinic or manufacturer's programme."})
    trainer_name = fields.String(required=True, validate=_NAME)
    document_reference = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "Where the competency record is kept (a scanned document's id, a chart reference)."})
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class PriorTrainingOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    kind = fields.String(validate=validate.OneOf(SESSION_KINDS))
    trainee = fields.String(attribute="trainee_kind", validate=validate.OneOf(("patient", "caregiver")))
    caregiver_name = fields.String(allow_none=True)
    trained_on = fields.Date()
    organization = fields.String()
    trainer_name = fields.String()
    document_reference = fields.String()
    note = fields.String(allow_none=True)
    recorded_by = fields.Nested(PersonRef)
    recorded_at = fields.AwareDateTime()


class PriorTrainingPage(OutSchema):
    items = fields.List(fields.Nested(PriorTrainingOut))


class ResultImportIn(StrictSchema):
    """The file, in the body: a FHIR R4 Bundle as JSON (`fhir`), or a CSV export's text (`csv`); one of the two."""

    file_name = fields.String(required=True, validate=_NAME, metadata={
        "description": "The file the results come from, as the clinic knows it (kept with every result)."})
    reference = fields.String(allow_none=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "Anything else that says where they come from: the source system, the export's date."})
    fhir = fields.Dict(metadata={
        "description": "A FHIR R4 Bundle whose entries are Observations: status final (amended, corrected), code "
                       "LOINC 34714-6, effectiveDateTime with its offset, valueQuantity.value (comparator < or > at "
                       "the meter's 0.8 and 8.0), device.display the meter serial; the Observation's id is the "
                       "source's id."})
    csv = fields.String(validate=validate.Length(min=1, max=900_000), metadata={
        "description": "A CSV export with a header row: source_id, measured_at (ISO 8601 with its offset), value; "
                       "optionally comparator (< or >), meter_serial, qc_passed (true or false)."})

    @validates_schema
    def _one_file(self, data, **_kwargs):
        if ("fhir" in data) == ("csv" in data):
            raise ValidationError("Send the file as either fhir (a Bundle) or csv (its text).", "_schema")


class ImportRowOut(OutSchema):
    position = fields.Integer(metadata={
        "description": "FHIR: the entry's index in Bundle.entry (from 0); CSV: the data row's number (from 1, the "
                       "header not counted); 0 for a file refused whole."})
    source_id = fields.String(allow_none=True, metadata={"description": "The source's own id of the result."})
    status = fields.String(validate=validate.OneOf(ROW_STATUSES), metadata={
        "description": "imported; already_imported (the same id with the same content, here or earlier in the "
                       "file: nothing added); refused (with the reason)."})
    reason = fields.String(allow_none=True)
    result_id = fields.UUID(allow_none=True, metadata={"description": "The stored result, when there is one."})


class ResultImportOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    format = fields.String(validate=validate.OneOf(("fhir", "csv")))
    file_name = fields.String()
    reference = fields.String(allow_none=True)
    imported_by = fields.Nested(PersonRef)
    imported_at = fields.AwareDateTime()
    imported = fields.Integer()
    already_imported = fields.Integer()
    refused = fields.Integer()
    rows = fields.List(fields.Nested(ImportRowOut))


class ResultImportPage(OutSchema):
    items = fields.List(fields.Nested(ResultImportOut))
