"""The 837P file a biller submits: every file the service writes passes a real X12 validator (pyx12, against the
005010X222A1 implementation guide), and says what the ledger holds."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from models import ClaimLine
from service import billing, db
from tests import factories, x12
from tests.conftest import NOW
from tests.test_claim_generation import EXPECTED_YEAR, build_year, generate


def export_x12(app, clinic, key="year-of-care-837p"):
    with app.app_context():
        session = db.session()
        batch, created = billing.create_export(session, session.merge(clinic.users["biller"]), key, "x12",
                                               date(2026, 1, 1), date(2026, 12, 31), NOW)
        assert created
        return batch


def test_a_year_of_care_exports_as_an_837p_that_passes_the_validator(app, clinic):
    build_year(app, clinic)
    factories.add_coverage(app, clinic.patient, clinic.users["biller"])
    generate(app)
    with app.app_context():
        session = db.session()
        held = session.scalar(select(ClaimLine).where(ClaimLine.held_reason.is_not(None)))
        billing.release_claim(session, session.merge(clinic.users["biller"]), held, "payer takes the partial", NOW)
    batch = export_x12(app, clinic)
    assert batch.line_count == len(EXPECTED_YEAR)
    assert x12.validation_errors(batch.body) == []

    [claim] = x12.claims(batch.body)  # one patient, one payer, 23 lines: one claim
    assert claim["diagnoses"] == ["I4891"] and claim["rendering"] == factories.NPI
    billed = sorted((line["procedure"], line["date"], line["units"]) for line in claim["lines"])
    expected = sorted((":".join(["HC", code, *([modifier] if modifier else [])]), day.strftime("%Y%m%d"), "1")
                      for code, modifier, day, _ in EXPECTED_YEAR)
    assert billed == expected
    charges = {"HC:G0249": "160", "HC:G0249:52": "160", "HC:G0250": "45", "HC:93792": "60"}
    assert {line["charge"] for line in claim["lines"]} == {charges[line["procedure"]] for line in claim["lines"]}
    assert claim["total"] == str(sum(int(line["charge"]) for line in claim["lines"]))


def test_many_patients_and_more_than_fifty_lines_split_into_valid_claims(app, clinic):
    physician, biller = clinic.users["physician"], clinic.users["biller"]
    factories.complete_practice(app)
    patients = []
    for n in range(2):
        patient = factories.make_patient(app, clinic.users["admin"], physician, NOW, full_name=f"Ana Müller-{n}",
                                         payer=factories.management_payer(app), secondary_diagnoses=["Z79.01"])
        factories.add_coverage(app, patient, biller, last_name=f"Müller-{n}", first_name="Ana")
        factories.clear_for_home_testing(app, patient, date(2026, 1, 1), physician, NOW)
        for week in range(46):  # Tuesdays Jan 6 .. Nov 17, each reviewed the next day: a 93793 per new INR
            measured = datetime(2026, 1, 6, 14, tzinfo=timezone.utc) + timedelta(weeks=week)
            result = factories.make_result(app, patient, measured)
            factories.make_review_event(app, patient, measured.date() + timedelta(days=1), [result],
                                        provider=clinic.users["other_physician"] if week % 2 else None)
        patients.append(patient)
    generate(app)
    batch = export_x12(app, clinic, key="two-patients-837p")
    assert x12.validation_errors(batch.body) == []
    claims = x12.claims(batch.body)
    per_patient = batch.line_count // 2
    assert per_patient > 50 and sorted(len(claim["lines"]) for claim in claims) == sorted(
        [50, per_patient - 50, 50, per_patient - 50])
    assert all(claim["diagnoses"] == ["I4891", "Z7901"] for claim in claims)
    renderings = {line["rendering"] for claim in claims for line in claim["lines"]} | {
        claim["rendering"] for claim in claims}
    assert {factories.NPI, factories.OTHER_NPI} <= renderings
    assert "MULLER-0" in batch.body  # the umlaut written in the X12 basic character set
