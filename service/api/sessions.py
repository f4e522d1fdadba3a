"""Logging in and out, and `GET /me`."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, g
from marshmallow import fields, validate

from service import audit, clock, db, identity, policy
from service.api.fields import StrictSchema, load
from service.auth import bearer_token, public
from service.errors import Problem
from service.ratelimit import limiter, login_limit

bp = Blueprint("sessions", __name__)


class LoginIn(StrictSchema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class UserOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    email = fields.String()
    full_name = fields.String()
    role = fields.String()
    active = fields.Boolean()
    npi = fields.String(allow_none=True)


class LoginOut(StrictSchema):
    token = fields.String()
    token_type = fields.String()
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserOut)


@bp.post("/auth/login")
@public
@limiter.limit(login_limit)
def login():
    data = load(LoginIn())
    session, now = db.session(), clock.now()
    outcome = identity.log_in(session, current_app.extensions["passwords"], data["email"], data["password"], now,
                              timedelta(minutes=current_app.config["TOKEN_TTL_MINUTES"]))
    session.commit()
    if outcome is None:
        raise Problem(401, "Unauthorized", "E-mail or password is wrong, or the account is disabled.",
                      kind="unauthorized")
    token, api_token = outcome
    return LoginOut().dump({"token": token, "token_type": "Bearer", "expires_at": api_token.expires_at,
                            "user": api_token.user})


@bp.post("/auth/logout")
def logout():
    session = db.session()
    identity.log_out(session, bearer_token(), clock.now())
    session.commit()
    return "", 204


class LinkedPatientOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    full_name = fields.String()


class MeOut(UserOut):
    patients = fields.List(fields.Nested(LinkedPatientOut))


@bp.get("/me")
def me():
    session, now = db.session(), clock.now()
    patients = []
    if g.user.role in ("patient", "caregiver"):
        patients = list(session.scalars(policy.reachable_patients(g.user, now)))
    audit.record(session, "user.me", object_type="user", object_id=g.user.public_id, now=now)
    session.commit()
    out = UserOut().dump(g.user)
    out["patients"] = LinkedPatientOut(many=True).dump(patients)
    return out
