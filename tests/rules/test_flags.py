"""Flagging, escalation, recheck intervals and patient messages for INR results."""

from datetime import date
from decimal import Decimal as D

import pytest

from service.rules.flags import (
    DEFAULT_TARGET,
    SYMPTOMS,
    CriticalThresholds,
    TherapeuticRange,
    flag_inr,
    flag_reading,
    patient_message,
)

STANDARD = TherapeuticRange(D("2.0"), D("3.0"))
ON_X = TherapeuticRange(D("1.5"), D("2.0"))
MITRAL = TherapeuticRange(D("2.5"), D("3.5"))
EMERGENCY = "If you have heavy bleeding, chest pain or trouble speaking, call 911."


@pytest.mark.parametrize(
    ("value", "comparator", "target", "level", "interpretation"),
    [
        ("2.5", None, STANDARD, "in_range", "N"),
        ("2.0", None, STANDARD, "in_range", "N"),  # lower bound is in range
        ("3.0", None, STANDARD, "in_range", "N"),  # upper bound is in range
        ("1.9", None, STANDARD, "low", "L"),
        ("1.6", None, STANDARD, "low", "L"),
        ("1.51", None, STANDARD, "low", "L"),
        ("1.5", None, STANDARD, "critical_low", "LL"),  # critical low is inclusive
        ("1.0", None, STANDARD, "critical_low", "LL"),
        ("3.1", None, STANDARD, "high", "H"),
        ("4.99", None, STANDARD, "high", "H"),
        ("5.0", None, STANDARD, "critical_high", "HH"),  # critical high is inclusive
        ("7.2", None, STANDARD, "critical_high", "HH"),
        ("0.8", "<", STANDARD, "critical_low", "LL"),  # below the meter's range
        ("8.0", ">", STANDARD, "critical_high", "HH"),  # above the meter's range
        ("2.4", None, MITRAL, "low", "L"),  # the patient's own range decides, not the default
        ("3.5", None, MITRAL, "in_range", "N"),
        ("3.6", None, MITRAL, "high", "H"),
    ],
)
def test_result_is_flagged_against_the_patients_own_range(value, comparator, target, level, interpretation):
    flag = flag_inr(D(value), comparator, target)
    assert flag.level == level
    assert flag.interpretation == interpretation


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("1.5", "in_range"),  # equals critical low but is what the physician asked for
        ("2.0", "in_range"),
        ("1.4", "critical_low"),
        ("2.1", "high"),
    ],
)
def test_value_inside_the_patients_own_range_is_never_critical(value, level):
    assert flag_inr(D(value), None, ON_X).level == level


def test_meter_comparator_is_critical_even_when_the_limit_lies_in_range():
    low_target = TherapeuticRange(D("0.8"), D("1.5"))
    assert flag_inr(D("0.8"), "<", low_target).level == "critical_low"


@pytest.mark.parametrize(
    ("value", "level"),
    [("4.0", "critical_high"), ("3.9", "high"), ("1.8", "critical_low"), ("1.9", "low")],
)
def test_configured_critical_thresholds_replace_the_defaults(value, level):
    thresholds = CriticalThresholds(low=D("1.8"), high=D("4.0"))
    assert flag_inr(D(value), None, STANDARD, thresholds).level == level


@pytest.mark.parametrize(
    ("value", "comparator", "symptoms", "urgent", "severity"),
    [
        ("2.5", None, (), False, "none"),
        ("3.4", None, (), False, "out_of_range"),
        ("1.8", None, (), False, "out_of_range"),
        ("5.0", None, (), True, "critical"),
        ("1.5", None, (), True, "critical"),
        ("0.8", "<", (), True, "critical"),
        ("2.5", None, ("nosebleed",), True, "critical"),  # symptoms escalate whatever the INR
        ("3.4", None, ("chest_pain", "other"), True, "critical"),
    ],
)
def test_critical_level_or_any_symptom_makes_the_result_urgent(value, comparator, symptoms, urgent, severity):
    flag = flag_inr(D(value), comparator, STANDARD, symptoms=symptoms)
    assert flag.urgent is urgent
    assert flag.severity == severity
    assert flag.needs_alert is (severity != "none")


