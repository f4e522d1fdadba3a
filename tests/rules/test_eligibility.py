"""NCD 190.11 clearance for home INR self-testing."""

from dataclasses import replace
from datetime import date

import pytest

from service.rules.eligibility import (
    Demonstration,
    EligibilityFacts,
    PhysicianOrder,
    add_months,
    evaluate_clearance,
)
from service.rules.indications import CodeRange, CoveredDiagnoses
from service.rules.payer import MEDICARE, PayerRules

TODAY = date(2024, 6, 15)
BCBS_FL = PayerRules(code="bcbs_fl", name="BCBS Florida", extra_criteria=("expected_long_term_anticoagulation",))
CAREGIVERS_COUNT = PayerRules(code="commercial", name="Commercial", caregiver_demonstration_counts=True)


def trained(on: date, *, kind="initial", competent=True, caregiver=False) -> Demonstration:
    return Demonstration(on, kind, competent, "caregiver Ana" if caregiver else "the patient", caregiver)


CLEARED = EligibilityFacts(
    indications=("I48.91",),
    warfarin_start=date(2024, 1, 2),
    home_testing_start=date(2024, 6, 10),
    demonstrations=(trained(date(2024, 6, 3)),),
    physician_order=PhysicianOrder(signed_on=date(2024, 5, 20), physician="Dr. Okafor"),
)


def criterion(facts: EligibilityFacts, name: str, payer: PayerRules = MEDICARE, today: date = TODAY, **kwargs):
    clearance = evaluate_clearance(facts, payer, today, **kwargs)
    [result] = [c for c in clearance.criteria if c.name == name]
    return result


def test_patient_meeting_every_criterion_is_cleared():
    clearance = evaluate_clearance(CLEARED, MEDICARE, TODAY)
    assert clearance.cleared
    assert clearance.outstanding == ()
    assert [c.name for c in clearance.criteria] == [
        "covered_indication",
        "anticoagulated_3_months",
        "face_to_face_training",
        "physician_order",
        "continued_correct_use",
    ]
    assert {c.status for c in clearance.criteria} == {"met"}


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({"indications": ("I10",)}, "covered_indication"),
        ({"indications": ()}, "covered_indication"),
        ({"warfarin_start": None}, "anticoagulated_3_months"),
        ({"demonstrations": ()}, "face_to_face_training"),
        ({"physician_order": None}, "physician_order"),
        ({"demonstrations": (trained(date(2023, 1, 1)),)}, "continued_correct_use"),
    ],
)
def test_one_criterion_not_met_or_unknown_withholds_clearance(changes, failing):
    clearance = evaluate_clearance(replace(CLEARED, **changes), MEDICARE, TODAY)
    assert not clearance.cleared
    assert failing in [c.name for c in clearance.outstanding]


@pytest.mark.parametrize(
    ("indications", "status", "evidence"),
    [
        (("I48.91",), "met", "covered diagnosis: I48.91"),
        (("I10", "z952"), "met", "covered diagnosis: Z95.2"),  # one covered code is enough
        (("I10", "I48.2"), "not_met", "I10 is not a covered diagnosis"),
        (("I48.2",), "not_met", "use I48.20 or I48.21 instead"),
        (("XYZ",), "not_met", "not a well-formed ICD-10-CM code"),
        ((), "unknown", "no diagnosis recorded"),
    ],
)
def test_covered_indication_needs_at_least_one_covered_code(indications, status, evidence):
    result = criterion(replace(CLEARED, indications=indications), "covered_indication")
    assert result.status == status
    assert evidence in result.evidence


@pytest.mark.parametrize(
    ("indications", "secondary", "status"),
    [
        pytest.param((), ("Z79.01",), "unknown", id="z79_01_alone_establishes_nothing"),
        pytest.param((), ("I48.91",), "unknown", id="even_a_covered_code_recorded_as_secondary"),
        pytest.param(("I10",), ("Z79.01",), "not_met", id="beside_an_uncovered_indication"),
        pytest.param(("I48.91",), ("Z79.01",), "met", id="beside_a_covered_indication"),
    ],
)
def test_secondary_diagnoses_never_establish_eligibility(indications, secondary, status):
    facts = replace(CLEARED, indications=indications, secondary_diagnoses=secondary)
    assert criterion(facts, "covered_indication").status == status


def test_covered_indication_uses_the_payers_code_list():
    payer_list = CoveredDiagnoses(version="narrow", ranges=(CodeRange("Z95.2", "Z95.2"),))
    assert criterion(CLEARED, "covered_indication", covered=payer_list).status == "not_met"


