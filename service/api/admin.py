"""Staff administration: user accounts, the staff directory and the audit trail."""

from __future__ import annotations

from flask import current_app, g

from service import audit, clock, db, identity
from service.api import Blueprint
from service.policy import roles
from service.schemas.audit import AuditPage, AuditQuery
from service.schemas.identity import UserIn, UserOut, UserPage, UserQuery

bp = Blueprint("admin", __name__, description="Accounts and the audit trail.")


@bp.post("/users")
@roles("admin")
@bp.arguments(UserIn)
@bp.response(201, UserOut)
def create_user(data):
    """Create an account (admin)."""
    return identity.create_user(db.session(), current_app.extensions["passwords"], now=clock.now(),
                                npi=data.get("npi"), **{k: data[k] for k in ("email", "password", "role",
                                                                           "full_name")})


@bp.get("/users")
@roles("admin", "physician", "trainer")
@bp.arguments(UserQuery, location="query")
@bp.response(200, UserPage)
def list_users(query):
    """Accounts (admin); physicians and trainers see caregivers and physicians only."""
    return {"items": identity.list_users(db.session(), g.user, query.get("role"), clock.now())}


@bp.get("/audit-events")
@roles("admin")
@bp.arguments(AuditQuery, location="query")
@bp.response(200, AuditPage)
def list_audit_events(query):
    """The audit trail, newest first; page with `before_id` set to the last id of the previous page.

    Reading the trail is itself an access to patient data, and is recorded too.
    """
    return {"items": audit.list_events(db.session(), query, clock.now())}
