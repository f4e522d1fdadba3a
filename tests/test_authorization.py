"""The authorization matrix: every route that touches one patient's data, called by an outsider of each
role, is refused (404 for "not yours", 403 for a role that may never do it), audited, and changes nothing.

Routes are discovered from the running app, so a new route is covered the day it is added. A route whose
path names another object (an alert, a training session...) needs a maker in OBJECT_MAKERS that creates
such an object for `clinic.patient`; the matrix fails loudly until there is one.
"""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Base
from service import db
from service.pages import is_page_endpoint
from tests import factories
from tests.conftest import NOW

# Callers who must not reach `clinic.patient`: each is a real user of that role with data of their own, in the
# same practice or in the second practice on the server (where every role, administrators included, is an outsider).
OUTSIDERS = ["other_physician", "other_patient", "other_caregiver", "former_caregiver", "elsewhere_admin",
             "elsewhere_physician", "elsewhere_trainer", "elsewhere_biller", "elsewhere_patient", "elsewhere_caregiver"]
# Objects that belong to the whole server, not to one practice: a generation run covers every practice (each reads
# only its own part of it; tests/test_practices.py).
SERVER_WIDE = ("<uuid:run_id>",)
# Roles whose work never includes a given action are refused too; they are checked through the same walk.
ROLE_LIMITED = ["trainer", "biller"]


def _link_id(app, clinic):
    return str(factories.caregiver_link_of(app, clinic.patient).public_id)


def _training_session_id(app, clinic):
    return str(factories.training_session(app, clinic.patient, clinic.users["trainer"],
                                          factories.now_of(app)).public_id)


def _result_id(app, clinic):
    return str(factories.record_result(app, clinic.patient, clinic.users["patient"], clinic_now(app),
                                       client_id="authz-result").public_id)


def _review_id(app, clinic):
    result = factories.record_result(app, clinic.patient, clinic.users["patient"], clinic_now(app),
                                     client_id="authz-reviewed")
    return str(factories.make_review(app, clinic.patient, clinic.users["physician"], [result.public_id],
                                     clinic_now(app)).public_id)


def _alert_id(app, clinic):
    return str(factories.flagged_alert(app, clinic, clinic_now(app)).public_id)


def clinic_now(app):
    return factories.now_of(app)


def _batch_id(app, clinic):
    from service import billing

    with app.app_context():
        session = db.session()
        batch, _ = billing.create_export(session, session.merge(clinic.users["biller"]), "authz-batch-key", "csv",
                                         NOW.date(), NOW.date(), clinic_now(app))
        return str(batch.public_id)


def _run_id(app, clinic):
    from service import claim_generation

    with app.app_context():
        return claim_generation.generate_claims(db.session(), clinic_now(app))["run_id"]


def _care_event_id(app, clinic):
    from service import care_episode

    with app.app_context():
        session = db.session()
        return str(care_episode.discharge_patient(session, session.merge(clinic.patient), clinic.users["physician"],
                                                  "discharged", NOW.date(), None, clinic_now(app)).public_id)


OBJECT_MAKERS = {
    "patient_id": lambda app, clinic: clinic.patient_id,
    "link_id": _link_id,
    "session_id": _training_session_id,
    "claim_id": lambda app, clinic: str(factories.make_claim_line(app, clinic.patient, NOW).public_id),
    "result_id": _result_id,
    "review_id": _review_id,
    "alert_id": _alert_id,
    "physician_id": lambda app, clinic: clinic.id("physician"),
    "user_id": lambda app, clinic: clinic.id("former_caregiver"),
    "fact_id": lambda app, clinic: str(factories.propose_fact(app, clinic.patient, clinic.users["trainer"],
                                                              factories.now_of(app)).public_id),
    "batch_id": _batch_id,
    "run_id": _run_id,
    "event_id": _care_event_id,
}


def patient_routes(app):
    """(method, rule, endpoint) for every API route whose path carries a patient or a patient's object (the pages'
    files are named in their paths, and carry no data)."""
    routes = []
    for rule in app.url_map.iter_rules():
        params = set(rule.arguments)
        if not params or is_page_endpoint(rule.endpoint):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule, rule.endpoint))
    return routes


