"""Inputs a careless client, a scanner or an attacker sends: no answer is ever a 5xx, before login or after.

Each class is generated against every operation that takes that kind of field, read off the generated OpenAPI
document (so a new route is covered the day it is added): lone UTF-16 surrogates and NUL in any string, JSON
nested far deeper than any real body, calendar edges and impossible offsets in any date or date-time, zone
names that are not canonical IANA names, and numbers at and just beyond every bound. Each hostile value is put
into an otherwise plausible body (hand-made and valid for the routes clinics use most), so it travels as far
into the service as it can.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest

from service.openapi import document
from tests.hostile import (
    DEPTHS,
    NUL,
    SURROGATES,
    fields_of,
    hostile_values,
    nested_body,
    operations,
    plausible,
    put,
    resolve,
)

# --- bodies a clinic really sends, so hostile values reach the domain -----------------------------------------------


def valid_bodies(clinic) -> dict[tuple[str, str], dict]:
    return {
        ("post", "/patients/{patient_id}/results"): {
            "client_id": "hostile-1", "value": 2.5, "measured_at": "2026-11-23T09:30:00-05:00", "qc_passed": True,
            "symptom_note": "fine", "meter_serial": "UP1", "strip_lot": "47312"},
        ("patch", "/patients/{patient_id}"): {"full_name": "Pat Example", "time_zone": "America/New_York"},
        ("post", "/patients/{patient_id}/caregivers"): {"caregiver_id": clinic.id("other_caregiver"),
                                                        "relationship": "son", "starts_at": "2026-11-23T10:00:00Z"},
        ("post", "/patients/{patient_id}/reviews"): {"result_ids": [str(uuid.uuid4())], "interpretation": "ok",
                                                     "instruction_kind": "keep_dose", "next_test_date": "2026-11-30"},
        ("post", "/users"): {"email": "new.nurse@clinic.test", "password": "lantern orbit meadow 2049",
                             "role": "trainer", "full_name": "New Nurse"},
        ("post", "/patients/{patient_id}/training-sessions"): {
            "kind": "initial", "trainee": "patient", "occurred_at": "2026-11-23T09:00:00-05:00", "place": "Room 2",
            "meter_serial": "UUU1", "outcome": "not_yet", "items": [{"key": "meter_use_and_care",
                                                                       "outcome": "explained"}]},
        ("post", "/auth/login"): {"email": "physician@clinic.test", "password": "not the password"},
    }


def fill_path(path: str, clinic, ids: dict) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path.replace("{patient_id}", clinic.patient_id)


@pytest.fixture
def spec(app):
    return document(app)


@pytest.fixture
def path_ids(app, clinic):
    from tests import factories

    link = factories.caregiver_link_of(app, clinic.patient)
    return {"link_id": str(link.public_id), "physician_id": clinic.id("physician"), "alert_id": str(uuid.uuid4()),
            "claim_id": str(uuid.uuid4()), "result_id": str(uuid.uuid4()), "review_id": str(uuid.uuid4()),
            "session_id": str(uuid.uuid4())}


def as_query(name: str, value) -> str:
    """One query parameter as it travels: a lone surrogate becomes the bytes a client would send for it (CESU-8,
    invalid UTF-8), percent-encoded."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"{name}={quote(text.encode('utf-8', 'surrogatepass'), safe='')}"


def send(client, method: str, path: str, headers: dict, body: dict | bytes | None = None, query: str | None = None):
    if isinstance(body, bytes):
        return client.open(path, method=method.upper(), data=body, content_type="application/json",
                           headers=headers, query_string=query)
    data = None if body is None else json.dumps(body)  # json.dumps writes lone surrogates as \ud800 escapes
    return client.open(path, method=method.upper(), data=data, content_type="application/json" if data else None,
                       headers=headers, query_string=query)


def assert_handled(response, what: str) -> None:
    assert response.status_code < 500, f"{what} -> {response.status_code} {response.get_data(as_text=True)[:300]}"
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json", what


ROLES = ["admin", "physician", "patient"]


@pytest.mark.parametrize("role", ROLES)
def test_hostile_values_in_any_body_field_never_make_a_server_error(role, spec, client, clinic, path_ids):
    valid = valid_bodies(clinic)
    headers = clinic.headers[role]
    checked = 0
    for method, path, operation in operations(spec):
        body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body_schema is None or path == "/auth/logout":
            continue
        base = valid.get((method, path)) or plausible(spec, body_schema)
        url = fill_path(path, clinic, path_ids)
        for position, (field, schema) in enumerate(fields_of(spec, body_schema)):
            values = hostile_values(field[-1] if isinstance(field[-1], str) else field[-2], schema)
            # Every value for the first fields, then one per field in turn: every class reaches every route.
            for value in values if position < 3 else [values[position % len(values)]]:
                response = send(client, method, url, headers, put(base, field, value))
                assert_handled(response, f"{role} {method.upper()} {path} {'.'.join(map(str, field))}={value!r}")
                checked += 1
    assert checked > 200


@pytest.mark.parametrize("levels", DEPTHS)
def test_deeply_nested_json_is_refused_before_it_is_built_everywhere(levels, spec, client, clinic, path_ids):
    for method, path, operation in operations(spec):
        if "requestBody" not in operation:
            continue
        url = fill_path(path, clinic, path_ids)
        headers = {} if operation.get("security") == [] else clinic.headers["admin"]
        response = send(client, method, url, headers, nested_body(levels, "symptoms"))
        assert_handled(response, f"{method.upper()} {path} nested {levels}")
        assert response.status_code in (400, 401, 403, 404, 411, 413, 415, 422), response.status_code