@pytest.mark.parametrize(
    ("warfarin_start", "home_testing_start", "status"),
    [
        (date(2024, 3, 10), date(2024, 6, 10), "met"),  # exactly 3 calendar months before the first home test
        (date(2024, 3, 11), date(2024, 6, 10), "not_met"),  # a day short (92 days: more than 90, still short)
        (date(2024, 3, 15), None, "met"),  # no start yet: 3 calendar months before today
        (date(2024, 3, 16), None, "not_met"),
        (date(2023, 11, 30), date(2024, 2, 29), "met"),  # 30 Nov + 3 months is the leap day
        (date(2023, 11, 30), date(2024, 2, 28), "not_met"),
        (date(2022, 11, 30), date(2023, 2, 28), "met"),  # ... and 28 Feb in a common year
        (date(2023, 12, 31), date(2024, 3, 31), "met"),  # month ends line up
        (date(2023, 12, 31), date(2024, 3, 30), "not_met"),
        (None, date(2024, 6, 10), "unknown"),
    ],
)
def test_anticoagulation_must_last_3_calendar_months_before_home_testing(warfarin_start, home_testing_start, status):
    facts = replace(CLEARED, warfarin_start=warfarin_start, home_testing_start=home_testing_start)
    assert criterion(facts, "anticoagulated_3_months").status == status


def test_anticoagulation_not_met_says_when_home_testing_can_start():
    facts = replace(CLEARED, warfarin_start=date(2024, 4, 1), home_testing_start=date(2024, 6, 10))
    result = criterion(facts, "anticoagulated_3_months")
    assert "3 calendar months reached on 2024-07-01" in result.evidence
    assert "home testing can start on 2024-07-01" in result.evidence


def test_anticoagulation_minimum_is_per_payer_in_months():
    payer = PayerRules(minimum_anticoagulation_months=2)
    facts = replace(CLEARED, warfarin_start=date(2024, 4, 10), home_testing_start=date(2024, 6, 10))
    assert criterion(facts, "anticoagulated_3_months", payer).status == "met"
    assert criterion(replace(facts, warfarin_start=date(2024, 4, 11)), "anticoagulated_3_months", payer).status \
        == "not_met"


@pytest.mark.parametrize(
    ("demonstrations", "home_testing_start", "status", "evidence"),
    [
        ((trained(date(2024, 6, 10)),), date(2024, 6, 10), "met", "on 2024-06-10"),  # same day
        ((trained(date(2024, 6, 12)),), date(2024, 6, 10), "not_met", "after the first home test"),
        ((trained(date(2024, 6, 20)),), date(2024, 7, 1), "not_met", "in the future"),
        ((trained(date(2024, 6, 3)),), None, "met", "on 2024-06-03"),
        ((trained(date(2024, 6, 3), kind="retraining"),), None, "met", "on 2024-06-03"),
        ((trained(date(2024, 6, 3), competent=False),), None, "not_met", "no face-to-face training"),
        ((trained(date(2024, 6, 3), kind="reassessment"),), None, "not_met", "no face-to-face training"),
        ((), date(2024, 6, 10), "not_met", "no face-to-face training"),
    ],
)
def test_face_to_face_training_must_precede_home_use(demonstrations, home_testing_start, status, evidence):
    facts = replace(CLEARED, demonstrations=demonstrations, home_testing_start=home_testing_start)
    result = criterion(facts, "face_to_face_training")
    assert result.status == status
    assert evidence in result.evidence


@pytest.mark.parametrize(
    ("payer", "status", "evidence"),
    [
        (MEDICARE, "not_met", "Medicare requires the patient's own demonstration"),
        (CAREGIVERS_COUNT, "met", "Commercial accepts a trained caregiver's demonstration"),
    ],
)
def test_whether_a_caregivers_demonstration_counts_is_the_payers_and_the_explanation_says_so(payer, status, evidence):
    facts = replace(CLEARED, demonstrations=(trained(date(2024, 6, 3), caregiver=True),))
    for name in ("face_to_face_training", "continued_correct_use"):
        result = criterion(facts, name, payer)
        assert result.status == status
    assert evidence in criterion(facts, "face_to_face_training", payer).evidence
    assert "trained caregiver Ana on 2024-06-03" in criterion(facts, "face_to_face_training", payer).evidence


def test_under_medicare_the_patients_own_training_counts_beside_a_caregivers():
    facts = replace(CLEARED, demonstrations=(trained(date(2024, 5, 1), caregiver=True), trained(date(2024, 6, 3))))
    result = criterion(facts, "face_to_face_training")
    assert (result.status, result.evidence) == ("met", "trained the patient on 2024-06-03")


@pytest.mark.parametrize(
    ("order", "status", "evidence"),
    [
        (PhysicianOrder(date(2024, 5, 20), "Dr. Okafor"), "met", "ordered by Dr. Okafor on 2024-05-20"),
        (PhysicianOrder(TODAY, "Dr. Okafor"), "met", "ordered by Dr. Okafor"),
        (PhysicianOrder(date(2024, 6, 16), "Dr. Okafor"), "not_met", "in the future"),
        (None, "not_met", "no physician order"),
    ],
)
def test_physician_order_must_be_on_file(order, status, evidence):
    result = criterion(replace(CLEARED, physician_order=order), "physician_order")
    assert result.status == status
    assert evidence in result.evidence


