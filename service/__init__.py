"""The INR companion web service: `create_app()` builds the Flask app."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from service import auth, config, db, errors, migrate
from service.errors import Problem
from service.ratelimit import limiter

log = logging.getLogger("service.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)  # JSON only: no static files
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATELIMIT_STORAGE"]
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    if app.config["TRUST_PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUST_PROXY_HOPS"])

    _configure_logging(app)
    _prepare_sqlite_directory(app.config["DATABASE_URL"])
    db.init_app(app)
    migrate.ensure_current(app.extensions["db_engine"], app.config["AUTO_MIGRATE"])
    from service.identity import Passwords

    app.extensions["passwords"] = Passwords(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"])
    limiter.init_app(app)
    errors.register(app)

    app.before_request(_start_request)
    auth.init_app(app)  # after _start_request: refusals carry the request id
    app.after_request(_finish_response)

    for blueprint in _blueprints():
        app.register_blueprint(blueprint)

    from service import cli

    cli.init_app(app)
    return app


def _blueprints():
    """Every module of service.api that defines `bp`: adding a resource is adding a module."""
    import importlib
    import pkgutil

    from service import api

    for module_info in sorted(pkgutil.iter_modules(api.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"service.api.{module_info.name}")
        if hasattr(module, "bp"):
            yield module.bp


def _configure_logging(app: Flask) -> None:
    # Our own request line (route template, request id, status) replaces werkzeug's access log, which
    # prints full URLs: paths and query strings carry patient identifiers.
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _prepare_sqlite_directory(url: str) -> None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _start_request() -> None:
    g.started = time.perf_counter()
    supplied = request.headers.get("X-Request-Id", "")
    g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
    if request.method in _BODY_METHODS and (request.content_length or request.headers.get("Transfer-Encoding")):
        if not request.is_json:
            raise Problem(415, "Unsupported Media Type", "Send the request body as application/json.",
                          kind="unsupported-media-type")


def _finish_response(response):
    # Every answer may carry health data: never cache it, never frame it, never sniff it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    response.headers["X-Request-Id"] = g.get("request_id", "")
    # Route template, never the URL: paths and query strings can carry identifiers.
    log.info("request_id=%s method=%s route=%s status=%s ms=%.1f user=%s", g.get("request_id"), request.method,
             request.url_rule.rule if request.url_rule else "-", response.status_code,
             (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, g.get("user_public_id", "-"))
    return response
