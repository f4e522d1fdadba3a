"""Supervised-test agreement and what a competent sign-off needs."""

from decimal import Decimal as D

import pytest

from service.rules.training import ChecklistEntry, competency_gaps, readings_agree


@pytest.mark.parametrize(
    ("trainee", "clinic", "tolerance", "agree"),
    [
        ("2.5", "2.5", "0.5", True),
        ("2.5", "3.0", "0.5", True),  # exactly the tolerance agrees
        ("3.0", "2.5", "0.5", True),  # in either direction
        ("2.5", "3.1", "0.5", False),
        ("3.1", "2.5", "0.5", False),
        ("2.5", "2.8", "0.2", False),  # the tolerance is configurable
        ("2.5", None, "0.5", None),  # no comparison: unknown, not assumed
    ],
)
def test_supervised_test_agrees_within_the_tolerance(trainee, clinic, tolerance, agree):
    assert readings_agree(D(trainee), D(clinic) if clinic else None, D(tolerance)) is agree


CHECKLIST = [
    ChecklistEntry("blood_sample", "93792", True),
    ChecklistEntry("diet", "education", True),
    ChecklistEntry("clinic_extra", "clinic", False),
]
ALL_DONE = {"blood_sample": "demonstrated", "diet": "explained"}


@pytest.mark.parametrize(
    ("outcomes", "test_recorded", "agree", "gaps"),
    [
        (ALL_DONE, True, True, []),
        (ALL_DONE, True, None, []),  # a test without comparison is enough
        ({**ALL_DONE, "clinic_extra": "needs_practice"}, True, True, []),  # optional items do not block
        ({"diet": "explained"}, True, True, ["blood_sample: not covered"]),
        ({**ALL_DONE, "blood_sample": "explained"}, True, True, ["blood_sample: must be demonstrated by the trainee"]),
        ({**ALL_DONE, "diet": "needs_practice"}, True, True, ["diet: needs practice"]),
        (ALL_DONE, False, None, ["supervised_test: no supervised test recorded"]),
        (ALL_DONE, True, False, ["supervised_test: the trainee's reading does not agree with the clinic's"]),
    ],
)
def test_competent_needs_every_required_item_and_an_agreeing_supervised_test(outcomes, test_recorded, agree, gaps):
    assert competency_gaps(CHECKLIST, outcomes, test_recorded, agree) == gaps
