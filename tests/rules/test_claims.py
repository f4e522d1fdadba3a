from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest

from service.rules.claims import (
    SKIP_IMPORTED_INR,
    SKIP_NO_INR,
    SKIP_OFFICE_VISIT,
    ClaimDraft,
    CountedTest,
    DueLines,
    HomeTestingOrder,
    InterpretedTest,
    ManagementClaims,
    ReviewEvent,
    Skipped,
    management_claims,
    partial_supply_claim,
    review_claims_due,
    supply_claims_due,
    supply_units,
    training_claim,
)
from service.rules.code_reference import CODE_REFERENCE
from service.rules.codes import RETIRED_CODES
from service.rules.payer import MEDICARE, PayerRules

SUPPLY_ISSUE_PAYER = PayerRules(code="carrier_b", supply_trigger="supply_issue")
MGMT_PAYER = PayerRules(code="commercial", review_code="93793", training_code="G0248")
PATIENT = "p1"
FAR_FUTURE = date(2030, 1, 1)
ORDERS = (HomeTestingOrder(date(2025, 12, 1), physician_id=7),)
D = date


def weekly_tests(first: date, weeks: int, *, skip=(), report_delay=0, prefix="t"):
    """One counted test a week from `first`, leaving out week numbers in `skip`."""
    return [
        CountedTest(f"{prefix}{i:02d}", first + timedelta(weeks=i), first + timedelta(weeks=i, days=report_delay))
        for i in range(weeks)
        if i not in skip
    ]


def supply(counted, *, billed=frozenset(), last=None, payer=MEDICARE, today=FAR_FUTURE, issued=()):
    """`issued`: supply issue days, four tests (one unit) each."""
    return list(supply_claims_due(
        counted, billed, last, payer, today=today, patient_id=PATIENT,
        supply_units_left=supply_units([(day, 4) for day in issued])
    ).drafts)


# --- G0249 ----------------------------------------------------------------------------------------------------


def test_a_year_of_weekly_tests_with_missed_weeks_bills_one_g0249_per_four_tests_28_days_apart():
    counted = weekly_tests(D(2026, 1, 5), 52, skip={9, 10, 30})  # 49 counted tests
    lines = supply(counted)

    assert len(lines) == 12  # 48 tests billed; the 49th waits for three more
    fourth_tests = counted[3::4][:12]
    assert [line.date_of_service for line in lines] == [t.reported_on for t in fourth_tests]
    assert all(b.date_of_service - a.date_of_service >= timedelta(days=28) for a, b in pairwise(lines))
    assert [line.result_ids for line in lines] == [tuple(t.result_id for t in counted[i : i + 4]) for i in range(0, 48, 4)]
    assert {(line.code, line.modifier, line.units, line.tests_done, line.rule) for line in lines} == {
        ("G0249", None, 1, 4, "G0249.per_4_tests")
    }
    assert len({line.key for line in lines}) == 12
    assert lines[0].key == "G0249:p1:t00"


def test_rerunning_with_what_was_billed_produces_nothing_new():
    counted = weekly_tests(D(2026, 1, 5), 52, skip={9, 10, 30})
    first_run = supply(counted)
    billed = {rid for line in first_run for rid in line.result_ids}
    assert supply(counted, billed=billed, last=first_run[-1].date_of_service) == []
    # The same run repeated gives the same keys, so a unique key in storage stops any double line.
    assert [line.key for line in supply(counted)] == [line.key for line in first_run]


def test_runs_spread_over_the_year_give_the_same_lines_as_one_run_at_the_end():
    counted = weekly_tests(D(2026, 1, 5), 52, skip={9, 10, 30})
    billed: set[str] = set()
    last = None
    produced: list[ClaimDraft] = []
    for day in (D(2026, 1, 5) + timedelta(days=n) for n in range(0, 400, 3)):
        known = [t for t in counted if t.reported_on <= day]
        for line in supply(known, billed=billed, last=last, today=day):
            produced.append(line)
            billed.update(line.result_ids)
            last = line.date_of_service
    assert produced == supply(counted)


def test_fewer_than_four_unbilled_tests_bill_nothing_yet():
    assert supply(weekly_tests(D(2026, 1, 5), 3)) == []


