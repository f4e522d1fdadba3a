"""A small demo clinic so a newcomer can log in and try the API and the pages (never run this against a real
clinic): one of each role, and a few weeks of one patient's care, written through the domain functions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import InrResult, Patient, User
from service import clearance, identity, patients, results, reviews, training
from service.identity import Passwords
from service.settings import Settings, current_settings

PASSWORD = "demo-password-1"
LOGINS = [
    ("admin@demo.clinic", "admin"),
    ("dr.rivera@demo.clinic", "physician"),
    ("trainer@demo.clinic", "trainer"),
    ("biller@demo.clinic", "biller"),
    ("pat.jones@demo.clinic", "patient"),
    ("sam.jones@demo.clinic", "caregiver"),
]
NAMES = {"admin": "Demo Administrator", "physician": "Dr. Ana Rivera", "trainer": "Terry Trainer, RN",
         "biller": "Bea Biller", "patient": "Pat Jones", "caregiver": "Sam Jones"}
ZONE = ZoneInfo("America/New_York")

# Pat's weekly tests, (weeks ago, weekday offset, INR, strip passed): a high value the physician answered with a
# lower dose, a failed strip retested the same morning, a low value answered with a new weekly table, and a
# low value two days ago still waiting in the alert queue.
HISTORY = [(8, 0, "2.4", True), (7, 0, "2.7", True), (6, 0, "3.6", True), (5, 0, "2.9", True),
           (4, 0, "2.6", False), (4, 0, "2.5", True), (3, 0, "2.2", True), (2, 0, "1.8", True), (1, 0, "2.1", True)]
LOWER_DOSE = {"sunday": "5", "monday": "2.5", "tuesday": "5", "wednesday": "2.5", "thursday": "5", "friday": "2.5",
              "saturday": "5"}
NEW_WEEK = {"sunday": "5", "monday": "5", "tuesday": "5", "wednesday": "2.5", "thursday": "5", "friday": "5",
            "saturday": "2.5"}


def seed(session: Session, passwords: Passwords, now: datetime, settings: Settings | None = None) -> bool:
    """The demo clinic, once: True when it was created now. Its history is added when missing (also to a demo
    clinic seeded before there was one), judged with `settings` (the app's by default)."""
    settings = settings or current_settings()
    created = False
    if session.scalar(select(User.id).where(User.email == LOGINS[0][0])) is None:
        users = {}
        for email, role in LOGINS:
            # The demo's password is public on purpose (the README prints it so a newcomer can log in), which the
            # password policy rightly refuses; this seed alone says so. Never seed the demo on a real clinic.
            users[role] = identity.create_user(session, passwords, email=email, password=PASSWORD, role=role,
                                               full_name=NAMES[role],
                                               npi="1234567893" if role == "physician" else None, now=now,
                                               public_demo_password=True)
        patient = patients.create_patient(session, users["admin"], {
            "full_name": "Pat Jones", "date_of_birth": date(1950, 4, 2), "time_zone": "America/New_York",
            "physician_id": users["physician"].public_id, "payer": "medicare", "indications": ["I48.91"],
            "warfarin_start_date": (now - timedelta(days=200)).date(), "user_id": users["patient"].public_id,
        }, now - timedelta(weeks=10))
        patients.link_caregiver(session, patient, users["admin"], users["caregiver"].public_id, "spouse",
                                now - timedelta(weeks=10), now - timedelta(weeks=10))
        created = True
    _seed_history(session, settings, now)
    return created


def _user(session: Session, role: str) -> User:
    return session.scalar(select(User).where(User.email == dict((r, e) for e, r in LOGINS)[role]))


def _morning(now: datetime, weeks_ago: int, days: int = 0, hour: int = 8) -> datetime:
    day = (now.astimezone(ZONE) - timedelta(weeks=weeks_ago) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour), tzinfo=ZONE)


