"""Who is calling: bearer-token authentication for every route not marked `@public`, and role checks."""

from __future__ import annotations

from functools import wraps

from flask import Flask, current_app, g, request

from service import audit, clock, db, identity
from service.errors import Problem


def public(view):
    """Mark a view as reachable without a token (login and health only)."""
    view.is_public = True
    return view


def roles(*allowed: str):
    """Refuse (403, audited) callers whose role is not among `allowed`."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.user.role not in allowed:
                # The patient named in the path belongs in the trail: it is whose record was reached for.
                patient_id = kwargs.get("patient_id")
                audit.record_alone(current_app.extensions["db_sessionmaker"], "access.refused",
                                   outcome="refused", actor=g.user, patient_id=patient_id,
                                   object_type="patient" if patient_id else None, object_id=patient_id,
                                   detail={"endpoint": request.endpoint}, now=clock.now())
                raise Problem(403, "Forbidden", "Your role does not allow this action.", kind="forbidden")
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed
        return wrapped

    return decorate


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _authenticate() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "is_public", False):
        return  # unknown routes answer 404/405 by themselves; public views need no token
    token = bearer_token()
    user = identity.user_for_token(db.session(), token, clock.now()) if token else None
    if user is None:
        if token:
            audit.record_alone(current_app.extensions["db_sessionmaker"], "auth.token", outcome="refused",
                               detail={"endpoint": request.endpoint}, now=clock.now())
        raise Problem(401, "Unauthorized", "A valid bearer token is required.", kind="unauthorized",
                      headers={"WWW-Authenticate": 'Bearer realm="inr"'})
    g.user = user
    # A plain copy for the request log: after a failed flush the ORM object cannot be read without the database.
    g.user_public_id = str(user.public_id)


def init_app(app: Flask) -> None:
    app.before_request(_authenticate)