def test_symptoms_are_kept_on_the_flag_in_order():
    flag = flag_inr(D("2.5"), None, STANDARD, symptoms=["vision_change", "nosebleed"])
    assert flag.symptoms == ("vision_change", "nosebleed")


def test_unknown_symptom_is_refused():
    with pytest.raises(ValueError, match="headache"):
        flag_inr(D("2.5"), None, STANDARD, symptoms=("headache",))


def test_symptom_list_covers_bleeding_and_clot_signs_and_other():
    for symptom in ("nosebleed", "black_or_bloody_stool", "chest_pain", "trouble_speaking", "other"):
        assert symptom in SYMPTOMS
    assert len(set(SYMPTOMS)) == len(SYMPTOMS)


@pytest.mark.parametrize(
    ("value", "comparator", "error"),
    [
        (2.5, None, TypeError),  # floats are refused, not coerced
        ("2.5", None, TypeError),
        (D("NaN"), None, ValueError),
        (D("2.5"), "<=", ValueError),
        (D("2.5"), "", ValueError),
    ],
)
def test_invalid_input_is_refused(value, comparator, error):
    with pytest.raises(error):
        flag_inr(value, comparator, STANDARD)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("3.0", "2.0"),  # inverted
        ("2.0", "2.0"),  # empty
        ("0.7", "2.0"),  # below what the meter measures
        ("2.0", "8.1"),  # above what the meter measures
    ],
)
def test_target_range_must_be_ordered_and_measurable(low, high):
    with pytest.raises(ValueError):
        TherapeuticRange(D(low), D(high))


def test_target_range_may_span_the_whole_meter_range():
    assert TherapeuticRange(D("0.8"), D("8.0")).high == D("8.0")


def test_default_target_is_two_to_three():
    assert DEFAULT_TARGET == STANDARD


def test_critical_thresholds_must_be_ordered():
    with pytest.raises(ValueError):
        CriticalThresholds(low=D("5.0"), high=D("1.5"))


def test_in_range_message_says_when_the_next_test_is_due():
    flag = flag_inr(D("2.4"), None, STANDARD)
    message = patient_message(flag, date(2024, 3, 4), EMERGENCY)
    assert message == (
        "Your INR is 2.4, within your target range of 2.0–3.0. Your next test is due on Monday, March 4, 2024."
    )


def test_in_range_message_without_a_due_date_defers_to_the_clinic_schedule():
    message = patient_message(flag_inr(D("2.4"), None, STANDARD), None, EMERGENCY)
    assert "when your clinic has scheduled" in message
    assert EMERGENCY not in message


@pytest.mark.parametrize(("value", "direction"), [("1.8", "below"), ("3.4", "above")])
def test_out_of_range_message_says_the_physician_has_been_notified(value, direction):
    message = patient_message(flag_inr(D(value), None, STANDARD), date(2024, 3, 4), EMERGENCY)
    assert f"Your INR is {value}, {direction} your target range of 2.0–3.0." in message
    assert "Your physician has been notified" in message
    assert "March 4, 2024" in message
    assert "now" not in message
    assert EMERGENCY not in message


@pytest.mark.parametrize(
    ("value", "comparator", "reading"),
    [("5.6", None, "5.6"), ("8.0", ">", ">8.0"), ("0.8", "<", "<0.8"), ("1.5", None, "1.5")],
)
def test_critical_message_says_contact_the_clinic_now_with_emergency_instructions(value, comparator, reading):
    message = patient_message(flag_inr(D(value), comparator, STANDARD), date(2024, 3, 4), EMERGENCY)
    assert message.startswith(f"Your INR is {reading}.")
    assert "far outside your target range" in message
    assert "Contact your clinic now." in message
    assert message.endswith(EMERGENCY)
    assert "next test" not in message


def test_symptoms_with_an_in_range_value_still_say_contact_the_clinic_now():
    flag = flag_inr(D("2.5"), None, STANDARD, symptoms=("blood_in_urine",))
    message = patient_message(flag, date(2024, 3, 4), EMERGENCY)
    assert "You reported symptoms" in message
    assert "Contact your clinic now." in message
    assert "outside" not in message
    assert message.endswith(EMERGENCY)


def test_symptoms_with_an_out_of_range_value_mention_both():
    flag = flag_inr(D("3.4"), None, STANDARD, symptoms=("nosebleed",))
    message = patient_message(flag, None, EMERGENCY)
    assert "This is outside your target range of 2.0–3.0." in message
    assert "You reported symptoms" in message
    assert message.endswith(EMERGENCY)


