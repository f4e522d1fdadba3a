"""Who is calling: bearer-token authentication for every API route not marked `@public` (the pages and their
files carry no data and need none).

What the caller may then reach is decided in service.policy.
"""

from __future__ import annotations

import uuid

from flask import Flask, current_app, g, request

from service import audit, clock, db, identity, pages
from service.errors import Problem


def public(view):
    """Mark a view as reachable without a token (login and health only)."""
    view.is_public = True
    return view


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _authenticate() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "is_public", False) or pages.serves(request):
        return  # unknown routes answer 404/405 by themselves; public views and the pages need no token
    token = bearer_token()
    # The patient the path names comes with the token, in the same statement; policy.patient decides whether the
    # caller may reach them, as it does for a patient it reads itself.
    named = (request.view_args or {}).get("patient_id")
    named = named if isinstance(named, uuid.UUID) else None
    user, patient = identity.user_and_patient(db.session(), token, clock.now(), named) if token else (None, None)
    if user is None:
        if token:
            audit.record_alone(current_app.extensions["db_sessionmaker"], "auth.token", outcome="refused",
                               detail={"endpoint": request.endpoint}, now=clock.now())
        raise Problem(401, "Unauthorized", "A valid bearer token is required.", kind="unauthorized",
                      headers={"WWW-Authenticate": 'Bearer realm="inr"'})
    g.user = user
    if named is not None:
        g.path_patient = (named, patient)
    # A plain copy for the request log: after a failed flush the ORM object cannot be read without the database.
    g.user_public_id = str(user.public_id)


def init_app(app: Flask) -> None:
    app.before_request(_authenticate)
