"""Accounts, logging in, and the caller's own record."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from models import ROLES
from service.schemas.common import PatientRef
from service.schemas.fields import OutSchema, StrictSchema


class LoginIn(StrictSchema):
    """E-mail and password; or, for a forgotten password, e-mail, the one-time reset code and the new password."""

    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(validate=validate.Length(min=1, max=1024))
    reset_code = fields.String(validate=validate.Length(min=8, max=64),
                               metadata={"description": "The one-time code an administrator had sent."})
    new_password = fields.String(validate=validate.Length(min=12, max=1024))

    @validates_schema
    def _one_way_in(self, data, **_kwargs):
        if ("password" in data) == ("reset_code" in data):
            raise ValidationError("Send either password, or reset_code with new_password.", "password")
        if ("reset_code" in data) != ("new_password" in data):
            raise ValidationError("A reset code comes with the new password.", "new_password")


class PasswordChangeIn(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, validate=validate.Length(min=12, max=1024))


class AccessChangeIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ResetIssuedOut(OutSchema):
    user_id = fields.UUID(attribute="user.public_id")
    expires_at = fields.AwareDateTime(metadata={"description": "The code went to the user through the outbox."})


class UserOut(OutSchema):
    id = fields.UUID(attribute="public_id")
    email = fields.String()
    full_name = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    npi = fields.String(allow_none=True)


class LoginOut(OutSchema):
    token = fields.String()
    token_type = fields.String(validate=validate.OneOf(["Bearer"]))
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserOut)


class MeOut(UserOut):
    """The caller; for a patient or caregiver, the patients they reach."""

    patients = fields.List(fields.Nested(PatientRef))


class UserIn(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=12, max=1024))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    npi = fields.String(validate=validate.Regexp(r"^\d{10}$", error="An NPI is 10 digits."),
                        metadata={"description": "Physicians only: the National Provider Identifier."})

    @validates_schema(skip_on_field_errors=False)
    def _npi_for_physicians(self, data, **_kwargs):
        if data.get("npi") and data.get("role") != "physician":
            raise ValidationError("Only physicians carry an NPI.", "npi")


class UserQuery(StrictSchema):
    role = fields.String(validate=validate.OneOf(ROLES))


class UserPage(OutSchema):
    items = fields.List(fields.Nested(UserOut))
