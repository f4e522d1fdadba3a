"""Validate an 837P file with a real X12 validator (pyx12, against the 005010X222A1 implementation guide's map),
and read its segments for the tests' own checks."""

from __future__ import annotations

import io
import json
import logging

import pyx12.params
import pyx12.x12n_document


def validation_errors(text: str) -> list:
    """Everything pyx12 finds wrong with the interchange (an empty list: it passes)."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    report = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), io.StringIO(text), io.StringIO(), None, None,
                                           report)
    found = _errors(json.loads(report.getvalue() or "{}"))
    if not ok and not found:
        found = ["pyx12 refused the file"]
    return found


def _errors(node) -> list:
    if isinstance(node, dict):
        return list(node.get("errors") or []) + [e for value in node.values() for e in _errors(value)
                                                 if isinstance(value, (dict, list))]
    if isinstance(node, list):
        return [e for item in node for e in _errors(item)]
    return []


def segments(text: str) -> list[list[str]]:
    return [segment.strip().split("*") for segment in text.split("~") if segment.strip()]


def claims(text: str) -> list[dict]:
    """Per claim (CLM): its id, diagnoses (HI) and service lines (code with modifiers, charge, units, date,
    pointer, rendering NPI where given)."""
    found: list[dict] = []
    line: dict | None = None
    for segment in segments(text):
        if segment[0] == "CLM":
            found.append({"id": segment[1], "total": segment[2], "diagnoses": [], "rendering": None, "lines": []})
        elif segment[0] == "HI":
            found[-1]["diagnoses"] = [part.split(":")[1] for part in segment[1:]]
        elif segment[0] == "NM1" and segment[1] == "82":
            if line is None:
                found[-1]["rendering"] = segment[9]
            else:
                line["rendering"] = segment[9]
        elif segment[0] == "LX":
            line = {"rendering": None}
            found[-1]["lines"].append(line)
        elif segment[0] == "SV1":
            line.update(procedure=segment[1], charge=segment[2], units=segment[4], pointer=segment[7])
        elif segment[0] == "DTP" and segment[1] == "472":
            line["date"] = segment[3]
        elif segment[0] == "HL":
            line = None
    return found
