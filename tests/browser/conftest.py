"""Browser journeys: the app served for real (werkzeug in a thread, on a port of 18300-18399, SQLite), Debian's
chromium driven by Playwright for Python.

Skipped, with the reason, where chromium or Playwright is missing or the suite runs on PostgreSQL (the API tests
cover PostgreSQL; the pages only call the API). `INR_REQUIRE_BROWSER=1` (CI) makes a missing browser a failure.

Every page a test opens is watched: each request it makes is recorded, anything not for this server is blocked
and fails the test, and so does a console error (a CSP violation is one), an uncaught exception, or an answer of
4xx/5xx the test did not declare. Screenshots go to tests/browser/artifacts/ (or `INR_BROWSER_ARTIFACTS`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from werkzeug.serving import make_server

from service import create_app, db, identity, migrate
from tests import factories
from tests.conftest import settings_for_test

CHROMIUM = Path(os.environ.get("INR_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("INR_REQUIRE_BROWSER") == "1"
PORTS = range(18300, 18400)
ARTIFACTS = Path(os.environ.get("INR_BROWSER_ARTIFACTS", Path(__file__).parent / "artifacts"))
# Without the background-networking flags chromium reaches for the network on its own, which this closed network
# refuses (and which would be requests the pages did not make).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
HERE = Path(__file__).parent


def _missing() -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    if not CHROMIUM.exists():
        return f"chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return ""


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if Path(str(item.fspath)).is_relative_to(HERE)]
    for item in mine:
        item.add_marker(pytest.mark.browser)
    if REQUIRED:
        return  # a missing browser fails in the `browser` fixture, loudly
    reason = ("the browser tests run on SQLite only (the API tests cover PostgreSQL)"
              if os.environ.get("INR_TEST_DATABASE_URL") else _missing())
    if reason:
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=reason))


# --- the server -----------------------------------------------------------------------------------------------


@dataclass
class Live:
    app: object
    url: str

    def api(self, method: str, path: str, token: str | None = None, body: dict | None = None):
        """Call the running API over HTTP as a client would; returns (status, document)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", "Accept": "application/json",
                                                  **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def token(self, email: str, password: str = factories.PASSWORD) -> str:
        status, login = self.api("POST", "/auth/login", body={"email": email, "password": password})
        assert status == 200, login
        return login["token"]


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """The app on a real socket, on its own SQLite database, with the real clock."""
    path = tmp_path_factory.mktemp("browser") / "pages.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(settings_for_test(f"sqlite:///{path}"))
    server = None
    for port in PORTS:
        try:
            server = make_server("127.0.0.1", port, app, threaded=True)
            break
        except (OSError, SystemExit):  # werkzeug reports a port in use and exits rather than raising
            continue
    assert server is not None, f"no free port in {PORTS.start}-{PORTS.stop - 1}"
    thread = threading.Thread(target=server.serve_forever, name="pages-server", daemon=True)
    thread.start()
    yield Live(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["db_engine"].dispose()


# --- the people of a journey ------------------------------------------------------------------------------------


@dataclass
class Clinic:
    """A physician's small practice for one journey, named apart from every other journey's."""

    live: Live
    tag: str
    users: dict = field(default_factory=dict)
    patients: dict = field(default_factory=dict)

    def email(self, name: str) -> str:
        return f"{name}.{self.tag}@journey.test"

    def user(self, name: str, role: str, full_name: str):
        app = self.live.app
        with app.app_context():
            session = db.session()
            # Each journey's physician has an NPI of their own: they all share the server's database.
            self.users[name] = identity.create_user(
                session, app.extensions["passwords"], email=self.email(name), password=factories.PASSWORD,
                role=role, full_name=full_name, npi=valid_npi(self.tag, name) if role == "physician" else None,
                now=now())
            session.commit()
        return self.users[name]

    def patient(self, name: str, full_name: str, *, login: str | None = None, **fields):
        user = self.users.get(login) if login else None
        self.patients[name] = factories.make_patient(self.live.app, self.users["admin"], self.users["physician"],
                                                     now() - timedelta(days=120), user=user, full_name=full_name,
                                                     **fields)
        return self.patients[name]

    def post_result(self, who: str, patient: str, value: float, hours_ago: float = 1, **fields) -> dict:
        """A result as the app posts it, over HTTP with `who`'s own token; the meter's clock is New York's."""
        measured = (now() - timedelta(hours=hours_ago)).astimezone(timezone(timedelta(hours=-5)))
        body = {"client_id": f"app-{uuid.uuid4().hex[:12]}", "value": value, "measured_at": measured.isoformat(),
                "qc_passed": True, "meter_serial": "UP12345678", "strip_lot": "47312", **fields}
        status, result = self.live.api("POST", f"/patients/{self.patients[patient].public_id}/results",
                                       self.live.token(self.email(who)), body)
        assert status == 201, result
        return result


def now() -> datetime:
    return datetime.now(timezone.utc)


def valid_npi(*seeds: str) -> str:
    """A 10-digit NPI with a valid check digit (Luhn over the 80840 prefix), made from `seeds`."""
    base = str(int(hashlib.sha256("/".join(seeds).encode()).hexdigest(), 16))[-9:].rjust(9, "1")
    base = "1" + base[1:]  # an individual's NPI starts with 1
    total = 24  # the 80840 prefix's share of the Luhn sum
    for position, digit in enumerate(reversed(base)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return base + str((10 - total % 10) % 10)


@pytest.fixture
def clinic(live):
    """A physician, a patient with a login and a caregiver linked to them (more as a journey needs)."""
    built = Clinic(live, uuid.uuid4().hex[:8])
    built.user("admin", "admin", "Ada Admin")
    built.user("physician", "physician", f"Dr. Journey {built.tag}")
    built.user("patient", "patient", "Jo Walker")
    built.user("caregiver", "caregiver", "Sam Walker")
    built.patient("jo", "Jo Walker", login="patient")
    factories.link(live.app, built.patients["jo"], built.users["admin"], built.users["caregiver"], now())
    return built


# --- the browser --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    missing = _missing()
    if missing:
        pytest.fail(f"INR_REQUIRE_BROWSER=1 but {missing}") if REQUIRED else pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watch:
    """What the pages of one test asked for, and what went wrong in them."""

    origin: str
    requests: list = field(default_factory=list)  # (method, url)
    blocked: list = field(default_factory=list)
    failures: list = field(default_factory=list)  # (status, method, url)
    errors: list = field(default_factory=list)
    allowed_statuses: set = field(default_factory=set)

    def paths(self) -> list[tuple[str, str]]:
        return [(method, re.sub(r"^https?://[^/]+", "", url)) for method, url in self.requests]


@pytest.fixture
def watch(live):
    return Watch(live.url)


@pytest.fixture
def open_page(browser, live, watch):
    """`open_page(viewport=TABLET)`: a new page in a fresh browser context (its own sessionStorage), watched."""
    contexts = []

    def make(viewport=TABLET):
        context = browser.new_context(viewport=viewport, base_url=live.url, locale="en-US",
                                      timezone_id="America/New_York", is_mobile=viewport is PHONE,
                                      has_touch=viewport is PHONE)
        contexts.append(context)

        def route(handled):
            url = handled.request.url
            if url.startswith(live.url + "/"):
                watch.requests.append((handled.request.method, url))
                handled.continue_()
            else:
                watch.blocked.append(url)
                handled.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and not message.text.startswith(
            "Failed to load resource") and watch.errors.append(message.text))
        page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
        page.on("response", lambda response: response.status >= 400 and watch.failures.append(
            (response.status, response.request.method, response.url)))
        page.set_default_timeout(10000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert watch.blocked == [], f"the pages asked another server for {watch.blocked}"
    assert watch.errors == [], f"errors in the pages: {watch.errors}"
    unexpected = [failure for failure in watch.failures if failure[0] not in watch.allowed_statuses]
    assert unexpected == [], f"answers the journey did not expect: {unexpected}"


def shot(page, request, name: str, *, full_page: bool = True) -> Path:
    """A screenshot as a test artifact, named after the test (the whole page unless it is a very long one)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{request.node.name}-{name}.png"
    page.screenshot(path=str(path), full_page=full_page, timeout=30_000)
    return path


def log_in(page, email: str, password: str = factories.PASSWORD, *, then: str) -> None:
    """Log in through the login page and wait to land on `then`."""
    if "/login/" not in page.url:
        page.goto("/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{then}")
