"""Past results from another system: every row accepted or refused on its own, with the reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from service.rules.history_import import (
    ImportedReading,
    readings_from_csv,
    readings_from_fhir,
    same_reading,
    why_not_history,
)


def observation(oid="obs-1", value=2.4, when="2025-06-03T08:15:00-04:00", **changes):
    resource = {"resourceType": "Observation", "id": oid, "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "34714-6"}]},
                "effectiveDateTime": when, "valueQuantity": {"value": value, "unit": "INR"},
                "device": {"display": "UP123"}}
    resource.update(changes)
    return resource


def bundle(*resources):
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def test_a_home_inr_observation_becomes_a_reading_with_its_offset_and_meter():
    [row] = readings_from_fhir(bundle(observation()))
    reading = row.reading
    assert (row.source_id, reading.value, reading.comparator, reading.meter_serial) == ("obs-1", Decimal("2.4"),
                                                                                          None, "UP123")
    assert reading.measured_at == datetime(2025, 6, 3, 8, 15, tzinfo=timezone(timedelta(hours=-4)))


@pytest.mark.parametrize(("changes", "reason"), [
    pytest.param({"status": "entered-in-error"}, "only final", id="an_entry_in_error_is_not_history"),
    pytest.param({"code": {"coding": [{"system": "http://loinc.org", "code": "6301-6"}]}}, "home INR",
                 id="a_lab_inr_is_not_a_home_test"),
    pytest.param({"effectiveDateTime": "2025-06-03T08:15:00"}, "UTC offset", id="local_time_alone_is_ambiguous"),
    pytest.param({"effectiveDateTime": None}, "required", id="no_time_no_reading"),
    pytest.param({"valueQuantity": {"value": "2.4"}}, "No INR value", id="a_string_is_not_a_value"),
    pytest.param({"valueQuantity": {"value": 2.45}}, "one decimal", id="no_meter_shows_two_decimals"),
    pytest.param({"valueQuantity": {"value": 9.1}}, "from 0.8 to 8.0", id="beyond_the_meter_without_comparator"),
    pytest.param({"valueQuantity": {"value": 2.0, "comparator": "<"}}, "beyond its range",
                 id="a_comparator_only_at_the_meters_limits"),
    pytest.param({"id": ""}, "without an id", id="no_source_id_no_idempotent_import"),
    pytest.param({"code": "34714-6"}, "home INR", id="a_code_that_is_not_a_codeable_concept"),
    pytest.param({"code": {"coding": 7}}, "home INR", id="codings_that_are_not_a_list"),
    pytest.param({"status": {"final": True}}, "only final", id="a_status_that_is_not_a_code"),
    pytest.param({"valueQuantity": {"value": 10 ** 40}}, "from 0.8 to 8.0", id="a_number_beyond_any_inr"),
    pytest.param({"valueQuantity": {"value": float("nan")}}, "from 0.8 to 8.0", id="not_a_number_at_all"),
])
def test_an_observation_is_refused_with_the_reason(changes, reason):
    [row] = readings_from_fhir(bundle(observation(**changes)))
    assert row.reading is None and reason in row.reason


def test_a_reading_beyond_the_meters_range_keeps_its_comparator():
    [row] = readings_from_fhir(bundle(observation(valueQuantity={"value": 8.0, "comparator": ">"})))
    assert (row.reading.value, row.reading.comparator) == (Decimal("8.0"), ">")


def test_one_bad_entry_spoils_none_of_the_others():
    rows = readings_from_fhir(bundle(observation("a"), {"resourceType": "Patient"}, observation("c", value=3.1)))
    assert [(r.position, r.reading is not None) for r in rows] == [(0, True), (1, False), (2, True)]


@pytest.mark.parametrize("document", [None, [], {"resourceType": "Observation"}, {"resourceType": "Bundle"}])
def test_something_that_is_not_a_bundle_is_one_refused_row(document):
    [row] = readings_from_fhir(document)
    assert row.reading is None and row.reason


CSV_HEADER = "source_id,measured_at,value,comparator,meter_serial,qc_passed\n"


def test_csv_rows_become_readings_and_bad_rows_say_why():
    text = CSV_HEADER + ("old-1,2025-01-07T09:00:00-05:00,2.6,,UP9,true\n"
                         "old-2,2025-01-14T09:00:00-05:00,8.0,>,UP9,\n"
                         "old-3,2025-01-21T09:00:00,2.2,,,\n"
                         "old-4,2025-01-28T09:00:00-05:00,2.5,,,false\n"
                         ",2025-02-04T09:00:00-05:00,2.5,,,\n")
    rows = readings_from_csv(text)
    assert [r.reading is not None for r in rows] == [True, True, False, True, False]
    assert rows[1].reading.comparator == ">" and rows[3].reading.qc_passed is False
    assert "offset" in rows[2].reason and "source_id" in rows[4].reason
    assert [r.position for r in rows] == [1, 2, 3, 4, 5]


def test_a_csv_without_the_required_columns_is_refused_whole():
    [row] = readings_from_csv("id,when,inr\n1,2025-01-07T09:00:00Z,2.5\n")
    assert "source_id, measured_at, value" in row.reason


def test_a_csv_field_longer_than_csv_reads_refuses_the_rest_not_the_rows_before():
    text = CSV_HEADER + "old-1,2025-01-07T09:00:00-05:00,2.6,,,\n" + 'old-2,"' + "x" * 200_000 + '",2.5,,,\n'
    rows = readings_from_csv(text)
    assert rows[0].reading is not None
    assert rows[-1].reading is None and "Not readable as CSV" in rows[-1].reason


def test_a_csv_meter_serial_longer_than_a_serial_is_refused():
    [row] = readings_from_csv(CSV_HEADER + "old-1,2025-01-07T09:00:00-05:00,2.5,," + "U" * 65 + ",\n")
    assert row.reading is None and "meter_serial" in row.reason


def test_a_csv_value_beyond_any_inr_is_refused_not_raised():
    [row] = readings_from_csv(CSV_HEADER + "old-1,2025-01-07T09:00:00-05:00,1e400,,,\n")
    assert row.reading is None and "from 0.8 to 8.0" in row.reason


READING = ImportedReading("old-1", datetime(2025, 6, 3, 8, 15, tzinfo=timezone(timedelta(hours=-4))), Decimal("2.4"))


@pytest.mark.parametrize(("other", "same"), [
    pytest.param(replace(READING, measured_at=datetime(2025, 6, 3, 12, 15, tzinfo=timezone.utc)), True,
                 id="the_same_instant_named_in_another_offset_is_the_same"),
    pytest.param(replace(READING, source_id="other-id"), True, id="the_id_is_the_key_not_the_content"),
    pytest.param(replace(READING, value=Decimal("2.5")), False, id="another_value"),
    pytest.param(replace(READING, measured_at=READING.measured_at + timedelta(minutes=1)), False,
                 id="another_time"),
    pytest.param(replace(READING, qc_passed=False), False, id="another_quality_check"),
    pytest.param(replace(READING, meter_serial="UP9"), False, id="another_meter"),
])
def test_a_row_imported_again_is_the_same_reading_only_with_the_same_content(other, same):
    assert same_reading(READING, other) is same


NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
SKEW = timedelta(minutes=5)


@pytest.mark.parametrize(("measured_at", "local_day", "warfarin", "go_live", "reason"), [
    pytest.param(datetime(2024, 2, 1, 13, tzinfo=timezone.utc), date(2024, 2, 1), date(2024, 1, 10), None, None,
                 id="years_before_enrolment_is_history"),
    pytest.param(datetime(2024, 1, 9, 13, tzinfo=timezone.utc), date(2024, 1, 9), date(2024, 1, 10), None,
                 "started warfarin", id="not_before_warfarin"),
    pytest.param(datetime(2026, 11, 20, 13, tzinfo=timezone.utc), date(2026, 11, 20), None, date(2026, 11, 21),
                 None, id="the_day_before_go_live_is_history"),
    pytest.param(datetime(2026, 11, 21, 13, tzinfo=timezone.utc), date(2026, 11, 21), None, date(2026, 11, 21),
                 "go-live", id="from_go_live_on_results_are_reported_not_imported"),
    pytest.param(NOW + SKEW + timedelta(seconds=1), date(2026, 11, 23), None, None, "future",
                 id="not_in_the_future"),
    pytest.param(NOW + SKEW, date(2026, 11, 23), None, None, None, id="a_clock_within_the_skew_is_not_future"),
])
def test_what_is_history(measured_at, local_day, warfarin, go_live, reason):
    got = why_not_history(measured_at, local_day, warfarin_start=warfarin, go_live_on=go_live, now=NOW,
                          clock_skew=SKEW)
    assert got is None if reason is None else reason in got
