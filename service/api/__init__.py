"""The HTTP layer: flask-smorest's Api and Blueprint, made strict, and the blueprints that make the route map.

Every view reads the same four steps:

    @bp.post("/patients/<uuid:patient_id>/results")
    @policy.loads("patient", "report_result")      # load through the policy: authorizes, audits a refusal
    @bp.arguments(ResultIn)                        # parse: the schema refuses what it does not know
    @bp.response(201, ResultOut)                   # dump: the same schema documents the answer
    def post_result(data, patient):
        return results.report_result(db.session(), patient, ...)  # one domain call (owns the commit)

The policy acts first (after `@roles`), so a caller who may not reach the object learns nothing from how
their request was malformed.

The OpenAPI document is generated from these declarations (`flask --app service openapi write`): each
operation's error answers are derived here from what the view declares (public or not, roles, path
parameters, a body), so the document cannot forget one.
"""

from __future__ import annotations

import http
import json
import re

import flask_smorest
from flask import Flask
from marshmallow import RAISE, ValidationError
from webargs.flaskparser import FlaskParser

from service.errors import Problem, invalid
from service.schemas.common import ProblemOut
from service.schemas.fields import DecimalNumber

MAX_JSON_DEPTH = 32  # real bodies nest 3 or 4 levels; deeper documents are refused before they are built
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')  # strings whole (brackets inside them don't count)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays and objects deeper than `limit`, found without parsing it."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(body):
        mark = token.group()
        if mark in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif mark in (b"]", b"}"):
            depth -= 1
    return False


def refuse_unstorable_text(data, path: tuple = ()) -> None:
    """NUL and unpaired UTF-16 surrogates ("\\ud800") are never meaningful in clinical text and cannot be
    stored as UTF-8: refuse them by field, in keys and values alike."""
    if isinstance(data, str):
        problem = ("Must not contain NUL characters." if "\x00" in data
                   else "Must not contain unpaired surrogate characters." if _LONE_SURROGATE.search(data) else None)
        if problem:
            errors: dict = {}
            node = errors
            for key in path[:-1]:
                node = node.setdefault(_printable(key), {})
            node[_printable(path[-1]) if path else "_schema"] = [problem]
            raise ValidationError(errors)
    elif isinstance(data, dict):
        for key, value in data.items():
            refuse_unstorable_text(key, path + (key,))
            refuse_unstorable_text(value, path + (key,))
    elif isinstance(data, list):
        for position, value in enumerate(data):
            refuse_unstorable_text(value, path + (position,))


def _printable(key) -> str:
    # A field name that is itself unstorable is named by its escaped form in the error document.
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


class StrictParser(FlaskParser):
    """webargs' parser, strict: JSON objects only, unknown fields refused everywhere, one problem shape."""

    DEFAULT_UNKNOWN_BY_LOCATION = {location: RAISE for location in FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION}

    def load_json(self, req, schema):
        if req.headers.get("Transfer-Encoding", "").lower() == "chunked" and not req.environ.get(
                "wsgi.input_terminated"):
            raise Problem(411, "Length Required", "This server cannot read a chunked body here; send "
                          "Content-Length.", kind="length-required")
        body = req.get_data(cache=True)
        if too_deep(body):
            raise Problem(400, "Bad Request", f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.",
                          kind="too-deep")
        try:
            data = json.loads(body) if body else None
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise Problem(400, "Bad Request", "The body is not valid JSON.", kind="invalid-json") from exc
        if not isinstance(data, dict):
            raise ValidationError({"_schema": ["Send a JSON object."]})
        refuse_unstorable_text(data)
        return data

    def load_querystring(self, req, schema):
        refuse_unstorable_text(req.args.to_dict(flat=False))
        return super().load_querystring(req, schema)

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages
        # webargs files messages under their location ({"json": {...}}); the problem names the fields directly.
        if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in self.__location_map__:
            messages = next(iter(messages.values()))
        raise invalid(messages if isinstance(messages, dict) else {"_schema": messages})


