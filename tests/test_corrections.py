"""Corrections through the API (domain.md, "Corrections"): staff correct any result, a patient or caregiver their own
entry within 24 hours, with a reason; the original leaves flags, TTR and counting and its alert closes with the
reason; the correction is flagged afresh; FHIR marks the original entered-in-error; a correction never makes a week
count twice, and a billed week goes through void and rebill."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from models import Alert, ClaimLine, ClaimLineEvent, InrResult
from service import claim_generation, db
from tests import factories
from tests.conftest import NOW
from tests.factories import clear_clinic_patient, count_rows, post_result, result_body


def correct(client, clinic, result_id, who="physician", patient_id=None, **fields):
    body = result_body(client_id=fields.pop("client_id", f"fix-{result_id[:8]}"), reason="typed the wrong value")
    body.update(fields)
    return client.post(f"/patients/{patient_id or clinic.patient_id}/results/{result_id}/corrections", json=body,
                       headers=clinic.headers[who])


def get_result(client, clinic, result_id, who="physician"):
    return client.get(f"/patients/{clinic.patient_id}/results/{result_id}", headers=clinic.headers[who]).json


def test_staff_correct_a_result_and_the_original_leaves_flags_with_its_alert_closed_by_the_reason(app, client,
                                                                                                   clinic):
    original = post_result(client, clinic, value=1.2).json  # a typo for 1.8: critical, alerted
    assert original["alert"]["severity"] == "critical"
    response = correct(client, clinic, original["id"], value=1.8, reason="typed 1.2 for 1.8")
    assert response.status_code == 201, response.json
    fixed = response.json
    assert (fixed["corrects"], fixed["correction_reason"]) == (original["id"], "typed 1.2 for 1.8")
    assert fixed["flag"]["level"] == "low" and fixed["alert"]["severity"] == "out_of_range"  # flagged afresh
    assert fixed["source"] == "phone" and fixed["entered_by"]["id"] == clinic.id("physician")

    now_original = get_result(client, clinic, original["id"])
    assert now_original["corrected_by"] == fixed["id"]
    assert (now_original["flag"]["level"], now_original["flag"]["no_valid_inr"]) == ("no_valid_inr", "superseded")
    assert now_original["message"].startswith("This entry was corrected by a later one")
    assert now_original["billing"]["reason"] == "superseded"
    assert now_original["alert"]["status"] == "resolved"
    closed = client.get("/alerts", query_string={"status": "resolved"}, headers=clinic.headers["physician"]).json
    [alert] = closed["items"]
    assert (alert["id"], alert["resolution"], alert["resolution_note"]) == (original["alert"]["id"], "corrected",
                                                                           "typed 1.2 for 1.8")
    listing = client.get(f"/patients/{clinic.patient_id}/results", headers=clinic.headers["patient"]).json["items"]
    assert {r["id"] for r in listing} == {original["id"], fixed["id"]}  # kept and shown


def test_a_correction_into_a_critical_value_opens_its_own_alert(client, clinic):
    original = post_result(client, clinic, value=2.4).json
    fixed = correct(client, clinic, original["id"], value=5.4, reason="the meter said 5.4").json
    assert fixed["alert"]["severity"] == "critical" and fixed["next_test_reason"] == "critical_recheck"
    assert fixed["next_test_due"] == "2026-11-26"


def test_a_patient_or_caregiver_corrects_their_own_entry_within_24_hours_only(app, client, clinic):
    mine = post_result(client, clinic, client_id="mine", value=3.4).json
    theirs = post_result(client, clinic, client_id="theirs", who="caregiver", value=2.6).json
    phoned = post_result(client, clinic, client_id="phoned", who="physician", value=2.7).json

    refused = correct(client, clinic, theirs["id"], who="patient", value=2.5)
    assert refused.status_code == 403 and "only an entry they made themselves" in refused.json["detail"]
    assert correct(client, clinic, phoned["id"], who="caregiver", value=2.5).status_code == 403
    assert correct(client, clinic, mine["id"], who="caregiver", value=2.5).status_code == 403

    factories.set_now(app, NOW + timedelta(hours=24))  # exactly 24 hours after it was received: still in time
    ok = correct(client, clinic, mine["id"], who="patient", value=3.1, reason="misread the screen")
    assert ok.status_code == 201 and ok.json["entered_by"]["id"] == clinic.id("patient")

    factories.set_now(app, NOW + timedelta(hours=24, seconds=1))
    late = correct(client, clinic, theirs["id"], who="caregiver", value=2.5)
    assert late.status_code == 403 and "within 24 hours" in late.json["detail"]
    factories.reconfigure(app, self_correction_window=timedelta(hours=48))
    assert correct(client, clinic, theirs["id"], who="caregiver", value=2.5).status_code == 201
    assert correct(client, clinic, phoned["id"], who="admin", value=2.5).status_code == 201  # staff: any time


def test_who_may_not_reach_the_result_gets_404_and_roles_that_never_correct_403(client, clinic):
    original = post_result(client, clinic, value=2.4).json
    assert correct(client, clinic, original["id"], who="other_physician").status_code == 404
    assert correct(client, clinic, original["id"], who="former_caregiver").status_code == 404
    assert correct(client, clinic, original["id"], who="trainer").status_code == 403
    assert correct(client, clinic, original["id"], who="biller").status_code == 403
    other = correct(client, clinic, original["id"], who="physician", patient_id=clinic.other_patient_id)
    assert other.status_code == 404


def test_a_reason_is_required_a_result_is_corrected_once_and_a_retry_replays(app, client, clinic):
    original = post_result(client, clinic, value=2.4).json
    no_reason = client.post(f"/patients/{clinic.patient_id}/results/{original['id']}/corrections",
                            json=result_body(client_id="x", value=2.5), headers=clinic.headers["physician"])
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    first = correct(client, clinic, original["id"], client_id="fix-1", value=2.5)
    again = correct(client, clinic, original["id"], client_id="fix-1", value=2.5)
    assert (first.status_code, again.status_code, again.json["id"]) == (201, 200, first.json["id"])
    assert correct(client, clinic, original["id"], client_id="fix-1", value=2.6).status_code == 409
    twice = correct(client, clinic, original["id"], client_id="fix-2", value=2.6)
    assert twice.status_code == 409 and first.json["id"] in twice.json["detail"]
    # The correction itself may be corrected: a chain, each replacing the one before.
    chained = correct(client, clinic, first.json["id"], client_id="fix-3", value=2.6)
    assert chained.status_code == 201 and chained.json["corrects"] == first.json["id"]
    assert count_rows(app, InrResult) == 3


def test_fhir_marks_the_original_entered_in_error_and_the_correction_final_and_linked(client, clinic):
    original = post_result(client, clinic, value=6.0).json
    fixed = correct(client, clinic, original["id"], value=2.6).json
    bundle = client.get(f"/patients/{clinic.patient_id}/results/fhir", headers=clinic.headers["physician"]).json
    by_id = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    assert by_id[original["id"]]["status"] == "entered-in-error"
    assert by_id[fixed["id"]]["status"] == "final"
    assert by_id[fixed["id"]]["derivedFrom"][0]["reference"] == f"Observation/{original['id']}"


def test_the_original_leaves_ttr_and_the_summary(client, clinic):
    post_result(client, clinic, client_id="a", value=2.5, measured_at="2026-11-13T09:00:00-05:00")
    wrong = post_result(client, clinic, client_id="b", value=6.5, measured_at="2026-11-23T09:00:00-05:00").json
    before = client.get(f"/patients/{clinic.patient_id}/summary", headers=clinic.headers["physician"]).json
    assert before["ttr"]["percent"] < 100
    correct(client, clinic, wrong["id"], value=2.5, measured_at="2026-11-23T09:00:00-05:00")
    after = client.get(f"/patients/{clinic.patient_id}/summary", headers=clinic.headers["physician"]).json
    assert after["ttr"]["percent"] == 100.0 and after["open_alerts"] == 0


def test_a_correction_in_the_same_week_counts_once_in_the_originals_place(app, client, clinic):
    clear_clinic_patient(app, clinic, date(2026, 1, 1))
    original = post_result(client, clinic, value=3.4).json
    assert original["billing"]["counts"] is True
    fixed = correct(client, clinic, original["id"], value=2.4).json
    assert fixed["billing"] == {"counts": True, "reason": None, "week": "2026-11-22"}
    assert get_result(client, clinic, original["id"])["billing"]["reason"] == "superseded"


# --- a billed week: void and rebill -------------------------------------------------------------------------------


def four_weeks(app, client, clinic) -> list[dict]:
    clear_clinic_patient(app, clinic, date(2026, 10, 1))
    return [post_result(client, clinic, client_id=f"w{i}", value=2.5,
                        measured_at=f"2026-10-{5 + 7 * i:02d}T09:00:00-04:00").json for i in range(4)]


def generate(app, now):
    with app.app_context():
        return claim_generation.generate_claims(db.session(), now)


def supply_lines(app):
    with app.app_context():
        session = db.session()
        lines = list(session.scalars(select(ClaimLine).where(ClaimLine.code == "G0249").order_by(ClaimLine.id)))
        voids = {e.claim_line_id: e for e in session.scalars(select(ClaimLineEvent).where(
            ClaimLineEvent.kind == "void"))}
        return [(line.claim_key, tuple(line.result_ids), line.id in voids,
                 voids[line.id].rebill if line.id in voids else None) for line in lines]


def test_correcting_a_billed_result_voids_its_line_and_the_week_is_billed_again_once(app, client, clinic):
    results = four_weeks(app, client, clinic)
    ids = [r["id"] for r in results]
    assert generate(app, NOW)["created"] == 1
    [(key, billed, _, _)] = supply_lines(app)
    assert billed == tuple(ids)

    fixed = correct(client, clinic, ids[1], value=2.7, measured_at="2026-10-12T09:00:00-04:00").json
    assert supply_lines(app)[0][2:] == (True, True)  # voided for rebilling, in the correction's transaction
    assert generate(app, NOW + timedelta(days=1))["created"] == 1
    lines = supply_lines(app)
    standing = [line for line in lines if not line[2]]
    assert len(standing) == 1 and standing[0][0] == f"{key}:v2"
    assert standing[0][1] == (ids[0], fixed["id"], ids[2], ids[3])  # the correction in the original's place
    assert generate(app, NOW + timedelta(days=2))["created"] == 0  # never twice


def test_correcting_a_billed_result_into_no_valid_inr_releases_the_set_and_bills_what_still_counts(app, client,
                                                                                                  clinic):
    ids = [r["id"] for r in four_weeks(app, client, clinic)]
    generate(app, NOW)
    correct(client, clinic, ids[1], value=2.5, qc_passed=False, measured_at="2026-10-12T09:00:00-04:00",
            reason="the strip had failed its check")
    assert generate(app, NOW + timedelta(days=1))["created"] == 0  # three tests still count: wait for a fourth
    assert [line for line in supply_lines(app) if not line[2]] == []
    post_result(client, clinic, client_id="w4", value=2.5, measured_at="2026-11-02T09:00:00-05:00")
    assert generate(app, NOW + timedelta(days=2))["created"] == 1
    [standing] = [line for line in supply_lines(app) if not line[2]]
    assert standing[1] == (ids[0], ids[2], ids[3], standing[1][3]) and len(set(standing[1])) == 4
    with app.app_context():
        assert db.session().scalar(select(Alert).where(Alert.kind == "result")) is None