@pytest.mark.parametrize(
    ("training_on", "assessed_on", "home_testing_start", "status", "evidence"),
    [
        # Before home testing starts, the initial training is the demonstration of correct use.
        (date(2024, 6, 3), None, date(2024, 7, 1), "met", "reassessment due by 2025-06-03"),
        # Afterwards the latest reassessment counts, within 12 months of today (the due day itself included).
        (date(2022, 1, 10), date(2023, 6, 15), date(2022, 2, 1), "met", "due by 2024-06-15"),
        (date(2022, 1, 10), date(2023, 6, 14), date(2022, 2, 1), "not_met", "overdue since 2024-06-14"),
        (date(2022, 1, 10), None, date(2022, 2, 1), "not_met", "last demonstrated on 2022-01-10"),
        # A training newer than the last reassessment is itself the latest demonstration.
        (date(2024, 1, 5), date(2022, 3, 1), date(2022, 2, 1), "met", "last demonstrated on 2024-01-05"),
        # A reassessment dated after today has not happened yet.
        (date(2022, 1, 10), date(2024, 7, 1), date(2022, 2, 1), "not_met", "last demonstrated on 2022-01-10"),
        (None, None, None, "not_met", "no demonstration of correct device use"),
    ],
)
def test_continued_correct_use_needs_a_demonstration_within_the_reassessment_period(
    training_on, assessed_on, home_testing_start, status, evidence
):
    demonstrations = ((trained(training_on),) if training_on else ()) + (
        (trained(assessed_on, kind="reassessment"),) if assessed_on else ())
    facts = replace(CLEARED, demonstrations=demonstrations, home_testing_start=home_testing_start)
    result = criterion(facts, "continued_correct_use")
    assert result.status == status
    assert evidence in result.evidence


@pytest.mark.parametrize(
    ("failed", "status", "evidence"),
    [
        (trained(date(2024, 6, 1), kind="reassessment", competent=False), "not_met",
         "the reassessment on 2024-06-01 was signed not yet competent"),
        (trained(date(2024, 6, 1), kind="retraining", competent=False), "not_met", "retraining on 2024-06-01"),
        (trained(date(2023, 6, 1), kind="reassessment", competent=False), "met", "last demonstrated on 2024-01-05"),
        (trained(date(2024, 6, 20), kind="reassessment", competent=False), "met", "2024-01-05"),  # after today
        (trained(date(2024, 6, 1), kind="reassessment", competent=False, caregiver=True), "met", "2024-01-05"),
    ],
)
def test_a_reassessment_signed_not_yet_competent_after_the_last_competent_one_withholds_continued_use(
    failed, status, evidence
):
    facts = replace(CLEARED, demonstrations=(trained(date(2024, 1, 5)), failed))
    result = criterion(facts, "continued_correct_use")
    assert result.status == status
    assert evidence in result.evidence


def test_reassessment_period_is_per_payer():
    facts = replace(CLEARED, demonstrations=(trained(date(2023, 12, 1), kind="reassessment"),))
    assert criterion(facts, "continued_correct_use", PayerRules(reassessment_months=6)).status == "not_met"
    assert criterion(facts, "continued_correct_use", PayerRules(reassessment_months=7)).status == "met"


@pytest.mark.parametrize(
    ("extra_facts", "status", "cleared"),
    [
        ({"expected_long_term_anticoagulation": True}, "met", True),
        ({"expected_long_term_anticoagulation": False}, "not_met", False),
        ({"expected_long_term_anticoagulation": None}, "unknown", False),
        ({}, "unknown", False),
    ],
)
def test_payer_extra_criterion_is_read_from_extra_facts(extra_facts, status, cleared):
    clearance = evaluate_clearance(replace(CLEARED, extra_facts=extra_facts), BCBS_FL, TODAY)
    assert clearance.criteria[-1].name == "expected_long_term_anticoagulation"
    assert clearance.criteria[-1].status == status
    assert clearance.cleared is cleared


def test_extra_facts_are_ignored_when_the_payer_does_not_ask_for_them():
    facts = replace(CLEARED, extra_facts={"expected_long_term_anticoagulation": False})
    assert evaluate_clearance(facts, MEDICARE, TODAY).cleared


def test_extra_fact_that_is_not_a_boolean_is_refused():
    with pytest.raises(TypeError):
        evaluate_clearance(replace(CLEARED, extra_facts={"expected_long_term_anticoagulation": "yes"}), BCBS_FL, TODAY)


def test_unknown_criteria_withhold_clearance_like_unmet_ones():
    facts = replace(CLEARED, warfarin_start=None, indications=())
    clearance = evaluate_clearance(facts, MEDICARE, TODAY)
    assert not clearance.cleared
    assert [(c.name, c.status) for c in clearance.outstanding] == [
        ("covered_indication", "unknown"),
        ("anticoagulated_3_months", "unknown"),
    ]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 15), 1, date(2024, 2, 15)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # clamped to the end of a leap February
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),  # across a year end
        (date(2024, 12, 31), 1, date(2025, 1, 31)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),  # backwards
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
        (date(2024, 5, 5), 0, date(2024, 5, 5)),
    ],
)
def test_add_months_keeps_the_day_or_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected
