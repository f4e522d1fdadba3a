"""Schemathesis fuzzes every documented operation in-process, authenticated as real users of several roles.

Bounded examples here; `INR_FUZZ_EXAMPLES` raises the bound for the slower CI step.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.openapi import DEFAULT_PATH as SPEC_PATH
from tests.hostile import NUL, SURROGATES, fields_of, hostile_values, plausible, put

EXAMPLES = int(os.environ.get("INR_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def fuzz(operation, headers: dict, real_patient_id: str) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        # Point patient-scoped paths at a real patient half of the time, so the happy path is fuzzed too.
        if case.path_parameters and "patient_id" in case.path_parameters and len(repr(case.body)) % 2 == 0:
            case.path_parameters["patient_id"] = real_patient_id
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("role", ["admin", "physician", "caregiver", "biller"])
def test_no_input_makes_a_server_error_and_responses_match_the_contract(role, app, clinic):
    schema = schemathesis.openapi.from_path(SPEC_PATH)
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10
    for operation in operations:
        if operation.path == "/auth/logout":
            continue  # revoking the token would turn every later example into a plain 401
        fuzz(operation, clinic.headers[role], clinic.patient_id)


def explicit_hostile_cases(operation, spec: dict):
    """The hostile-input classes (tests/hostile.py) as explicit schemathesis cases: each body field gets the
    values of its class, in an otherwise plausible body."""
    body_schema = (operation.definition.raw.get("requestBody", {}).get("content", {}).get("application/json", {})
                   .get("schema"))
    if body_schema is None:
        return
    base = plausible(spec, body_schema)
    for field, schema in fields_of(spec, body_schema):
        name = field[-1] if isinstance(field[-1], str) else field[-2]
        for value in hostile_values(name, schema)[:4] + SURROGATES[:1] + NUL:
            yield operation.Case(body=put(base, field, value), media_type="application/json")


@pytest.mark.parametrize("role", ["admin", "physician"])
def test_explicit_hostile_cases_get_documented_answers_and_never_a_server_error(role, app, clinic):
    from service.openapi import document

    spec = document(app)
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/auth/logout":
            continue
        for case in explicit_hostile_cases(operation, spec):
            if case.path_parameters is None or not case.path_parameters:
                case.path_parameters = {name: clinic.patient_id if name == "patient_id" else str(uuid.uuid4())
                                        for name in re.findall(r"{(\w+)}", operation.path)}
            response = case.call(headers=clinic.headers[role])
            case.validate_response(response, checks=CHECKS)
            sent += 1
    assert sent > 100
