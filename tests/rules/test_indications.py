"""Covered diagnoses for home INR monitoring, checked against the ICD-10-CM code set."""

import pytest

from service.rules.indications import (
    DEFAULT_COVERED_DIAGNOSES,
    CodeRange,
    CoveredDiagnoses,
    IndicationError,
    check_diagnosis,
    check_indication,
    is_covered,
)


@pytest.mark.parametrize(
    ("code", "normalized"),
    [
        ("I48.91", "I48.91"),  # unspecified atrial fibrillation
        ("I48.0", "I48.0"),
        ("I48.11", "I48.11"),
        ("I48.19", "I48.19"),
        ("I48.20", "I48.20"),
        ("I48.21", "I48.21"),
        ("D68.51", "D68.51"),  # range start
        ("D68.59", "D68.59"),  # range end
        ("D68.62", "D68.62"),
        ("I26.01", "I26.01"),
        ("I26.99", "I26.99"),
        ("I80.00", "I80.00"),
        ("I80.9", "I80.9"),
        ("I80.10", "I80.10"),
        ("I82.211", "I82.211"),
        ("I82.401", "I82.401"),  # range start
        ("I82.4Z9", "I82.4Z9"),  # letter sixth characters sort after digits
        ("I82.5Z9", "I82.5Z9"),  # range end
        ("I82.A21", "I82.A21"),
        ("I82.A29", "I82.A29"),
        ("I82.B22", "I82.B22"),
        ("I82.C29", "I82.C29"),
        ("Z95.2", "Z95.2"),
    ],
)
def test_covered_code_is_accepted_and_returned_normalized(code, normalized):
    assert check_indication(code) == normalized
    assert is_covered(code)


@pytest.mark.parametrize(
    ("code", "normalized"),
    [
        ("i48.91", "I48.91"),
        ("I4891", "I48.91"),
        ("i4891", "I48.91"),
        (" z952 ", "Z95.2"),
        ("i82a21", "I82.A21"),
    ],
)
def test_lower_case_and_missing_dot_are_normalized(code, normalized):
    assert check_indication(code) == normalized


def test_range_end_takes_in_longer_codes_that_start_with_it():
    payer_list = CoveredDiagnoses(version="payer", ranges=(CodeRange("I80.00", "I80.2"),))
    assert check_indication("I80.201", payer_list) == "I80.201"


@pytest.mark.parametrize(
    ("code", "replacements"),
    [
        ("I48.2", ("I48.20", "I48.21")),
        ("i482", ("I48.20", "I48.21")),
        ("I48.1", ("I48.11", "I48.19")),
    ],
)
def test_retired_atrial_fibrillation_code_is_refused_naming_its_replacements(code, replacements):
    with pytest.raises(IndicationError) as raised:
        check_indication(code)
    error = raised.value
    assert error.reason == "retired"
    assert error.code == code
    assert "retired" in error.message
    assert "2019-10-01" in error.message
    for replacement in replacements:
        assert replacement in error.message


@pytest.mark.parametrize(
    "code",
    [
        "D68.5",  # parent of D68.51–D68.59
        "D68.6",
        "I26.9",  # between I26.01 and I26.99 textually, but shorter than both bounds
        "I26.0",
        "I26",
        "I48",
        "I48.9",  # parent of I48.91
        "I80.0",  # parent of the range start I80.00
        "I82.4",
        "I82.41",  # inside I82.401–I82.5Z9 but shorter than its bounds
        "I82.5Z",
        "I82.A2",
        "Z95",
        # Issue 13, defect 8: headers the old pattern check let through.
        "I80.1",
        "I80.20",
        "I82.6",
    ],
)
def test_category_header_is_refused_asking_for_a_more_specific_code(code):
    with pytest.raises(IndicationError) as raised:
        check_indication(code)
    assert raised.value.reason == "header"
    assert code in raised.value.message
    assert "more specific code is required" in raised.value.message


@pytest.mark.parametrize(
    "code",
    [
        "I10",  # hypertension
        "I82.A11",  # acute, not chronic, axillary thrombosis: before the range
        "I82.210",  # next to the single covered code I82.211
        "I48.92",
        "I82.601",  # past I82.5Z9
        "Z79.01",  # long-term anticoagulant use is a payer criterion, not an indication
        "D68.4",
        "I27.0",
    ],
)
def test_well_formed_code_outside_the_list_is_not_covered(code):
    with pytest.raises(IndicationError) as raised:
        check_indication(code)
    assert raised.value.reason == "not_covered"
    assert code.strip().upper() in raised.value.message
    assert "not a covered diagnosis for home INR monitoring" in raised.value.message
    assert not is_covered(code)


@pytest.mark.parametrize("code", ["XYZ", "", "I4", "48.91", "I48..91", "I48.91234", "I4.891", "II8.91", "I48-91"])
def test_malformed_code_is_refused_as_malformed(code):
    with pytest.raises(IndicationError) as raised:
        check_indication(code)
    assert raised.value.reason == "malformed"
    assert repr(code) in raised.value.message
    assert "not a well-formed ICD-10-CM code" in raised.value.message
    assert not is_covered(code)


def test_indication_error_is_a_value_error():
    with pytest.raises(ValueError):
        check_indication("XYZ")


def test_payer_list_replaces_the_default():
    payer_list = CoveredDiagnoses(version="payer-2024", ranges=(CodeRange("Z79.01", "Z79.01"),))
    assert check_indication("Z79.01", payer_list) == "Z79.01"
    assert not is_covered("I48.91", payer_list)
    # Retirements travel with the list; without them I48.2 is still refused, by the code set: it has children.
    with pytest.raises(IndicationError) as raised:
        check_indication("I48.2", payer_list)
    assert raised.value.reason == "header"


@pytest.mark.parametrize("code", ["I26.55", "I80.91", "I82.A3X", "D68.60", "Z79.99"])
def test_code_that_does_not_exist_in_icd_10_cm_is_refused_as_unknown(code):
    # Issue 13, defect 8: I26.55 has the shape of a PE code inside the covered range, but no such code exists.
    with pytest.raises(IndicationError) as raised:
        check_indication(code)
    assert raised.value.reason == "unknown"
    assert "not an ICD-10-CM code" in raised.value.message
    with pytest.raises(IndicationError):
        check_diagnosis(code)


@pytest.mark.parametrize(("code", "normalized"), [("Z79.01", "Z79.01"), ("z7901", "Z79.01"), ("I10", "I10"),
                                                  ("I48.91", "I48.91")])
def test_a_billable_code_outside_the_covered_list_may_be_a_secondary_diagnosis(code, normalized):
    assert check_diagnosis(code) == normalized


@pytest.mark.parametrize(("code", "reason"), [("Z79", "header"), ("I80.1", "header"), ("I26.55", "unknown"),
                                              ("I48.2", "retired"), ("Z7", "malformed")])
def test_a_secondary_diagnosis_must_still_be_a_billable_code(code, reason):
    with pytest.raises(IndicationError) as raised:
        check_diagnosis(code)
    assert raised.value.reason == reason


def test_default_list_is_versioned_by_code_set_date():
    assert DEFAULT_COVERED_DIAGNOSES.version == "2019-10-01"


def test_range_that_ends_before_it_starts_is_rejected():
    with pytest.raises(ValueError):
        CodeRange("I26.99", "I26.01")
