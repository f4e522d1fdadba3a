"""Result ingest's answers, pinned: `POST /patients/{id}/results` for results in range, out of range, critical, a
failed strip and a meter error (opening then closing the "no valid result" alert), the meter's "<0.8", a symptom, a
caregiver's, a phoned-in one, retries (same content: 200, other content: 409) and every refusal (each caller who may
not reach the patient, an unknown patient, a bad token), answers byte for byte what `ingest_document.json` holds on
both databases, and the audit trail it leaves is the pinned one. Only the ids differ from run to run: each is written
as the order in which it first appears. Ingest is read for speed (issue 16); this is what it must keep answering.

And the number of statements one ingest sends, bounded, so a change that adds round trips fails here."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, select

from models import AuditEvent
from service import db
from tests import factories
from tests.conftest import NOW
from tests.factories import result_body

PINNED = Path(__file__).with_name("ingest_document.json")
# Ids, and request ids (32 hex digits) in a problem document.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b")


def posts(clinic) -> list[tuple[str, str, str | None, dict]]:
    """(what, caller, patient id (None: the clinic's patient), body), in the order sent."""
    other = str(clinic.other_patient_id)
    return [
        ("in range", "patient", None, result_body(client_id="a-in", value=2.5)),
        ("in range, retried", "patient", None, result_body(client_id="a-in", value=2.5)),
        ("retried in another offset: other content", "patient", None,
         result_body(client_id="a-in", value=2.5, measured_at="2026-11-23T14:30:00Z")),
        ("client id reused with another value", "patient", None, result_body(client_id="a-in", value=2.6)),
        ("out of range", "patient", None, result_body(client_id="a-low", value=1.8,
                                                      measured_at="2026-11-23T09:40:00-05:00")),
        ("out of range, retried", "patient", None, result_body(client_id="a-low", value=1.8,
                                                               measured_at="2026-11-23T09:40:00-05:00")),
        ("critical", "patient", None, result_body(client_id="a-crit", value=1.4,
                                                  measured_at="2026-11-23T09:45:00-05:00")),
        ("failed strip", "patient", None, result_body(client_id="a-qc", value=1.2, qc_passed=False,
                                                      measured_at="2026-11-23T09:50:00-05:00")),
        ("meter error: no valid result", "caregiver", None,
         {k: v for k, v in result_body(client_id="a-err", meter_error_code="E-2",
                                       measured_at="2026-11-23T09:55:00-05:00").items() if k != "value"}),
        ("failed strip, retried", "patient", None, result_body(client_id="a-qc", value=1.2, qc_passed=False,
                                                               measured_at="2026-11-23T09:50:00-05:00")),
        ("valid again, with a symptom", "patient", None,
         result_body(client_id="a-sym", value=2.7, symptoms=["bleeding_gums"],
                     measured_at="2026-11-23T09:58:00-05:00")),
        ("meter below its range", "caregiver", None, {k: v for k, v in result_body(
            client_id="c-under", reading="<0.8", measured_at="2026-11-23T09:20:00-05:00").items() if k != "value"}),
        ("free-text symptom", "patient", None, result_body(client_id="a-note", value=2.4, symptom_note="dizzy",
                                                           measured_at="2026-11-22T10:00:00-05:00")),
        ("phoned in to the physician", "physician", None,
         result_body(client_id="ph-1", value=3.6, measured_at="2026-11-21T08:00:00-05:00")),
        ("phoned in to an admin, tested by the caregiver", "admin", None,
         result_body(client_id="ad-1", value=2.2, tested_by="caregiver", caregiver_id="<caregiver>",
                     measured_at="2026-11-20T08:00:00-05:00")),
        ("a fast meter clock", "patient", None, result_body(client_id="a-fast", value=2.9,
                                                            measured_at="2026-11-23T12:00:00-05:00")),
        ("another patient's", "other_patient", None, result_body(client_id="o-1")),
        ("a caregiver no longer linked", "former_caregiver", None, result_body(client_id="f-1")),
        ("another patient's caregiver", "other_caregiver", None, result_body(client_id="oc-1")),
        ("another physician's patient", "other_physician", None, result_body(client_id="op-1")),
        ("a trainer", "trainer", None, result_body(client_id="t-1")),
        ("a biller", "biller", None, result_body(client_id="b-1")),
        ("another practice's physician", "elsewhere_physician", None, result_body(client_id="e-1")),
        ("another practice's admin", "elsewhere_admin", None, result_body(client_id="e-2")),
        ("an unknown patient", "physician", "00000000-0000-4000-8000-000000000000", result_body(client_id="u-1")),
        ("the other patient's own", "other_patient", other, result_body(client_id="o-2", value=4.1)),
        ("invalid: both value and reading", "patient", None, result_body(client_id="bad-1", reading=">8.0")),
        ("a bad token", None, None, result_body(client_id="tok-1")),
    ]


def test_ingest_answers_the_pinned_documents_and_leaves_the_pinned_trail(app, client, clinic):
    factories.set_now(app, NOW + timedelta(minutes=5))
    caregiver = clinic.id("caregiver")
    bodies = {}
    for n, (what, who, patient_id, body) in enumerate(posts(clinic)):
        body = {k: (caregiver if v == "<caregiver>" else v) for k, v in body.items()}
        headers = clinic.headers[who] if who else {"Authorization": "Bearer not-a-token"}
        response = client.post(f"/patients/{patient_id or clinic.patient_id}/results", json=body, headers=headers)
        bodies[f"{n:02d} {what}: {who}"] = f"{response.status_code} {response.data.decode()}"
    with app.app_context():
        trail = [json.dumps([e.action, e.outcome, e.actor_role, e.object_type, e.object_id, str(e.patient_id),
                             e.detail, e.occurred_at.isoformat()], sort_keys=True)
                 for e in db.session().scalars(select(AuditEvent).where(AuditEvent.occurred_at > NOW)
                                               .order_by(AuditEvent.id))]
    seen: dict[str, str] = {}

    def named(match: re.Match) -> str:
        return seen.setdefault(match.group(0), f"uuid-{len(seen) + 1:02d}")

    known = {str(clinic.patient_id): "<patient>", str(clinic.other_patient_id): "<other_patient>",
             **{str(user.public_id): f"<{name}>" for name, user in clinic.users.items()}}
    pinned = {}
    for key, text in [*bodies.items(), *((f"audit {n:03d}", line) for n, line in enumerate(trail))]:
        for value, name in known.items():
            text = text.replace(value, name)
        pinned[key] = UUID.sub(named, text)
    if os.environ.get("INR_PIN_INGEST"):  # writes the file from the code as it is, to compare later code with
        PINNED.write_text(json.dumps(pinned, indent=1) + "\n")
    expected = json.loads(PINNED.read_text())
    assert list(pinned) == list(expected)
    for key in expected:
        assert pinned[key] == expected[key], key


# The statements one ingest sends (the connection's pre-ping and the commit not counted), at most: the token and the
# path's patient, the insert, the TTR intervals' upkeep, the "no valid result" check, the writes of one flush and the
# answer's reads. A regression that adds round trips fails here; lower the bounds when they fall.
MOST_STATEMENTS = {"postgresql": {"in range": 8, "out of range": 12},
                   "sqlite": {"in range": 8, "out of range": 13}}


def test_one_ingest_sends_a_bounded_number_of_statements(app, client, clinic):
    engine = app.extensions["db_engine"]
    # A history, so the TTR intervals have a region to rewrite and the answer's week has results in it.
    for n, value in enumerate((2.4, 2.6, 3.4)):
        at = (NOW - timedelta(days=7 * (3 - n))).isoformat()
        assert factories.post_result(client, clinic, client_id=f"h-{n}", value=value,
                                     measured_at=at).status_code == 201
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        sent.append(statement)

    counts = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for what, value in (("in range", 2.5), ("out of range", 1.7)):
            sent.clear()
            response = factories.post_result(client, clinic, client_id=f"n-{uuid.uuid4()}", value=value,
                                             measured_at=(NOW - timedelta(hours=2)).isoformat())
            assert response.status_code == 201, response.json
            assert (response.json["alert"] is None) == (what == "in range")
            counts[what] = [s for s in sent if s.strip().upper() not in ("SELECT 1", "COMMIT", "BEGIN")]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    bounds = MOST_STATEMENTS[engine.dialect.name]
    for what, statements in counts.items():
        assert len(statements) <= bounds[what], (what, len(statements), statements)