@pytest.mark.parametrize("instructions", ["", "   "])
def test_message_requires_emergency_instructions(instructions):
    with pytest.raises(ValueError):
        patient_message(flag_inr(D("2.5"), None, STANDARD), None, instructions)


# --- readings that are not a valid INR (domain.md, "Readings that are not a valid INR") ---------------------------


@pytest.mark.parametrize(
    ("value", "comparator", "not_valid"),
    [
        ("1.2", None, "qc_failed"),  # would be critical if it were an INR
        ("2.5", None, "qc_failed"),  # would be in range
        ("7.9", None, "meter_error"),
        ("8.0", ">", "meter_error"),  # even a meter's ">8.0" is no INR with a failed check
        (None, None, "meter_error"),  # an error that showed no number
        ("6.0", None, "superseded"),  # corrected by a later entry
    ],
)
def test_a_reading_that_is_not_a_valid_inr_gets_no_flag_on_its_number_and_no_alert(value, comparator, not_valid):
    flag = flag_reading(D(value) if value else None, comparator, STANDARD, not_valid=not_valid)
    assert (flag.level, flag.interpretation, flag.severity, flag.needs_alert) == ("no_valid_inr", None, "none", False)
    assert not flag.is_critical and not flag.in_range and flag.not_valid == not_valid


def test_symptoms_still_escalate_urgently_whatever_the_reading():
    flag = flag_reading(D("1.2"), None, STANDARD, symptoms=("nosebleed",), not_valid="qc_failed")
    assert (flag.level, flag.severity, flag.urgent, flag.needs_alert) == ("no_valid_inr", "critical", True, True)


def test_a_valid_reading_is_flagged_as_flag_inr_does_and_needs_a_value():
    assert flag_reading(D("1.2"), None, STANDARD) == flag_inr(D("1.2"), None, STANDARD)
    with pytest.raises(ValueError):
        flag_reading(None, None, STANDARD)
    with pytest.raises(ValueError):
        flag_reading(None, "<", STANDARD, not_valid="meter_error")  # a comparator belongs to a number


def test_an_invalid_reading_tells_the_patient_to_retest_now_and_that_the_next_test_is_due_today():
    flag = flag_reading(D("1.2"), None, STANDARD, not_valid="qc_failed")
    message = patient_message(flag, date(2024, 3, 4), EMERGENCY, no_valid_inr_words="strip quality check failed")
    assert message == ("Your meter gave no valid INR (strip quality check failed), so this reading cannot guide your "
                       "dose. Retest now with a new test strip; if that fails too, call your clinic or get a lab INR. "
                       "Your next test is due on Monday, March 4, 2024.")
    assert "far outside" not in message and EMERGENCY not in message


def test_an_invalid_reading_with_symptoms_says_contact_the_clinic_now():
    flag = flag_reading(None, None, STANDARD, symptoms=("chest_pain",), not_valid="meter_error")
    message = patient_message(flag, date(2024, 3, 4), EMERGENCY, no_valid_inr_words="meter error E-406")
    assert message.startswith("Your meter gave no valid INR (meter error E-406)")
    assert "You reported symptoms" in message and "Contact your clinic now." in message
    assert message.endswith(EMERGENCY)


def test_a_corrected_entry_says_the_correction_is_what_counts():
    flag = flag_reading(D("6.0"), None, STANDARD, not_valid="superseded")
    assert patient_message(flag, None, EMERGENCY) == ("This entry was corrected by a later one; the correction is "
                                                      "what counts.")


def test_a_fast_meter_clock_and_a_suspended_home_testing_are_said_before_the_emergency_instructions():
    critical = patient_message(flag_inr(D("5.6"), None, STANDARD), None, EMERGENCY, clock_ahead=True,
                               home_testing_suspended=True)
    assert "Your meter's clock is ahead of the time" in critical and "contact your clinic" in critical
    assert critical.endswith(EMERGENCY)
    routine = patient_message(flag_inr(D("2.5"), None, STANDARD), date(2024, 3, 4), EMERGENCY, clock_ahead=True)
    assert routine.endswith("Your meter's clock is ahead of the time: please set its date and time.")
