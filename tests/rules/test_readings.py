"""Which readings are a valid INR: the rule counting, TTR, flags and FHIR share."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from service.rules.readings import (
    METER_ERROR,
    QC_FAILED,
    SUPERSEDED,
    in_words,
    is_valid_inr,
    superseded_ids,
    why_not_valid,
)


@pytest.mark.parametrize(
    ("qc_passed", "meter_error", "superseded", "reason"),
    [
        pytest.param(True, None, False, None, id="a_passed_strip_without_error_is_a_valid_inr"),
        pytest.param(False, None, False, QC_FAILED, id="a_failed_strip_gave_no_inr"),
        pytest.param(True, "E-406", False, METER_ERROR, id="a_meter_error_gave_no_inr"),
        pytest.param(False, "E-406", False, QC_FAILED, id="a_failed_strip_is_named_before_the_error_it_caused"),
        pytest.param(True, None, True, SUPERSEDED, id="a_corrected_result_gives_way_to_its_correction"),
        pytest.param(False, "E-1", True, SUPERSEDED, id="superseded_is_the_most_final_fact"),
    ],
)
def test_a_reading_is_a_valid_inr_only_with_a_passed_strip_no_error_and_no_correction(qc_passed, meter_error,
                                                                                        superseded, reason):
    assert why_not_valid(qc_passed, meter_error, superseded) == reason
    assert is_valid_inr(qc_passed, meter_error, superseded) is (reason is None)


def test_reasons_read_as_words_naming_the_meter_error():
    assert in_words(QC_FAILED) == "strip quality check failed"
    assert in_words(METER_ERROR, "E-406") == "meter error E-406"


def test_superseded_ids_are_those_a_correction_points_at():
    rows = [SimpleNamespace(id=1, supersedes_id=None), SimpleNamespace(id=2, supersedes_id=1),
            SimpleNamespace(id=3, supersedes_id=None)]
    assert superseded_ids(rows) == {1}