def _problems(rule: str, method: str, view) -> list[int]:
    """The error statuses an operation can answer, from what its view declares."""
    statuses = {503}  # any route that reads the database may find it gone
    public = getattr(view, "is_public", False)
    if not public:
        statuses.add(401)
    if getattr(view, "allowed_roles", None) is not None:
        statuses.add(403)
    arguments = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    if "<" in rule or any(name.endswith("_id") for parameter in arguments if parameter["in"] == "query"
                          for name in _schema_fields(parameter["schema"])):
        statuses.add(404)  # missing, or not yours: the same answer (a path or a query naming an object)
    if any(parameter["in"] == "json" for parameter in arguments):
        statuses |= {400, 413, 415, 422}
    if arguments:
        statuses.add(422)
    if method in BODY_METHODS and not public and rule != "/auth/logout":
        statuses.add(409)  # any write can lose a race on a unique key
    return sorted(statuses)


def _schema_fields(schema) -> list[str]:
    return list((schema() if isinstance(schema, type) else schema).fields)


IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{8,64}$"},
    "description": "Makes a retry safe: a repeat with the same key and request answers with what the first one "
                   "created (200) instead of creating it again; the same key with another request is a 409.",
}


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the strict parser, and each operation's error answers documented."""

    ARGUMENTS_PARSER = StrictParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_problems_doc)

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        for method in options.get("methods", ("GET",)):
            apidoc = dict(getattr(view_func, "_apidoc", {}))
            apidoc["problems"] = _problems(rule, method, view_func)
            apidoc["public"] = getattr(view_func, "is_public", False)
            apidoc["operation_id"] = endpoint or view_func.__name__
            apidoc["idempotent"] = getattr(view_func, "idempotent", False)
            view_func._apidoc = apidoc
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    @staticmethod
    def _prepare_problems_doc(doc, doc_info, **_kwargs):
        responses = doc.setdefault("responses", {})
        for status in doc_info.get("problems", ()):
            responses.setdefault(status, http.HTTPStatus(status).name)
        doc["operationId"] = doc_info["operation_id"]
        if doc_info.get("idempotent"):
            doc.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            created = responses.get(201) or responses.get("201")
            if created is not None and 200 not in responses and "200" not in responses:
                responses[200] = {**created, "description": "A retry with the same Idempotency-Key: what the "
                                                            "first request created"}
        if doc_info.get("public"):
            doc["security"] = []
        doc["responses"] = dict(sorted(responses.items(), key=lambda item: int(item[0])))
        return doc


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering errors with the service's own problem documents (service.errors)."""

    ERROR_SCHEMA = ProblemOut
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass  # service.errors registers one handler per kind of failure, all RFC 9457

    def _register_responses(self):
        for status in http.HTTPStatus:
            if status >= 400:
                self.spec.components.response(status.name, {
                    "description": _ERROR_MEANINGS.get(status, status.phrase),
                    "content": {"application/problem+json": {"schema": self.ERROR_SCHEMA}}}, lazy=True)


_ERROR_MEANINGS = {
    400: "The body is not valid JSON, or nests too deep.",
    401: "No valid bearer token (or, at login, wrong credentials).",
    403: "The caller's role may never do this.",
    404: "No such object, or not one the caller may reach (the same answer, on purpose).",
    409: "The request conflicts with what is stored (a key reused with other content, a state already "
         "changed, or a concurrent write that won a race).",
    411: "A chunked body the server in front could not terminate; send Content-Length.",
    413: "The body is larger than the configured limit.",
    415: "The body is not application/json.",
    422: "The request has invalid fields; `errors` names each one.",
    429: "Too many attempts; retry after the Retry-After seconds.",
    503: "The database is unavailable; retry shortly (a retry of a write with the same key is safe).",
}


def init_app(app: Flask) -> Api:
    """Create the Api and register every blueprint: this list is the route map."""
    from service.api import (
        admin,
        alerts,
        billing,
        clearance,
        health,
        history,
        login,
        patients,
        practices,
        results,
        reviews,
        training,
    )

    api = Api(app, spec_kwargs={
        "info": {"description": API_DESCRIPTION},
        "security": [{"bearer": []}],
    })
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                                   "description": "A token from POST /auth/login."})
    api.register_field(DecimalNumber, "number", None)
    for module in (health, login, admin, practices, patients, results, reviews, alerts, training, clearance, history,
                   billing):
        api.register_blueprint(module.bp)
    return api


API_DESCRIPTION = """\
Backend of a home INR self-testing companion: the mobile app (patients and caregivers), the physician's
dashboard and the caregiver training checklist. Every route but `POST /auth/login` and `GET /health` needs
`Authorization: Bearer <token>`. Errors are RFC 9457 problem documents (`application/problem+json`) with an
`errors` map naming each invalid field. Another patient's data answers 404, as if it did not exist.
"""
