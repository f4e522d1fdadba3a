"""Security: every route against every role, refused tokens, staff-only fields, and refusals in the audit trail.

The table of who may call what is derived from the code's own declarations: a view's `@roles(...)` where it
has one, and for patient-scoped routes the policy action it asks for (POLICY_ACTIONS below, checked against the
calls the route really makes) intersected with `service.policy.PERMISSIONS`. Every member of the clinic reaches
`clinic.patient` by relationship, so the table alone decides each outcome.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEvent, InrResult, User
from service import db, policy
from service.pages import is_page_endpoint
from service.policy import PERMISSIONS
from tests import factories
from tests.conftest import NOW
from tests.test_authorization import OBJECT_MAKERS, fill, row_counts

# One in-clinic user of each role; each reaches clinic.patient when the policy lets the role act.
ROLES = ["admin", "physician", "trainer", "biller", "patient", "caregiver"]

# The policy action each patient-scoped route asks for: the documented rule, verified against the running code.
POLICY_ACTIONS = {
    "GET /patients/<uuid:patient_id>": "read",
    "PATCH /patients/<uuid:patient_id>": "edit",
    "GET /patients/<uuid:patient_id>/caregivers": "read",
    "POST /patients/<uuid:patient_id>/caregivers": "link_caregiver",
    "POST /patients/<uuid:patient_id>/caregivers/<uuid:link_id>/end": "link_caregiver",
    "POST /patients/<uuid:patient_id>/clearance": "clear",
    "GET /patients/<uuid:patient_id>/clearance": "read_training",
    "POST /patients/<uuid:patient_id>/discharge": "end_care",
    "GET /patients/<uuid:patient_id>/eligibility": "read_training",
    "POST /patients/<uuid:patient_id>/eligibility-facts": "propose_fact",
    "POST /patients/<uuid:patient_id>/eligibility-facts/<uuid:fact_id>/confirm": "order",
    "GET /patients/<uuid:patient_id>/eligibility-facts": "read_training",
    "POST /patients/<uuid:patient_id>/home-testing-orders": "order",
    "GET /patients/<uuid:patient_id>/home-testing-orders": "read_training",
    "GET /patients/<uuid:patient_id>/indications": "read",
    "POST /patients/<uuid:patient_id>/indications": "edit",
    "GET /patients/<uuid:patient_id>/instructions": "read_clinical",
    "POST /patients/<uuid:patient_id>/instructions/<uuid:review_id>/acknowledge": "read_clinical",
    "POST /patients/<uuid:patient_id>/results": "report_result",
    "GET /patients/<uuid:patient_id>/results": "read_clinical",
    "GET /patients/<uuid:patient_id>/results/<uuid:result_id>": "read_clinical",
    "POST /patients/<uuid:patient_id>/results/batch": "report_result",
    "GET /patients/<uuid:patient_id>/results/fhir": "read_clinical",
    "POST /patients/<uuid:patient_id>/results/<uuid:result_id>/corrections": "correct_result",
    "POST /patients/<uuid:patient_id>/reviews": "review",
    "GET /patients/<uuid:patient_id>/reviews": "read_clinical",
    "GET /patients/<uuid:patient_id>/summary": "read_clinical",
    "POST /patients/<uuid:patient_id>/supply-issues": "issue_supplies",
    "GET /patients/<uuid:patient_id>/target-ranges": "read",
    "POST /patients/<uuid:patient_id>/target-ranges": "set_target",
    "GET /patients/<uuid:patient_id>/time-zones": "read",
    "POST /patients/<uuid:patient_id>/time-zones": "edit",
    "GET /patients/<uuid:patient_id>/training-progress": "read_training",
    "POST /patients/<uuid:patient_id>/training-sessions": "train",
    "GET /patients/<uuid:patient_id>/training-sessions": "read_training",
    "GET /patients/<uuid:patient_id>/training-sessions/<uuid:session_id>": "read_training",
    "POST /patients/<uuid:patient_id>/training-sessions/<uuid:session_id>/amendments": "train",
    "GET /patients/<uuid:patient_id>/training-sessions/<uuid:session_id>/competency.pdf": "read_training",
    "GET /alerts/<uuid:alert_id>": "read_clinical",
    "POST /alerts/<uuid:alert_id>/acknowledge": "acknowledge_alert",
    "GET /patients/<uuid:patient_id>/supply-issues": "read",
    "GET /patients/<uuid:patient_id>/care-episode": "read",
    "POST /patients/<uuid:patient_id>/care-episode/events": "end_care",
    "POST /patients/<uuid:patient_id>/care-episode/events/<uuid:event_id>/correction": "end_care",
    "GET /patients/<uuid:patient_id>/em-visits": "em_visit",
    "POST /patients/<uuid:patient_id>/em-visits": "em_visit",
    "GET /patients/<uuid:patient_id>/coverage": "read",
    "POST /patients/<uuid:patient_id>/coverage": "bill",
    "POST /patients/<uuid:patient_id>/prior-trainings": "train",
    "GET /patients/<uuid:patient_id>/prior-trainings": "read_training",
    "POST /patients/<uuid:patient_id>/result-imports": "import_history",
    "GET /patients/<uuid:patient_id>/result-imports": "read_clinical",
}


def every_route(app):
    """(key, method, rule, view) for every authenticated API route of the running app (the pages and their files
    carry no data and need no token: tests/test_pages.py)."""
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "is_public", False) or is_page_endpoint(rule.endpoint):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((f"{method} {rule.rule}", method, rule.rule, view))
    return routes


def allowed_roles(key: str, view) -> set[str]:
    allowed = set(getattr(view, "allowed_roles", ROLES))
    action = POLICY_ACTIONS.get(key)
    if action is not None:
        allowed = {role for role in allowed if action in PERMISSIONS[role]}
    return allowed


def refusal_events(app, actor) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session().scalars(select(AuditEvent).where(
            AuditEvent.actor_id == actor.public_id, AuditEvent.outcome == "refused").order_by(AuditEvent.id)))


def call(client, method, path, headers):
    return client.open(path, method=method, headers=headers,
                       json={} if method in ("POST", "PUT", "PATCH") else None)


@pytest.fixture
def objects(app, clinic):
    return {name: make(app, clinic) for name, make in OBJECT_MAKERS.items()}


def test_every_patient_scoped_route_has_a_documented_policy_action(app):
    scoped = {key for key, _m, rule, _v in every_route(app) if "<uuid:patient_id>" in rule or "alert_id" in rule}
    assert scoped == set(POLICY_ACTIONS), "add the route's policy action to POLICY_ACTIONS (or remove a stale one)"


def test_every_route_and_role_gets_exactly_the_documented_outcome(app, client, clinic, objects, monkeypatch):
    """Roles outside a route's table are refused (403 by role, 404 by policy), audited with actor, role and
    patient, and change nothing; roles inside get past authorization; each route asks the policy for its action."""
    asked: list[str] = []
    real_may = policy.may

    def spying_may(session, user, patient, action, now):
        asked.append(action)
        return real_may(session, user, patient, action, now)

    monkeypatch.setattr(policy, "may", spying_may)
    routes = every_route(app)
    before = row_counts(app)
    refused = 0
    for key, method, rule, view in routes:
        path = fill(rule, objects)
        for role in sorted(set(ROLES) - allowed_roles(key, view)):
            actor = clinic.users[role]
            seen = len(refusal_events(app, actor))
            response = call(client, method, path, clinic.headers[role])
            by_role = role not in getattr(view, "allowed_roles", ROLES)
            assert response.status_code == (403 if by_role else 404), f"{role} {key} -> {response.status_code}"
            assert response.mimetype == "application/problem+json"
            events = refusal_events(app, actor)
            assert len(events) == seen + 1, f"refusal not audited: {role} {key}"
            event = events[-1]
            assert (event.actor_role, event.outcome) == (role, "refused")
            if "<uuid:patient_id>" in rule or ("alert_id" in rule and not by_role):
                assert event.patient_id == clinic.patient.public_id, f"refusal of {role} {key} names no patient"
            refused += 1
    assert refused > len(routes), "the table refuses almost no one: check ROLES"
    assert row_counts(app) == before, "a refused request changed stored data"

    for key, method, rule, view in routes:
        path = fill(rule, objects)
        for role in sorted(allowed_roles(key, view)):
            asked.clear()
            headers = clinic.headers[role]
            if key == "POST /auth/logout":  # a fresh token, so the role's own keeps working
                headers = factories.token_for(app, clinic.users[role], NOW)
            response = call(client, method, path, headers)
            assert response.status_code not in (401, 403, 404) and response.status_code < 500, \
                f"{role} {key} -> {response.status_code} {response.get_data(as_text=True)[:200]}"
            if key in POLICY_ACTIONS:
                assert set(asked) == {POLICY_ACTIONS[key]}, f"{key} asked the policy for {asked}"


def test_tokens_that_expired_were_revoked_or_belong_to_a_disabled_account_are_refused_everywhere(app, client, clinic,
                                                                                             objects):
    sample = [("GET", "/patients/<uuid:patient_id>"), ("POST", "/patients/<uuid:patient_id>/results"),
              ("PATCH", "/patients/<uuid:patient_id>"), ("GET", "/alerts"), ("GET", "/claims"), ("GET", "/me"),
              ("GET", "/patients/<uuid:patient_id>/training-sessions/<uuid:session_id>/competency.pdf"),
              ("GET", "/audit-events"), ("POST", "/auth/logout")]
    revoked = factories.token_for(app, clinic.users["admin"], NOW)
    assert client.post("/auth/logout", headers=revoked).status_code == 204
    with app.app_context():
        before_tokens = db.session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.token", AuditEvent.outcome == "refused"))
    # A token issued with the configured lifetime, used one second after it ends.
    expired_at = NOW - app.extensions["settings"].token_ttl - timedelta(seconds=1)
    with app.app_context():
        from service import identity

        session = db.session()
        token = identity.log_in(session, app.extensions["passwords"], "physician@clinic.test", factories.PASSWORD,
                                expired_at, app.extensions["settings"].token_ttl).token
        session.get(User, clinic.users["biller"].id).active = False
        session.commit()
    expired = {"Authorization": f"Bearer {token}"}
    disabled = clinic.headers["biller"]
    forged = {"Authorization": "Bearer " + "A" * 43}
    counts = row_counts(app)
    for method, rule in sample:
        for name, headers in (("revoked", revoked), ("expired", expired), ("disabled", disabled), ("forged", forged)):
            response = call(client, method, fill(rule, objects), headers)
            assert response.status_code == 401, f"{name} token {method} {rule} -> {response.status_code}"
            assert response.mimetype == "application/problem+json"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert row_counts(app) == counts
    with app.app_context():
        after_tokens = db.session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.token", AuditEvent.outcome == "refused"))
    assert after_tokens == before_tokens + len(sample) * 4


STAFF_ONLY = [
    ("POST", "target-ranges", {"low": 2.5, "high": 3.5, "reason": "I feel better higher"}),
    ("PATCH", "", {"physician_id": "<other_physician>"}),
    ("PATCH", "", {"payer": "bcbs-fl"}),
    ("POST", "clearance", {"status": "cleared", "reason": "I know how to test"}),
    ("POST", "home-testing-orders", {"ordered_on": "2026-11-01"}),
    ("POST", "eligibility-facts", {"name": "expected_long_term_anticoagulation", "value": True}),
    ("POST", "indications", {"codes": ["Z95.2"], "reason": "new valve"}),
    ("POST", "discharge", {"reason": "discharged", "effective_on": "2026-11-20"}),
    ("POST", "training-sessions", {}),
    ("POST", "supply-issues", {"issued_on": "2026-11-20"}),
    ("POST", "reviews", {}),
]


def staff_only_state(app, client, clinic) -> dict:
    """Everything a staff-only write could change, as the physician sees it."""
    base = f"/patients/{clinic.patient_id}"
    state = {"counts": row_counts(app)}
    for part in ("", "/target-ranges", "/clearance", "/home-testing-orders", "/eligibility-facts", "/indications"):
        state[part] = client.get(base + part, headers=clinic.headers["physician"]).json
    return state


@pytest.mark.parametrize("who", ["patient", "caregiver"])
def test_a_patient_or_caregiver_cannot_set_what_only_staff_set(who, app, client, clinic):
    before = staff_only_state(app, client, clinic)
    actor = clinic.users[who]
    for method, part, body in STAFF_ONLY:
        body = {k: (clinic.id("other_physician") if v == "<other_physician>" else v) for k, v in body.items()}
        seen = len(refusal_events(app, actor))
        path = f"/patients/{clinic.patient_id}" + (f"/{part}" if part else "")
        response = client.open(path, method=method, json=body, headers=clinic.headers[who])
        assert response.status_code in (403, 404), f"{who} {method} {path} {body} -> {response.status_code}"
        [event] = refusal_events(app, actor)[seen:]
        assert (event.actor_role, event.outcome, event.patient_id) == (who, "refused", clinic.patient.public_id)
    # Fields smuggled into what they may send are refused by name, not stored.
    smuggled = client.post(f"/patients/{clinic.patient_id}/results", headers=clinic.headers[who], json={
        "client_id": "smuggle", "value": 2.5, "measured_at": "2026-11-23T09:30:00-05:00", "qc_passed": True,
        "target_range": {"low": 1.5, "high": 4.0}, "physician_id": clinic.id("other_physician")})
    assert smuggled.status_code == 422
    assert set(smuggled.json["errors"]) == {"target_range", "physician_id"}
    after = staff_only_state(app, client, clinic)
    after_counts, before_counts = after.pop("counts"), before.pop("counts")
    assert after == before
    assert after_counts == before_counts
    # The same writes from the physician of record take effect: the refusals above were about who asked.
    for method, part, body in (STAFF_ONLY[0], STAFF_ONLY[2], STAFF_ONLY[1]):  # handing the patient over last
        body = {k: (clinic.id("other_physician") if v == "<other_physician>" else v) for k, v in body.items()}
        path = f"/patients/{clinic.patient_id}" + (f"/{part}" if part else "")
        response = client.open(path, method=method, json=body, headers=clinic.headers["physician"])
        assert response.status_code in (200, 201), (path, body, response.json)


def test_a_caregiver_cannot_post_for_a_patient_not_linked_to_them_and_the_attempt_is_audited(app, client, clinic):
    body = {"client_id": "not-mine", "value": 2.5, "measured_at": "2026-11-23T09:30:00-05:00", "qc_passed": True}
    for who, patient_id in (("other_caregiver", clinic.patient_id), ("former_caregiver", clinic.patient_id),
                            ("caregiver", clinic.other_patient_id)):
        actor = clinic.users[who]
        for path in (f"/patients/{patient_id}/results", f"/patients/{patient_id}/results/batch"):
            payload = {"results": [body]} if path.endswith("batch") else body
            response = client.post(path, json=payload, headers=clinic.headers[who])
            assert response.status_code == 404, f"{who} -> {path}: {response.status_code}"
            event = refusal_events(app, actor)[-1]
            assert (event.action, event.actor_role, event.outcome, str(event.patient_id)) == (
                "patient.report_result", "caregiver", "refused", patient_id)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(InrResult)) == 0


def test_refusals_are_found_in_the_audit_trail_by_patient(client, clinic):
    client.post(f"/patients/{clinic.patient_id}/target-ranges", json={"low": 2.5, "high": 3.5, "reason": "x"},
                headers=clinic.headers["patient"])
    client.get(f"/patients/{clinic.patient_id}/results", headers=clinic.headers["other_physician"])
    trail = client.get("/audit-events", query_string={"patient_id": clinic.patient_id, "outcome": "refused"},
                       headers=clinic.headers["admin"])
    assert trail.status_code == 200
    found = {(e["actor_role"], e["action"]) for e in trail.json["items"]}
    assert {("patient", "access.refused"), ("physician", "patient.read_clinical")} <= found
    assert all(e["patient_id"] == clinic.patient_id for e in trail.json["items"])


def test_a_caregiver_whose_link_ended_loses_access_from_that_moment(app, client, clinic):
    link = factories.caregiver_link_of(app, clinic.patient)
    ended = client.post(f"/patients/{clinic.patient_id}/caregivers/{link.public_id}/end",
                        json={"reason": "moved away"}, headers=clinic.headers["physician"])
    assert ended.status_code in (200, 201), ended.json
    assert client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["caregiver"]).status_code == 404
    factories.set_now(app, NOW + timedelta(days=1))
    assert client.get(f"/patients/{clinic.patient_id}/results", headers=clinic.headers["caregiver"]).status_code == 404


def test_listings_without_a_patient_in_the_path_never_show_another_physicians_patient(app, client, clinic, objects):
    """The routes the path matrix cannot reach: each caller's listing holds only what their relationships allow."""
    assert client.get("/alerts", headers=clinic.headers["physician"]).json["items"], "the fixture has an open alert"
    for who in ("other_physician",):
        for path in ("/alerts", "/alerts?status=acknowledged", "/patients", "/me"):
            response = client.get(path, headers=clinic.headers[who])
            assert response.status_code == 200
            assert clinic.patient_id not in response.get_data(as_text=True), f"{who} GET {path} shows the patient"
    for who in ("other_patient", "other_caregiver", "former_caregiver"):
        for path in ("/patients", "/me", "/checklist-templates"):
            response = client.get(path, headers=clinic.headers[who])
            assert response.status_code == 200
            assert clinic.patient_id not in response.get_data(as_text=True), f"{who} GET {path} shows the patient"
    users = client.get("/users", headers=clinic.headers["other_physician"]).json["items"]
    assert {u["role"] for u in users} <= {"caregiver", "physician"}, "physicians look up only whom they may link"