def test_set_is_complete_when_its_last_member_is_reported_even_an_earlier_test_reported_late():
    counted = weekly_tests(D(2026, 1, 5), 4)
    counted[1] = replace(counted[1], reported_on=D(2026, 2, 10))  # phoned in three weeks late
    (line,) = supply(counted)
    assert line.date_of_service == D(2026, 2, 10)


@pytest.mark.parametrize(
    ("today", "expected_dates"),
    [
        pytest.param(D(2026, 2, 26), [], id="before_previous_plus_28_nothing_is_produced"),
        pytest.param(D(2026, 3, 1), [D(2026, 3, 1)], id="on_previous_plus_28_the_waiting_line_is_produced"),
        pytest.param(D(2026, 4, 30), [D(2026, 3, 1), D(2026, 3, 29)], id="the_set_behind_waits_behind_it"),
    ],
)
def test_a_g0249_due_within_28_days_of_the_previous_waits_and_is_not_dropped(today, expected_dates):
    # Previous G0249 on 1 Feb; the next four tests are complete on 16 Feb, too early, and the four after
    # them on 16 Mar, too early after the pushed 1 Mar line.
    counted = weekly_tests(D(2026, 1, 26), 8)
    lines = supply(counted, last=D(2026, 2, 1), today=today)
    assert [line.date_of_service for line in lines] == expected_dates
    if lines:
        assert "waited to 2026-03-01" in lines[0].note
        assert lines[0].result_ids == ("t00", "t01", "t02", "t03")


@pytest.mark.parametrize(
    ("today", "waits_until"),
    [
        pytest.param(D(2026, 2, 26), D(2026, 3, 1), id="the_first_waiting_set_names_its_day"),
        pytest.param(D(2026, 3, 1), D(2026, 3, 29), id="once_produced_the_set_behind_it_is_next"),
        pytest.param(D(2026, 4, 30), None, id="nothing_waits_once_both_are_produced"),
    ],
)
def test_supply_lines_say_when_the_first_waiting_set_becomes_due(today, waits_until):
    counted = weekly_tests(D(2026, 1, 26), 8)
    due = supply_claims_due(counted, frozenset(), D(2026, 2, 1), MEDICARE, today=today, patient_id=PATIENT)
    assert due.waits_until == waits_until
    # The promise generation relies on: on that day, the same inputs produce one more line.
    if waits_until is not None:
        later = supply_claims_due(counted, frozenset(), D(2026, 2, 1), MEDICARE, today=waits_until, patient_id=PATIENT)
        assert len(later.drafts) == len(due.drafts) + 1
        assert later.drafts[-1].date_of_service == waits_until


def test_a_trailing_set_of_fewer_than_four_is_not_waiting_on_a_date():
    # Three tests wait for a fourth test, not for a day: no date would make them due.
    due = supply_claims_due(weekly_tests(D(2026, 1, 5), 7), frozenset(), None, MEDICARE, today=FAR_FUTURE,
                            patient_id=PATIENT)
    assert len(due.drafts) == 1 and due.waits_until is None


def test_a_set_reported_after_today_waits_until_its_report_day():
    due = supply_claims_due(weekly_tests(D(2026, 1, 5), 4), frozenset(), None, MEDICARE, today=D(2026, 1, 25),
                            patient_id=PATIENT)
    assert due == DueLines((), waits_until=D(2026, 1, 26))


def test_g0250_says_when_its_waiting_set_becomes_due():
    tests = interpreted_weekly(D(2026, 1, 5), 4)
    due = review_claims_due(tests, frozenset(), D(2026, 1, 10), MEDICARE, billing_entity_is_idtf=False,
                            today=D(2026, 2, 6), patient_id=PATIENT)
    assert due == DueLines((), waits_until=D(2026, 2, 7))


def test_a_line_reported_after_today_is_not_produced():
    counted = weekly_tests(D(2026, 1, 5), 4)
    assert supply(counted, today=D(2026, 1, 25)) == []
    assert [line.date_of_service for line in supply(counted, today=D(2026, 1, 26))] == [D(2026, 1, 26)]


