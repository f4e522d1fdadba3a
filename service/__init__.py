"""The INR companion web service: `create_app()` builds the Flask app."""

from __future__ import annotations

import logging
import re
import time
import uuid

import click
from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from service import api, auth, clock, db, errors, idempotency, migrate, pages
from service.errors import Problem
from service.ratelimit import limiter
from service.settings import Settings

log = logging.getLogger("service.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Below gunicorn's own limits (gunicorn.conf.py), so that the app answers these with problem documents.
MAX_URL_LENGTH = 4096
MAX_HEADER_BYTES = 8190
MAX_HEADERS = 100


def create_app(settings: Settings | None = None, *, clock_source=None, test_config: dict | None = None) -> Flask:
    """The app, configured by `settings` (from the environment by default) and reading time from
    `clock_source` (the system clock by default; tests pass a `clock.FixedClock`). `test_config` sets Flask's
    own keys for a test (TESTING, RATELIMIT_KEY_PREFIX)."""
    settings = settings or Settings.from_environment()
    app = Flask(__name__, static_folder=None)  # the API is JSON only; the pages blueprint serves its own files
    app.extensions["settings"] = settings
    app.extensions["clock"] = clock_source or clock.SystemClock()
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage,
        API_TITLE="INR companion API",
        API_VERSION="0.1.0",
        OPENAPI_VERSION="3.1.0",
    )
    app.config.update(test_config or {})
    if settings.trust_proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trust_proxy_hops)

    _configure_logging(settings.log_level)
    from service.identity import Passwords

    app.extensions["passwords"] = Passwords(settings.argon2_time_cost, settings.argon2_memory_cost)
    limiter.init_app(app)
    errors.register(app)

    app.before_request(_start_request)  # first: every answer, refusals included, carries the request id
    db.init_app(app)
    idempotency.init_app(app)
    _bring_schema_up_to_date(app, settings)
    auth.init_app(app)
    app.after_request(_finish_response)
    api.init_app(app)
    pages.init_app(app)

    from service import cli

    cli.init_app(app)
    return app


def _bring_schema_up_to_date(app: Flask, settings: Settings) -> None:
    """Served by gunicorn (or built by a test): migrate, or refuse to start on an old schema, now.

    Loaded by the `flask` command, the app touches no database until a command needs one: `--help` must not
    create a database, and `db-upgrade` must run on an old schema even with INR_AUTO_MIGRATE=0. `flask run`
    checks on its first request instead.
    """
    engine = app.extensions["db_engine"]
    if click.get_current_context(silent=True) is None:
        migrate.ensure_current(engine, settings.auto_migrate)
        return
    checked = []

    def _once() -> None:
        if not checked:
            migrate.ensure_current(engine, settings.auto_migrate)
            checked.append(True)

    app.before_request(_once)


def _configure_logging(level: str) -> None:
    # Our own request line (route template, request id, status) replaces werkzeug's access log, which
    # prints full URLs: paths and query strings carry patient identifiers.
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Alembic narrates every migration step at INFO; a user wants to hear only that the schema moved.
    logging.getLogger("alembic").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


def _start_request() -> None:
    g.started = time.perf_counter()
    supplied = request.headers.get("X-Request-Id", "")
    g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
    if len(request.environ.get("RAW_URI") or request.full_path) > MAX_URL_LENGTH:
        raise Problem(414, "URI Too Long", f"The request line is longer than {MAX_URL_LENGTH} characters.",
                      kind="uri-too-long")
    if len(request.headers) > MAX_HEADERS or any(len(name) + len(value) > MAX_HEADER_BYTES
                                                  for name, value in request.headers.items()):
        raise Problem(431, "Request Header Fields Too Large",
                      f"At most {MAX_HEADERS} headers of at most {MAX_HEADER_BYTES} bytes each.",
                      kind="headers-too-large")
    if request.method in api.BODY_METHODS and (request.content_length or request.headers.get("Transfer-Encoding")):
        if not request.is_json:
            raise Problem(415, "Unsupported Media Type", "Send the request body as application/json.",
                          kind="unsupported-media-type")


def _finish_response(response):
    if pages.serves(request):
        # The pages and their files carry no data (that comes from the API, under the API's headers): they may
        # be kept and revalidated, and their own policy lets them run their own scripts and styles, nothing else.
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Content-Security-Policy"] = pages.CONTENT_SECURITY_POLICY
    else:
        # Every answer of the API may carry health data: never cache it, never run it as a page.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    # Nothing is framed or sniffed, pages included.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    response.headers["X-Request-Id"] = g.get("request_id", "")
    # Route template, never the URL: paths and query strings can carry identifiers.
    log.info("request_id=%s method=%s route=%s status=%s ms=%.1f user=%s", g.get("request_id"), request.method,
             request.url_rule.rule if request.url_rule else "-", response.status_code,
             (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, g.get("user_public_id", "-"))
    return response
