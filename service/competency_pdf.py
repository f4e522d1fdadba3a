"""The printable competency document of one training session, for the clinic's file and a payer's auditor."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF

from models.training import TrainingSession
from service import training

OUTCOME_LABELS = {"demonstrated": "demonstrated", "explained": "explained", "needs_practice": "needs practice",
                  None: "not covered"}


def _latin1(text: object) -> str:
    # The PDF core fonts cover Latin-1 only; anything else prints as "?" rather than failing the document.
    return str(text).encode("latin-1", "replace").decode("latin-1")


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
    view = training.current(ts)
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title("Home INR training and competency record")

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def line(label: str, value: object) -> None:
        pdf.multi_cell(0, 5, _latin1(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 9, "Home INR training and competency record", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
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
        pdf.multi_cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    heading("Supervised test")
    line("Result", _test_line(view["supervised_test"]))

    heading("Amendments")
    if not ts.amendments:
        pdf.multi_cell(0, 5, "none", new_x="LMARGIN", new_y="NEXT")
    for amendment in ts.amendments:
        line(f"{_local(ts, amendment.amended_at)} by {amendment.amended_by.full_name}",
             f"{amendment.reason}; corrected: {_corrections(amendment.changes)}")
    recorded = training.recorded(ts)
    if ts.amendments:
        line("As originally signed: supervised test", _test_line(recorded["supervised_test"]))
        line("As originally signed: place", recorded["place"])

    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, _latin1(f"Printed {printed_at.strftime('%Y-%m-%d %H:%M UTC')}. Amendments are shown "
                                 "applied; the signed record itself is never changed."),
                   new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
