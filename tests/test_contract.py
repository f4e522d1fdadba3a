"""openapi.yaml is the contract: generated from the code and committed, valid, naming exactly the routes that
run; the fuzz tests check the app honours it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from service.pages import is_page_endpoint

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def load_spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def documented_operations(spec: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in spec["paths"].items() for method in item
            if method in HTTP_METHODS}


def api_rules(app):
    """The app's routes that are API operations: the pages and their files are not, and are not documented."""
    return [rule for rule in app.url_map.iter_rules() if not is_page_endpoint(rule.endpoint)]


def running_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in api_rules(app):
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        operations |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return operations


def test_the_committed_document_is_what_the_code_generates(app):
    from service.openapi import as_yaml, document

    assert SPEC_PATH.read_text(encoding="utf-8") == as_yaml(document(app)), \
        "openapi.yaml is out of date: run `flask --app service openapi write` and commit it"


def test_document_is_valid_openapi_3_1():
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_running_route_is_documented_and_every_documented_route_runs(app):
    documented, running = documented_operations(load_spec()), running_operations(app)
    assert running - documented == set(), "routes missing from openapi.yaml"
    assert documented - running == set(), "documented routes that do not run"


def test_only_login_and_health_are_public(app):
    spec = load_spec()
    public = {(m.upper(), p) for p, item in spec["paths"].items() for m, op in item.items()
              if m in HTTP_METHODS and op.get("security") == []}
    assert public == {("GET", "/health"), ("POST", "/auth/login")}
    for rule in api_rules(app):
        view = app.view_functions[rule.endpoint]
        is_public = getattr(view, "is_public", False)
        assert is_public == (rule.rule in ("/health", "/auth/login")), rule.rule


def test_the_pages_are_static_files_read_only_and_apart_from_the_api(app):
    """Besides the API, the app serves only the pages and their files: GET only, nothing in the path but a file
    name, and none of them is an operation of the document."""
    pages = [rule for rule in app.url_map.iter_rules() if is_page_endpoint(rule.endpoint)]
    assert {rule.rule for rule in pages} >= {"/", "/login/", "/dashboard/", "/checklist/", "/assets/<path:filename>"}
    documented = {path for path in load_spec()["paths"]}
    for rule in pages:
        assert rule.methods - {"HEAD", "OPTIONS"} == {"GET"}, rule.rule
        assert set(rule.arguments) <= {"filename"}, rule.rule
        assert rule.rule not in documented, rule.rule


@pytest.mark.parametrize("status", ["401"])
def test_every_authenticated_operation_documents_its_auth_errors(status):
    spec = load_spec()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS and operation.get("security") != []:
                assert status in operation["responses"], f"{method.upper()} {path} lacks {status}"


def test_every_write_documents_409_since_any_write_can_lose_a_race_on_a_unique_key():
    spec = load_spec()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"post", "put", "patch"} and operation.get("security") != [] and path != "/auth/logout":
                assert "409" in operation["responses"], f"{method.upper()} {path} lacks 409"
