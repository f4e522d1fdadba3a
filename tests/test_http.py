"""The HTTP envelope every route shares: problem documents, security headers, request ids, JSON only."""

from __future__ import annotations

import logging


def test_health_reports_the_database_without_a_token(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_every_response_carries_no_store_and_security_headers(client, clinic):
    for response in (client.get("/health"), client.get("/patients", headers=clinic.headers["physician"]),
                     client.get("/nowhere")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_well_formed_request_id_is_echoed_and_a_missing_one_is_made(client):
    assert client.get("/health", headers={"X-Request-Id": "abc12345-trace"}).headers["X-Request-Id"] == \
        "abc12345-trace"
    made = client.get("/health", headers={"X-Request-Id": "bad id with spaces"}).headers["X-Request-Id"]
    assert len(made) == 32 and made != "bad id with spaces"


def test_unknown_route_is_a_404_problem(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404 and response.json["title"] == "Not Found"


def test_wrong_method_is_a_405_problem_with_allow(client):
    response = client.delete("/health")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_missing_token_is_a_401_problem_with_www_authenticate(client):
    response = client.get("/patients")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_malformed_json_is_a_400_problem(client, clinic):
    response = client.post("/patients", data="{not json", content_type="application/json",
                           headers=clinic.headers["admin"])
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_a_body_that_is_not_json_is_a_415_problem(client, clinic):
    response = client.post("/patients", data="name=x", content_type="application/x-www-form-urlencoded",
                           headers=clinic.headers["admin"])
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"


def test_an_oversized_body_is_a_413_problem(app, client, clinic):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/patients", json={"full_name": "x" * 5000}, headers=clinic.headers["admin"])
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_a_json_array_where_an_object_is_expected_is_a_422_problem(client, clinic):
    response = client.post("/patients", json=[1, 2], headers=clinic.headers["admin"])
    assert response.status_code == 422
    assert response.json["errors"] == {"_schema": ["Send a JSON object."]}


def test_unknown_fields_are_refused_by_name(client, clinic):
    response = client.patch(f"/patients/{clinic.patient_id}", json={"favourite_colour": "blue"},
                            headers=clinic.headers["admin"])
    assert response.status_code == 422
    assert "favourite_colour" in response.json["errors"]


def test_nul_characters_are_refused_by_field(client, clinic):
    response = client.patch(f"/patients/{clinic.patient_id}", json={"full_name": "Pat\x00"},
                            headers=clinic.headers["admin"])
    assert response.status_code == 422
    assert "full_name" in response.json["errors"]


def test_request_log_lines_carry_the_request_id_and_no_patient_data(client, clinic, caplog):
    caplog.set_level(logging.INFO, logger="service.request")
    client.get(f"/patients/{clinic.patient_id}", headers={**clinic.headers["physician"],
                                                          "X-Request-Id": "trace-0001"})
    lines = [r.getMessage() for r in caplog.records if r.name == "service.request"]
    assert any("request_id=trace-0001" in line and "route=/patients/<uuid:patient_id>" in line for line in lines)
    text = "\n".join(lines)
    assert "Pat Example" not in text and clinic.patient_id not in text


def test_an_over_long_url_is_a_414_problem(client, clinic):
    response = client.get("/patients?note=" + "x" * 5000, headers=clinic.headers["physician"])
    assert response.status_code == 414 and response.mimetype == "application/problem+json"


def test_too_many_or_too_large_headers_are_a_431_problem(client):
    large = client.get("/health", headers={"X-Note": "y" * 9000})
    assert large.status_code == 431 and large.mimetype == "application/problem+json"
    many = client.get("/health", headers={f"X-Note-{i}": "z" for i in range(120)})
    assert many.status_code == 431


def test_a_chunked_body_the_server_did_not_terminate_is_a_411_problem(client, clinic):
    # The test client, like a WSGI server that does not de-chunk, hands over an unterminated stream.
    response = client.post(f"/patients/{clinic.patient_id}/results", data=b'{"client_id": "x"}',
                           headers={**clinic.headers["patient"], "Transfer-Encoding": "chunked",
                                    "Content-Type": "application/json"})
    assert response.status_code == 411 and response.mimetype == "application/problem+json"
