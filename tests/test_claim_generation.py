"""Claim generation against the database: a year of a patient's results becomes exactly the lines domain.md calls for."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from models import AuditEvent, ClaimGenerationRun, ClaimLine
from service import billing, care_episode, claim_generation, db
from tests import factories
from tests.conftest import NOW

NEW_YORK = ZoneInfo("America/New_York")
W1 = date(2026, 1, 4)  # the first Sunday of 2026


def week(k: int) -> date:
    return W1 + timedelta(weeks=k - 1)


def local(day: date, hour: int, minute: int = 0, tz=NEW_YORK) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def generate(app, now=NOW):
    with app.app_context():
        return claim_generation.generate_claims(db.session(), now)


def lines_of(app, patient) -> list[ClaimLine]:
    with app.app_context():
        return list(db.session().scalars(select(ClaimLine).where(ClaimLine.patient_id == patient.id)
                                         .options(selectinload(ClaimLine.events))
                                         .order_by(ClaimLine.code, ClaimLine.date_of_service, ClaimLine.id)))


def as_rows(lines, label_of) -> list[tuple]:
    return sorted((line.code, line.modifier or "", line.date_of_service, tuple(label_of[r] for r in line.result_ids))
                  for line in lines)


def build_year(app, clinic):
    """2026 for `clinic.patient` (New York, Medicare: G0249 after the 4th test, G0250 review).

    Weekly tests on Tuesdays 08:00, reviewed the next day; weeks 6, 7 and 20 missed; an extra test in week 3;
    a failed QC strip before the valid test of week 12; weeks 9 and 43 tested on the Saturday night before a
    DST change (23:30 local is already Sunday in UTC); week 27 tested on Saturday; a test before clearance;
    coverage ends Thursday 2026-11-12 (week 45) and a test after that day is never billed.
    """
    patient, physician = clinic.patient, clinic.users["physician"]
    factories.complete_practice(app)
    factories.clear_for_home_testing(app, patient, W1, physician, NOW)
    factories.make_order(app, patient, date(2025, 12, 15))
    factories.make_training_event(app, patient, date(2026, 1, 2))
    labels: dict[str, str] = {}

    def test(label, measured_at, **kwargs):
        result = factories.make_result(app, patient, measured_at, received_at=measured_at + timedelta(minutes=5),
                                       **kwargs)
        labels[str(result.public_id)] = label
        day = measured_at.astimezone(NEW_YORK).date()
        factories.make_review_event(app, patient, day + timedelta(days=1), [result])
        return result

    test("before-clearance", local(date(2025, 12, 30), 8))
    saturday_weeks = {9, 27, 43}
    for k in range(1, 47):
        if k in (6, 7, 20):
            continue
        if k == 12:
            test("w12-qc-failed", local(week(k) + timedelta(days=1), 8), qc_passed=False)
        if k in saturday_weeks:
            test(f"w{k}", local(week(k) + timedelta(days=6), 23, 30 if k != 27 else 0))
        else:
            test(f"w{k}", local(week(k) + timedelta(days=2), 8))
        if k == 3:
            test("w3-extra", local(week(k) + timedelta(days=4), 8))
    with app.app_context():
        session = db.session()
        care_episode.discharge_patient(session, session.merge(patient), physician, "left_coverage", date(2026, 11, 12),
                                       None, NOW)
    return labels


def group(*weeks):
    return tuple(f"w{k}" for k in weeks)


# (code, modifier, date of service, the results it stands on); "" is no modifier.
EXPECTED_YEAR = [
    ("93792", "", date(2026, 1, 2), ()),
    # G0249: date of the 4th test's report; at least 28 days apart (weeks 31, 35, 39 wait: Saturday before).
    ("G0249", "", date(2026, 1, 27), group(1, 2, 3, 4)),
    ("G0249", "", date(2026, 3, 10), group(5, 8, 9, 10)),
    ("G0249", "", date(2026, 4, 7), group(11, 12, 13, 14)),
    ("G0249", "", date(2026, 5, 5), group(15, 16, 17, 18)),
    ("G0249", "", date(2026, 6, 9), group(19, 21, 22, 23)),
    ("G0249", "", date(2026, 7, 11), group(24, 25, 26, 27)),
    ("G0249", "", date(2026, 8, 8), group(28, 29, 30, 31)),  # 4th reported Aug 4, waited 28 days from Jul 11
    ("G0249", "", date(2026, 9, 5), group(32, 33, 34, 35)),  # 4th Sep 1, waited
    ("G0249", "", date(2026, 10, 3), group(36, 37, 38, 39)),  # 4th Sep 29, waited
    ("G0249", "", date(2026, 10, 31), group(40, 41, 42, 43)),  # Saturday 23:30 EDT, the night DST ends
    # Coverage ended Nov 12 with 2 of 4 tests done: ten days after the G0249 of Oct 31, so held for the biller.
    ("G0249", "52", date(2026, 11, 10), group(44, 45)),
    # G0250: the day the 4th was interpreted (reviewed the day after each test), at least 28 days apart.
    ("G0250", "", date(2026, 1, 28), group(1, 2, 3, 4)),
    ("G0250", "", date(2026, 3, 11), group(5, 8, 9, 10)),
    ("G0250", "", date(2026, 4, 8), group(11, 12, 13, 14)),
    ("G0250", "", date(2026, 5, 6), group(15, 16, 17, 18)),
    ("G0250", "", date(2026, 6, 10), group(19, 21, 22, 23)),
    ("G0250", "", date(2026, 7, 12), group(24, 25, 26, 27)),
    ("G0250", "", date(2026, 8, 9), group(28, 29, 30, 31)),  # interpreted Aug 5, waited
    ("G0250", "", date(2026, 9, 6), group(32, 33, 34, 35)),
    ("G0250", "", date(2026, 10, 4), group(36, 37, 38, 39)),
    ("G0250", "", date(2026, 11, 1), group(40, 41, 42, 43)),
]


def test_a_year_of_weekly_results_produces_exactly_the_lines_the_rules_call_for(app, clinic):
    labels = build_year(app, clinic)
    summary = generate(app)
    lines = lines_of(app, clinic.patient)
    assert as_rows(lines, labels) == sorted(EXPECTED_YEAR)
    assert summary["created"] == len(EXPECTED_YEAR)
    partial = next(line for line in lines if line.modifier == "52")
    assert partial.tests_done == 2 and partial.rule == "G0249.partial_52"
    assert "left_coverage 2026-11-12" in partial.note
    # Issue 13, defect 5: the partial line within 28 days of the previous G0249 is held, visibly, with the reason.
    assert partial.status == "held"
    assert partial.held_reason == ("partial_within_28_days: dated 2026-11-10, within 28 days of G0249 of "
                                   "2026-10-31")
    assert [held["claim_key"] for held in summary["held"]] == [partial.claim_key]
    assert {line.diagnosis for line in lines} == {"I48.91"}
    assert {line.rendering_provider_npi for line in lines} == {"1234567893"}
    assert {(line.billing_provider_npi, line.billing_provider_name) for line in lines} == {(factories.GROUP_NPI, "Test Clinic")}
    assert {line.status for line in lines if line is not partial} == {"pending"}
    waited = next(line for line in lines if line.code == "G0249" and line.date_of_service == date(2026, 8, 8))
    assert "waited to 2026-08-08" in waited.note


def test_running_generation_twice_records_nothing_new(app, clinic):
    build_year(app, clinic)
    generate(app)
    before = [(line.claim_key, line.public_id) for line in lines_of(app, clinic.patient)]
    again = generate(app)
    assert again["created"] == 0
    assert [(line.claim_key, line.public_id) for line in lines_of(app, clinic.patient)] == before


def test_a_run_that_refreshes_the_planners_statistics_as_it_goes_bills_the_same(app, clinic, monkeypatch):
    # A backfill analyzes claim_lines each time it has doubled them; here after every batch that wrote a line.
    monkeypatch.setattr(claim_generation, "ANALYZE_AFTER", 1)
    labels = build_year(app, clinic)
    summary = generate(app)
    assert as_rows(lines_of(app, clinic.patient), labels) == sorted(EXPECTED_YEAR)
    assert summary["created"] == len(EXPECTED_YEAR) and generate(app)["created"] == 0


def test_generation_is_audited_as_the_system_per_patient(app, clinic):
    build_year(app, clinic)
    generate(app)
    with app.app_context():
        events = list(db.session().scalars(select(AuditEvent).where(AuditEvent.action == "claim.generate")))
    assert len(events) == 1
    assert events[0].actor_role == "system" and events[0].patient_id == clinic.patient.public_id
    assert len(events[0].detail["created"]) == len(EXPECTED_YEAR)


def test_lines_due_later_wait_and_appear_on_the_run_after_their_date(app, clinic):
    labels = build_year(app, clinic)
    generate(app, now=datetime(2026, 8, 6, 12, tzinfo=timezone.utc))  # Aug 4 test done, 28 days not yet over
    rows = as_rows(lines_of(app, clinic.patient), labels)
    assert ("G0249", "", date(2026, 7, 11), group(24, 25, 26, 27)) in rows
    assert not [row for row in rows if row[0] == "G0249" and row[2] > date(2026, 7, 11)]
    generate(app)
    assert as_rows(lines_of(app, clinic.patient), labels) == sorted(EXPECTED_YEAR)


def test_an_independent_testing_facility_never_bills_g0250(app, clinic):
    build_year(app, clinic)
    factories.complete_practice(app, name="Home INR Lab", bills_as_idtf=True)
    generate(app)
    codes = {line.code for line in lines_of(app, clinic.patient)}
    assert codes == {"93792", "G0249"}


def test_bcbs_florida_bills_g0249_on_the_issue_that_backs_it_and_g0250_for_review(app, clinic):
    physician = clinic.users["physician"]
    patient = factories.make_patient(app, clinic.users["admin"], physician, NOW, payer="bcbs-fl",
                                     full_name="Bea Blue", time_zone="America/Chicago")
    chicago = ZoneInfo("America/Chicago")
    factories.clear_for_home_testing(app, patient, date(2026, 9, 1), physician, NOW)
    with app.app_context():
        session = db.session()
        for issued in (date(2026, 9, 3), date(2026, 10, 5)):
            care_episode.record_supply_issue(session, session.merge(patient), physician, issued, 4, None, NOW)
    tuesdays = [date(2026, 9, 8) + timedelta(weeks=i) for i in range(11)]  # Sep 8 .. Nov 17
    results = [factories.make_result(app, patient, local(day, 7, tz=chicago)) for day in tuesdays]
    for day, result in zip(tuesdays, results, strict=True):
        factories.make_review_event(app, patient, day + timedelta(days=1), [result])

    generate(app)
    rows = sorted((line.code, line.date_of_service, line.rule) for line in lines_of(app, patient))
    assert rows == [("G0249", date(2026, 9, 3), "G0249.supply_issue"), ("G0249", date(2026, 10, 5), "G0249.supply_issue"),
                    ("G0250", date(2026, 9, 30), "G0250.per_4_tests"), ("G0250", date(2026, 10, 28), "G0250.per_4_tests")]


def management_patient(app, clinic, **fields):
    """A patient of a payer that pays review as 93793, cleared Sep 1, tested on Tuesdays from Sep 8."""
    physician = clinic.users["physician"]
    patient = factories.make_patient(app, clinic.users["admin"], physician, NOW, payer=factories.management_payer(app),
                                     full_name="Cora Commercial", **fields)
    factories.clear_for_home_testing(app, patient, date(2026, 9, 1), physician, NOW)
    return patient


def test_93793_is_billed_per_new_valid_inr_never_on_an_e_m_day_under_the_reviewer(app, clinic):
    patient, physician, covering = management_patient(app, clinic), clinic.users["physician"], clinic.users[
        "other_physician"]
    first = factories.make_result(app, patient, local(date(2026, 9, 8), 7))
    failed = factories.make_result(app, patient, local(date(2026, 9, 15), 7), qc_passed=False)
    third = factories.make_result(app, patient, local(date(2026, 9, 22), 7))
    fourth = factories.make_result(app, patient, local(date(2026, 9, 29), 7))
    factories.make_review_event(app, patient, date(2026, 9, 9), [first])
    factories.make_review_event(app, patient, date(2026, 9, 9), [first])  # a second review that day
    factories.make_review_event(app, patient, date(2026, 9, 11), [first])  # the same INR again: nothing new
    factories.make_review_event(app, patient, date(2026, 9, 16), [failed])  # a failed strip only
    factories.make_review_event(app, patient, date(2026, 9, 18), [])  # no INR named
    factories.make_review_event(app, patient, date(2026, 9, 23), [third])  # an office visit that day
    factories.make_review_event(app, patient, date(2026, 9, 30), [fourth], provider=covering)  # the covering doctor
    factories.record_em_visit(app, patient, physician, date(2026, 9, 23))

    summary = generate(app)
    lines = [line for line in lines_of(app, patient) if line.code == "93793"]
    assert [(line.date_of_service, len(line.result_ids), line.rendering_provider_npi) for line in lines] == [
        (date(2026, 9, 9), 1, factories.NPI), (date(2026, 9, 30), 1, factories.OTHER_NPI)]
    mine = {(s["key"].rsplit(":", 1)[1], s["reason"]) for s in summary["skipped"]
            if s["patient_id"] == str(patient.public_id)}
    assert mine == {("2026-09-11", "inr_already_managed"), ("2026-09-16", "no_valid_inr_reviewed"),
                    ("2026-09-18", "no_inr_reviewed"), ("2026-09-23", "office_em_visit_same_day")}


def test_the_physicians_work_is_dated_by_the_practices_local_date(app, clinic):
    # The practice is in New York, the patient in Los Angeles: a review at 00:30 in New York on Sep 10 is still
    # Sep 9 for the patient; the 93793 is dated Sep 10, the practice's day.
    patient = management_patient(app, clinic, time_zone="America/Los_Angeles")
    factories.complete_practice(app, time_zone="America/New_York")
    result = factories.make_result(app, patient, datetime(2026, 9, 8, 15, tzinfo=timezone.utc))
    factories.make_review_event(app, patient, date(2026, 9, 9), [result],
                                occurred_at=datetime(2026, 9, 10, 4, 30, tzinfo=timezone.utc))
    generate(app)
    assert [line.date_of_service for line in lines_of(app, patient) if line.code == "93793"] == [date(2026, 9, 10)]


def test_93792_waits_for_an_order_dated_by_the_training(app, clinic):
    patient = clinic.patient
    factories.make_training_event(app, patient, date(2026, 11, 2))
    summary = generate(app)
    assert [line.code for line in lines_of(app, patient)] == []
    assert {"patient_id": str(patient.public_id), "key": f"training:{patient.public_id}",
            "reason": "no_order_by_training"} in summary["skipped"]
    factories.make_order(app, patient, date(2026, 11, 1), physician=clinic.users["other_physician"])
    generate(app)
    [line] = lines_of(app, patient)
    assert (line.code, line.rendering_provider_npi) == ("93792", factories.OTHER_NPI)


def test_a_generation_run_is_recorded_with_what_it_created_skipped_and_held(app, clinic):
    build_year(app, clinic)
    summary = generate(app)
    with app.app_context():
        run = db.session().scalar(select(ClaimGenerationRun))
    assert str(run.public_id) == summary["run_id"]
    assert (run.trigger, run.actor_id, run.created, len(run.created_lines)) == ("job", None, len(EXPECTED_YEAR),
                                                                              len(EXPECTED_YEAR))
    assert [held["code"] for held in run.held] == ["G0249"]
    assert run.held[0]["reason"].startswith("partial_within_28_days")


def test_each_run_record_lists_exactly_the_lines_that_run_recorded_in_the_order_it_recorded_them(app, clinic):
    # The lines carry their run's id and the run record's list is gathered from them when the run ends.
    build_year(app, clinic)
    generate(app, datetime(2026, 6, 1, 12, tzinfo=timezone.utc))
    generate(app)
    generate(app)  # nothing new
    with app.app_context():
        session = db.session()
        runs = list(session.scalars(select(ClaimGenerationRun).order_by(ClaimGenerationRun.id)))
        lines = list(session.scalars(select(ClaimLine).order_by(ClaimLine.id)))
        by_run = {run.public_id: [str(line.public_id) for line in lines if line.generation_run_id == run.public_id]
                  for run in runs}
    assert [len(run.created_lines) for run in runs] == [run.created for run in runs]
    assert runs[0].created > 0 and runs[1].created > 0 and runs[2].created_lines == []
    assert [run.created_lines for run in runs] == [by_run[run.public_id] for run in runs]
    assert sum(run.created for run in runs) == len(lines)


def test_extra_tests_and_failed_strips_are_kept_but_never_billed(app, clinic):
    labels = build_year(app, clinic)
    generate(app)
    billed = {labels[r] for line in lines_of(app, clinic.patient) for r in line.result_ids}
    assert {"w3-extra", "w12-qc-failed", "before-clearance", "w46"}.isdisjoint(billed)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(ClaimLine)) == len(EXPECTED_YEAR)


def test_a_voided_line_with_rebill_is_replaced_by_a_new_version_pointing_at_it(app, clinic):
    build_year(app, clinic)
    generate(app)
    first = next(line for line in lines_of(app, clinic.patient) if line.code == "G0249" and line.modifier is None)
    with app.app_context():
        billing.void_claim(db.session(), clinic.users["biller"], db.session().merge(first), "wrong diagnosis", True, NOW)
    assert generate(app)["created"] == 1
    versions = [line for line in lines_of(app, clinic.patient) if line.base_key == first.base_key]
    assert [(v.claim_key, v.version, v.status) for v in versions] == [
        (first.claim_key, 1, "void"), (f"{first.claim_key}:v2", 2, "pending")]
    assert versions[1].corrects_id == first.id and versions[1].result_ids == first.result_ids
    assert generate(app)["created"] == 0


def test_a_voided_line_without_rebill_is_not_billed_again(app, clinic):
    build_year(app, clinic)
    generate(app)
    training = next(line for line in lines_of(app, clinic.patient) if line.code == "93792")
    with app.app_context():
        billing.void_claim(db.session(), clinic.users["biller"], db.session().merge(training), "denied: billed elsewhere",
                           False, NOW)
    assert generate(app)["created"] == 0


def test_claim_lines_and_their_status_events_refuse_update_and_delete_in_the_database(app, clinic):
    line = factories.make_claim_line(app, clinic.patient, NOW)
    with app.app_context():
        billing.void_claim(db.session(), clinic.users["biller"], db.session().merge(line), "test", True, NOW)
    for statement in ("UPDATE claim_lines SET units = 2", "DELETE FROM claim_lines",
                      "UPDATE claim_line_events SET reason = 'x'", "DELETE FROM claim_line_events"):
        with app.app_context():
            session = db.session()
            with pytest.raises(DBAPIError):
                session.execute(text(statement))
            session.rollback()


def test_a_patient_whose_payer_rules_are_broken_does_not_stop_the_others(app, clinic, monkeypatch):
    real = claim_generation.payer_rules
    # A payer row set up with a trigger the rules do not know, for the other patient's payer only.
    monkeypatch.setattr(claim_generation, "payer_rules",
                        lambda payer: replace(real(payer), supply_trigger="on_tuesdays")
                        if payer.code == "bcbs-fl" else real(payer))
    broken = factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], NOW, payer="bcbs-fl")
    factories.make_order(app, clinic.patient, date(2026, 11, 1))
    factories.make_training_event(app, clinic.patient, date(2026, 11, 2))
    summary = generate(app)
    assert summary["created"] == 1
    assert summary["errors"] == [{"patient_id": str(broken.public_id), "error": "unknown supply_trigger 'on_tuesdays'"}]
