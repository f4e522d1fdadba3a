"""New accounts: a physician's NPI is a real NPI held by one active account, and the password is one nobody
guesses first (NIST SP 800-63B). The domain decides, so the API, the CLI and the demo seed all obey it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from models import User
from service import db, demo, identity, practices
from service.errors import Problem
from tests import factories
from tests.conftest import NOW

GOOD_PASSWORD = "quartz river lantern 1887"


def new_user(client, clinic, **fields):
    body = {"email": "dr.new@clinic.test", "password": GOOD_PASSWORD, "role": "physician", "full_name": "Dr New",
            "npi": "1588449037"}
    body.update(fields)
    return client.post("/users", json=body, headers=clinic.headers["admin"])


def test_a_physician_with_a_valid_npi_is_created(client, clinic):
    response = new_user(client, clinic)
    assert response.status_code == 201, response.json
    assert response.json["npi"] == "1588449037"


@pytest.mark.parametrize("npi", ["1234567890", "1588449036", "0000000000", "１２３４５６７８９３"])
def test_an_npi_failing_its_check_digit_is_refused_on_the_npi_field(client, clinic, npi):
    response = new_user(client, clinic, npi=npi)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert list(response.json["errors"]) == ["npi"]
    assert "check digit" in response.json["errors"]["npi"][0]


def test_a_second_active_account_with_the_same_npi_is_a_conflict_on_the_npi_field(client, clinic):
    response = new_user(client, clinic, npi=factories.NPI)  # the physician of record's
    assert response.status_code == 409
    assert list(response.json["errors"]) == ["npi"]


def test_the_npi_of_a_deactivated_account_may_be_given_to_a_new_one(app, client, clinic):
    with app.app_context():
        session = db.session()
        session.execute(update(User).where(User.id == clinic.users["physician"].id).values(active=False))
        session.commit()
    assert new_user(client, clinic, npi=factories.NPI).status_code == 201


def test_the_database_itself_keeps_one_active_account_per_npi(app):
    """Two requests that both passed the domain's check: the partial unique index lets one win."""
    def physician(email, active=True):
        return User(email=email, full_name=email, role="physician", password_hash="x", active=active,
                    npi=factories.NPI, practice_id=practice_id, created_at=NOW)

    with app.app_context():
        session = db.session()
        practice_id = practices.first_practice(session).id
        session.add_all([physician("a@clinic.test"), physician("gone@clinic.test", active=False),
                         physician("gone2@clinic.test", active=False)])
        session.commit()
        session.add(physician("b@clinic.test"))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()


@pytest.mark.parametrize(("password", "why"), [
    ("password1234", "breached"),
    ("demo-password-1", "published in the README"),
    ("correct horse battery staple", "published (XKCD 936)"),
    (" " * 12, "one repeated character"),
    ("aaaaaaaaaaaa", "one repeated character"),
    ("nurse.kim orbit 2049", "contains the e-mail's local part"),
    ("quartz-Kimberly-2049", "contains the name"),
])
def test_a_guessable_password_is_refused_on_the_password_field(client, clinic, password, why):
    body = {"email": "nurse.kim@clinic.test", "password": password, "role": "trainer", "full_name": "Kimberly Park"}
    response = client.post("/users", json=body, headers=clinic.headers["admin"])
    assert response.status_code == 422, why
    assert list(response.json["errors"]) == ["password"], why
    assert client.post("/users", json={**body, "password": GOOD_PASSWORD},
                       headers=clinic.headers["admin"]).status_code == 201


def test_a_bad_npi_and_a_bad_password_are_reported_together(client, clinic):
    response = new_user(client, clinic, npi="1234567890", password="password1234")
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"npi", "password"}


def test_the_policy_holds_outside_the_api_and_only_the_demo_seed_may_use_its_public_password(app):
    with app.app_context():
        session = db.session()
        passwords = app.extensions["passwords"]
        with pytest.raises(Problem) as refused:
            identity.create_user(session, passwords, email="admin2@clinic.test", password=demo.PASSWORD,
                                 role="admin", full_name="Second Admin", npi=None, now=NOW)
        assert refused.value.status == 422 and list(refused.value.errors) == ["password"]
        assert demo.seed(session, passwords, NOW)
        session.commit()
        assert identity.log_in(session, passwords, "dr.rivera@demo.clinic", demo.PASSWORD, NOW,
                               timedelta(hours=1)) is not None
