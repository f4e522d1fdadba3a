"""Logging in and out, and `GET /me`."""

from __future__ import annotations

from flask import current_app, g

from service import clock, db, identity
from service.api import Blueprint
from service.auth import bearer_token, public
from service.ratelimit import account_key, failed, failed_per_account, failed_per_address, limiter
from service.schemas.identity import LoginIn, LoginOut, MeOut, PasswordChangeIn
from service.settings import current_settings

bp = Blueprint("login", __name__, description="Bearer tokens for e-mail and password.")


@bp.post("/auth/login")
@public
@limiter.limit(failed_per_address, deduct_when=failed)
@limiter.limit(failed_per_account, key_func=account_key, deduct_when=failed)
@bp.arguments(LoginIn, example={"email": "dr.rivera@demo.clinic", "password": "••••••••••••"})
@bp.response(200, LoginOut)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
def login(data):
    """Exchange e-mail and password for a bearer token.

    Failed attempts are limited per client address and per account (429 with Retry-After); successful logins
    do not count. A forgotten password: send the one-time `reset_code` an administrator had sent and the
    `new_password` instead of `password`.
    """
    if "reset_code" in data:
        return identity.log_in_with_reset_code(db.session(), current_app.extensions["passwords"], data["email"],
                                               data["reset_code"], data["new_password"], clock.now(),
                                               current_settings().token_ttl)
    return identity.log_in(db.session(), current_app.extensions["passwords"], data["email"], data["password"],
                           clock.now(), current_settings().token_ttl)


@bp.post("/auth/logout")
@bp.response(204)
def logout():
    """Revoke the token used for this request."""
    identity.log_out(db.session(), bearer_token(), clock.now())


@bp.get("/me")
@bp.response(200, MeOut)
def me():
    """The caller, and for patients and caregivers the patients they reach."""
    return identity.me(db.session(), g.user, clock.now())


@bp.post("/me/password")
@bp.arguments(PasswordChangeIn)
@bp.response(204)
def change_password(data):
    """Change your own password (with the current one); your other sessions end."""
    identity.change_password(db.session(), current_app.extensions["passwords"], g.user, data["current_password"],
                             data["new_password"], bearer_token(), clock.now())
