"""Staff administration: user accounts, the physician directory and the audit trail."""

from __future__ import annotations

from flask import Blueprint, current_app, g
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from models import ROLES, AuditEvent, User
from service import audit, clock, db, identity
from service.api.fields import StrictSchema, load, load_query
from service.api.sessions import UserOut
from service.auth import roles

bp = Blueprint("admin", __name__)


class UserIn(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=12, max=1024))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    npi = fields.String(validate=validate.Regexp(r"^\d{10}$", error="An NPI is 10 digits."))

    @validates_schema(skip_on_field_errors=False)
    def _npi_for_physicians(self, data, **_kwargs):
        if data.get("npi") and data.get("role") != "physician":
            raise ValidationError("Only physicians carry an NPI.", "npi")


@bp.post("/users")
@roles("admin")
def create_user():
    data = load(UserIn())
    session = db.session()
    user = identity.create_user(session, current_app.extensions["passwords"], now=clock.now(), npi=data.get("npi"),
                                **{k: data[k] for k in ("email", "password", "role", "full_name")})
    session.commit()
    return UserOut().dump(user), 201


class UserQuery(StrictSchema):
    role = fields.String(validate=validate.OneOf(ROLES))


@bp.get("/users")
@roles("admin", "physician", "trainer")
def list_users():
    """Admins see every account; physicians and trainers look up caregivers and physicians to link them."""
    query = load_query(UserQuery())
    statement = select(User).order_by(User.full_name, User.id)
    if g.user.role != "admin":
        statement = statement.where(User.role.in_(("caregiver", "physician")))
    if "role" in query:
        statement = statement.where(User.role == query["role"])
    session = db.session()
    users = list(session.scalars(statement))
    audit.record(session, "user.list", detail={"count": len(users)}, now=clock.now())
    session.commit()
    return {"items": UserOut(many=True).dump(users)}


class AuditQuery(StrictSchema):
    patient_id = fields.UUID()
    actor_id = fields.UUID()
    action = fields.String(validate=validate.Length(max=80))
    outcome = fields.String(validate=validate.OneOf(("success", "refused", "failed")))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    before_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class AuditEventOut(StrictSchema):
    id = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor_id = fields.UUID(allow_none=True)
    actor_role = fields.String(allow_none=True)
    action = fields.String()
    outcome = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    patient_id = fields.UUID(allow_none=True)
    request_id = fields.String(allow_none=True)
    client_address = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)


@bp.get("/audit-events")
@roles("admin")
def list_audit_events():
    """Newest first; page with `before_id` set to the last id of the previous page."""
    query = load_query(AuditQuery())
    statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(query["limit"])
    for name in ("patient_id", "actor_id", "action", "outcome"):
        if name in query:
            statement = statement.where(getattr(AuditEvent, name) == query[name])
    if "since" in query:
        statement = statement.where(AuditEvent.occurred_at >= query["since"])
    if "until" in query:
        statement = statement.where(AuditEvent.occurred_at < query["until"])
    if "before_id" in query:
        statement = statement.where(AuditEvent.id < query["before_id"])
    session = db.session()
    events = list(session.scalars(statement))
    # Reading the trail is itself an access to patient data, and is recorded too.
    audit.record(session, "audit.list", detail={k: str(v) for k, v in query.items()}, now=clock.now())
    session.commit()
    return {"items": AuditEventOut(many=True).dump(events)}