def fill(rule: str, values: dict) -> str:
    def value_for(match):
        name = match.group(1)
        if name not in values:
            raise AssertionError(f"{rule}: no OBJECT_MAKERS entry for {name!r}; add one")
        return values[name]

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", value_for, rule)


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        session = db.session()
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables if table.name not in ("audit_events", "api_tokens")}


def refusals(app, actor) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor_id == actor.public_id, AuditEvent.outcome == "refused"))


def test_every_patient_route_refuses_every_outsider(app, client, clinic):
    routes = patient_routes(app)
    assert routes, "no patient-scoped routes discovered"
    values = {name: make(app, clinic) for name, make in OBJECT_MAKERS.items()}
    before = row_counts(app)
    checked = 0
    for method, rule, _endpoint in routes:
        path = fill(rule, values)
        for outsider in OUTSIDERS:
            if any(part in rule for part in SERVER_WIDE) and outsider.startswith("elsewhere_"):
                checked += 1
                continue
            actor = clinic.users[outsider]
            refused_before = refusals(app, actor)
            response = client.open(path, method=method, headers=clinic.headers[outsider],
                                   json={} if method in ("POST", "PUT", "PATCH") else None)
            assert response.status_code in (403, 404), f"{outsider} {method} {path} -> {response.status_code}"
            assert response.mimetype == "application/problem+json"
            assert refusals(app, actor) == refused_before + 1, f"refusal not audited: {outsider} {method} {path}"
            checked += 1
    assert row_counts(app) == before, "a refused request changed stored data"
    assert checked == len(routes) * len(OUTSIDERS)


@pytest.mark.parametrize("role", ROLE_LIMITED)
def test_role_limited_staff_are_refused_where_their_work_does_not_reach(role, app, client, clinic):
    from service.policy import PERMISSIONS

    values = {name: make(app, clinic) for name, make in OBJECT_MAKERS.items()}
    for method, rule, endpoint in patient_routes(app):
        view = app.view_functions[endpoint]
        allowed = getattr(view, "allowed_roles", None)
        if allowed is None or role in allowed:
            continue
        response = client.open(fill(rule, values), method=method, headers=clinic.headers[role],
                               json={} if method in ("POST", "PUT", "PATCH") else None)
        assert response.status_code == 403, f"{role} {method} {rule} -> {response.status_code}"
    assert "read_clinical" not in PERMISSIONS[role]


def test_a_random_patient_id_is_not_found_for_everyone(client, clinic):
    for name in ("admin", "physician", "patient", "caregiver"):
        response = client.get(f"/patients/{uuid.uuid4()}", headers=clinic.headers[name])
        assert response.status_code == 404


def test_each_member_of_the_care_team_reaches_the_patient(client, clinic):
    for name in ("admin", "physician", "trainer", "biller", "patient", "caregiver"):
        response = client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers[name])
        assert response.status_code == 200, name
        assert response.json["id"] == clinic.patient_id


def test_listing_shows_each_caller_only_the_patients_they_reach(client, clinic):
    def listed(name):
        return {p["id"] for p in client.get("/patients", headers=clinic.headers[name]).json["items"]}

    both = {clinic.patient_id, clinic.other_patient_id}
    assert listed("admin") == both
    assert listed("physician") == {clinic.patient_id}
    assert listed("other_physician") == {clinic.other_patient_id}
    assert listed("patient") == {clinic.patient_id}
    assert listed("caregiver") == {clinic.patient_id}
    assert listed("former_caregiver") == set()


def test_every_read_of_a_patients_data_by_the_care_team_is_audited(app, client, clinic):
    """Walk every GET route with a patient in its path as the physician of record: each answers and
    leaves a success audit event naming the patient."""
    values = {name: make(app, clinic) for name, make in OBJECT_MAKERS.items()}
    for method, rule, _endpoint in patient_routes(app):
        if method != "GET" or "<uuid:patient_id>" not in rule:
            continue
        with app.app_context():
            before = db.session().scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.patient_id == clinic.patient.public_id, AuditEvent.outcome == "success"))
        response = client.get(fill(rule, values), headers=clinic.headers["physician"])
        assert response.status_code == 200, f"GET {rule} -> {response.status_code}"
        with app.app_context():
            after = db.session().scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.patient_id == clinic.patient.public_id, AuditEvent.outcome == "success"))
        assert after > before, f"GET {rule} read patient data without an audit event"