def test_unauthenticated_login_survives_every_class(client):
    for body in [{"email": value, "password": "x"} for value in SURROGATES + NUL] + \
                [{"email": "a@b.test", "password": value} for value in SURROGATES + NUL]:
        assert_handled(send(client, "post", "/auth/login", {}, body), f"login {body!r}")
    for levels in DEPTHS:
        response = send(client, "post", "/auth/login", {}, nested_body(levels, "email"))
        assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_hostile_values_in_any_query_parameter_never_make_a_server_error(spec, client, clinic, path_ids):
    checked = 0
    for method, path, operation in operations(spec):
        url = fill_path(path, clinic, path_ids)
        for parameter in operation.get("parameters", []):
            if parameter.get("in") != "query":
                continue
            schema = resolve(spec, parameter.get("schema", {}))
            for value in hostile_values(parameter["name"], schema) + ["\x00", "-1", "9" * 40]:
                response = send(client, method, url, clinic.headers["admin"], query=as_query(parameter["name"], value))
                assert_handled(response, f"{method.upper()} {path}?{parameter['name']}={value!r}")
                checked += 1
    assert checked > 50


def test_inr_at_the_meters_floor_and_ceiling_is_accepted_everywhere_an_inr_is(client, clinic):
    for value, client_id in ((0.8, "floor"), (8.0, "ceiling")):
        response = client.post(f"/patients/{clinic.patient_id}/results", headers=clinic.headers["patient"],
                               json={"client_id": client_id, "value": value, "qc_passed": True,
                                     "measured_at": "2026-11-23T09:30:00-05:00"})
        assert response.status_code == 201, response.json
        assert response.json["value"] == value
    for value in (0.7, 8.1):
        response = client.post(f"/patients/{clinic.patient_id}/results", headers=clinic.headers["patient"],
                               json={"client_id": f"x{value}", "value": value, "qc_passed": True,
                                     "measured_at": "2026-11-23T09:30:00-05:00"})
        assert response.status_code == 422 and "value" in response.json["errors"]
    ranged = client.post(f"/patients/{clinic.patient_id}/target-ranges", headers=clinic.headers["physician"],
                         json={"low": 0.8, "high": 8.0, "reason": "the meter's whole range, as a boundary test"})
    assert ranged.status_code == 201 and (ranged.json["low"], ranged.json["high"]) == (0.8, 8.0)
    trained = client.post(f"/patients/{clinic.patient_id}/training-sessions", headers=clinic.headers["trainer"],
                          json={"kind": "initial", "trainee": "patient", "occurred_at": "2026-11-23T09:00:00-05:00",
                                "place": "Room 2", "meter_serial": "UUU1", "outcome": "not_yet", "items": [],
                                "supervised_test": {"trainee_inr": 0.8, "clinic_inr": 8.0}})
    assert trained.status_code == 201, trained.json
    assert trained.json["recorded"]["supervised_test"]["trainee_inr"] == 0.8


@pytest.mark.parametrize("zone", ["localtime", "Factory", "EST5EDT", "US/Eastern", "Asia/Calcutta"])
def test_only_canonical_iana_zone_names_are_a_patients_zone(zone, client, clinic):
    response = client.patch(f"/patients/{clinic.patient_id}", json={"time_zone": zone},
                            headers=clinic.headers["admin"])
    assert response.status_code == 422 and "time_zone" in response.json["errors"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                    "2026-11-23T09:30:00+23:59"])
def test_calendar_edges_and_impossible_offsets_are_refused_by_field(moment, client, clinic, path_ids):
    link = client.post(f"/patients/{clinic.patient_id}/caregivers", headers=clinic.headers["admin"],
                       json={"caregiver_id": clinic.id("other_caregiver"), "relationship": "son", "starts_at": moment})
    assert link.status_code == 422 and "starts_at" in link.json["errors"]
    end = client.post(f"/patients/{clinic.patient_id}/caregivers/{path_ids['link_id']}/end",
                      headers=clinic.headers["admin"], json={"reason": "moved", "ends_at": moment})
    assert end.status_code == 422 and "ends_at" in end.json["errors"]
    audit = client.get("/audit-events", query_string=as_query("since", moment), headers=clinic.headers["admin"])
    assert audit.status_code == 422 and "since" in audit.json["errors"]


def test_lone_surrogates_are_refused_by_field_and_nothing_stored_changes(client, clinic):
    before = client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["admin"]).json
    response = client.patch(f"/patients/{clinic.patient_id}", headers=clinic.headers["admin"],
                            data='{"full_name": "Pat\\ud800Jones"}', content_type="application/json")
    assert response.status_code == 422 and "full_name" in response.json["errors"]
    after = client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["admin"]).json
    assert after["full_name"] == before["full_name"] and after["updated_at"] == before["updated_at"]


def test_an_order_cannot_predate_warfarin_or_lie_in_the_future(client, clinic):
    path = f"/patients/{clinic.patient_id}/home-testing-orders"
    for day, why in (("0001-01-01", "between the years"), ("2024-12-31", "start of warfarin"),
                     ("2026-11-24", "future")):
        response = client.post(path, json={"ordered_on": day}, headers=clinic.headers["physician"])
        assert response.status_code == 422 and why in " ".join(response.json["errors"]["ordered_on"])
    assert client.post(path, json={"ordered_on": "2025-01-10"}, headers=clinic.headers["physician"]).status_code == 201
