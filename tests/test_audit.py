"""The audit trail as an administrator reads it."""

from __future__ import annotations

from tests.conftest import NOW


def test_admin_lists_audit_events_filtered_by_patient_and_outcome(client, clinic):
    client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["other_physician"])  # refused
    client.get(f"/patients/{clinic.patient_id}", headers=clinic.headers["physician"])
    refused = client.get(f"/audit-events?patient_id={clinic.patient_id}&outcome=refused",
                         headers=clinic.headers["admin"]).json["items"]
    assert len(refused) == 1
    assert refused[0]["actor_id"] == clinic.id("other_physician") and refused[0]["action"] == "patient.read"
    reads = client.get(f"/audit-events?patient_id={clinic.patient_id}&action=patient.read&outcome=success",
                       headers=clinic.headers["admin"]).json["items"]
    assert [e["actor_id"] for e in reads] == [clinic.id("physician")]


def test_audit_pages_newest_first_by_before_id(client, clinic):
    first = client.get("/audit-events?limit=2", headers=clinic.headers["admin"]).json["items"]
    assert first[0]["id"] > first[1]["id"]
    following = client.get(f"/audit-events?limit=2&before_id={first[1]['id']}",
                           headers=clinic.headers["admin"]).json["items"]
    assert following[0]["id"] < first[1]["id"]


def test_time_filters_take_aware_instants_only(client, clinic):
    since = (NOW.replace(microsecond=0)).isoformat()
    assert client.get(f"/audit-events?since={since.replace('+00:00', 'Z')}",
                      headers=clinic.headers["admin"]).status_code == 200
    naive = client.get("/audit-events?since=2026-11-23T10:00:00", headers=clinic.headers["admin"])
    assert naive.status_code == 422 and "since" in naive.json["errors"]


def test_only_admins_read_the_audit_trail_and_the_attempt_is_itself_recorded(client, clinic):
    for role in ("physician", "biller", "patient"):
        assert client.get("/audit-events", headers=clinic.headers[role]).status_code == 403
    forbidden = client.get("/audit-events?action=access.refused", headers=clinic.headers["admin"]).json["items"]
    assert {e["actor_role"] for e in forbidden} == {"physician", "biller", "patient"}
