"""The clinic's journeys through the pages, one a test, in a real browser (see conftest.py for what every page
is watched for)."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from decimal import Decimal

import yaml
from playwright.sync_api import expect

from service import alerts, db, training
from service.pages import PAGES
from tests import factories
from tests.browser.conftest import PHONE, now, shot
from tests.browser.conftest import log_in as login
from tests.test_contract import SPEC_PATH

WEEK = {"sunday": "5", "monday": "2.5", "tuesday": "5", "wednesday": "2.5", "thursday": "5", "friday": "2.5",
        "saturday": "5"}


def first_row(page):
    return page.locator("#queue tbody tr").first


def test_physician_reviews_a_critical_result(open_page, clinic, request):
    # The app posts a high INR, then a low one with a nosebleed: the bleeding makes the newer one critical.
    high = clinic.post_result("patient", "jo", 3.6, hours_ago=5)
    critical = clinic.post_result("patient", "jo", 1.6, hours_ago=1, symptoms=["nosebleed"])
    assert (critical["alert"]["severity"], critical["flag"]["level"]) == ("critical", "low")

    # The physician logs in and finds the critical alert at the top of the queue, in words and with its icon.
    page = open_page()
    login(page, clinic.email("physician"), then="/dashboard/")
    expect(page.locator("#queue tbody tr")).to_have_count(2)
    top = first_row(page)
    expect(top).to_contain_text("Critical")
    expect(top).to_contain_text("Jo Walker")
    expect(top).to_contain_text("1.6 (low)")
    expect(top.locator(".badge.critical svg")).to_have_count(1)
    expect(page.locator("#queue tbody tr").nth(1)).to_contain_text("Out of range")
    expect(page.locator("#counts")).to_contain_text("Critical: 1")
    shot(page, request, "queue")

    # The patient's page: the new point lies below the target band on the chart.
    top.get_by_role("link", name="Jo Walker", exact=True).click()
    page.wait_for_selector("body[data-loaded=true]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jo Walker")
    point = page.locator(f'g.chart-result[data-result-id="{critical["id"]}"] .chart-point').bounding_box()
    band = page.locator("#chart rect.chart-band").first.bounding_box()
    assert point["y"] > band["y"] + band["height"], "the low INR is drawn below the target band"
    above = page.locator(f'g.chart-result[data-result-id="{high["id"]}"] .chart-point').bounding_box()
    assert above["y"] + above["height"] < band["y"], "the high INR is drawn above it"
    expect(page.locator(f'#results tr[data-result-id="{critical["id"]}"]')).to_contain_text("Nosebleed")
    expect(page.locator("#open-alerts tbody tr")).to_have_count(2)
    shot(page, request, "patient")

    # The review: both results with open alerts are offered and chosen; a new weekly dose and the next test.
    page.get_by_role("link", name="Review results").click()
    page.wait_for_selector("body[data-loaded=true]")
    expect(page.locator("#result-choices input:checked")).to_have_count(2)
    page.get_by_label("Interpretation").fill("Low with a nosebleed after the last dose change; lower the dose.")
    page.get_by_label("New dose").check()
    for day, dose in WEEK.items():
        page.get_by_label(day.capitalize(), exact=True).fill(dose)
    expect(page.locator("#weekly-total")).to_have_text("27.5 mg")
    next_test = (now() + timedelta(days=3)).astimezone().date().isoformat()
    page.get_by_label("Next test").fill(next_test)
    shot(page, request, "review")
    page.get_by_role("button", name="Save the review").click()

    # Back on the patient: the alerts are resolved and the new instructions are in force, not yet acknowledged.
    page.wait_for_url("**/dashboard/patient#*")
    page.wait_for_selector("body[data-loaded=true]")
    expect(page.locator("#flash")).to_contain_text("Review saved: new dose")
    expect(page.locator("#open-alerts")).to_contain_text("No open alerts.")
    expect(page.locator("#instructions")).to_contain_text("New dose")
    expect(page.locator("#instructions")).to_contain_text("Not acknowledged yet")
    expect(page.locator("#instructions .doses-view td").nth(1)).to_have_text("2.5 mg")

    # The caregiver, on a phone, reads the instructions and says so.
    phone = open_page(PHONE)
    login(phone, clinic.email("caregiver"), then="/checklist/")
    phone.wait_for_selector("body[data-loaded=true]")
    expect(phone.locator("#instructions")).to_contain_text("New dose")
    expect(phone.locator("#instructions")).to_contain_text("lower the dose")
    expect(phone.locator(".doses-down tr").nth(1)).to_contain_text("Monday")
    expect(phone.locator(".doses-down tr").nth(1)).to_contain_text("2.5 mg")
    phone.get_by_role("button", name="I have read this").click()
    expect(phone.locator("#acknowledgement")).to_contain_text("You confirmed you read these")
    shot(phone, request, "checklist")

    # The physician sees who acknowledged, and an empty queue.
    page.reload()
    page.wait_for_selector("body[data-loaded=true]")
    expect(page.locator("#instructions .acks")).to_contain_text("Acknowledged by Sam Walker (caregiver)")
    shot(page, request, "acknowledged")
    page.get_by_role("link", name="Alert queue").click()
    expect(page.locator("#queue-empty")).to_be_visible()


def test_an_expired_session_sends_the_physician_back_to_log_in(open_page, clinic, live, watch, request):
    clinic.post_result("patient", "jo", 3.6)
    page = open_page()
    page.clock.install()
    login(page, clinic.email("physician"), then="/dashboard/")
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    # The token lives in this tab's sessionStorage only: no cookie, nothing in localStorage.
    token = page.evaluate("JSON.parse(sessionStorage.getItem('inr.session')).token")
    assert page.context.cookies() == [] and page.evaluate("localStorage.length") == 0
    # The session ends on the server (as when it expires); the queue's next refresh finds out.
    assert live.api("POST", "/auth/logout", token)[0] == 204
    watch.allowed_statuses.add(401)
    page.clock.fast_forward(31_000)
    page.wait_for_url("**/login/?next=*")
    expect(page.locator("#login-message")).to_have_text("Your session has expired. Please log in again.")
    assert page.evaluate("sessionStorage.getItem('inr.session')") is None
    shot(page, request, "login")
    # Logging in again comes back to the page the user was on.
    login(page, clinic.email("physician"), then="/dashboard/")
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    # Logging out says so, and the back button shows no data without a token.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    expect(page.locator("#login-message")).to_have_text("You have logged out.")
    page.goto("/dashboard/patient#" + str(clinic.patients["jo"].public_id))
    page.wait_for_url("**/login/?next=*")


def focused(page) -> dict:
    return page.evaluate("""() => { const a = document.activeElement;
        return {id: a.id, tag: a.tagName, text: a.textContent.trim(), key: (a.dataset && a.dataset.focusKey) || ''}; }""")


def tab_to(page, wanted, key="Tab", limit=80) -> dict:
    """Press Tab (or Shift+Tab) until the focused element is the one `wanted` describes."""
    for _ in range(limit):
        page.keyboard.press(key)
        now_at = focused(page)
        if wanted(now_at):
            return now_at
    raise AssertionError(f"never reached the element by keyboard; last at {focused(page)}")


def test_a_physician_works_the_alert_queue_with_the_keyboard_only(open_page, clinic, live, request):
    clinic.user("max", "patient", "Max Moss")
    clinic.patient("max", "Max Moss", login="max")
    low = clinic.post_result("patient", "jo", 3.6, hours_ago=6)["alert"]["id"]
    slightly = clinic.post_result("max", "max", 1.8, hours_ago=4)["alert"]["id"]
    critical = clinic.post_result("patient", "jo", 1.4, hours_ago=2)["alert"]["id"]
    # Nobody answered the critical one in time: the scheduler's escalation has passed it to the practice.
    with live.app.app_context():
        escalated = alerts.escalate_due(db.session(), now() + timedelta(minutes=31), alerts.EscalationDelays(
            critical=timedelta(minutes=30), out_of_range=timedelta(days=1)))
    assert escalated == [(critical, 2)]

    page = open_page({"width": 1024, "height": 420})
    page.clock.install()
    page.goto("/login/")
    tab_to(page, lambda at: at["id"] == "email")
    page.keyboard.type(clinic.email("physician"))
    page.keyboard.press("Tab")
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/")
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_attribute("data-alert-id") for i in range(3)] == [critical, low, slightly]
    expect(rows.first.locator(".badge.escalated")).to_have_text("Escalated")
    expect(rows.first).to_contain_text("to the practice")
    expect(rows.first).to_have_class(re.compile("escalated"))

    # Acknowledge the critical alert from the keyboard: focus moves on to that row's Review link.
    tab_to(page, lambda at: at["key"] == f"ack:{critical}")
    page.keyboard.press("Enter")
    expect(rows.first).to_contain_text("Acknowledged")
    expect(page.locator("#queue-status")).to_contain_text("Alert for Jo Walker acknowledged")
    assert focused(page)["key"] == f"review:{critical}"

    # Open the filters and narrow the queue to critical alerts, then back to all.
    tab_to(page, lambda at: at["tag"] == "SUMMARY", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#filters")).to_have_attribute("open", "")
    tab_to(page, lambda at: at["id"] == "filter-severity")
    page.keyboard.press("ArrowDown")
    expect(rows).to_have_count(1)
    page.keyboard.press("Home")
    expect(rows).to_have_count(3)
    shot(page, request, "filters")

    # The user is on Max's Acknowledge button, scrolled down, with the filters open, when a new alert arrives:
    # the refresh adds it without moving focus, closing the filters or moving the row under the user.
    tab_to(page, lambda at: at["key"] == f"ack:{slightly}")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    before = page.locator(f'tr[data-alert-id="{slightly}"]').bounding_box()["y"]
    assert page.evaluate("window.scrollY") > 0
    newest = clinic.post_result("max", "max", 1.3, hours_ago=0.5)["alert"]["id"]
    page.clock.fast_forward(31_000)
    expect(rows).to_have_count(4)
    expect(page.locator("#queue-status")).to_have_text("1 new alert.")
    assert rows.nth(1).get_attribute("data-alert-id") == newest  # critical, after the older critical one
    assert focused(page)["key"] == f"ack:{slightly}"
    expect(page.locator("#filters")).to_have_attribute("open", "")
    after = page.locator(f'tr[data-alert-id="{slightly}"]').bounding_box()["y"]
    assert abs(after - before) <= 1, "the row the user was at stayed where it was on the screen"
    page.keyboard.press("Space")
    expect(page.locator(f'tr[data-alert-id="{slightly}"]')).to_contain_text("Acknowledged")
    shot(page, request, "queue")


def test_a_caregiver_follows_training_progress_on_a_phone(open_page, clinic, live, request):
    trainer = clinic.user("trainer", "trainer", "Terry Trainer")
    caregiver = clinic.users["caregiver"]
    app = live.app
    with app.app_context():
        session = db.session()
        patient = session.merge(clinic.patients["jo"])
        first = now() - timedelta(days=3)
        training.record_training(session, patient, session.merge(trainer), {
            "kind": "initial", "trainee": "caregiver", "caregiver_id": caregiver.public_id, "occurred_at": first,
            "place": "Clinic room 2", "meter_serial": "UP12345678", "outcome": "not_yet",
            "next_session_on": (now() + timedelta(days=4)).astimezone().date(),
            "items": [{"key": "meter_use_and_care", "outcome": "demonstrated", "note": None},
                      {"key": "blood_sample", "outcome": "demonstrated", "note": "steady hands"},
                      {"key": "reporting_results", "outcome": "needs_practice", "note": None},
                      {"key": "diet_and_drug_interactions", "outcome": "explained", "note": None}],
            "supervised_test": {"trainee_inr": Decimal("2.4"), "clinic_inr": Decimal("2.5")}},
            Decimal("0.5"), now())

    phone = open_page(PHONE)
    login(phone, clinic.email("caregiver"), then="/checklist/")
    phone.wait_for_selector("body[data-loaded=true]")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Training checklist: Jo Walker")
    expect(phone.locator("#progress")).to_contain_text("2 of 4 skills shown")
    expect(phone.locator("#skills-progress")).to_have_attribute("value", "2")
    item = phone.locator('li[data-item="blood_sample"]')
    expect(item).to_contain_text("Done")
    expect(item).to_contain_text("Demonstrated on")
    expect(phone.locator('li[data-item="reporting_results"]')).to_contain_text("Needs practice")
    expect(phone.locator('li[data-item="demonstration"]')).to_contain_text("Not started")
    expect(phone.locator("#progress")).to_contain_text("Next session:")
    session_card = phone.locator("#sessions .session").first
    expect(session_card).to_contain_text("Not yet competent")
    expect(session_card).to_contain_text("Signed by Terry Trainer")
    expect(session_card).to_contain_text("Demonstrated: Obtaining a capillary blood sample from a fingerstick — steady hands")
    expect(session_card).to_contain_text("the clinic's 2.5 (they agree)")
    expect(phone.locator("#instructions")).to_contain_text("No instructions from your physician yet.")
    # Readable on a phone: nothing is wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, request, "checklist")


def test_a_physician_sorts_the_panel_and_finds_a_patient(open_page, clinic, live, request):
    physician = clinic.users["physician"]
    for name, values in (("Amy Able", ["2.5", "2.6", "2.4"]), ("Ben Bloom", ["1.7", "3.6", "4.1"]),
                         ("Cy Cole", [])):
        patient = clinic.patient(name.split()[0].lower(), name)
        for weeks_ago, value in zip((3, 2, 1), values, strict=False):
            factories.record_result(live.app, patient, physician, now(), client_id=f"{name}-{weeks_ago}",
                                    value=Decimal(value), measured_at=now() - timedelta(weeks=weeks_ago))
    page = open_page()
    login(page, clinic.email("physician"), then="/dashboard/")
    page.get_by_role("link", name="Panel").click()
    page.wait_for_selector("body[data-loaded=true]")
    names = page.locator("#panel tbody tr:not([hidden]) th a")
    expect(names).to_have_text(["Amy Able", "Ben Bloom", "Cy Cole", "Jo Walker"])
    ben = page.locator("#panel tbody tr", has_text="Ben Bloom")
    expect(ben).to_contain_text("4.1")
    expect(ben).to_contain_text("High")
    expect(ben.locator("td").nth(2)).to_have_text("7")  # days since the last valid test

    ttr = page.locator('th[data-sort="ttr"]')
    ttr.get_by_role("button").click()
    expect(ttr).to_have_attribute("aria-sort", "descending")
    expect(names).to_have_text(["Amy Able", "Ben Bloom", "Cy Cole", "Jo Walker"])  # 100%, then lower, then none
    ttr.get_by_role("button").click()
    expect(ttr).to_have_attribute("aria-sort", "ascending")
    expect(names).to_have_text(["Ben Bloom", "Amy Able", "Cy Cole", "Jo Walker"])  # no figure: last either way
    page.locator('th[data-sort="inr"]').get_by_role("button").click()
    expect(names).to_have_text(["Ben Bloom", "Amy Able", "Cy Cole", "Jo Walker"])
    expect(page.locator('th[data-sort="ttr"]')).not_to_have_attribute("aria-sort", re.compile(".*"))
    page.get_by_label("Show patients named").fill("bloo")
    expect(names).to_have_text(["Ben Bloom"])
    shot(page, request, "panel")

    page.get_by_label("Name", exact=True).fill("cole")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-results li")).to_have_count(1)
    page.locator("#search-results").get_by_role("link", name="Cy Cole").click()
    page.wait_for_selector("body[data-loaded=true]")
    expect(page.locator("#chart")).to_contain_text("No results yet")


def test_the_pages_ask_nothing_of_anyone_but_their_own_server(open_page, clinic, live, watch, request):
    """Every request of every page, recorded: its own files, or an operation of the API document."""
    clinic.post_result("patient", "jo", 1.4)
    patient_id = str(clinic.patients["jo"].public_id)
    page = open_page()
    page.goto("/")
    login(page, clinic.email("physician"), then="/dashboard/")
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    for path in (f"/dashboard/patient#{patient_id}", f"/dashboard/review#{patient_id}", "/dashboard/panel"):
        page.goto(path)
        page.wait_for_selector("body[data-loaded=true]")
    phone = open_page(PHONE)
    login(phone, clinic.email("caregiver"), then="/checklist/")
    phone.wait_for_selector("body[data-loaded=true]")

    spec = yaml.safe_load(SPEC_PATH.read_text())
    operations = [(method.upper(), re.compile("^" + re.sub(r"\{[a-z_]+\}", "[^/]+", path) + "$"))
                  for path, item in spec["paths"].items() for method in item if method in ("get", "post")]
    own = set(PAGES) | {"/"}
    seen = set()
    for method, path in watch.paths():
        bare = path.split("?")[0].split("#")[0]
        if bare in own or bare.startswith("/assets/"):
            assert method == "GET", (method, path)
            seen.add("page" if bare in own else "asset")
            continue
        assert any(method == m and pattern.match(bare) for m, pattern in operations), f"not the API: {method} {path}"
        seen.add("api")
    assert seen == {"page", "asset", "api"}
    assert watch.blocked == [] and len(watch.requests) > 20


def test_a_panel_of_a_thousand_patients_opens_and_sorts_without_waiting(open_page, clinic, live, request):
    from service import patients, results

    with live.app.app_context():
        session = db.session()
        admin, physician = session.merge(clinic.users["admin"]), session.merge(clinic.users["physician"])
        settings = live.app.extensions["settings"]
        for i in range(999):
            patient = patients.create_patient(session, admin, {
                "full_name": f"Panel Patient {i:04d}", "date_of_birth": date(1940 + i % 40, 1 + i % 12, 1),
                "time_zone": "America/New_York", "physician_id": physician.public_id, "payer": "medicare",
                "indications": ["I48.91"]}, now() - timedelta(days=60))
            for weeks_ago, value in ((2, Decimal("2.5")), (1, Decimal("1.6") + Decimal(i % 25) / 10)):
                results.record_result(session, patient, physician, {
                    "client_id": f"panel-{i}-{weeks_ago}", "value": value, "qc_passed": True,
                    "measured_at": now() - timedelta(weeks=weeks_ago, hours=i % 48)}, settings, now())
    page = open_page()
    login(page, clinic.email("physician"), then="/dashboard/")
    started = time.perf_counter()
    page.goto("/dashboard/panel")
    page.wait_for_selector("body[data-loaded=true]")
    opened = time.perf_counter() - started
    rows = page.locator("#panel tbody tr")
    expect(rows).to_have_count(1000)
    # Sorting a thousand rows moves them; how long it takes is printed, never asserted (speed belongs in bench/).
    took = page.evaluate("""() => { const start = performance.now();
        document.querySelector('th[data-sort="ttr"] button').click();
        return performance.now() - start; }""")
    expect(page.locator('th[data-sort="ttr"]')).to_have_attribute("aria-sort", "descending")
    first, last = rows.first.locator("td").first.inner_text(), rows.nth(998).locator("td").first.inner_text()
    assert int(first.rstrip("%")) >= int(last.rstrip("%"))
    shot(page, request, "panel", full_page=False)  # a thousand rows: the screen the physician sees
    print(f"panel of 1,000: opened in {opened * 1000:.0f} ms (request, audit and drawing), sorted in {took:.0f} ms")


def test_a_physician_reads_the_chart_range_changes_invalid_readings_and_corrections(open_page, clinic, live,
                                                                                    request):
    from service import patients

    app, jo, physician = live.app, clinic.patients["jo"], clinic.users["physician"]
    days = lambda n: now() - timedelta(days=n)  # noqa: E731
    for n, value in ((40, "2.4"), (33, "2.8"), (12, "3.2"), (5, "3.1")):
        factories.record_result(app, jo, physician, now(), client_id=f"valid-{n}", value=Decimal(value),
                                measured_at=days(n))
    failed = factories.make_result(app, jo, days(26), value="4.4", qc_passed=False)
    error = factories.make_result(app, jo, days(19), value="1.1", meter_error="E-406")
    wrong = factories.make_result(app, jo, days(8), value="6.2")
    right = factories.make_result(app, jo, days(8), value="2.6", supersedes=wrong)
    with app.app_context():  # a mechanical valve: the range goes up to 2.5-3.5 from 20 days ago
        session = db.session()
        patients.set_target_range(session, session.merge(jo), session.merge(physician), Decimal("2.5"),
                                  Decimal("3.5"), "mechanical mitral valve", days(20))

    page = open_page()
    login(page, clinic.email("physician"), then="/dashboard/")
    page.goto(f"/dashboard/patient#{jo.public_id}")
    page.wait_for_selector("body[data-loaded=true]")
    bands = page.locator("#chart rect.chart-band")
    expect(bands).to_have_count(2)
    assert [(bands.nth(i).get_attribute("data-low"), bands.nth(i).get_attribute("data-high")) for i in range(2)] \
        == [("2", "3"), ("2.5", "3.5")]
    first, second = bands.nth(0).bounding_box(), bands.nth(1).bounding_box()
    assert abs(first["x"] + first["width"] - second["x"]) < 1.5, "each version is drawn over its own period"
    assert second["y"] < first["y"], "the later, higher range is drawn higher"
    expect(page.locator("#chart line.chart-critical")).to_have_count(2)

    def kind(result):
        return page.locator(f'g.chart-result[data-result-id="{result.public_id}"]').get_attribute("data-kind")

    assert (kind(failed), kind(error), kind(wrong), kind(right)) == ("invalid", "invalid", "corrected", "in_range")
    expect(page.locator(f'g.chart-result[data-result-id="{right.public_id}"] .chart-ring')).to_have_count(1)
    table = page.locator("#results")
    expect(table.locator(f'tr[data-result-id="{failed.public_id}"]')).to_contain_text("Strip failed its quality check")
    expect(table.locator(f'tr[data-result-id="{error.public_id}"]')).to_contain_text("Meter error E-406")
    expect(table.locator(f'tr[data-result-id="{wrong.public_id}"]')).to_contain_text("Corrected by a later entry")
    expect(table.locator(f'tr[data-result-id="{right.public_id}"]')).to_contain_text("Yes (a correction)")
    legend = page.locator("#chart-legend")
    for meaning in ("Target range", "Critical threshold", "Not a valid INR", "Corrected (replaced)", "A correction"):
        expect(legend).to_contain_text(meaning)

    # TTR for a chosen period: from 40 to 33 days ago the INR stays in 2.0-3.0.
    page.get_by_label("From", exact=True).fill(days(40).astimezone().date().isoformat())
    page.get_by_label("To", exact=True).fill(days(34).astimezone().date().isoformat())
    page.get_by_role("button", name="Show TTR").click()
    expect(page.locator("#ttr-value")).to_have_text("100%")
    page.get_by_role("button", name="1 year").click()
    expect(page.locator("#ttr-value")).not_to_have_text("100%")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024, "fits a tablet"
    shot(page, request, "chart")


def test_the_queue_shows_alert_kinds_once_the_api_has_them(open_page, clinic, request):
    """Alerts are about to gain a kind (result, missed tests, no valid result): the queue shows it and filters by
    it as soon as the API sends it. Until then the API's answers are given kinds here."""
    clinic.post_result("patient", "jo", 1.8)
    clinic.post_result("patient", "jo", 3.7, hours_ago=3)

    def with_kinds(route):
        answer = route.fetch()
        page_of_alerts = answer.json()
        for alert, kind in zip(page_of_alerts["items"], ("result", "missed_tests"), strict=False):
            alert["kind"] = kind
        if page_of_alerts["items"]:  # an alert of no result, as a missed-tests alert will be
            missed = page_of_alerts["items"][-1]
            missed.update(result_id=None, reading=None, measured_at=None, level=None)
        route.fulfill(response=answer, json=page_of_alerts)

    page = open_page()
    page.route(re.compile(r".*/alerts\?.*"), with_kinds)
    login(page, clinic.email("physician"), then="/dashboard/")
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("th.kind-column")).to_be_visible()
    expect(rows.nth(1)).to_contain_text("Missed tests")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Kind").select_option("missed_tests")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Missed tests")
    shot(page, request, "kinds")
