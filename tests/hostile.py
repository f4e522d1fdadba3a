"""Hostile input classes and the walkers that put them into any operation's body (see test_hostile_inputs).

A helper module, not a test module: the hostile-input tests and the schemathesis run both use it.
"""

from __future__ import annotations

import copy
import uuid

SURROGATES = ["Pat\ud800Jones", "\udfff", "Wang \udbff\udfff ok but \ud800"]
NUL = ["Pat\x00Jones"]
DATE_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-11-23T09:30:00+23:59",
              "2026-11-23T09:30:00-14:01", "1899-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "2026-11-23T09:30:00"]
DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "1899-12-31"]
ZONES = ["localtime", "Factory", "EST5EDT", "US/Eastern", "../../etc/passwd", "", "UTC\ud800"]
DEPTHS = [1_000, 5_000, 100_000]
METHODS = {"get", "post", "put", "patch", "delete"}


def deep(levels: int) -> str:
    """`levels` nested arrays around a number, as raw JSON text (Python could not build it as an object)."""
    return "[" * levels + "1" + "]" * levels


def nested_body(levels: int, field: str) -> bytes:
    return ('{"' + field + '": ' + deep(levels) + "}").encode()


# --- what the document says about each operation ------------------------------------------------------------------


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:  # a nullable reference
        schema = next(resolve(spec, option) for option in schema["anyOf"] if option.get("type") != "null")
    return schema


def types_of(schema: dict) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def plausible(spec: dict, schema: dict, name: str = ""):
    """A value the schema accepts in shape (the domain may still refuse it): the carrier for one hostile field."""
    schema = resolve(spec, schema)
    kinds = types_of(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "object" in kinds or "properties" in schema:
        return {key: plausible(spec, sub, key) for key, sub in schema.get("properties", {}).items()
                if key in schema.get("required", [])}
    if "array" in kinds:
        return [plausible(spec, schema.get("items", {}), name)] if schema.get("minItems") else []
    if "boolean" in kinds:
        return True
    if "integer" in kinds:
        return int(schema.get("minimum", 1))
    if "number" in kinds:
        return float(schema.get("minimum", 2.5))
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date":
        return "2026-11-20"
    if fmt == "date-time":
        return "2026-11-23T09:30:00-05:00"
    if fmt == "email":
        return "someone@clinic.test"
    if name == "time_zone":
        return "America/New_York"
    return "x" * max(schema.get("minLength", 1), 1) if not schema.get("pattern") else "a1234567"


def fields_of(spec: dict, schema: dict, path: tuple = ()):
    """(path, schema) of every leaf field of a body, nested objects included (one level of arrays too)."""
    schema = resolve(spec, schema)
    for key, sub in schema.get("properties", {}).items():
        sub = resolve(spec, sub)
        if "properties" in sub:
            yield from fields_of(spec, sub, path + (key,))
        elif "array" in types_of(sub) and "properties" in resolve(spec, sub.get("items", {})):
            yield from fields_of(spec, sub["items"], path + (key, 0))
        else:
            yield path + (key,), sub


def hostile_values(name: str, schema: dict) -> list:
    kinds, fmt = types_of(schema), schema.get("format")
    if fmt == "date-time":
        return DATE_TIMES + SURROGATES[:1]
    if fmt == "date":
        return DATES + SURROGATES[:1]
    if name.endswith("time_zone"):
        return ZONES
    if kinds & {"number", "integer"}:
        low, high = schema.get("minimum"), schema.get("maximum")
        edges = [value for value in (low, high) if value is not None]
        beyond = [round(low - 0.1, 1) if low is not None else -1, round(high + 0.1, 1) if high is not None else 1e308]
        return edges + beyond + [1e308, -0.0, 5e-324, "2.5", True]
    if "string" in kinds or not kinds:
        return SURROGATES + NUL
    return SURROGATES[:1]


def put(body: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(body)
    node = changed
    for key in path[:-1]:
        if isinstance(key, int):
            while len(node) <= key:
                node.append({})
        elif key not in node or not isinstance(node[key], (dict, list)):
            node[key] = [] if isinstance(path[path.index(key) + 1], int) else {}
        node = node[key]
    node[path[-1]] = value
    return changed