def test_late_report_of_one_set_pushes_the_next_set_to_28_days_after_it():
    counted = weekly_tests(D(2026, 1, 5), 8)
    counted[3] = replace(counted[3], reported_on=D(2026, 2, 9))  # 4th of set 1 reported 2 weeks late
    lines = supply(counted)
    assert [line.date_of_service for line in lines] == [D(2026, 2, 9), D(2026, 3, 9)]  # not 23 Feb


@pytest.mark.parametrize(
    ("issued", "last", "expected_date", "note_part"),
    [
        pytest.param([D(2026, 1, 2), D(2026, 2, 1)], None, D(2026, 1, 2), "supplies issued 2026-01-02",
                     id="oldest_issue_on_or_before_the_fourth_report"),
        pytest.param([D(2026, 1, 26)], None, D(2026, 1, 26), "supplies issued 2026-01-26",
                     id="issue_on_the_fourth_report_day_is_used"),
        pytest.param([D(2026, 2, 1)], None, D(2026, 1, 26), "no supply issue left",
                     id="no_issue_by_then_falls_back_to_the_fourth_report"),
        pytest.param([D(2026, 1, 2)], D(2025, 12, 20), D(2026, 1, 26), "waited to 2026-01-26",
                     id="issue_date_moved_by_28_days_goes_no_earlier_than_the_fourth_report"),
    ],
)
def test_supply_issue_payer_dates_g0249_on_the_issue_of_the_supplies(issued, last, expected_date, note_part):
    (line,) = supply(weekly_tests(D(2026, 1, 5), 4), payer=SUPPLY_ISSUE_PAYER, issued=issued, last=last)
    assert line.date_of_service == expected_date
    assert note_part in line.note


def test_fourth_test_payer_ignores_supply_issue_dates():
    (line,) = supply(weekly_tests(D(2026, 1, 5), 4), issued=[D(2026, 1, 2)])
    assert line.date_of_service == D(2026, 1, 26)


def test_unknown_supply_trigger_is_refused():
    with pytest.raises(ValueError, match="supply_trigger"):
        supply(weekly_tests(D(2026, 1, 5), 4), payer=PayerRules(supply_trigger="monthly"))


# --- G0250 ----------------------------------------------------------------------------------------------------


def interpreted_weekly(first: date, weeks: int, delay_days=1):
    return [
        InterpretedTest(f"t{i:02d}", first + timedelta(weeks=i), first + timedelta(weeks=i, days=delay_days))
        for i in range(weeks)
    ]


def review(tests, *, payer=MEDICARE, idtf=False, billed=frozenset(), last=None, today=FAR_FUTURE):
    return list(review_claims_due(
        tests, billed, last, payer, billing_entity_is_idtf=idtf, today=today, patient_id=PATIENT
    ).drafts)


def test_g0250_is_one_unit_per_four_interpreted_tests_dated_the_fourth_interpretation():
    lines = review(interpreted_weekly(D(2026, 1, 5), 9))
    assert [(line.code, line.units, line.date_of_service, line.rule) for line in lines] == [
        ("G0250", 1, D(2026, 1, 27), "G0250.per_4_tests"),
        ("G0250", 1, D(2026, 2, 24), "G0250.per_4_tests"),
    ]
    assert lines[1].key == "G0250:p1:t04"


def test_g0250_waits_28_days_after_the_previous_g0250():
    tests = interpreted_weekly(D(2026, 1, 5), 4)
    assert review(tests, last=D(2026, 1, 10), today=D(2026, 2, 6)) == []
    (line,) = review(tests, last=D(2026, 1, 10), today=D(2026, 2, 7))
    assert line.date_of_service == D(2026, 2, 7)


@pytest.mark.parametrize(
    ("payer", "idtf"),
    [
        pytest.param(MEDICARE, True, id="an_idtf_never_bills_g0250"),
        pytest.param(MGMT_PAYER, False, id="a_93793_payer_gets_no_g0250"),
    ],
)
def test_no_g0250_for_an_idtf_or_a_93793_payer(payer, idtf):
    assert review(interpreted_weekly(D(2026, 1, 5), 12), payer=payer, idtf=idtf) == []


