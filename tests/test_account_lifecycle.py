"""Staff who leave and passwords people forget (HIPAA 164.308(a)(3): termination procedures)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import AuditEvent, OutboxMessage, User
from service import db
from tests import factories
from tests.conftest import NOW

NEW_PASSWORD = "copper valley sonnet 7731"


def login(client, email, **body):
    return client.post("/auth/login", json={"email": email, **body})


def test_a_deactivated_account_loses_every_token_at_once_and_keeps_its_records(app, client, clinic):
    second = factories.token_for(app, clinic.users["physician"], NOW)
    for headers in (clinic.headers["physician"], second):
        assert client.get("/me", headers=headers).status_code == 200
    response = client.post(f"/users/{clinic.id('physician')}/deactivate", json={"reason": "left the practice"},
                           headers=clinic.headers["admin"])
    assert response.status_code == 200 and response.json["active"] is False
    for headers in (clinic.headers["physician"], second):
        assert client.get("/me", headers=headers).status_code == 401
    assert login(client, "physician@clinic.test", password=factories.PASSWORD).status_code == 401
    # The patient still has their physician of record; nothing the physician signed went away.
    patient = client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["admin"]).json
    assert patient["physician"]["id"] == clinic.id("physician")
    with app.app_context():
        event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivate"))
        assert event.detail == {"reason": "left the practice"} and event.object_id == clinic.id("physician")


def test_a_reactivated_account_logs_in_again_but_its_old_tokens_stay_revoked(client, clinic):
    path = f"/users/{clinic.id('trainer')}"
    client.post(f"{path}/deactivate", json={"reason": "leave"}, headers=clinic.headers["admin"])
    again = client.post(f"{path}/reactivate", json={"reason": "back from leave"}, headers=clinic.headers["admin"])
    assert again.status_code == 200 and again.json["active"] is True
    assert client.get("/me", headers=clinic.headers["trainer"]).status_code == 401
    assert login(client, "trainer@clinic.test", password=factories.PASSWORD).status_code == 200


def test_only_admins_manage_access_and_never_their_own(client, clinic):
    body = {"reason": "x"}
    assert client.post(f"/users/{clinic.id('trainer')}/deactivate", json=body,
                       headers=clinic.headers["physician"]).status_code == 403
    own = client.post(f"/users/{clinic.id('admin')}/deactivate", json=body, headers=clinic.headers["admin"])
    assert own.status_code == 409
    twice = client.post(f"/users/{clinic.id('trainer')}/reactivate", json=body, headers=clinic.headers["admin"])
    assert twice.status_code == 409
    assert client.post("/users/00000000-0000-0000-0000-000000000000/deactivate", json=body,
                       headers=clinic.headers["admin"]).status_code == 404


def test_changing_your_password_needs_the_current_one_and_ends_your_other_sessions(app, client, clinic):
    other_session = factories.token_for(app, clinic.users["caregiver"], NOW)
    wrong = client.post("/me/password", json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
                        headers=clinic.headers["caregiver"])
    assert wrong.status_code == 422 and "current_password" in wrong.json["errors"]
    weak = client.post("/me/password", json={"current_password": factories.PASSWORD, "new_password": "password1234"},
                       headers=clinic.headers["caregiver"])
    assert weak.status_code == 422 and "new_password" in weak.json["errors"]
    done = client.post("/me/password", json={"current_password": factories.PASSWORD, "new_password": NEW_PASSWORD},
                       headers=clinic.headers["caregiver"])
    assert done.status_code == 204
    assert client.get("/me", headers=clinic.headers["caregiver"]).status_code == 200  # this session goes on
    assert client.get("/me", headers=other_session).status_code == 401
    assert login(client, "caregiver@clinic.test", password=factories.PASSWORD).status_code == 401
    assert login(client, "caregiver@clinic.test", password=NEW_PASSWORD).status_code == 200


def reset_code(app, user) -> str:
    """The code as the outbox carries it to the user (the administrator's answer never shows it)."""
    with app.app_context():
        message = db.session().scalars(select(OutboxMessage).where(OutboxMessage.kind == "account.password_reset")
                                       .order_by(OutboxMessage.id.desc())).first()
        assert message.recipient_user_id == user.id
        return message.payload["code"]


def test_a_forgotten_password_is_reset_with_a_one_time_code_sent_through_the_outbox(app, client, clinic):
    issued = client.post(f"/users/{clinic.id('patient')}/password-reset", headers=clinic.headers["admin"])
    assert issued.status_code == 202 and "code" not in issued.json
    assert issued.json["expires_at"].startswith((NOW + timedelta(hours=24)).date().isoformat())
    code = reset_code(app, clinic.users["patient"])
    assert login(client, "patient@clinic.test", reset_code="wrong-code-123", new_password=NEW_PASSWORD
                 ).status_code == 401
    done = login(client, "patient@clinic.test", reset_code=code, new_password=NEW_PASSWORD)
    assert done.status_code == 200 and done.json["user"]["email"] == "patient@clinic.test"
    assert client.get("/me", headers=clinic.headers["patient"]).status_code == 401  # old sessions ended
    spent = login(client, "patient@clinic.test", reset_code=code, new_password="another fine passphrase 42")
    assert spent.status_code == 401
    assert login(client, "patient@clinic.test", password=NEW_PASSWORD).status_code == 200


def test_a_reset_code_expires_and_a_newer_one_replaces_it(app, client, clinic):
    client.post(f"/users/{clinic.id('biller')}/password-reset", headers=clinic.headers["admin"])
    first = reset_code(app, clinic.users["biller"])
    client.post(f"/users/{clinic.id('biller')}/password-reset", headers=clinic.headers["admin"])
    second = reset_code(app, clinic.users["biller"])
    assert login(client, "biller@clinic.test", reset_code=first, new_password=NEW_PASSWORD).status_code == 401
    factories.set_now(app, NOW + timedelta(hours=25))
    assert login(client, "biller@clinic.test", reset_code=second, new_password=NEW_PASSWORD).status_code == 401
    with app.app_context():
        assert db.session().scalar(select(User.active).where(User.email == "biller@clinic.test")) is True


def test_login_takes_a_password_or_a_reset_code_with_a_new_password_not_both(client, clinic):
    both = login(client, "patient@clinic.test", password="x", reset_code="abcdefgh12", new_password=NEW_PASSWORD)
    assert both.status_code == 422
    half = login(client, "patient@clinic.test", reset_code="abcdefgh12")
    assert half.status_code == 422 and "new_password" in half.json["errors"]


# --- roles as a clinic uses them ----------------------------------------------------------------------------------


def test_a_trainer_enrols_a_patient_for_training_naming_the_physician_of_record(client, clinic):
    body = {"full_name": "New Trainee", "date_of_birth": "1950-01-01", "time_zone": "America/Chicago",
            "indications": ["I48.91"], "physician_id": clinic.id("physician")}
    response = client.post("/patients", json=body, headers=clinic.headers["trainer"])
    assert response.status_code == 201 and response.json["physician"]["id"] == clinic.id("physician")
    unnamed = client.post("/patients", json={k: v for k, v in body.items() if k != "physician_id"},
                          headers=clinic.headers["trainer"])
    assert unnamed.status_code == 422 and "physician_id" in unnamed.json["errors"]


def test_a_trainers_eligibility_fact_counts_only_once_the_physician_confirms_it(app, client, clinic):
    from sqlalchemy import update

    from models import Payer

    with app.app_context():  # a payer with an extra criterion the physician states
        db.session().execute(update(Payer).where(Payer.code == "medicare")
                             .values(extra_criteria=["expected_long_term_anticoagulation"]))
        db.session().commit()
    base = f"/patients/{clinic.patient_id}"
    proposed = client.post(f"{base}/eligibility-facts", headers=clinic.headers["trainer"],
                           json={"name": "expected_long_term_anticoagulation", "value": True, "note": "intake"})
    assert proposed.status_code == 201 and proposed.json["status"] == "proposed"

    def criterion():
        found = client.get(f"{base}/eligibility", headers=clinic.headers["physician"]).json["criteria"]
        return next(c for c in found if c["name"] == "expected_long_term_anticoagulation")["status"]

    assert criterion() == "unknown"
    facts = client.get(f"{base}/eligibility-facts", headers=clinic.headers["physician"]).json
    assert facts["current"] == {}
    assert client.post(f"{base}/eligibility-facts/{proposed.json['id']}/confirm",
                       headers=clinic.headers["trainer"]).status_code == 403
    confirmed = client.post(f"{base}/eligibility-facts/{proposed.json['id']}/confirm",
                            headers=clinic.headers["physician"])
    assert confirmed.status_code == 201
    assert (confirmed.json["status"], confirmed.json["confirms_id"]) == ("confirmation", proposed.json["id"])
    assert criterion() == "met"
    again = client.post(f"{base}/eligibility-facts/{proposed.json['id']}/confirm", headers=clinic.headers["physician"])
    assert again.status_code == 409
