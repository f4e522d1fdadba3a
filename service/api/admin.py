"""Staff administration: user accounts, the staff directory and the audit trail."""

from __future__ import annotations

from flask import current_app, g

from service import audit_trail, clock, db, identity, policy
from service.api import Blueprint
from service.policy import roles
from service.schemas.audit import AuditPage, AuditQuery
from service.schemas.identity import AccessChangeIn, ResetIssuedOut, UserIn, UserOut, UserPage, UserQuery
from service.settings import current_settings

bp = Blueprint("admin", __name__, description="Accounts and the audit trail.")


@bp.post("/users")
@roles("admin")
@bp.arguments(UserIn)
@bp.response(201, UserOut)
def create_user(data):
    """Create an account in the administrator's own practice."""
    return identity.create_user(db.session(), current_app.extensions["passwords"], now=clock.now(),
                                npi=data.get("npi"), practice_id=g.user.practice_id,
                                **{k: data[k] for k in ("email", "password", "role", "full_name")})


@bp.get("/users")
@roles("admin", "physician", "trainer")
@bp.arguments(UserQuery, location="query")
@bp.response(200, UserPage)
def list_users(query):
    """Accounts (admin); physicians and trainers see caregivers and physicians only."""
    return {"items": identity.list_users(db.session(), g.user, query.get("role"), clock.now())}


@bp.post("/users/<uuid:user_id>/deactivate")
@roles("admin")
@policy.loads("user", "administer")
@bp.arguments(AccessChangeIn)
@bp.response(200, UserOut)
def deactivate_user(data, user):
    """End an account's access (staff who leave): every token stops working at once; the account and all it
    signed stay on record."""
    return identity.set_active(db.session(), user, g.user, False, data["reason"], clock.now())


@bp.post("/users/<uuid:user_id>/reactivate")
@roles("admin")
@policy.loads("user", "administer")
@bp.arguments(AccessChangeIn)
@bp.response(200, UserOut)
def reactivate_user(data, user):
    """Give a deactivated account its access back (its old tokens stay revoked)."""
    return identity.set_active(db.session(), user, g.user, True, data["reason"], clock.now())


@bp.post("/users/<uuid:user_id>/password-reset")
@roles("admin")
@policy.loads("user", "administer")
@bp.response(202, ResetIssuedOut)
def issue_password_reset(user):
    """Send the user a one-time, expiring reset code through the outbox (never shown here); they log in with it
    and a new password."""
    return identity.issue_reset_code(db.session(), user, g.user, current_settings().password_reset_ttl, clock.now())


@bp.get("/audit-events")
@roles("admin")
@bp.arguments(AuditQuery, location="query")
@bp.response(200, AuditPage)
def list_audit_events(query):
    """The audit trail, newest first; page with `before_id` set to the last id of the previous page.

    Reading the trail is itself an access to patient data, and is recorded too.
    """
    return {"items": audit_trail.list_events(db.session(), g.user, query, clock.now())}