def test_g0250_rerun_with_billed_ids_produces_nothing():
    tests = interpreted_weekly(D(2026, 1, 5), 8)
    lines = review(tests)
    billed = {rid for line in lines for rid in line.result_ids}
    assert review(tests, billed=billed, last=lines[-1].date_of_service) == []


# --- 93793 ----------------------------------------------------------------------------------------------------


def manage(events, *, billed=frozenset(), office=frozenset(), payer=MGMT_PAYER, managed=frozenset(), valid=None,
           imported=frozenset()):
    return management_claims(events, managed, billed, office, valid_inr_ids=valid, imported_ids=imported,
                             payer=payer, patient_id=PATIENT)


def test_two_93793_reviews_the_same_day_give_one_line():
    events = [
        ReviewEvent("rv2", D(2026, 3, 2), ("r2",)),
        ReviewEvent("rv1", D(2026, 3, 2), ("r1", "r2")),
        ReviewEvent("rv3", D(2026, 3, 9), ("r3",)),
    ]
    got = manage(events)
    assert [(d.code, d.units, d.date_of_service, d.result_ids, d.key) for d in got.drafts] == [
        ("93793", 1, D(2026, 3, 2), ("r1", "r2"), "93793:p1:2026-03-02"),
        ("93793", 1, D(2026, 3, 9), ("r3",), "93793:p1:2026-03-09"),
    ]
    assert got.skipped == ()


def test_93793_is_skipped_with_its_reason_on_an_office_em_visit_day():
    events = [ReviewEvent("rv1", D(2026, 3, 2), ("r1",)), ReviewEvent("rv2", D(2026, 3, 9), ("r2",))]
    got = manage(events, office={D(2026, 3, 2)})
    assert [d.date_of_service for d in got.drafts] == [D(2026, 3, 9)]
    assert got.skipped == (Skipped("93793:p1:2026-03-02", SKIP_OFFICE_VISIT),)


def test_93793_needs_an_inr_reviewed():
    got = manage([ReviewEvent("rv1", D(2026, 3, 2), ())])
    assert got == ManagementClaims((), (Skipped("93793:p1:2026-03-02", SKIP_NO_INR),))


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        pytest.param(("old1", "old2"), ManagementClaims((), (Skipped("93793:p1:2026-03-02", SKIP_IMPORTED_INR),)),
                     id="a_review_of_imported_history_alone_bills_nothing"),
        pytest.param(("old1", "r1"), ("r1",), id="a_review_of_a_new_inr_bills_it_alone"),
    ],
)
def test_93793_never_bills_imported_inrs(named, expected):
    got = manage([ReviewEvent("rv1", D(2026, 3, 2), named)], imported={"old1", "old2"})
    if isinstance(expected, ManagementClaims):
        assert got == expected
    else:
        assert [d.result_ids for d in got.drafts] == [expected] and got.skipped == ()


def test_93793_day_already_billed_is_not_billed_again():
    events = [ReviewEvent("rv1", D(2026, 3, 2), ("r1",)), ReviewEvent("rv9", D(2026, 3, 2), ("r9",))]
    assert manage(events, billed={D(2026, 3, 2)}, managed={"r1"}) == ManagementClaims((), ())


def test_a_g0250_payer_gets_no_93793():
    assert manage([ReviewEvent("rv1", D(2026, 3, 2), ("r1",))], payer=MEDICARE) == ManagementClaims((), ())


def test_unknown_review_code_is_refused():
    with pytest.raises(ValueError, match="review_code"):
        manage([], payer=PayerRules(review_code="99364"))


# --- 93792 / G0248 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("competency_on", "already_billed", "payer", "expected_code"),
    [
        pytest.param(D(2026, 1, 3), False, MEDICARE, "93792", id="93792_once_competency_is_documented"),
        pytest.param(D(2026, 1, 3), False, MGMT_PAYER, "G0248", id="older_g0248_for_payers_that_take_it"),
        pytest.param(None, False, MEDICARE, None, id="no_training_claim_without_documented_competency"),
        pytest.param(D(2026, 1, 3), True, MEDICARE, None, id="training_is_billed_once_per_patient"),
    ],
)
def test_training_claim(competency_on, already_billed, payer, expected_code):
    line = training_claim(competency_on, already_billed, payer, patient_id=PATIENT, orders=ORDERS).draft
    if expected_code is None:
        assert line is None
    else:
        assert (line.code, line.units, line.date_of_service, line.key) == (expected_code, 1, competency_on, "training:p1")


