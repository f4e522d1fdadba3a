"""The claim plan for one patient: which lines are due today from counted tests, billable work, recorded lines,
supply issues and the end of care. Weekly tests on Mondays from 5 Jan 2026, reported the same day."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from service.rules.claim_plan import (
    REVIEW_KIND,
    TRAINING_KIND,
    BillableWork,
    CarePeriod,
    ClaimPlan,
    EndOfCare,
    RecordedLine,
    plan_claims,
)
from service.rules.claims import ClaimDraft, CountedTest, HomeTestingOrder, Skipped
from service.rules.payer import MEDICARE, PayerRules

D = date
PATIENT = "p1"
MGMT_PAYER = PayerRules(code="commercial", review_code="93793", training_code="G0248")
SUPPLY_ISSUE_PAYER = PayerRules(code="carrier_b", supply_trigger="supply_issue")
# t00 on Mon 5 Jan, t01 on 12 Jan, ... t03 on 26 Jan, t07 on 23 Feb, t08 on 2 Mar.
T = [CountedTest(f"t{i:02d}", D(2026, 1, 5) + timedelta(weeks=i), D(2026, 1, 5) + timedelta(weeks=i))
     for i in range(12)]


def ids(tests) -> tuple[str, ...]:
    return tuple(t.result_id for t in tests)


def reviews(tests, delay_days=1) -> list[BillableWork]:
    """One review per test, `delay_days` after it."""
    return [BillableWork(REVIEW_KIND, t.measured_on + timedelta(days=delay_days), f"rv-{t.result_id}",
                         (t.result_id,)) for t in tests]


def review_on(day: date, *tests) -> BillableWork:
    return BillableWork(REVIEW_KIND, day, f"rv-{day}", ids(tests))


def training(day: date) -> BillableWork:
    return BillableWork(TRAINING_KIND, day, "session-1")


def recorded(code: str, day: date, tests=(), *, key=None, version=1, modifier=None, tests_done=4,
             voided=False, rebill=False, void_reason=None) -> RecordedLine:
    key = key or f"{code}:{PATIENT}:{tests[0].result_id}"
    return RecordedLine(key if version == 1 else f"{key}:v{version}", key, version, code, modifier, 1, day, ids(tests),
                        f"{code}.rule", f"note of {key} v{version}", tests_done, voided=voided, rebill=rebill,
                        void_reason=void_reason)


def as_recorded(draft: ClaimDraft) -> RecordedLine:
    return RecordedLine(draft.key, draft.key, 1, draft.code, draft.modifier, draft.units, draft.date_of_service,
                        draft.result_ids, draft.rule, draft.note, draft.tests_done)


ORDER = HomeTestingOrder(D(2025, 12, 1), physician_id=7)  # the physician who ordered home testing


def plan(counted=(), work=(), lines=(), *, payer=MEDICARE, today=D(2026, 4, 1), idtf=False, issued=(),
         end=None, care=None, orders=(ORDER,), valid=None, em=(), go_live=None, imported=()) -> ClaimPlan:
    """`issued`: supply issue days (four tests each) or (day, tests issued) pairs."""
    supplies = [item if isinstance(item, tuple) else (item, 4) for item in issued]
    return plan_claims(counted, work, lines, payer, today=today, patient_id=PATIENT, billing_entity_is_idtf=idtf,
                       supplies_issued=supplies, end_of_care=end, care=care, orders=orders, valid_inr_ids=valid,
                       em_visit_dates=em, bills_from=go_live, imported_ids=set(imported))


def rows(result: ClaimPlan) -> list[tuple]:
    """(code, modifier, date of service, result ids) of each draft; "" is no modifier."""
    return [(d.code, d.modifier or "", d.date_of_service, d.result_ids) for d in result.drafts]


# --- G0249: supplies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected", "next_due_on"),
    [
        pytest.param(D(2026, 3, 9), [], D(2026, 3, 10), id="the_day_before_it_waits_and_names_its_day"),
        pytest.param(D(2026, 3, 10), [("G0249", "", D(2026, 3, 10), ids(T[4:8]))], None, id="on_the_28th_day"),
    ],
)
def test_set_of_four_waits_out_28_days_after_previous_g0249(today, expected, next_due_on):
    # Previous G0249 dated 10 Feb; the next four tests are complete on 23 Feb, which is too early.
    result = plan(T[:8], lines=[recorded("G0249", D(2026, 2, 10), T[:4])], today=today)
    assert rows(result) == expected
    assert result.next_due_on == next_due_on
    assert all("waited to 2026-03-10" in d.note for d in result.drafts)


def test_supply_issue_payer_dates_g0249_on_the_oldest_issue_left_by_the_fourth_report():
    # Jan 2 backs the first set; Jan 20 the second, whose 28 days move it to the day its 4th test was reported.
    result = plan(T[:8], payer=SUPPLY_ISSUE_PAYER, issued=[D(2026, 1, 2), D(2026, 2, 1), D(2026, 1, 20)])
    assert rows(result) == [("G0249", "", D(2026, 1, 2), ids(T[:4])), ("G0249", "", D(2026, 2, 23), ids(T[4:8]))]
    assert {d.rule for d in result.drafts} == {"G0249.supply_issue"}


@pytest.mark.parametrize(
    ("issued", "expected"),
    [
        # Issue 13, defect 4: one issue on Jan 2 gave lines dated Jan 2, Jan 30 and Feb 27 (Jan 30 billed Feb tests).
        pytest.param([(D(2026, 1, 2), 4)],
                     [(D(2026, 1, 2), "G0249.supply_issue"), (D(2026, 2, 23), "G0249.per_4_tests"),
                      (D(2026, 3, 23), "G0249.per_4_tests")],
                     id="one_issue_of_four_tests_backs_one_unit_and_no_more"),
        pytest.param([(D(2026, 1, 2), 8)],
                     [(D(2026, 1, 2), "G0249.supply_issue"), (D(2026, 2, 23), "G0249.supply_issue"),
                      (D(2026, 3, 23), "G0249.per_4_tests")],
                     id="a_second_unit_of_the_same_issue_is_never_dated_before_its_tests"),
        pytest.param([(D(2026, 1, 2), 6), (D(2026, 2, 10), 4)],
                     [(D(2026, 1, 2), "G0249.supply_issue"), (D(2026, 2, 10), "G0249.supply_issue"),
                      (D(2026, 3, 23), "G0249.per_4_tests")],
                     id="six_tests_back_one_unit_the_next_issue_the_next"),
    ],
)
def test_supply_issue_backs_only_the_units_it_supplies_and_never_predates_its_tests(issued, expected):
    result = plan(T[:12], payer=SUPPLY_ISSUE_PAYER, issued=issued)
    assert [(d.date_of_service, d.rule) for d in result.drafts] == expected
    for draft in result.drafts:
        first_test = min(t.measured_on for t in T if t.result_id in draft.result_ids)
        assert draft.date_of_service >= first_test or draft.rule == "G0249.supply_issue"
        if draft.rule == "G0249.supply_issue" and draft.date_of_service not in dict(issued):
            assert draft.date_of_service >= max(t.reported_on for t in T if t.result_id in draft.result_ids)


def test_issue_units_taken_by_recorded_lines_are_not_taken_again():
    first = recorded("G0249", D(2026, 1, 2), T[:4])
    first = replace(first, rule="G0249.supply_issue")
    result = plan(T[:8], [], [first], payer=SUPPLY_ISSUE_PAYER, issued=[D(2026, 1, 2)])
    assert [(d.date_of_service, d.rule) for d in result.drafts] == [(D(2026, 2, 23), "G0249.per_4_tests")]


# --- void: withdrawn or for correction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("void", "expected"),
    [
        pytest.param({}, [("G0249", "", D(2026, 3, 10), ids(T[4:8]))], id="standing_line_holds_the_28_days"),
        pytest.param({"voided": True, "rebill": False}, [("G0249", "", D(2026, 2, 23), ids(T[4:8]))],
                     id="withdrawn_line_no_longer_holds_them_and_is_not_billed_again"),
        pytest.param({"voided": True, "rebill": True},
                     [("G0249", "", D(2026, 3, 10), ids(T[4:8])), ("G0249", "", D(2026, 2, 10), ids(T[:4]))],
                     id="line_voided_for_correction_holds_them_and_is_reissued"),
    ],
)
def test_withdrawn_lines_still_consume_their_work(void, expected):
    # The first set was billed on 10 Feb; whatever became of that line, its four tests are never billed anew.
    result = plan(T[:8], lines=[recorded("G0249", D(2026, 2, 10), T[:4], **void)])
    assert rows(result) == expected


def test_reissue_after_void_with_rebill_is_the_same_service_under_the_same_key():
    partial = recorded("G0249", D(2026, 1, 12), T[:2], key=f"G0249-52:{PATIENT}:t00", modifier="52", tests_done=2,
                       voided=True, rebill=True, void_reason="wrong diagnosis")
    assert plan(T[:2], lines=[partial]).drafts == (
        ClaimDraft(code="G0249", modifier="52", units=1, date_of_service=D(2026, 1, 12), result_ids=("t00", "t01"),
                   rule="G0249.rule", key="G0249-52:p1:t00", tests_done=2,
                   note="reissue of G0249-52:p1:t00 (void: wrong diagnosis); note of G0249-52:p1:t00 v1"),
    )


@pytest.mark.parametrize(
    ("second_version", "expected_keys"),
    [
        pytest.param({}, [], id="a_recorded_correction_ends_it"),
        pytest.param({"voided": True, "rebill": True, "void_reason": "again"}, ["G0249:p1:t00"],
                     id="a_correction_voided_for_correction_is_reissued_in_turn"),
    ],
)
def test_only_the_latest_version_of_a_key_is_reissued(second_version, expected_keys):
    first = recorded("G0249", D(2026, 1, 26), T[:4], voided=True, rebill=True, void_reason="wrong units")
    second = recorded("G0249", D(2026, 1, 26), T[:4], version=2, **second_version)
    result = plan(T[:4], lines=[second, first])
    assert [d.key for d in result.drafts] == expected_keys
    assert all(d.note.startswith("reissue of G0249:p1:t00:v2 (void: again)") for d in result.drafts)


# --- G0250: physician review --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idtf", "expected"),
    [
        pytest.param(False, [("G0249", "", D(2026, 1, 26), ids(T[:4])), ("G0250", "", D(2026, 1, 27), ids(T[:4]))],
                     id="physician_practice_bills_g0250"),
        pytest.param(True, [("G0249", "", D(2026, 1, 26), ids(T[:4]))], id="idtf_never_bills_g0250"),
    ],
)
def test_review_of_a_result_billed_g0250_only_for_physicians_not_idtf(idtf, expected):
    assert rows(plan(T[:4], reviews(T[:4]), idtf=idtf)) == expected


def test_g0250_is_dated_the_day_the_fourth_test_was_first_interpreted():
    work = [*reviews(T[:4], delay_days=2), review_on(D(2026, 1, 27), T[3]), review_on(D(2026, 2, 3), T[3], T[1])]
    assert rows(plan(T[:4], work))[1] == ("G0250", "", D(2026, 1, 27), ids(T[:4]))


@pytest.mark.parametrize(
    ("work", "today", "expected_g0250", "next_due_on"),
    [
        pytest.param(reviews(T[:3]), D(2026, 4, 1), [], None, id="a_set_with_a_test_never_interpreted_waits"),
        pytest.param(reviews(T[:4]), D(2026, 1, 26), [], D(2026, 1, 27), id="interpreted_after_today_waits"),
        pytest.param(reviews(T[:4]), D(2026, 1, 27), [D(2026, 1, 27)], None, id="interpreted_today_is_billed"),
    ],
)
def test_g0250_needs_all_four_tests_interpreted_by_today(work, today, expected_g0250, next_due_on):
    result = plan(T[:4], work, today=today)
    assert [d.date_of_service for d in result.drafts if d.code == "G0250"] == expected_g0250
    assert result.next_due_on == next_due_on


# --- 93793: anticoagulant management ------------------------------------------------------------------------------


def test_management_93793_is_billed_once_per_review_day_for_93793_payers():
    work = [*reviews(T[:4]), review_on(D(2026, 1, 6), T[0]), review_on(D(2026, 1, 8))]
    already = recorded("93793", D(2026, 1, 13), T[1:2], key=f"93793:{PATIENT}:2026-01-13")
    result = plan(T[:4], work, [already], payer=MGMT_PAYER)
    assert rows(result) == [
        ("G0249", "", D(2026, 1, 26), ids(T[:4])),  # and no G0250: the payer pays reviews per day
        ("93793", "", D(2026, 1, 6), ("t00",)),
        ("93793", "", D(2026, 1, 20), ("t02",)),
        ("93793", "", D(2026, 1, 27), ("t03",)),
    ]
    assert result.skipped == (Skipped("93793:p1:2026-01-08", "no_inr_reviewed"),)


# --- 93792 / G0248: training --------------------------------------------------------------------------------------


def _training_line(code="93792", **void):
    return recorded(code, D(2026, 1, 2), key=f"training:{PATIENT}", tests_done=None, **void)


@pytest.mark.parametrize(
    ("lines", "work", "expected", "next_due_on"),
    [
        pytest.param([], [training(D(2026, 1, 3)), training(D(2026, 1, 2))], [("93792", "", D(2026, 1, 2), ())],
                     None, id="the_first_training_is_billed"),
        pytest.param([_training_line()], [training(D(2026, 1, 2))], [], None, id="already_billed"),
        pytest.param([_training_line("G0248")], [training(D(2026, 1, 2))], [], None,
                     id="already_billed_under_the_older_code"),
        pytest.param([_training_line(voided=True)], [training(D(2026, 1, 2))], [], None,
                     id="withdrawn_is_not_billed_again"),
        pytest.param([], [training(D(2026, 4, 5))], [], D(2026, 4, 5), id="dated_after_today_waits"),
    ],
)
def test_training_billed_once(lines, work, expected, next_due_on):
    result = plan(work=work, lines=lines)
    assert rows(result) == expected
    assert result.next_due_on == next_due_on


# --- end of care ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tests", "expected"),
    [
        pytest.param(0, [], id="no_test_no_line"),
        pytest.param(1, [("G0249", "52", D(2026, 1, 5), ids(T[:1]))], id="one_test"),
        pytest.param(2, [("G0249", "52", D(2026, 1, 12), ids(T[:2]))], id="two_tests"),
        pytest.param(3, [("G0249", "52", D(2026, 1, 19), ids(T[:3]))], id="three_tests"),
        pytest.param(4, [("G0249", "", D(2026, 1, 26), ids(T[:4]))], id="four_tests_are_a_full_set"),
        pytest.param(5, [("G0249", "", D(2026, 1, 26), ids(T[:4])), ("G0249", "52", D(2026, 2, 2), ids(T[4:5]))],
                     id="the_one_left_after_a_full_set"),
    ],
)
def test_discharge_bills_partial_52_for_one_to_three_tests(tests, expected):
    result = plan(T[:tests], today=D(2026, 3, 1), end=EndOfCare(D(2026, 3, 1), "discharged"))
    assert rows(result) == expected
    for draft in result.drafts:
        if draft.modifier == "52":
            assert draft.tests_done == len(draft.result_ids) and draft.rule == "G0249.partial_52"
            assert "discharged 2026-03-01" in draft.note


@pytest.mark.parametrize(
    ("counted", "lines", "held"),
    [
        # Issue 13, defect 5: a G0249-52 dated ten days after a full G0249 went out with the next export.
        pytest.param(T[4:6], [recorded("G0249", D(2026, 1, 26), T[:4])],
                     "partial_within_28_days: dated 2026-02-09, within 28 days of G0249 of 2026-01-26",
                     id="a_recorded_g0249"),
        pytest.param(T[:6], [], "partial_within_28_days: dated 2026-02-09, within 28 days of G0249 of 2026-01-26",
                     id="the_g0249_of_the_same_run"),
        pytest.param(T[4:6], [recorded("G0249", D(2026, 1, 5), T[:4])], None, id="none_within_28_days"),
    ],
)
def test_partial_52_within_28_days_of_the_previous_g0249_is_held_for_the_biller(counted, lines, held):
    result = plan(counted, lines=lines, today=D(2026, 2, 10), end=EndOfCare(D(2026, 2, 10), "died"))
    (partial,) = [d for d in result.drafts if d.modifier == "52"]
    assert partial.date_of_service == D(2026, 2, 9)  # not pushed: there is no later day of care
    assert partial.held_reason == held


@pytest.mark.parametrize(
    ("today", "expected", "next_due_on"),
    [
        pytest.param(D(2026, 2, 28), [], D(2026, 3, 1), id="before_the_last_day_nothing"),
        pytest.param(D(2026, 3, 1), [("G0249", "52", D(2026, 1, 12), ids(T[:2]))], None, id="on_the_last_day"),
    ],
)
def test_partial_52_is_billed_once_the_last_day_of_care_has_come(today, expected, next_due_on):
    result = plan(T[:2], today=today, end=EndOfCare(D(2026, 3, 1), "died"))
    assert rows(result) == expected
    assert result.next_due_on == next_due_on


def test_a_full_set_still_waiting_out_28_days_when_care_ends_is_skipped_waiting_at_end_of_care():
    # G0249 of 10 Feb; the next four are complete on 23 Feb and would wait to 10 Mar, after the end on 1 Mar.
    result = plan(T[:8], lines=[recorded("G0249", D(2026, 2, 10), T[:4])], today=D(2026, 3, 5),
                  end=EndOfCare(D(2026, 3, 1), "left_coverage"))
    assert result.drafts == ()
    assert result.skipped == (Skipped("G0249:p1:t04", "waiting_at_end_of_care"),)


@pytest.mark.parametrize(
    ("payer", "expected"),
    [
        pytest.param(MEDICARE, [("G0249", "", D(2026, 1, 26), ids(T[:4]))], id="no_g0250_interpreted_after_the_end"),
        pytest.param(MGMT_PAYER,
                     [("G0249", "", D(2026, 1, 26), ids(T[:4])), *(("93793", "", t.measured_on + timedelta(days=1),
                                                                     (t.result_id,)) for t in T[:3])],
                     id="no_93793_for_reviews_after_the_end"),
    ],
)
def test_nothing_is_dated_after_the_last_day_of_care(payer, expected):
    # Care ended Sat 31 Jan: t04 and t05 were measured after it, the 4th test was interpreted on 2 Feb and the
    # training documented on 3 Feb; none of that is billed, and t04 and t05 make no -52 line either.
    work = [*reviews(T[:3]), review_on(D(2026, 2, 2), T[3]), *reviews(T[4:6]), training(D(2026, 2, 3))]
    result = plan(T[:6], work, payer=payer, end=EndOfCare(D(2026, 1, 31), "died"))
    assert rows(result) == expected


# --- go-live: a patient brought in with their history -----------------------------------------------------------


@pytest.mark.parametrize(
    ("go_live", "expected"),
    [
        pytest.param(None, [("G0249", "", D(2026, 1, 26), ids(T[:4])), ("G0249", "", D(2026, 2, 23), ids(T[4:8])),
                            ("G0250", "", D(2026, 1, 27), ids(T[:4])), ("G0250", "", D(2026, 2, 24), ids(T[4:8])),
                            ("93792", "", D(2026, 1, 2), ())], id="without_a_go_live_everything_as_ever"),
        pytest.param(D(2026, 2, 2), [("G0249", "", D(2026, 2, 23), ids(T[4:8])),
                                     ("G0250", "", D(2026, 2, 24), ids(T[4:8]))],
                     id="tests_reviews_and_training_before_go_live_are_never_billed"),
        pytest.param(D(2026, 2, 3), [("G0249", "", D(2026, 3, 2), ids(T[5:9])),
                                     ("G0250", "", D(2026, 3, 3), ids(T[5:9]))],
                     id="the_first_set_is_four_tests_on_or_after_go_live"),
    ],
)
def test_nothing_dated_before_go_live_is_billed(go_live, expected):
    work = [training(D(2026, 1, 2)), *reviews(T[:9])]
    assert rows(plan(T[:9], work, go_live=go_live)) == expected


def test_go_live_ahead_is_the_next_day_to_look_again():
    assert plan(T[:4], [training(D(2026, 1, 2))], today=D(2026, 1, 30), go_live=D(2026, 2, 2)).next_due_on == \
        D(2026, 2, 2)


def test_care_that_ended_before_go_live_bills_nothing_not_even_a_partial_line():
    result = plan(T[:2], end=EndOfCare(D(2026, 1, 20), "discharged"), go_live=D(2026, 2, 2))
    assert result.drafts == () and result.skipped == ()


def test_a_93793_review_of_imported_results_alone_is_skipped_with_its_reason():
    old = [CountedTest("old", D(2026, 1, 5), D(2026, 1, 5))]
    result = plan([], [review_on(D(2026, 1, 6), *old), review_on(D(2026, 1, 13), T[1])], payer=MGMT_PAYER,
                  imported={"old"})
    assert rows(result) == [("93793", "", D(2026, 1, 13), ("t01",))]
    assert result.skipped == (Skipped("93793:p1:2026-01-06", "imported_inr_only"),)


# --- when to look again ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counted", "work", "end", "next_due_on"),
    [
        pytest.param(T[:3], [], None, None, id="three_tests_wait_for_a_test_not_a_day"),
        pytest.param(T[:4], [], None, D(2026, 1, 26), id="a_fourth_test_reported_later"),
        pytest.param([], [review_on(D(2026, 1, 28))], None, D(2026, 1, 28), id="a_review_dated_later"),
        pytest.param([], [training(D(2026, 1, 29))], None, D(2026, 1, 29), id="a_training_dated_later"),
        pytest.param([], [], EndOfCare(D(2026, 1, 30), "discharged"), D(2026, 1, 30), id="an_end_of_care_later"),
        pytest.param(T[:4], [review_on(D(2026, 1, 28)), training(D(2026, 1, 29))],
                     EndOfCare(D(2026, 1, 30), "discharged"), D(2026, 1, 26), id="the_earliest_of_them"),
        pytest.param([], [training(D(2026, 1, 2))], None, None, id="days_already_past_are_not_waited_for"),
    ],
)
def test_next_due_on_is_the_first_later_day_something_waits_for(counted, work, end, next_due_on):
    assert plan(counted, work, today=D(2026, 1, 25), end=end).next_due_on == next_due_on


# --- the plan as a whole -----------------------------------------------------------------------------------------


def test_planning_again_with_what_was_recorded_gives_nothing_new():
    counted, work = T[:9], [training(D(2026, 1, 2)), *reviews(T[:9])]
    end = EndOfCare(D(2026, 3, 5), "discharged")
    first = plan(counted, work, today=D(2026, 3, 20), end=end)
    assert [(d.code, d.modifier or "", d.date_of_service) for d in first.drafts] == [
        ("G0249", "", D(2026, 1, 26)), ("G0249", "", D(2026, 2, 23)), ("G0249", "52", D(2026, 3, 2)),
        ("G0250", "", D(2026, 1, 27)), ("G0250", "", D(2026, 2, 24)), ("93792", "", D(2026, 1, 2))]
    again = plan(counted, work, [as_recorded(d) for d in first.drafts], today=D(2026, 3, 20), end=end)
    assert again == ClaimPlan((), (), None)


@pytest.mark.parametrize(
    ("payer", "match"),
    [
        pytest.param(replace(MEDICARE, supply_trigger="on_tuesdays"), "supply_trigger", id="supply_trigger"),
        pytest.param(replace(MEDICARE, review_code="99364"), "review_code", id="review_code"),
        pytest.param(replace(MEDICARE, training_code="G0249"), "training_code", id="training_code"),
    ],
)
def test_a_payer_with_an_unknown_code_or_trigger_is_refused(payer, match):
    with pytest.raises(ValueError, match=match):
        plan(payer=payer)


# --- issue 13: the defects an outside billing review found, each a named case ----------------------------------


@pytest.mark.parametrize(
    ("em", "expected_days", "skipped"),
    [
        pytest.param((), [D(2026, 1, 6), D(2026, 1, 13)], (), id="no_visit_both_days_billed"),
        # Defect 1: the rule existed but generation never passed the visits.
        pytest.param((D(2026, 1, 6),), [D(2026, 1, 13)], (Skipped("93793:p1:2026-01-06", "office_em_visit_same_day"),),
                     id="office_em_visit_day_has_no_93793"),
    ],
)
def test_no_93793_on_a_day_with_an_e_m_service(em, expected_days, skipped):
    result = plan(T[:2], reviews(T[:2]), payer=MGMT_PAYER, em=em)
    assert [d.date_of_service for d in result.drafts if d.code == "93793"] == expected_days
    assert result.skipped == skipped


def test_an_inr_managed_on_an_e_m_day_gives_no_93793_the_day_after():
    work = [review_on(D(2026, 1, 6), T[0]), review_on(D(2026, 1, 7), T[0])]
    result = plan(T[:1], work, payer=MGMT_PAYER, em=(D(2026, 1, 6),))
    assert [d for d in result.drafts if d.code == "93793"] == []
    assert [s.reason for s in result.skipped] == ["office_em_visit_same_day", "inr_already_managed"]


@pytest.mark.parametrize(
    ("work", "valid", "expected", "skipped"),
    [
        # Defect 2: two reviews of the same result on two days gave two 93793 lines.
        pytest.param([review_on(D(2026, 1, 6), T[0]), review_on(D(2026, 1, 8), T[0])], None,
                     [(D(2026, 1, 6), ("t00",))], [("93793:p1:2026-01-08", "inr_already_managed")],
                     id="second_review_of_the_same_inr_is_not_billed"),
        # Defect 2: a review of only a failed-strip result billed too.
        pytest.param([review_on(D(2026, 1, 6), T[0])], set(), [], [("93793:p1:2026-01-06", "no_valid_inr_reviewed")],
                     id="review_of_an_invalid_reading_only_is_not_billed"),
        pytest.param([review_on(D(2026, 1, 6), T[0]), review_on(D(2026, 1, 13), T[0], T[1])], None,
                     [(D(2026, 1, 6), ("t00",)), (D(2026, 1, 13), ("t01",))], [],
                     id="a_day_with_one_new_inr_names_only_that_one"),
        pytest.param([review_on(D(2026, 1, 13), T[0], T[1])], {"t01"}, [(D(2026, 1, 13), ("t01",))], [],
                     id="invalid_readings_beside_a_valid_one_are_left_out"),
        pytest.param([review_on(D(2026, 1, 8))], None, [], [("93793:p1:2026-01-08", "no_inr_reviewed")],
                     id="review_naming_no_result"),
    ],
)
def test_93793_is_billed_only_for_a_new_valid_inr(work, valid, expected, skipped):
    result = plan(T[:2], work, payer=MGMT_PAYER, valid=valid)
    assert [(d.date_of_service, d.result_ids) for d in result.drafts if d.code == "93793"] == expected
    assert [(s.key, s.reason) for s in result.skipped] == skipped


def test_93793_billed_earlier_covers_its_inrs_for_later_days():
    already = recorded("93793", D(2026, 1, 6), T[:1], key=f"93793:{PATIENT}:2026-01-06")
    result = plan(T[:1], [review_on(D(2026, 1, 6), T[0]), review_on(D(2026, 1, 9), T[0])], [already],
                  payer=MGMT_PAYER)
    assert result.drafts == ()
    assert result.skipped == (Skipped("93793:p1:2026-01-09", "inr_already_managed"),)


def _by(provider: int, work: BillableWork) -> BillableWork:
    return replace(work, provider_id=provider)


@pytest.mark.parametrize(
    ("payer", "code", "provider"),
    [
        # Defect 3: every line carried the physician of record's NPI; a covering physician (9) reviewed the 4th.
        pytest.param(MEDICARE, "G0250", 9, id="g0250_by_the_physician_who_interpreted_the_fourth_test"),
        pytest.param(MGMT_PAYER, "93793", 9, id="93793_by_the_reviewing_physician"),
        pytest.param(MEDICARE, "G0249", 7, id="g0249_by_the_ordering_physician"),
        pytest.param(MEDICARE, "93792", 7, id="training_by_the_physician_whose_order_it_followed"),
    ],
)
def test_rendering_provider_is_who_did_the_work(payer, code, provider):
    work = [*(_by(5, w) for w in reviews(T[:3])), _by(9, reviews(T[3:4])[0]), training(D(2026, 1, 2))]
    result = plan(T[:4], work, payer=payer)
    drafts = [d for d in result.drafts if d.code == code]
    assert drafts and drafts[-1].rendering_provider_id == provider


@pytest.mark.parametrize(
    ("orders", "expected", "skipped"),
    [
        # Defect 6: 93792 was billed as soon as competency was signed, with or without an order.
        pytest.param((), [], [("training:p1", "no_order_by_training")], id="no_order_no_93792"),
        pytest.param((HomeTestingOrder(D(2026, 1, 3), 7),), [], [("training:p1", "no_order_by_training")],
                     id="order_dated_after_the_training"),
        pytest.param((HomeTestingOrder(D(2026, 1, 2), 7),), [("93792", "", D(2026, 1, 2), ())], [],
                     id="order_on_the_training_day"),
        pytest.param((HomeTestingOrder(D(2025, 11, 2), 6), HomeTestingOrder(D(2026, 1, 3), 7)),
                     [("93792", "", D(2026, 1, 2), ())], [], id="an_earlier_order_is_enough"),
    ],
)
def test_training_needs_a_home_testing_order_on_or_before_the_training(orders, expected, skipped):
    result = plan(work=[training(D(2026, 1, 2))], orders=orders)
    assert rows(result) == expected
    assert [(s.key, s.reason) for s in result.skipped] == skipped


# --- care episodes: end and resume ---------------------------------------------------------------------------------


def test_care_resumed_after_an_end_bills_the_first_period_52_and_starts_new_sets():
    # In care until 20 Jan (t00-t02: a -52 line), out until 9 Feb (t04 not billed), back from 10 Feb.
    care = [CarePeriod(None, D(2026, 1, 20), "left_coverage"), CarePeriod(D(2026, 2, 10), None)]
    result = plan(T[:10], care=care, today=D(2026, 4, 1))
    assert rows(result) == [
        ("G0249", "52", D(2026, 1, 19), ids(T[:3])),
        ("G0249", "", D(2026, 3, 9), ids(T[6:10])),
    ]
    assert {"t03", "t04", "t05"}.isdisjoint({rid for d in result.drafts for rid in d.result_ids})


def test_work_done_between_two_periods_of_care_is_not_billed():
    care = [CarePeriod(None, D(2026, 1, 20), "discharged"), CarePeriod(D(2026, 2, 10), None)]
    result = plan(T[:1], [review_on(D(2026, 2, 1), T[0])], payer=MGMT_PAYER, care=care)
    assert [d.code for d in result.drafts] == ["G0249"]  # the -52 for t00; no 93793 for the review in the gap


# --- a correction of a billed week: void and rebill with what counts now ------------------------------------------


def test_a_line_voided_for_a_correction_whose_tests_still_all_count_is_reissued_as_it_was():
    # t01 was corrected and its correction stands in its place (claim generation names it by the same id).
    line = recorded("G0249", D(2026, 1, 26), T[:4], voided=True, rebill=True, void_reason="result t01 corrected")
    assert [(d.key, d.date_of_service, d.result_ids) for d in plan(T[:4], lines=[line]).drafts] == [
        ("G0249:p1:t00", D(2026, 1, 26), ids(T[:4]))]


@pytest.mark.parametrize(
    ("counted", "expected"),
    [
        # t01 was corrected into no valid INR: its week no longer counts; the set waits for a fourth test.
        pytest.param([T[0], T[2], T[3]], [], id="three_left_wait_for_a_fourth"),
        # With the next test, the three that still count and it make a new set: billed afresh once.
        pytest.param([T[0], T[2], T[3], T[4]], [("G0249:p1:t00", D(2026, 2, 2), ("t00", "t02", "t03", "t04"))],
                     id="a_fresh_set_under_the_keys_next_version"),
        # Corrected away from the first test: a fresh set under a new key.
        pytest.param([T[1], T[2], T[3], T[4]], [("G0249:p1:t01", D(2026, 2, 2), ("t01", "t02", "t03", "t04"))],
                     id="a_fresh_set_under_a_new_key"),
    ],
)
def test_a_line_voided_for_a_correction_that_left_a_test_not_counting_is_released_and_billed_afresh(counted,
                                                                                                   expected):
    line = recorded("G0249", D(2026, 1, 26), T[:4], voided=True, rebill=True, void_reason="result t01 corrected")
    result = plan(counted, lines=[line])
    assert [(d.key, d.date_of_service, d.result_ids) for d in result.drafts] == expected
    assert not any(d.note.startswith("reissue") for d in result.drafts)


def test_a_released_line_does_not_hold_the_28_days_and_a_withdrawn_one_still_consumes_its_tests():
    released = recorded("G0249", D(2026, 1, 26), T[:4], voided=True, rebill=True, void_reason="corrected")
    withdrawn = recorded("G0249", D(2026, 1, 26), T[:4], voided=True, rebill=False, void_reason="denied")
    counted = [T[0], *T[2:5]]
    assert rows(plan(counted, lines=[released])) == [("G0249", "", D(2026, 2, 2), ("t00", "t02", "t03", "t04"))]
    assert rows(plan(counted, lines=[withdrawn])) == []  # withdrawn for good: never billed anew


def test_a_g0250_voided_for_a_correction_is_reissued_only_while_its_tests_are_still_interpreted():
    supplies = recorded("G0249", D(2026, 1, 26), T[:4])
    line = recorded("G0250", D(2026, 1, 27), T[:4], voided=True, rebill=True, void_reason="corrected")
    interpreted = reviews(T[:4])
    assert [d.key for d in plan(T[:4], interpreted, [supplies, line]).drafts] == ["G0250:p1:t00"]
    # The correction of t01 was not reviewed yet (its review named the entry in error): nothing until it is.
    assert plan(T[:4], [w for w in interpreted if w.result_ids != ("t01",)], [supplies, line]).drafts == ()