def _seed_history(session: Session, settings: Settings, now: datetime) -> None:
    """Ten weeks of Pat's care: Sam trained and signed competent, the order and clearance, weekly results, two
    reviews; skipped when Pat has results already."""
    patient = session.scalar(select(Patient).join(User, User.id == Patient.user_id)
                             .where(User.email == "pat.jones@demo.clinic"))
    if patient is None or session.scalar(select(exists().where(InrResult.patient_id == patient.id))):
        return
    physician, trainer, caregiver = _user(session, "physician"), _user(session, "trainer"), _user(session, "caregiver")
    clearance.record_order(session, patient, physician, _morning(now, 10).date(), "Home INR testing, weekly",
                           _morning(now, 10))
    for criterion in patient.payer.extra_criteria or ():  # whatever else the payer asks, the physician states
        clearance.record_fact(session, patient, physician, criterion, True, "demo", _morning(now, 10))
    items = [{"key": key, "outcome": outcome, "note": None} for key, outcome in (
        ("meter_use_and_care", "demonstrated"), ("blood_sample", "demonstrated"), ("reporting_results", "explained"),
        ("diet_and_drug_interactions", "explained"))]
    first = _morning(now, 10, 1, 10)
    training.record_training(session, patient, trainer, {
        "kind": "initial", "trainee": "caregiver", "caregiver_id": caregiver.public_id, "occurred_at": first,
        "place": "Clinic room 2", "meter_serial": "UP12345678", "outcome": "not_yet",
        "next_session_on": (first + timedelta(days=3)).date(), "items": items}, settings.training_agreement_tolerance,
        first + timedelta(hours=1))
    done = [{"key": key, "outcome": outcome, "note": None} for key, outcome in (
        ("meter_use_and_care", "demonstrated"), ("blood_sample", "demonstrated"),
        ("reporting_results", "demonstrated"), ("demonstration", "demonstrated"),
        ("diet_and_drug_interactions", "explained"), ("bleeding_and_clot_signs", "explained"),
        ("high_or_low_result", "explained"))]
    second = first + timedelta(days=3)
    training.record_training(session, patient, trainer, {
        "kind": "initial", "trainee": "caregiver", "caregiver_id": caregiver.public_id, "occurred_at": second,
        "place": "Clinic room 2", "meter_serial": "UP12345678", "outcome": "competent",
        "next_session_on": (now.astimezone(ZONE) + timedelta(days=60)).date(), "items": done,
        "supervised_test": {"trainee_inr": Decimal("2.4"), "clinic_inr": Decimal("2.5")}},
        settings.training_agreement_tolerance, second + timedelta(hours=1))
    # Medicare asks that the patient themselves show correct use (NCD 190.11): Pat is signed off too.
    training.record_training(session, patient, trainer, {
        "kind": "initial", "trainee": "patient", "occurred_at": second - timedelta(minutes=30),
        "place": "Clinic room 2", "meter_serial": "UP12345678", "outcome": "competent", "items": done,
        "supervised_test": {"trainee_inr": Decimal("2.5"), "clinic_inr": Decimal("2.5")}},
        settings.training_agreement_tolerance, second + timedelta(hours=1))
    clearance.decide(session, patient, physician, "cleared", "Trained, ordered, three months on warfarin",
                     second + timedelta(hours=2), settings.reassessment_months)
    stored = {}
    for index, (weeks_ago, days, value, passed) in enumerate(HISTORY):
        measured = _morning(now, weeks_ago, days, 8 if passed else 7)
        result, _ = results.record_result(session, patient, caregiver, {
            "client_id": f"demo-{index}", "value": Decimal(value), "measured_at": measured, "qc_passed": passed,
            "meter_serial": "UP12345678", "strip_lot": "47312", "symptoms": []}, settings, measured)
        stored[index] = result
    reviews.create_review(session, patient, physician, {
        "result_ids": [stored[2].public_id], "interpretation": "Above range after a course of antibiotics.",
        "instruction_kind": "new_dose", "dose_text": "Lower the dose for a week, then back to 5 mg daily",
        "weekly_doses": {day: Decimal(mg) for day, mg in LOWER_DOSE.items()},
        "next_test_date": _morning(now, 5).date()}, _morning(now, 6, 0, 11))
    reviews.create_review(session, patient, physician, {
        "result_ids": [stored[7].public_id], "interpretation": "Low: two missed doses last week.",
        "instruction_kind": "new_dose", "weekly_doses": {day: Decimal(mg) for day, mg in NEW_WEEK.items()},
        "next_test_date": _morning(now, 1).date()}, _morning(now, 2, 0, 11))
    latest = _morning(now, 0, -2, 8)
    results.record_result(session, patient, caregiver, {
        "client_id": "demo-latest", "value": Decimal("1.7"), "measured_at": latest, "qc_passed": True,
        "meter_serial": "UP12345678", "strip_lot": "47312", "symptoms": [], "missed_doses": 1}, settings, latest)
