from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from service.rules.counting import (
    IMPORTED,
    METER_ERROR,
    NOT_CLEARED,
    QC_FAILED,
    REASONS,
    SECOND_IN_WEEK,
    SUPERSEDED,
    ClearancePeriod,
    CountDecision,
    ResultForCounting,
    count_weekly_tests,
    managed_while_cleared,
)

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
UTC = timezone.utc
CLEARED_ALWAYS = (ClearancePeriod(date(2020, 1, 1), None),)


def result(result_id, measured_at, *, qc=True, error=None, staff=False, superseded=False, imported=False):
    return ResultForCounting(result_id, measured_at, qc, error, staff, superseded, imported)


def ny(*args, **kwargs):
    return datetime(*args, tzinfo=NEW_YORK, **kwargs)


def decisions(results, clearance=CLEARED_ALWAYS, tz=NEW_YORK):
    return [(d.result_id, d.counts, d.reason) for d in count_weekly_tests(results, clearance, tz)]


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        pytest.param(
            [result("a", ny(2026, 6, 8, 9))],
            [("a", True, None)],
            id="a_valid_result_counts",
        ),
        pytest.param(
            [result("a", ny(2026, 6, 8, 9)), result("b", ny(2026, 6, 11, 9))],
            [("a", True, None), ("b", False, SECOND_IN_WEEK)],
            id="second_test_in_same_week_is_kept_but_not_counted",
        ),
        pytest.param(
            [result("b", ny(2026, 6, 11, 9)), result("a", ny(2026, 6, 8, 9))],
            [("b", False, SECOND_IN_WEEK), ("a", True, None)],
            id="earliest_counts_whatever_the_input_order_and_output_keeps_input_order",
        ),
        pytest.param(
            [result("z", ny(2026, 6, 8, 9)), result("a", ny(2026, 6, 8, 9))],
            [("z", False, SECOND_IN_WEEK), ("a", True, None)],
            id="same_instant_is_broken_by_result_id",
        ),
        pytest.param(
            [result("a", ny(2026, 6, 8, 9), qc=False)],
            [("a", False, QC_FAILED)],
            id="failed_qc_does_not_count",
        ),
        pytest.param(
            [result("a", ny(2026, 6, 8, 9), error="E-406")],
            [("a", False, METER_ERROR)],
            id="meter_error_does_not_count",
        ),
        pytest.param(
            [result("a", ny(2026, 6, 8, 9), superseded=True), result("a2", ny(2026, 6, 8, 9, 5))],
            [("a", False, SUPERSEDED), ("a2", True, None)],
            id="superseded_result_gives_way_to_its_correction",
        ),
        pytest.param(
            [result("a", ny(2026, 6, 8, 9), qc=False, error="E-1", superseded=True)],
            [("a", False, SUPERSEDED)],
            id="superseded_is_reported_before_any_other_reason",
        ),
        pytest.param(
            [result("a", ny(2026, 6, 8, 9), qc=False, error="E-1")],
            [("a", False, QC_FAILED)],
            id="qc_failure_is_reported_before_meter_error",
        ),
        pytest.param(
            [result("a", ny(2026, 6, 8, 9), qc=False), result("b", ny(2026, 6, 8, 9, 10)), result("c", ny(2026, 6, 9, 9))],
            [("a", False, QC_FAILED), ("b", True, None), ("c", False, SECOND_IN_WEEK)],
            id="invalid_first_result_does_not_use_up_the_week",
        ),
        pytest.param(
            [result("a", ny(2026, 6, 8, 9)), result("b", ny(2026, 6, 9, 9), error="E-2")],
            [("a", True, None), ("b", False, METER_ERROR)],
            id="invalid_later_result_keeps_its_own_reason",
        ),
        pytest.param(
            [result("a", ny(2026, 6, 8, 9), staff=True)],
            [("a", True, None)],
            id="home_result_phoned_in_and_entered_by_staff_still_counts",
        ),
        pytest.param(
            [result("sat", ny(2026, 6, 13, 23, 59)), result("sun", ny(2026, 6, 14, 0, 0))],
            [("sat", True, None), ("sun", True, None)],
            id="saturday_2359_and_sunday_0000_fall_in_different_weeks",
        ),
        pytest.param(
            # 01:30 EDT and 01:30 EST on the fall-back night are two tests an hour apart in one week.
            # Ids sort against time order, so only the instant can pick the EDT one.
            [result("z_edt", ny(2026, 11, 1, 1, 30, fold=0)), result("a_est", ny(2026, 11, 1, 1, 30, fold=1))],
            [("z_edt", True, None), ("a_est", False, SECOND_IN_WEEK)],
            id="repeated_dst_hour_orders_by_instant",
        ),
        pytest.param(
            # Saturday 23:30 EST before spring forward vs. Sunday 03:00 EDT, 2.5 hours later.
            [result("sat", ny(2026, 3, 7, 23, 30)), result("sun", ny(2026, 3, 8, 3, 0))],
            [("sat", True, None), ("sun", True, None)],
            id="spring_forward_night_splits_weeks_at_local_midnight",
        ),
    ],
)
def test_counting_rules(results, expected):
    assert decisions(results) == expected


