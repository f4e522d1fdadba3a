"""One error shape for every failure: RFC 9457 problem documents (`application/problem+json`)."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, json
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_TYPES = "https://inr-companion.example/problems/"


class Problem(Exception):
    """Raise from anywhere in a request to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str | None = None, *,
                 errors: dict | None = None, kind: str | None = None, headers: dict | None = None):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.errors, self.kind, self.headers = errors, kind, headers or {}


class NotFound(Problem):
    def __init__(self, what: str = "resource"):
        super().__init__(404, "Not Found", f"No such {what}.", kind="not-found")


class Conflict(Problem):
    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(409, "Conflict", detail, errors=errors, kind="conflict")


class Refused:
    """An item of a batch that failed its own validation, with the reasons; the other items go on."""

    def __init__(self, errors: dict):
        self.errors = errors


def invalid(errors: dict, detail: str = "The request has invalid fields.") -> Problem:
    return Problem(422, "Unprocessable Content", detail, errors=errors, kind="validation")


def problem_response(status: int, title: str, detail: str | None = None, *, errors: dict | None = None,
                     kind: str | None = None, headers: dict | None = None) -> Response:
    body: dict = {"type": PROBLEM_TYPES + (kind or str(status)), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


UNAVAILABLE = ("The database became unavailable during the request, so it may or may not have been stored. "
               "Retry shortly with the same request (the same client_id or Idempotency-Key): a retry never stores "
               "it twice.")


def _is_disconnect(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and (exc.connection_invalidated or isinstance(exc, OperationalError))


def register(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc.status, exc.title, exc.detail, errors=exc.errors, kind=exc.kind,
                                headers=exc.headers)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return problem_response(422, "Unprocessable Content", "The request has invalid fields.",
                                errors=messages, kind="validation")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        if exc.code == 429:
            headers["Retry-After"] = "60"
        return problem_response(exc.code or 500, exc.name, exc.description, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if _is_disconnect(exc):
            # The database went away mid-request, before or after the request's own commit: what was sent may
            # or may not be stored. Every write is safe to repeat (a client id, an Idempotency-Key, or a state
            # the retry finds already reached), so say exactly that.
            log.warning("database unavailable: %s", type(exc).__name__)
            return problem_response(503, "Service Unavailable", UNAVAILABLE, kind="unavailable",
                                    headers={"Retry-After": "5"})
        if isinstance(exc, IntegrityError):
            # Two requests raced past the same "is it free?" check; the unique index let one win.
            log.warning("concurrent write refused by a constraint: %s", type(exc.orig).__name__)
            return problem_response(409, "Conflict", "A concurrent request changed the same data; reload and retry.",
                                    kind="conflict")
        log.exception("unhandled error")
        return problem_response(500, "Internal Server Error", "An unexpected error occurred.")
