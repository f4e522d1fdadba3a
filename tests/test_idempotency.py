"""`Idempotency-Key`: a creating request with no natural key of its own is safe to retry."""

from __future__ import annotations

import threading

from models import IdempotentRequest, Review, SupplyIssue, TrainingSession
from service.openapi import document
from tests.factories import count_rows, post_result, post_review


def _review(client, clinic, key, **fields):
    result = post_result(client, clinic, client_id=f"r-{key}-{len(fields)}").json["id"]
    headers = {**clinic.headers["physician"], "Idempotency-Key": key}
    body = {"result_ids": [result], "interpretation": "In range.", "instruction_kind": "keep_dose", **fields}
    return lambda: client.post(f"/patients/{clinic.patient_id}/reviews", json=body, headers=headers)


def test_a_retried_review_with_the_same_key_returns_the_first_one_and_stores_one(app, client, clinic):
    send = _review(client, clinic, "review-0001")
    first, retry = send(), send()
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json == first.json
    assert count_rows(app, Review) == 1 and count_rows(app, IdempotentRequest) == 1


def test_the_same_key_with_another_request_is_a_409_and_stores_nothing(app, client, clinic):
    assert _review(client, clinic, "review-0002")().status_code == 201
    other = _review(client, clinic, "review-0002", interpretation="Something else.")()
    assert other.status_code == 409 and "Idempotency-Key" in other.json["errors"]
    assert count_rows(app, Review) == 1


def test_without_a_key_each_request_creates_its_own(app, client, clinic):
    result = post_result(client, clinic).json["id"]
    for _ in range(2):
        assert post_review(client, clinic, [result]).status_code == 201
    assert count_rows(app, Review) == 2


def test_keys_are_each_callers_own_and_must_look_like_keys(app, client, clinic):
    path = f"/patients/{clinic.patient_id}/supply-issues"
    body = {"issued_on": "2026-11-20"}
    for who in ("physician", "trainer"):
        response = client.post(path, json=body, headers={**clinic.headers[who], "Idempotency-Key": "supplies-001"})
        assert response.status_code == 201
    assert count_rows(app, SupplyIssue) == 2
    bad = client.post(path, json=body, headers={**clinic.headers["trainer"], "Idempotency-Key": "no spaces!"})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.json["errors"]


def test_a_retried_training_sign_off_answers_the_session_as_first_signed(app, client, clinic):
    body = {"kind": "initial", "trainee": "patient", "occurred_at": "2026-11-23T09:00:00-05:00",
            "place": "Clinic room 2", "meter_serial": "UUU123456", "outcome": "not_yet",
            "items": [{"key": "meter_use_and_care", "outcome": "explained"}]}
    headers = {**clinic.headers["trainer"], "Idempotency-Key": "training-0001"}
    path = f"/patients/{clinic.patient_id}/training-sessions"
    first, retry = client.post(path, json=body, headers=headers), client.post(path, json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200) and retry.json["id"] == first.json["id"]
    assert count_rows(app, TrainingSession) == 1


def test_copies_sent_at_once_create_one_and_the_others_replay_or_conflict(app, clinic):
    client = app.test_client()
    send = _review(client, clinic, "review-race-1")
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def copy():
        barrier.wait(timeout=30)
        statuses.append(send().status_code)

    threads = [threading.Thread(target=copy) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201, 409}, statuses
    assert count_rows(app, Review) == 1


def test_the_document_offers_the_key_on_every_creating_request_without_a_natural_key(app):
    spec = document(app)
    keyed = {(method.upper(), path) for path, item in spec["paths"].items() for method, operation in item.items()
             if method != "parameters"
             and any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))}
    assert {("POST", "/patients"), ("POST", "/patients/{patient_id}/reviews"),
            ("POST", "/patients/{patient_id}/training-sessions"),
            ("POST", "/patients/{patient_id}/supply-issues")} <= keyed
    assert ("POST", "/patients/{patient_id}/results") not in keyed  # its client_id is the key
