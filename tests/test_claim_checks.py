"""Claim generation checks only the patients it has to: those whose record changed, or whose waiting line is due.

The promise behind it: with checks, every run records exactly what a run checking everyone would record.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import ClaimCheck, ClaimLine
from service import billing, care_episode, claim_generation, db, patients
from tests import factories
from tests.test_claim_generation import EXPECTED_YEAR, as_rows, build_year, lines_of, local

NEW_YORK = ZoneInfo("America/New_York")
START = datetime(2026, 11, 1, 17, tzinfo=timezone.utc)  # the first run; each later run is a day later
TUESDAYS = [date(2026, 9, 8) + timedelta(weeks=i) for i in range(7)]  # Sep 8 .. Oct 20


def generate(app, now, **kwargs) -> dict:
    with app.app_context():
        return claim_generation.generate_claims(db.session(), now, **kwargs)


def check_of(app, patient) -> ClaimCheck | None:
    with app.app_context():
        return db.session().get(ClaimCheck, patient.id)


def seven_weeks(app, clinic):
    """Cleared Sep 1, trained, tested each Tuesday Sep 8 .. Oct 20 and reviewed the next day.

    Billed by Nov 1: 93792, G0249 and G0250 for the first four tests; the last three wait for a fourth.
    """
    patient, physician = clinic.patient, clinic.users["physician"]
    factories.clear_for_home_testing(app, patient, date(2026, 9, 1), physician, START)
    factories.make_order(app, patient, date(2026, 8, 20))
    factories.make_training_event(app, patient, date(2026, 9, 2))
    results = []
    for day in TUESDAYS:
        result = factories.make_result(app, patient, local(day, 8), received_at=local(day, 8, 5))
        factories.make_review_event(app, patient, day + timedelta(days=1), [result])
        results.append(result)
    return results


def first_line(app, patient, code: str) -> ClaimLine:
    return next(line for line in lines_of(app, patient) if line.code == code)


def test_a_run_with_nothing_new_checks_no_one_and_records_nothing(app, clinic):
    seven_weeks(app, clinic)
    first = generate(app, START)
    # Three patients on the server: the clinic's two and the second practice's one.
    assert first["patients"] == 3 and first["unchanged"] == 0 and first["created"] == 3
    check = check_of(app, clinic.patient)
    assert (check.results, check.billable_events, check.claim_lines, check.clearance_decisions) == (7, 8, 3, 1)
    assert check.next_due_on is None  # three tests wait for a fourth test, not for a day

    second = generate(app, START + timedelta(days=1))
    assert (second["patients"], second["unchanged"], second["created"]) == (0, 3, 0)
    # A run checking everyone agrees that nothing was missed.
    again = generate(app, START + timedelta(days=1), recheck_all=True)
    assert again | {"patients": 0, "run_id": ""} == second | {"unchanged": 0, "run_id": ""}


def _late_result(app, clinic, now):
    factories.make_result(app, clinic.patient, local(date(2026, 10, 27), 8), received_at=now)


def _review(app, clinic, now):
    results = lines_of(app, clinic.patient)[0].result_ids
    factories.make_billable_event(app, clinic.patient, kind="result_review", code="93793",
                                  service_date=date(2026, 11, 1), event_key="review:again", result_ids=results)


def _void(rebill: bool):
    def void(app, clinic, now):
        with app.app_context():
            billing.void_claim(db.session(), clinic.users["biller"], db.session().merge(first_line(app, clinic.patient, "G0249")),
                               "wrong units", rebill, now)
    return void


def _supply_issue(app, clinic, now):
    with app.app_context():
        session = db.session()
        care_episode.record_supply_issue(session, session.merge(clinic.patient), clinic.users["physician"],
                                         date(2026, 10, 30), 4, None, now)


def _em_visit(app, clinic, now):
    factories.record_em_visit(app, clinic.patient, clinic.users["physician"], date(2026, 10, 29))


def _order(app, clinic, now):
    factories.make_order(app, clinic.patient, date(2026, 10, 30))


def _resume(app, clinic, now):
    _discharge(app, clinic, now)
    generate(app, now)
    with app.app_context():
        session = db.session()
        care_episode.record_care_event(session, session.merge(clinic.patient), clinic.users["physician"], "resume",
                                       date(2026, 11, 2), None, None, now)


def _discharge(app, clinic, now):
    with app.app_context():
        session = db.session()
        care_episode.discharge_patient(session, session.merge(clinic.patient), clinic.users["physician"], "died",
                                       date(2026, 11, 1), None, now)


def _revoked(app, clinic, now):
    factories.clear_for_home_testing(app, clinic.patient, date(2026, 10, 1), clinic.users["physician"], now,
                                     status="revoked")


def _patient_change(**changes):
    def change(app, clinic, now):
        factories.management_payer(app)
        with app.app_context():
            session = db.session()
            patients.update_patient(session, session.merge(clinic.patient), clinic.users["admin"], dict(changes), now)
    return change


@pytest.mark.parametrize(
    ("change", "created"),
    [
        pytest.param(_late_result, 1, id="a_result_uploaded_late_completes_a_set"),  # G0249; G0250 awaits review
        pytest.param(_review, 0, id="another_review"),
        pytest.param(_void(True), 1, id="a_void_for_correction"),
        pytest.param(_void(False), 0, id="a_void_for_good"),
        pytest.param(_supply_issue, 0, id="a_supply_issue"),
        pytest.param(_em_visit, 0, id="an_e_m_visit"),
        pytest.param(_order, 0, id="a_home_testing_order"),
        pytest.param(_resume, 0, id="care_resumed"),
        pytest.param(_discharge, 1, id="an_end_of_care_bills_the_partial_set"),
        pytest.param(_revoked, 0, id="a_clearance_decision"),
        pytest.param(_patient_change(payer=factories.MANAGEMENT_PAYER), 7, id="a_new_payer_with_other_codes"),  # 93793 per review day
        pytest.param(_patient_change(time_zone="America/Los_Angeles"), 0, id="a_new_time_zone"),
    ],
)
def test_whatever_changes_a_patients_billing_record_gets_them_checked_on_the_next_run(app, clinic, change, created):
    seven_weeks(app, clinic)
    generate(app, START)
    assert generate(app, START + timedelta(days=1))["patients"] == 0

    now = START + timedelta(days=2)
    change(app, clinic, now)
    outcome = generate(app, now)
    assert outcome["patients"] == 1 and check_of(app, clinic.patient).checked_at == now
    assert outcome["created"] == created
    assert generate(app, now, recheck_all=True)["created"] == 0  # the checked run missed nothing


def test_the_late_result_is_billed_once_28_days_have_passed(app, clinic):
    # Setting the scene for the parametrized case above: the 8th test completes the second set, due Oct 27.
    seven_weeks(app, clinic)
    generate(app, START)
    _late_result(app, clinic, START + timedelta(days=2))
    generate(app, START + timedelta(days=2))
    supplies = [line for line in lines_of(app, clinic.patient) if line.code == "G0249"]
    assert [line.date_of_service for line in supplies] == [date(2026, 9, 29), date(2026, 11, 3)]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"bills_as_idtf": True}, id="the_practice_bills_as_an_idtf"),
        pytest.param({"time_zone": "America/Chicago"}, id="the_practice_moves_its_calendar"),
    ],
)
def test_new_practice_terms_get_everyone_checked(app, clinic, changes):
    seven_weeks(app, clinic)
    generate(app, START)
    factories.complete_practice(app, **changes)
    assert generate(app, START + timedelta(days=1))["patients"] == 2


def test_a_new_rules_version_gets_everyone_checked(app, clinic, monkeypatch):
    seven_weeks(app, clinic)
    generate(app, START)
    monkeypatch.setattr(claim_generation, "RULES_VERSION", claim_generation.RULES_VERSION + 1)
    assert generate(app, START + timedelta(days=1))["patients"] == 3


def test_changes_that_do_not_touch_billing_leave_the_patient_alone(app, clinic):
    seven_weeks(app, clinic)
    generate(app, START)
    now = START + timedelta(days=1)
    _patient_change(full_name="Pat Renamed")(app, clinic, now)
    with app.app_context():
        session = db.session()
        patients.set_target_range(session, session.merge(clinic.patient), session.merge(clinic.users["physician"]),
                                  Decimal("2.5"), Decimal("3.5"), "mitral valve", now)
    factories.make_result(app, clinic.other_patient, local(date(2026, 11, 2), 8))
    outcome = generate(app, now)
    assert outcome["patients"] == 1  # the other patient, whose results changed
    assert check_of(app, clinic.patient).checked_at == START
    assert check_of(app, clinic.other_patient).checked_at == now


def test_a_patient_whose_rules_fail_is_checked_and_reported_on_every_run(app, clinic, monkeypatch):
    real = claim_generation.payer_rules
    monkeypatch.setattr(claim_generation, "payer_rules",
                        lambda payer: (_ for _ in ()).throw(ValueError("broken payer"))
                        if payer.code == "bcbs-fl" else real(payer))
    broken = factories.make_patient(app, clinic.users["admin"], clinic.users["physician"], START, payer="bcbs-fl")
    for day in range(3):
        outcome = generate(app, START + timedelta(days=day))
        assert outcome["errors"] == [{"patient_id": str(broken.public_id), "error": "broken payer"}]
    assert check_of(app, broken) is None


def test_run_daily_every_waiting_line_is_recorded_on_the_day_it_falls_due(app, clinic):
    """A year recorded up front (tests, reviews, an end of care dated ahead), then a run every day at 12:00 UTC.

    Lines dated before the first run are the backfill; every later one must appear on its own date, found
    through the day the check noted, never late, and the patient is not checked on most days.
    """
    labels = build_year(app, clinic)
    first_day = date(2026, 7, 1)
    days = [first_day + timedelta(days=i) for i in range((date(2026, 11, 23) - first_day).days + 1)]
    checked_days = 0
    for day in days:
        outcome = generate(app, datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc),
                           patient_ids=[clinic.patient.id])
        checked_days += outcome["patients"]
    lines = lines_of(app, clinic.patient)
    assert as_rows(lines, labels) == sorted(EXPECTED_YEAR)
    for line in lines:
        due = max(line.date_of_service, first_day)
        if line.modifier == "52":
            due = date(2026, 11, 12)  # produced once care has ended, dated the last report before it
        assert line.created_at.astimezone(NEW_YORK).date() == due, line.claim_key
    assert checked_days < len(days) / 2


def test_the_check_is_only_working_state_emptying_it_rechecks_everyone_and_bills_nothing_twice(app, clinic):
    seven_weeks(app, clinic)
    generate(app, START)
    with app.app_context():
        session = db.session()
        session.execute(ClaimCheck.__table__.delete())
        session.commit()
    again = generate(app, START + timedelta(days=1))
    assert (again["patients"], again["created"]) == (3, 0)
    with app.app_context():
        assert len(list(db.session().scalars(select(ClaimCheck)))) == 3
