"""A practice as its staff read it and its administrator sets it up."""

from __future__ import annotations

from marshmallow import fields, validate

from service.schemas.fields import OutSchema, StrictBoolean, StrictSchema, TimeZoneName
from service.settings import WEEKDAYS

_DIGITS = r"^[0-9]+$"


class PracticeOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    name = fields.String()
    group_npi = fields.String(allow_none=True)
    tax_id = fields.String(allow_none=True)
    address_line1 = fields.String(allow_none=True)
    address_line2 = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    state = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    time_zone = fields.String(metadata={"description": "The calendar of the physicians' work (93793, G0250)."})
    bills_as_idtf = fields.Boolean(metadata={"description": "An IDTF never bills G0250."})
    reminder_weekday = fields.String(validate=validate.OneOf(WEEKDAYS))
    reminder_time = fields.String(metadata={"description": "HH:MM, in each patient's own local time."})
    x12_submitter_id = fields.String(allow_none=True)
    x12_receiver_id = fields.String(allow_none=True)
    x12_receiver_name = fields.String(allow_none=True)
    charges = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "The charge per code, as decimal text (\"45.00\")."})
    missing_for_claims = fields.List(fields.String(), metadata={
        "description": "What an 837P file still needs of the practice, by field."})


class PracticeChangeIn(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    group_npi = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{10}$", error="An NPI is 10 digits."))
    tax_id = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{9}$", error="An EIN is 9 digits."))
    address_line1 = fields.String(allow_none=True, validate=validate.Length(min=1, max=55))
    address_line2 = fields.String(allow_none=True, validate=validate.Length(min=1, max=55))
    city = fields.String(allow_none=True, validate=validate.Length(min=1, max=30))
    state = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="Two capital letters."))
    postal_code = fields.String(allow_none=True, validate=validate.Regexp(
        r"^([0-9]{5}|[0-9]{9})$", error="ZIP (5 digits) or ZIP+4 without the dash (9 digits)."))
    phone = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{10}$", error="10 digits."))
    time_zone = TimeZoneName()
    bills_as_idtf = StrictBoolean()
    reminder_weekday = fields.String(validate=validate.OneOf(WEEKDAYS))
    reminder_time = fields.String(validate=validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="HH:MM."))
    x12_submitter_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=15))
    x12_receiver_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=15))
    x12_receiver_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=60))
    charges = fields.Dict(keys=fields.String(validate=validate.Length(min=5, max=5)),
                          values=fields.String(validate=validate.Regexp(r"^[0-9]{1,6}(\.[0-9]{2})?$",
                                                                        error="An amount such as 45.00.")))