def test_a_sunday_in_utc_that_is_saturday_in_los_angeles_counts_in_the_earlier_week():
    sat_la = result("a", datetime(2026, 6, 14, 3, 0, tzinfo=UTC))  # Saturday 20:00 PDT
    sun_la = result("b", datetime(2026, 6, 14, 8, 0, tzinfo=UTC))  # Sunday 01:00 PDT
    got = count_weekly_tests([sat_la, sun_la], CLEARED_ALWAYS, LOS_ANGELES)
    assert got == [CountDecision("a", date(2026, 6, 7), True, None), CountDecision("b", date(2026, 6, 14), True, None)]
    # The same two instants judged in UTC share a week, so only one counts.
    assert [d.counts for d in count_weekly_tests([sat_la, sun_la], CLEARED_ALWAYS, ZoneInfo("UTC"))] == [True, False]


@pytest.mark.parametrize(
    ("clearance", "expected"),
    [
        pytest.param((), [("mon", False, NOT_CLEARED), ("thu", False, NOT_CLEARED)], id="never_cleared"),
        pytest.param(
            (ClearancePeriod(date(2026, 6, 10), None),),
            [("mon", False, NOT_CLEARED), ("thu", True, None)],
            id="cleared_midweek_a_later_test_that_week_counts",
        ),
        pytest.param(
            (ClearancePeriod(date(2026, 6, 1), date(2026, 6, 8)),),
            [("mon", True, None), ("thu", False, NOT_CLEARED)],
            id="clearance_end_date_is_included",
        ),
        pytest.param(
            (ClearancePeriod(date(2026, 6, 1), date(2026, 6, 7)), ClearancePeriod(date(2026, 6, 11), None)),
            [("mon", False, NOT_CLEARED), ("thu", True, None)],
            id="gap_between_periods_is_not_cleared",
        ),
    ],
)
def test_only_results_on_a_cleared_local_date_count(clearance, expected):
    results = [result("mon", ny(2026, 6, 8, 9)), result("thu", ny(2026, 6, 11, 9))]
    assert decisions(results, clearance) == expected


def test_clearance_is_judged_on_the_patients_local_date_not_utc():
    # 2026-06-10 02:00 UTC is still 2026-06-09 in New York, the day before clearance starts.
    late_evening = result("a", datetime(2026, 6, 10, 2, 0, tzinfo=UTC))
    got = count_weekly_tests([late_evening], (ClearancePeriod(date(2026, 6, 10)),), NEW_YORK)
    assert got == [CountDecision("a", date(2026, 6, 7), False, NOT_CLEARED)]


def test_each_week_counts_independently_over_a_month():
    results = [result(f"r{i}", ny(2026, 6, 1 + i, 8)) for i in range(28)]  # daily from Monday 1 June
    counted = [d.result_id for d in count_weekly_tests(results, CLEARED_ALWAYS, NEW_YORK) if d.counts]
    # Weeks start 31 May, 7, 14, 21, 28 June: the first day of each in the data counts.
    assert counted == ["r0", "r6", "r13", "r20", "r27"]


def test_every_reason_in_the_fixed_vocabulary_is_reachable():
    results = [
        result("a", ny(2026, 6, 8, 9), superseded=True),
        result("b", ny(2026, 6, 8, 10), qc=False),
        result("c", ny(2026, 6, 8, 11), error="E"),
        result("d", ny(2026, 6, 8, 12)),
        result("e", ny(2026, 6, 8, 13)),
        result("f", ny(2026, 6, 9, 9)),
        result("g", ny(2026, 6, 1, 9), imported=True),
    ]
    got = count_weekly_tests(results, (ClearancePeriod(date(2026, 6, 1), date(2026, 6, 8)),), NEW_YORK)
    assert [d.reason for d in got] == [SUPERSEDED, QC_FAILED, METER_ERROR, None, SECOND_IN_WEEK, NOT_CLEARED,
                                       IMPORTED]
    assert set(REASONS) == {d.reason for d in got} - {None}


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        pytest.param(
            [result("old", ny(2026, 6, 8, 9), imported=True)],
            [("old", False, IMPORTED)],
            id="an_imported_result_is_never_billed_here",
        ),
        pytest.param(
            [result("old", ny(2026, 6, 8, 9), imported=True), result("app", ny(2026, 6, 11, 9))],
            [("old", False, IMPORTED), ("app", False, SECOND_IN_WEEK)],
            id="an_imported_result_takes_its_week_a_later_test_is_a_second_one",
        ),
        pytest.param(
            [result("old", ny(2026, 6, 8, 9), imported=True, qc=False), result("app", ny(2026, 6, 11, 9))],
            [("old", False, QC_FAILED), ("app", True, None)],
            id="an_imported_failed_strip_takes_no_week",
        ),
        pytest.param(
            [result("app", ny(2026, 6, 8, 9)), result("old", ny(2026, 6, 11, 9), imported=True)],
            [("app", True, None), ("old", False, IMPORTED)],
            id="an_imported_result_after_the_weeks_test_says_it_was_imported",
        ),
        pytest.param(
            [result("old", ny(2026, 6, 8, 9), imported=True), result("app", ny(2026, 6, 15, 9))],
            [("old", False, IMPORTED), ("app", True, None)],
            id="the_next_week_counts_as_ever",
        ),
    ],
)
def test_imported_history_takes_its_week_and_is_never_billed(results, expected):
    assert decisions(results) == expected