# --- G0249-52 -------------------------------------------------------------------------------------------------


def partial(tests, *, ended_on=D(2026, 3, 1), reason="died", last=None):
    return partial_supply_claim(tests, ended_on, reason, last, MEDICARE, patient_id=PATIENT)


@pytest.mark.parametrize("reason", ["discharged", "died", "left_coverage"])
def test_period_ended_with_three_tests_bills_g0249_52_with_tests_done(reason):
    line = partial(weekly_tests(D(2026, 2, 2), 3), reason=reason)
    assert (line.code, line.modifier, line.units, line.tests_done) == ("G0249", "52", 1, 3)
    assert line.result_ids == ("t00", "t01", "t02")
    assert line.date_of_service == D(2026, 2, 16)  # the last done test's report
    assert line.rule == "G0249.partial_52"
    assert line.key == "G0249-52:p1:t00"
    assert f"{reason} 2026-03-01; 3 of 4 tests done" in line.note


@pytest.mark.parametrize("count", [0, 4, 5])
def test_no_52_line_for_no_tests_or_a_full_set(count):
    assert partial(weekly_tests(D(2026, 1, 5), count)) is None


def test_52_line_is_never_dated_after_the_end():
    tests = [CountedTest("t1", D(2026, 2, 20), D(2026, 3, 5))]  # reported by the caregiver after the death
    assert partial(tests, ended_on=D(2026, 3, 1)).date_of_service == D(2026, 3, 1)


def test_52_line_is_not_pushed_by_the_28_day_rule_but_held_for_the_biller():
    line = partial(weekly_tests(D(2026, 2, 2), 2), last=D(2026, 1, 30))
    assert line.date_of_service == D(2026, 2, 9)
    assert line.held_reason == "partial_within_28_days: dated 2026-02-09, within 28 days of G0249 of 2026-01-30"
    assert partial(weekly_tests(D(2026, 2, 2), 2), last=D(2026, 1, 1)).held_reason is None


@pytest.mark.parametrize(
    ("tests", "reason", "match"),
    [
        pytest.param(weekly_tests(D(2026, 2, 2), 1), "withdrew", "reason", id="unknown_end_reason"),
        pytest.param(weekly_tests(D(2026, 3, 2), 1), "died", "after the end", id="test_after_the_end"),
    ],
)
def test_partial_claim_refuses_bad_input(tests, reason, match):
    with pytest.raises(ValueError, match=match):
        partial(tests, reason=reason)


# --- reference --------------------------------------------------------------------------------------------------


def test_retired_codes_are_never_produced():
    assert RETIRED_CODES == {"99363", "99364"}
    assert not RETIRED_CODES & set(CODE_REFERENCE)
    with pytest.raises(ValueError, match="deleted in 2018"):
        ClaimDraft("99364", None, 1, D(2026, 1, 1), (), "x", "k", "")


def test_code_reference_lists_every_produced_code_and_every_rule_a_line_names():
    assert set(CODE_REFERENCE) == {"93792", "G0248", "G0249", "G0250", "93793"}
    lines = [
        *supply(weekly_tests(D(2026, 1, 5), 4)),
        *review(interpreted_weekly(D(2026, 1, 5), 4)),
        *manage([ReviewEvent("rv1", D(2026, 3, 2), ("r1",))]).drafts,
        training_claim(D(2026, 1, 3), False, MEDICARE, patient_id=PATIENT, orders=ORDERS).draft,
        training_claim(D(2026, 1, 3), False, MGMT_PAYER, patient_id=PATIENT, orders=ORDERS).draft,
        partial(weekly_tests(D(2026, 2, 2), 1)),
    ]
    for line in lines:
        reference = CODE_REFERENCE[line.code]
        assert line.rule in {rule.id for rule in reference.rules}
        assert reference.descriptor
