"""`Idempotency-Key` for the creating requests that have no natural key of their own.

A result carries the app's client id, an account its e-mail, a clearance or a void its state: a retry of those
finds what is stored. A review, a training session, a supply issue or a new patient has nothing of the kind, so
a client that retries after a timeout would create it twice. With an `Idempotency-Key` header, the first request
records the key beside what it creates, in the same transaction; a retry with the same key and the same request
answers with the stored object (200), one with the same key and another request is refused (409).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import wraps

from flask import Flask, g, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from models import IdempotentRequest
from service import clock, db
from service.errors import Conflict, invalid

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


@dataclass
class _Pending:
    key: str
    fingerprint: str
    model: type
    created: list = field(default_factory=list)
    recorded: bool = False


def idempotent(model, present=None):
    """Honour `Idempotency-Key` on a view that creates one `model` row; `present` turns the stored row into what
    the view returns (the row itself by default). Put it closest to the view, under `@bp.response`."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            if not _KEY.match(key):
                raise invalid({HEADER: ["8 to 64 letters, digits, '.', '_', ':' or '-'."]})
            session, fingerprint = db.session(), _fingerprint()
            stored = session.scalar(select(IdempotentRequest).where(IdempotentRequest.user_id == g.user.id,
                                                                    IdempotentRequest.key == key))
            if stored is not None:
                if stored.fingerprint != fingerprint or stored.object_type != model.__name__:
                    raise Conflict(f"This {HEADER} was used for a different request.",
                                   errors={HEADER: ["Already used for a different request."]})
                created = session.get(model, stored.object_id)
                return (present or _as_is)(created), 200
            g.idempotency = _Pending(key, fingerprint, model)
            return view(*args, **kwargs)

        wrapped.idempotent = True
        return wrapped

    return decorate


def _as_is(created):
    return created


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _note_created(session: Session, _flush_context) -> None:
    pending = g.get("idempotency") if _in_request() else None
    if pending is not None and not pending.created:
        pending.created = [obj for obj in session.new if isinstance(obj, pending.model)]


def _record_key(session: Session) -> None:
    pending = g.get("idempotency") if _in_request() else None
    if pending is None or pending.recorded or not pending.created:
        return
    pending.recorded = True
    session.add(IdempotentRequest(user_id=g.user.id, key=pending.key, fingerprint=pending.fingerprint,
                                  object_type=pending.model.__name__, object_id=pending.created[0].id,
                                  created_at=clock.now()))


def _in_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def init_app(app: Flask) -> None:
    """Write the key in the transaction that creates the object: after its flush we know the row, before its
    commit we add the key (a concurrent copy then loses on the unique (user, key) and answers 409)."""
    factory = app.extensions["db_sessionmaker"]
    event.listen(factory, "after_flush", _note_created)
    event.listen(factory, "before_commit", _record_key)
