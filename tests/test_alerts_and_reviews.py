"""From the app to the physician and back: alerts, acknowledgement, review, instructions, covering physicians."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from models import Alert, AlertEvent, AuditEvent, BillableEvent, OutboxMessage
from service import db
from tests import factories
from tests.factories import count_rows, post_result, post_review, result_body, token_for


def alerts(client, clinic, who="physician", **query):
    response = client.get("/alerts", query_string=query, headers=clinic.headers[who])
    assert response.status_code == 200, response.json
    return response.json


def test_a_result_from_the_app_reaches_the_physician_once_and_comes_back_as_instructions(app, client, clinic):
    # The app posts a critical result, retries it, then its offline queue re-sends it in a batch.
    sent = post_result(client, clinic, value=1.4, missed_doses=2)
    assert sent.status_code == 201
    assert post_result(client, clinic, value=1.4, missed_doses=2).status_code == 200
    batch = client.post(f"/patients/{clinic.patient_id}/results/batch",
                        json={"results": [result_body(value=1.4, missed_doses=2)]}, headers=clinic.headers["patient"])
    assert batch.json["items"][0]["status"] == 200

    listing = alerts(client, clinic)
    assert [(a["result_id"], a["severity"], a["level"]) for a in listing["items"]] == \
        [(sent.json["id"], "critical", "critical_low")]
    assert listing["counts"] == {"critical": 1, "out_of_range": 0, "routine": 0}
    assert alerts(client, clinic, who="other_physician")["items"] == []
    alert_id = listing["items"][0]["id"]
    with app.app_context():
        message = db.session().scalar(select(OutboxMessage))
        assert message.dedupe_key == f"alert.opened:{alert_id}"
        assert message.recipient_user_id == clinic.users["physician"].id

    acked = client.post(f"/alerts/{alert_id}/acknowledge", headers=clinic.headers["physician"])
    assert acked.status_code == 200
    assert acked.json["status"] == "acknowledged" and acked.json["acknowledged_by"]["id"] == clinic.id("physician")
    assert client.post(f"/alerts/{alert_id}/acknowledge", headers=clinic.headers["physician"]).status_code == 409
    assert alerts(client, clinic)["items"] == []
    assert len(alerts(client, clinic, status="acknowledged")["items"]) == 1

    reviewed = post_review(client, clinic, [sent.json["id"]], instruction_kind="new_dose", dose_text="7.5 mg daily",
                      weekly_doses={"sunday": 7.5, "monday": 7.5, "tuesday": 7.5, "wednesday": 7.5,
                                    "thursday": 7.5, "friday": 7.5, "saturday": 1.25})
    assert reviewed.status_code == 201, reviewed.json
    assert reviewed.json["weekly_doses"]["saturday"] == 1.25
    resolved = alerts(client, clinic, status="resolved")["items"]
    assert [a["resolved_by_review_id"] for a in resolved] == [reviewed.json["id"]]

    for who in ("patient", "caregiver"):
        current = client.get(f"/patients/{clinic.patient_id}/instructions", headers=clinic.headers[who])
        assert current.json["current"]["id"] == reviewed.json["id"]
        assert current.json["current"]["dose_text"] == "7.5 mg daily"
        url = f"/patients/{clinic.patient_id}/instructions/{reviewed.json['id']}/acknowledge"
        assert client.post(url, headers=clinic.headers[who]).status_code == 201
        assert client.post(url, headers=clinic.headers[who]).status_code == 200
    current = client.get(f"/patients/{clinic.patient_id}/instructions", headers=clinic.headers["physician"]).json
    assert sorted(a["role"] for a in current["acknowledgements"]) == ["caregiver", "patient"]
    # The physician's next test date now drives what the patient is told.
    assert client.get(f"/patients/{clinic.patient_id}/results/{sent.json['id']}",
                      headers=clinic.headers["patient"]).json["next_test_due"] == "2026-11-27"
    with app.app_context():
        kinds = [e.kind for e in db.session().scalars(select(AlertEvent).order_by(AlertEvent.id))]
    assert kinds == ["opened", "acknowledged", "resolved"]


def test_a_review_emits_one_93793_event_dated_in_the_patients_zone(app, client, clinic):
    result = post_result(client, clinic, value=3.4).json
    # 03:00 UTC on the 24th is still the evening of the 23rd in New York.
    later = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
    factories.set_now(app, later)
    clinic.headers["physician"] = token_for(app, clinic.users["physician"], later)
    reviewed = post_review(client, clinic, [result["id"]])
    assert reviewed.status_code == 201
    with app.app_context():
        event = db.session().scalar(select(BillableEvent))
        assert (event.kind, event.code, event.source_type) == ("result_review", "93793", "review")
        assert event.event_key == f"review:{reviewed.json['id']}"
        assert event.source_id == reviewed.json["id"]
        assert event.result_ids == [result["id"]]
        assert event.service_date.isoformat() == "2026-11-23"
        assert event.rendering_provider_id == clinic.users["physician"].id


def test_alerts_are_listed_most_severe_then_oldest_first_with_filters(app, client, clinic):
    times = iter(["2026-11-23T10:00:00Z", "2026-11-23T11:00:00Z", "2026-11-23T12:00:00Z"])
    opened = []
    for client_id, value in [("a", 3.5), ("b", 6.0), ("c", 1.2)]:
        factories.set_now(app, datetime.fromisoformat(next(times)))
        opened.append(post_result(client, clinic, client_id=client_id, value=value,
                           measured_at="2026-11-23T04:00:00-05:00").json["alert"]["id"])
    listing = alerts(client, clinic)
    assert [a["id"] for a in listing["items"]] == [opened[1], opened[2], opened[0]]
    assert listing["counts"] == {"critical": 2, "out_of_range": 1, "routine": 0}
    critical = alerts(client, clinic, severity="critical")
    assert [a["id"] for a in critical["items"]] == [opened[1], opened[2]]
    assert critical["counts"] == {"critical": 2, "out_of_range": 1, "routine": 0}
    assert len(alerts(client, clinic, who="admin")["items"]) == 3
    assert alerts(client, clinic, who="admin", physician_id=clinic.id("other_physician"))["items"] == []
    assert len(alerts(client, clinic, who="admin", physician_id=clinic.id("physician"))["items"]) == 3
    assert client.get("/alerts", headers=clinic.headers["patient"]).status_code == 403
    assert client.get("/alerts?severity=bad", headers=clinic.headers["admin"]).status_code == 422


def test_only_the_physician_of_record_a_covering_physician_or_an_admin_acknowledges(app, client, clinic):
    alert_id = post_result(client, clinic, value=1.8).json["alert"]["id"]
    url = f"/alerts/{alert_id}/acknowledge"
    assert client.post(url, headers=clinic.headers["other_physician"]).status_code == 404
    assert client.post(url, headers=clinic.headers["caregiver"]).status_code == 403
    covered = client.put(f"/physicians/{clinic.id('physician')}/covering-physician",
                         json={"covering_physician_id": clinic.id("other_physician")}, headers=clinic.headers["admin"])
    assert covered.status_code == 200 and covered.json["covering_physician"]["id"] == clinic.id("other_physician")
    assert client.post(url, headers=clinic.headers["other_physician"]).status_code == 200
    with app.app_context():
        assert db.session().scalar(select(Alert)).acknowledged_by_id == clinic.users["other_physician"].id


def test_a_covering_physician_may_review_and_coverage_can_be_cleared(client, clinic):
    result_id = post_result(client, clinic, value=1.8).json["id"]
    assert post_review(client, clinic, [result_id], who="other_physician").status_code == 404
    url = f"/physicians/{clinic.id('physician')}/covering-physician"
    client.put(url, json={"covering_physician_id": clinic.id("other_physician")}, headers=clinic.headers["admin"])
    assert post_review(client, clinic, [result_id], who="other_physician").status_code == 201
    cleared = client.put(url, json={"covering_physician_id": None}, headers=clinic.headers["admin"])
    assert cleared.json["covering_physician"] is None
    assert post_review(client, clinic, [result_id], who="other_physician").status_code == 404
    self_cover = client.put(url, json={"covering_physician_id": clinic.id("physician")},
                            headers=clinic.headers["admin"])
    assert self_cover.status_code == 422
    assert client.put(url, json={"covering_physician_id": None},
                      headers=clinic.headers["physician"]).status_code == 403


def test_reviews_are_validated_and_limited_to_physicians(client, clinic):
    mine = post_result(client, clinic).json["id"]
    theirs = post_result(client, clinic, who="other_patient", patient_id=clinic.other_patient_id).json["id"]
    assert post_review(client, clinic, [theirs]).status_code == 422
    assert "dose_text" in post_review(client, clinic, [mine], instruction_kind="new_dose").json["errors"]
    assert "hold_days" in post_review(client, clinic, [mine], instruction_kind="hold_doses").json["errors"]
    assert post_review(client, clinic, [mine], instruction_kind="hold_doses", hold_days=2).status_code == 201
    assert "next_test_date" in post_review(client, clinic, [mine], next_test_date="2026-11-01").json["errors"]
    bad_dose = post_review(client, clinic, [mine], instruction_kind="new_dose",
                      weekly_doses={d: 5.001 for d in ("sunday", "monday", "tuesday", "wednesday", "thursday",
                                                       "friday", "saturday")})
    assert bad_dose.status_code == 422
    huge = post_review(client, clinic, [mine], instruction_kind="new_dose",
                  weekly_doses={d: 1e300 for d in ("sunday", "monday", "tuesday", "wednesday", "thursday",
                                                   "friday", "saturday")})
    assert huge.status_code == 422 and "weekly_doses" in huge.json["errors"]
    assert post_review(client, clinic, [mine], who="admin").status_code == 403
    assert post_review(client, clinic, [mine], who="trainer").status_code == 403


def test_only_the_patient_and_linked_caregivers_acknowledge_instructions(app, client, clinic):
    result_id = post_result(client, clinic).json["id"]
    review_id = post_review(client, clinic, [result_id]).json["id"]
    url = f"/patients/{clinic.patient_id}/instructions/{review_id}/acknowledge"
    assert client.post(url, headers=clinic.headers["physician"]).status_code == 403
    assert client.post(url, headers=clinic.headers["former_caregiver"]).status_code == 404
    assert client.post(url, headers=clinic.headers["other_patient"]).status_code == 404
    with app.app_context():
        assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "instructions.acknowledge")) is None
    assert client.get(f"/patients/{clinic.other_patient_id}/instructions",
                      headers=clinic.headers["other_patient"]).json == {"current": None, "acknowledgements": []}


def test_every_alert_transition_is_audited(app, client, clinic):
    result_id = post_result(client, clinic, value=1.8).json["id"]
    alert_id = alerts(client, clinic)["items"][0]["id"]
    client.post(f"/alerts/{alert_id}/acknowledge", headers=clinic.headers["admin"])
    post_review(client, clinic, [result_id])
    with app.app_context():
        actions = set(db.session().scalars(select(AuditEvent.action).where(AuditEvent.object_id == alert_id)))
    assert actions == {"alert.open", "alert.acknowledge", "alert.resolve"}
    assert count_rows(app, Alert, Alert.status == "resolved") == 1


def test_reviews_and_their_links_cannot_be_changed_in_place(app, client, clinic):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from models import Review
    from service.db import AppendOnlyViolation

    result_id = post_result(client, clinic, value=1.8).json["id"]
    post_review(client, clinic, [result_id])
    with app.app_context():
        session = db.session()
        session.scalar(select(Review)).interpretation = "rewritten"
        with pytest.raises(AppendOnlyViolation):
            session.flush()
        session.rollback()
        for statement in ("UPDATE reviews SET interpretation = 'x'", "DELETE FROM review_results",
                          "UPDATE alert_events SET kind = 'x'"):
            with pytest.raises(DatabaseError):
                session.execute(text(statement))
            session.rollback()
