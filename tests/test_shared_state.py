"""What several processes share: login throttling through Redis, and a database that goes away."""

from __future__ import annotations

import os
import socket
import time

import pytest
from sqlalchemy import create_engine, text

REDIS_URL = os.environ.get("INR_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def redis_reachable() -> bool:
    host, port = REDIS_URL.removeprefix("redis://").split("/")[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason="no Redis at INR_TEST_REDIS_URL")
def test_two_app_processes_share_one_login_budget_through_redis(make_app, clinic):
    # A key prefix of our own per test run, so runs never see each other's counters.
    config = {"RATELIMIT_KEY_PREFIX": f"inr-test-{os.getpid()}-{time.monotonic_ns()}"}
    first, second = (make_app(config, ratelimit_storage=REDIS_URL, login_rate_limit="4 per minute").test_client()
                     for _ in range(2))
    body = {"email": "physician@clinic.test", "password": "wrong guess"}
    statuses = [client.post("/auth/login", json=body).status_code for client in (first, second, first, second)]
    assert statuses == [401, 401, 401, 401]
    assert second.post("/auth/login", json=body).status_code == 429
    assert first.post("/auth/login", json=body).status_code == 429


def test_a_lost_database_connection_mid_request_is_a_503_problem(app, client, clinic):
    """The database connection is killed while a request holds it: the client gets a 503 problem document
    (not a 500 with a trace) and nothing half-done is stored."""
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("killing a backend needs PostgreSQL")
    admin = create_engine(engine.url)
    tag = f"victim-{time.monotonic_ns()}"
    from service import db as service_db

    original_session = service_db.session

    def session_then_kill():
        session = original_session()
        if not getattr(session, "_killed", False):  # once: the request's first use of its connection
            session.execute(text(f"SET application_name = '{tag}'"))
            with admin.begin() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE application_name = :tag"), {"tag": tag})
            session._killed = True
        return session

    service_db.session = session_then_kill
    try:
        response = client.patch(f"/patients/{clinic.patient_id}", json={"full_name": "Never Stored"},
                                headers=clinic.headers["physician"])
    finally:
        service_db.session = original_session
        admin.dispose()
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "Traceback" not in response.get_data(as_text=True)
    after = client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["physician"])
    assert after.status_code == 200 and after.json["full_name"] == "Pat Example"