def test_an_imported_result_on_a_day_not_cleared_takes_no_week():
    results = [result("old", ny(2026, 6, 8, 9), imported=True), result("app", ny(2026, 6, 11, 9))]
    assert decisions(results, (ClearancePeriod(date(2026, 6, 10), None),)) == [("old", False, NOT_CLEARED),
                                                                                ("app", True, None)]


def test_duplicate_result_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        count_weekly_tests([result("a", ny(2026, 6, 8, 9)), result("a", ny(2026, 6, 15, 9))], CLEARED_ALWAYS, NEW_YORK)


def test_naive_measurement_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        count_weekly_tests([result("a", datetime(2026, 6, 8, 9))], CLEARED_ALWAYS, NEW_YORK)


def test_no_results_give_no_decisions():
    assert count_weekly_tests([], CLEARED_ALWAYS, NEW_YORK) == []


def test_each_result_is_counted_in_the_week_of_the_zone_in_force_when_it_was_measured():
    from service.rules.billing_week import ZoneHistory

    moved = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)
    history = ZoneHistory.of([(datetime(2026, 1, 1, tzinfo=UTC), NEW_YORK), (moved, LOS_ANGELES)])
    sunday_early_in_new_york = result("a", datetime(2026, 6, 7, 5, 30, tzinfo=UTC))  # Saturday 22:30 in LA
    after_the_move = result("b", datetime(2026, 6, 11, 16, 0, tzinfo=UTC))
    judged = count_weekly_tests([sunday_early_in_new_york, after_the_move], CLEARED_ALWAYS, history)
    assert [(d.result_id, d.week, d.counts, d.reason) for d in judged] == [
        ("a", date(2026, 6, 7), True, None), ("b", date(2026, 6, 7), False, SECOND_IN_WEEK)]
    # Judged in today's zone alone, the Saturday-night test would move into the week before and both would count.
    alone = count_weekly_tests([sunday_early_in_new_york, after_the_move], CLEARED_ALWAYS, LOS_ANGELES)
    assert [(d.week, d.counts) for d in alone] == [(date(2026, 5, 31), True), (date(2026, 6, 7), True)]


def test_the_clearance_day_of_a_result_is_its_local_day_in_the_zone_in_force_then():
    from service.rules.billing_week import ZoneHistory

    history = ZoneHistory.of([(datetime(2026, 1, 1, tzinfo=UTC), NEW_YORK),
                              (datetime(2026, 6, 10, tzinfo=UTC), LOS_ANGELES)])
    cleared_from_sunday = (ClearancePeriod(date(2026, 6, 7), None),)
    early_sunday = result("a", datetime(2026, 6, 7, 5, 30, tzinfo=UTC))  # Sunday in New York, in force then
    assert decisions([early_sunday], cleared_from_sunday, history) == [("a", True, None)]
    assert decisions([early_sunday], cleared_from_sunday, LOS_ANGELES) == [("a", False, NOT_CLEARED)]


@pytest.mark.parametrize(
    ("results", "managed"),
    [
        pytest.param([result("a", ny(2026, 6, 8, 9)), result("b", ny(2026, 6, 9, 9))], {"a", "b"},
                     id="a_second_valid_test_in_a_week_is_still_a_managed_inr"),
        pytest.param([result("a", ny(2026, 6, 8, 9), qc=False), result("b", ny(2026, 6, 8, 9, 10), error="E-3")],
                     set(), id="no_valid_inr_nothing_to_manage"),
        pytest.param([result("a", ny(2026, 6, 8, 9), superseded=True)], set(), id="a_corrected_entry_is_not_managed"),
        pytest.param([result("a", ny(2026, 5, 31, 9)), result("b", ny(2026, 6, 15, 9))], set(),
                     id="measured_while_not_cleared_or_suspended_bills_nothing"),
    ],
)
def test_anticoagulant_management_bills_only_valid_inrs_measured_while_cleared(results, managed):
    cleared = [ClearancePeriod(date(2026, 6, 1), date(2026, 6, 14))]  # suspended from 15 June
    assert managed_while_cleared(count_weekly_tests(results, cleared, NEW_YORK)) == managed
