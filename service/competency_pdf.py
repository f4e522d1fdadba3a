"""The printable competency document of one training session, for the clinic's file and a payer's auditor."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from models.training import TrainingSession
from service import pdf_fonts, training

OUTCOME_LABELS = {"demonstrated": "demonstrated", "explained": "explained", "needs_practice": "needs practice",
                  None: "not covered"}


def _local(ts: TrainingSession, when: datetime) -> str:
    return when.astimezone(ZoneInfo(ts.patient.time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def _trainee(ts: TrainingSession) -> str:
    if ts.trainee_caregiver is not None:
        return f"{ts.trainee_caregiver.full_name} (caregiver of {ts.patient.full_name})"
    return f"{ts.patient.full_name} (the patient)"


def _test_line(test: dict | None) -> str:
    if test is None:
        return "not recorded"
    line = f"trainee meter INR {test['trainee_inr']}"
    if test["clinic_inr"] is None:
        return line + "; no clinic comparison"
    verdict = "agree" if test["agree"] else "do not agree"
    return line + f"; clinic INR {test['clinic_inr']}; readings {verdict} (tolerance {test['tolerance']} INR)"


def _corrections(changes: dict) -> str:
    parts = []
    for name, value in sorted(changes.items()):
        if name == "items":
            parts.append("items " + ", ".join(f"{key} -> {OUTCOME_LABELS[item['outcome']]}"
                                              for key, item in sorted(value.items())))
        elif name == "supervised_test":
            parts.append(f"supervised test ({_test_line(value)})")
        else:
            parts.append(f"{name.replace('_', ' ')} -> {value or 'none'}")
    return "; ".join(parts)


def render(ts: TrainingSession, printed_at: datetime) -> bytes:
    paragraphs = _paragraphs(ts, printed_at)
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title("Home INR training and competency record")
    # Shaping joins Arabic letters and orders right-to-left text; every name prints in its own script.
    pdf.set_text_shaping(True)
    text_by_style: dict[str, str] = {}
    for style, _size, _height, text in paragraphs:
        text_by_style[style] = text_by_style.get(style, "") + text
    with tempfile.TemporaryDirectory(prefix="inr-pdf-fonts-") as directory:
        family = pdf_fonts.add_fonts(pdf, text_by_style, Path(directory))
        pdf.add_page()
        for style, size, height, text in paragraphs:
            if height is None:
                pdf.ln(size)
                continue
            pdf.set_font(family, style, size)
            pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())


def _paragraphs(ts: TrainingSession, printed_at: datetime) -> list[tuple[str, float, float | None, str]]:
    """The document as (style, size in points, line height in mm, text); a height of None is a gap of `size` mm."""
    view = training.current(ts)
    out: list[tuple[str, float, float | None, str]] = []

    def heading(text: str) -> None:
        out.append(("", 2, None, ""))
        out.append(("B", 12, 7, text))

    def line(label: str, value: object) -> None:
        out.append(("", 10, 5, f"{label}: {value}"))

    out.append(("B", 15, 9, "Home INR training and competency record"))
    line("Patient", f"{ts.patient.full_name}, born {ts.patient.date_of_birth}")
    line("Trainee", _trainee(ts))
    line("Session", f"{ts.kind}, {_local(ts, ts.occurred_at)}")
    line("Place", view["place"])
    line("Trainer", f"{ts.trainer.full_name} ({ts.trainer.role})")
    line("Meter serial", view["meter_serial"])
    line("Checklist version", ts.template.version)
    line("Overall outcome", "competent" if ts.outcome == "competent" else "not yet competent")
    line("Next session planned", view["next_session_on"] or "none")
    line("Signed by", f"{ts.signed_by.full_name} at {_local(ts, ts.signed_at)}")
    line("Record id", ts.public_id)

    heading("Checklist")
    for item in view["items"]:
        text = f"[{OUTCOME_LABELS[item['outcome']]}] {item['text']} ({item['key']}, {item['category']}"
        text += ", required)" if item["required"] else ")"
        if item["note"]:
            text += f" - note: {item['note']}"
        out.append(("", 10, 5, text))

    heading("Supervised test")
    line("Result", _test_line(view["supervised_test"]))

    heading("Amendments")
    if not ts.amendments:
        out.append(("", 10, 5, "none"))
    for amendment in ts.amendments:
        line(f"{_local(ts, amendment.amended_at)} by {amendment.amended_by.full_name}",
             f"{amendment.reason}; corrected: {_corrections(amendment.changes)}")
    recorded = training.recorded(ts)
    if ts.amendments:
        line("As originally signed: supervised test", _test_line(recorded["supervised_test"]))
        line("As originally signed: place", recorded["place"])

    out.append(("", 4, None, ""))
    out.append(("I", 8, 4, f"Printed {printed_at.strftime('%Y-%m-%d %H:%M UTC')}. Amendments are shown applied; "
                           "the signed record itself is never changed."))
    return out
