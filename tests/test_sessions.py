"""Logging in and out: Argon2id passwords, opaque hashed tokens that expire and can be revoked, throttling."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import ApiToken, AuditEvent, User
from service import db
from service.identity import token_digest
from tests import factories
from tests.conftest import NOW
from tests.factories import PASSWORD


def login(client, email, password=PASSWORD):
    return client.post("/auth/login", json={"email": email, "password": password})


def test_login_returns_an_opaque_token_stored_only_as_its_hash(app, client, clinic):
    response = login(client, "physician@clinic.test")
    assert response.status_code == 200
    token = response.json["token"]
    assert response.json["user"]["role"] == "physician"
    with app.app_context():
        hashes = set(db.session().scalars(select(ApiToken.token_hash)))
    assert token not in hashes and token_digest(token) in hashes


def test_passwords_are_hashed_with_argon2id(app, clinic):
    with app.app_context():
        stored = db.session().scalar(select(User.password_hash).where(User.email == "physician@clinic.test"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_wrong_password_and_unknown_email_are_the_same_401_and_are_audited(app, client, clinic):
    wrong = login(client, "physician@clinic.test", "not the password")
    unknown = login(client, "nobody@clinic.test", "whatever it is")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]
    with app.app_context():
        refused = list(db.session().scalars(select(AuditEvent).where(AuditEvent.action == "auth.login",
                                                                     AuditEvent.outcome == "refused")))
    assert len(refused) == 2
    assert refused[0].actor_id == clinic.users["physician"].public_id and refused[1].actor_id is None


def test_a_logged_out_token_is_refused(client, clinic):
    token = login(client, "caregiver@clinic.test").json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/me", headers=headers).status_code == 200
    assert client.post("/auth/logout", headers=headers).status_code == 204
    assert client.get("/me", headers=headers).status_code == 401


def test_an_expired_token_is_refused(app, client, clinic):
    token = login(client, "caregiver@clinic.test").json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    factories.set_now(app, NOW + app.extensions["settings"].token_ttl + timedelta(seconds=1))
    response = client.get("/me", headers=headers)
    assert response.status_code == 401
    with app.app_context():
        assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "auth.token",
                                                            AuditEvent.outcome == "refused")) is not None


def test_a_deactivated_users_tokens_stop_working(app, client, clinic):
    with app.app_context():
        session = db.session()
        session.get(User, clinic.users["caregiver"].id).active = False
        session.commit()
    assert client.get("/me", headers=clinic.headers["caregiver"]).status_code == 401
    assert login(client, "caregiver@clinic.test").status_code == 401


def test_failed_logins_are_throttled_per_client_address_with_a_429_problem(app, client, clinic):
    factories.reconfigure(app, login_rate_limit="3 per minute")
    statuses = [login(client, f"{who}@clinic.test", "a wrong guess").status_code
                for who in ("physician", "trainer", "biller", "admin")]
    assert statuses == [401, 401, 401, 429]
    response = login(client, "caregiver@clinic.test")
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert "Retry-After" in response.headers


def test_successful_logins_do_not_use_up_the_budget_and_carry_no_retry_after(app, client, clinic):
    factories.reconfigure(app, login_rate_limit="3 per minute")
    for _ in range(5):
        response = login(client, "physician@clinic.test")
        assert response.status_code == 200
        assert "Retry-After" not in response.headers
    assert [login(client, "physician@clinic.test", "wrong").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_guesses_at_one_account_from_many_addresses_share_the_accounts_budget(app, client, clinic):
    factories.reconfigure(app, login_account_rate_limit="3 per hour")
    addresses = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    statuses = [client.post("/auth/login", json={"email": "Physician@Clinic.test ", "password": "guess"},
                            environ_base={"REMOTE_ADDR": address}).status_code for address in addresses]
    assert statuses == [401, 401, 401, 429]
    # Another account is not held back by the first one's guesses, from the same addresses.
    other = client.post("/auth/login", json={"email": "trainer@clinic.test", "password": factories.PASSWORD},
                        environ_base={"REMOTE_ADDR": addresses[0]})
    assert other.status_code == 200


def test_me_lists_the_patients_a_caregiver_reaches(client, clinic):
    me = client.get("/me", headers=clinic.headers["caregiver"]).json
    assert me["role"] == "caregiver"
    assert [p["id"] for p in me["patients"]] == [clinic.patient_id]
    assert client.get("/me", headers=clinic.headers["former_caregiver"]).json["patients"] == []


def test_only_admins_create_accounts_and_emails_are_unique(client, clinic):
    body = {"email": "new.nurse@clinic.test", "password": "a long enough password", "role": "trainer",
            "full_name": "New Nurse"}
    assert client.post("/users", json=body, headers=clinic.headers["physician"]).status_code == 403
    assert client.post("/users", json=body, headers=clinic.headers["admin"]).status_code == 201
    again = client.post("/users", json={**body, "email": "NEW.NURSE@clinic.test"}, headers=clinic.headers["admin"])
    assert again.status_code == 409


def test_short_passwords_and_npi_on_non_physicians_are_refused_by_field(client, clinic):
    response = client.post("/users", json={"email": "a@clinic.test", "password": "short", "role": "caregiver",
                                           "full_name": "A", "npi": "1234567890"}, headers=clinic.headers["admin"])
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"password", "npi"}
