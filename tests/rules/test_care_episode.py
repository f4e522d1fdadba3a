"""A patient's care as a history of events: the periods of care it describes, and the histories that cannot stand."""

from datetime import date

import pytest

from service.rules.care_episode import CareEvent, care_periods, history_problems
from service.rules.claim_plan import CarePeriod

D = date


def event(id_, kind, day, reason=None, *, corrects=None, withdrawn=False):
    return CareEvent(id_, id_, kind, day, reason, corrects, withdrawn)


@pytest.mark.parametrize(
    ("events", "periods"),
    [
        pytest.param([], [CarePeriod(None, None)], id="no_event_in_care_from_the_beginning"),
        pytest.param([event(1, "start", D(2026, 1, 5))], [CarePeriod(D(2026, 1, 5), None)], id="started"),
        pytest.param([event(1, "end", D(2026, 3, 1), "died")], [CarePeriod(None, D(2026, 3, 1), "died")],
                     id="ended_once"),
        pytest.param([event(1, "end", D(2026, 3, 1), "left_coverage"), event(2, "resume", D(2026, 4, 1))],
                     [CarePeriod(None, D(2026, 3, 1), "left_coverage"), CarePeriod(D(2026, 4, 1), None)],
                     id="ended_and_resumed"),
        pytest.param([event(1, "end", D(2026, 3, 1), "died"), event(2, "end", D(2026, 3, 4), "discharged", corrects=1)],
                     [CarePeriod(None, D(2026, 3, 4), "discharged")], id="a_correction_replaces_the_event"),
        pytest.param([event(1, "end", D(2026, 3, 1), "died"), event(2, "end", D(2026, 3, 1), "died", corrects=1,
                                                                      withdrawn=True)],
                     [CarePeriod(None, None)], id="a_withdrawal_takes_it_back"),
        pytest.param([event(2, "resume", D(2026, 4, 1)), event(1, "end", D(2026, 3, 1), "discharged")],
                     [CarePeriod(None, D(2026, 3, 1), "discharged"), CarePeriod(D(2026, 4, 1), None)],
                     id="read_in_date_order"),
    ],
)
def test_care_periods_follow_the_history(events, periods):
    assert care_periods(events) == periods


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        pytest.param([event(1, "end", D(2026, 3, 1), "died"), event(2, "end", D(2026, 3, 5), "died")],
                     "care had already ended", id="end_while_ended"),
        pytest.param([event(1, "resume", D(2026, 3, 1))], "care had not ended", id="resume_while_in_care"),
        pytest.param([event(1, "end", D(2026, 3, 1), "died"), event(2, "resume", D(2026, 3, 1))],
                     "not after the end", id="resume_on_the_last_day_of_care"),
        pytest.param([event(1, "start", D(2026, 3, 1)), event(2, "end", D(2026, 2, 1), "died")],
                     "start on 2026-03-01", id="end_dated_before_the_start"),
    ],
)
def test_a_history_that_cannot_stand_is_named(events, problem):
    assert any(problem in found for found in history_problems(events))
    with pytest.raises(ValueError):
        care_periods(events)
