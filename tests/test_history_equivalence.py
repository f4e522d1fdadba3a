"""Issue 14, "Done when": a patient brought in with a year of weekly results, training done elsewhere and a clearance
from the past is, from go-live on, exactly the patient who lived that year on the service: the same weekly counting,
the same TTR and adherence, the same claim lines. Everything through the API, on both databases.

Lee lives the year here: enrolled on Monday 17 Nov 2025, ordered, trained (Tue 18) and cleared (Wed 19), tests every
Tuesday at 09:00 from 25 Nov (52 weeks), each reviewed the same day; the target range goes to 2.5-3.5 in May, Lee
moves from New York to Chicago in August and is reassessed in October; billing runs every four weeks. Ida lived the
same year with another provider and comes on go-live day, Monday 23 Nov 2026 (the suite's now): her record brings
the same order, the training and reassessment done elsewhere, the clearance from 19 Nov 2025, the same ranges and
zones, and the same 52 results (half a FHIR Bundle, half a CSV export). Then both test four more Tuesdays here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from tests import factories
from tests.conftest import NOW
from tests.test_training import session_body

NEW_YORK, CHICAGO = "America/New_York", "America/Chicago"
ENROLLED = datetime(2025, 11, 17, 14, 0, tzinfo=timezone.utc)  # Lee's enrolment: Monday 09:00 in New York
TRAINED = datetime(2025, 11, 18, 15, 0, tzinfo=timezone.utc)
CLEARED_ON = date(2025, 11, 19)
RANGE_CHANGED = datetime(2026, 5, 6, 16, 0, tzinfo=timezone.utc)  # a Wednesday: after that week's test
MOVED = datetime(2026, 8, 5, 16, 0, tzinfo=timezone.utc)
REASSESSED = datetime(2026, 10, 21, 15, 0, tzinfo=timezone.utc)
GO_LIVE = NOW.date()  # Monday 23 Nov 2026
YEAR = [date(2025, 11, 25) + timedelta(weeks=week) for week in range(52)]  # Tuesdays, the last on 17 Nov 2026
AFTER_GO_LIVE = [date(2026, 11, 24) + timedelta(weeks=week) for week in range(4)]
CYCLE = [2.4, 2.7, 3.2, 2.9, 2.2, 1.9, 2.5, 2.8, 3.4, 2.6, 2.3, 2.1, 2.6]  # in range, low and high, by turns
VALUES = [CYCLE[week % len(CYCLE)] for week in range(52)] + [2.8, 3.0, 2.9, 3.1]
DONE = datetime(2026, 12, 16, 12, 0, tzinfo=timezone.utc)  # the day after the last test here


def measured_at(day: date) -> datetime:
    """09:00 on a test day, in the zone the patient lived in then (with the offset the meter sends)."""
    zone = NEW_YORK if datetime.combine(day, time(9), ZoneInfo(NEW_YORK)) < MOVED else CHICAGO
    return datetime.combine(day, time(9), ZoneInfo(zone))


def test_a_patient_brought_in_with_a_year_of_history_is_billed_from_go_live_as_one_who_lived_it_here(app, client,
                                                                                                      clinic):
    h = clinic.headers
    lee_login = factories.make_user(app, "patient", "lee@clinic.test", "Lee Lived", ENROLLED)
    ida_login = factories.make_user(app, "patient", "ida@clinic.test", "Ida Imported", NOW)
    lee_headers = factories.token_for(app, lee_login, ENROLLED)
    ida_headers = factories.token_for(app, ida_login, NOW)

    def api(method, path, who, status=None, **kwargs):
        response = client.open(path, method=method, headers=who if isinstance(who, dict) else h[who], **kwargs)
        if status is not None:
            assert response.status_code == status, (method, path, response.json)
        return response.json

    def enrol(name, zone, login, **fields):
        return api("POST", "/patients", "admin", 201, json={
            "full_name": name, "date_of_birth": "1948-06-01", "time_zone": zone, "payer": "medicare",
            "physician_id": clinic.id("physician"), "indications": ["I48.91"], "warfarin_start_date": "2025-01-10",
            "user_id": str(login.public_id), **fields})["id"]

    def test_and_review(pid, headers, day, value, key):
        when = measured_at(day)
        factories.set_now(app, when.astimezone(timezone.utc) + timedelta(minutes=5))
        result = api("POST", f"/patients/{pid}/results", headers, 201, json={
            "client_id": key, "value": value, "measured_at": when.isoformat(), "qc_passed": True,
            "meter_serial": "UP12345678"})
        factories.set_now(app, when.astimezone(timezone.utc) + timedelta(hours=2))
        api("POST", f"/patients/{pid}/reviews", "physician", 201, json={
            "result_ids": [result["id"]], "interpretation": "Reviewed.", "instruction_kind": "keep_dose"})

    def run_billing():
        api("POST", "/billing/generation-runs", "biller", 201, json={})

    # --- Lee lives the year here ----------------------------------------------------------------------------
    factories.set_now(app, ENROLLED)
    lee = enrol("Lee Lived", NEW_YORK, lee_login, target_range={"low": 2.0, "high": 3.0})
    api("POST", f"/patients/{lee}/home-testing-orders", "physician", 201, json={"ordered_on": "2025-11-17"})
    factories.set_now(app, TRAINED + timedelta(hours=2))
    api("POST", f"/patients/{lee}/training-sessions", "trainer", 201,
        json=session_body(occurred_at=TRAINED.isoformat()))
    factories.set_now(app, datetime.combine(CLEARED_ON, time(15), timezone.utc))
    api("POST", f"/patients/{lee}/clearance", "physician", 201, json={"status": "cleared", "reason": "trained"})
    changes = [
        (RANGE_CHANGED, lambda: api("POST", f"/patients/{lee}/target-ranges", "physician", 201, json={
            "low": 2.5, "high": 3.5, "reason": "mechanical mitral valve"})),
        (MOVED, lambda: api("POST", f"/patients/{lee}/time-zones", "admin", 201, json={
            "time_zone": CHICAGO, "reason": "moved to Chicago"})),
        (REASSESSED, lambda: api("POST", f"/patients/{lee}/training-sessions", "trainer", 201, json=session_body(
            kind="reassessment", occurred_at=REASSESSED.isoformat()))),
    ]
    for week, day in enumerate(YEAR):
        while changes and changes[0][0] < measured_at(day):
            when, change = changes.pop(0)
            factories.set_now(app, when)
            change()
        test_and_review(lee, lee_headers, day, VALUES[week], f"lee-{week}")
        if week % 4 == 3:
            run_billing()

    # --- go-live: Ida comes with the same year, lived elsewhere --------------------------------------------------
    factories.set_now(app, NOW)
    ida = enrol("Ida Imported", CHICAGO, ida_login, target_range={"low": 2.5, "high": 3.5},
                go_live_on=GO_LIVE.isoformat())
    api("POST", f"/patients/{ida}/time-zones", "admin", 201, json={
        "time_zone": NEW_YORK, "reason": "lived in New York", "effective_from": ENROLLED.isoformat()})
    api("POST", f"/patients/{ida}/time-zones", "admin", 201, json={
        "time_zone": CHICAGO, "reason": "moved to Chicago", "effective_from": MOVED.isoformat()})
    api("POST", f"/patients/{ida}/target-ranges", "physician", 201, json={
        "low": 2.0, "high": 3.0, "reason": "the range at the IDTF", "effective_from": ENROLLED.isoformat()})
    api("POST", f"/patients/{ida}/target-ranges", "physician", 201, json={
        "low": 2.5, "high": 3.5, "reason": "mechanical mitral valve", "effective_from": RANGE_CHANGED.isoformat()})
    api("POST", f"/patients/{ida}/home-testing-orders", "physician", 201, json={"ordered_on": "2025-11-17"})
    elsewhere = {"organization": "Acme Home INR (IDTF)", "trainer_name": "R. Nurse, RN"}
    api("POST", f"/patients/{ida}/prior-trainings", "trainer", 201, json={
        "trained_on": "2025-11-18", "document_reference": "acme/competency/81723", **elsewhere})
    api("POST", f"/patients/{ida}/prior-trainings", "trainer", 201, json={
        "trained_on": "2026-10-21", "kind": "reassessment", "document_reference": "acme/reassessment/90211",
        **elsewhere})
    cleared = api("POST", f"/patients/{ida}/clearance", "physician", 201, json={
        "status": "cleared", "reason": "cleared by Acme's physician; records on file",
        "effective_on": CLEARED_ON.isoformat()})
    assert cleared["effective_on"] == CLEARED_ON.isoformat()
    observations = [{"resourceType": "Observation", "id": f"acme-{week}", "status": "final",
                     "code": {"coding": [{"system": "http://loinc.org", "code": "34714-6"}]},
                     "effectiveDateTime": measured_at(day).isoformat(),
                     "valueQuantity": {"value": VALUES[week], "unit": "INR"}, "device": {"display": "UP12345678"}}
                    for week, day in enumerate(YEAR[:26])]
    csv = "source_id,measured_at,value,meter_serial\n" + "".join(
        f"acme-{week},{measured_at(day).isoformat()},{VALUES[week]},UP12345678\n"
        for week, day in enumerate(YEAR) if week >= 26)
    for body in ({"file_name": "acme-2025.json", "fhir": {"resourceType": "Bundle", "type": "collection",
                                                          "entry": [{"resource": o} for o in observations]}},
                 {"file_name": "acme-2026.csv", "csv": csv}):
        imported = api("POST", f"/patients/{ida}/result-imports", "admin", 201, json=body)
        assert (imported["imported"], imported["already_imported"], imported["refused"]) == (26, 0, 0)
    again = api("POST", f"/patients/{ida}/result-imports", "admin", 201, json={"file_name": "acme-2026.csv",
                                                                               "csv": csv})
    assert (again["imported"], again["already_imported"]) == (0, 26)  # a second import adds nothing
    run_billing()

    # --- both test here from go-live on ------------------------------------------------------------------------
    for week, day in enumerate(AFTER_GO_LIVE, start=52):
        test_and_review(lee, lee_headers, day, VALUES[week], f"lee-{week}")
        test_and_review(ida, ida_headers, day, VALUES[week], f"ida-{week}")
    factories.set_now(app, DONE)
    run_billing()

    # --- the same patient, from go-live on ------------------------------------------------------------------------
    def results(pid):
        items = api("GET", f"/patients/{pid}/results", "physician", 200, query_string={"limit": 500})["items"]
        return {r["measured_at"]: r for r in items}

    lee_results, ida_results = results(lee), results(ida)
    assert lee_results.keys() == ida_results.keys() and len(lee_results) == 56
    for when, lived in lee_results.items():
        brought = ida_results[when]
        assert (brought["value"], brought["flag"]["level"], brought["billing"]["week"]) == (
            lived["value"], lived["flag"]["level"], lived["billing"]["week"]), when
        if datetime.fromisoformat(when).date() < GO_LIVE:
            # The week had its test either way; Ida's was billed (if at all) by the IDTF, never here.
            assert lived["billing"] == {**brought["billing"], "counts": True, "reason": None}, when
            assert (brought["billing"]["reason"], brought["source"], brought["alert"]) == ("imported", "import", None)
        else:
            assert brought["billing"] == lived["billing"], when

    period = {"from": "2025-11-17", "to": "2026-12-16"}
    lee_summary = api("GET", f"/patients/{lee}/summary", "physician", 200, query_string=period)
    ida_summary = api("GET", f"/patients/{ida}/summary", "physician", 200, query_string=period)
    assert lee_summary["ttr"]["percent"] is not None
    assert ida_summary["ttr"] == lee_summary["ttr"]
    # From the week of clearance (no test yet that week) to the last: every other week tested.
    assert ida_summary["adherence"] == lee_summary["adherence"] == {
        "since": "2025-11-19", "weeks_expected": 57, "weeks_tested": 56, "percent": 100 * 56 / 57}
    assert [r["value"] for r in ida_summary["trend"]] == [r["value"] for r in lee_summary["trend"]]

    def eligibility(pid):
        return {c["name"]: c["status"] for c in api("GET", f"/patients/{pid}/eligibility", "physician", 200)["criteria"]}

    assert eligibility(ida) == eligibility(lee) and set(eligibility(ida).values()) == {"met"}

    def claim_lines(pid, measured):
        lines = api("GET", "/claims", "biller", 200, query_string={"patient_id": pid, "limit": 1000})["items"]
        return sorted((line["code"], line["modifier"], line["units"], line["date_of_service"], line["rule"],
                       line["tests_done"], line["rendering_provider"]["id"],
                       tuple(measured[r] for r in line["result_ids"])) for line in lines)

    def measured_by_id(found):
        return {r["id"]: when for when, r in found.items()}

    lee_lines = claim_lines(lee, measured_by_id(lee_results))
    ida_lines = claim_lines(ida, measured_by_id(ida_results))
    after = [line for line in lee_lines if line[3] >= GO_LIVE.isoformat()]
    assert ida_lines == after
    assert [(line[0], line[3]) for line in after] == [("G0249", "2026-12-15"), ("G0250", "2026-12-15")]
    # Lee's year was billed here (the training, 13 G0249 and 13 G0250); none of Ida's year is.
    assert sorted({line[0] for line in lee_lines if line[3] < GO_LIVE.isoformat()}) == ["93792", "G0249", "G0250"]
    assert len(lee_lines) - len(after) == 27
    # Lee's year opened alerts as it happened (each closed by its review); Ida's imported year opened none.
    def alerts(pid):
        return api("GET", "/alerts", "physician", 200, query_string={
            "patient_id": pid, "status": ["open", "acknowledged", "resolved"], "limit": 500})["items"]

    assert len(alerts(lee)) > 10 and alerts(ida) == []
