"""A small demo clinic so a newcomer can log in and try the API (never run this against a real clinic)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User
from service import identity, patients
from service.identity import Passwords

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


def seed(session: Session, passwords: Passwords, now: datetime) -> bool:
    if session.scalar(select(User.id).where(User.email == LOGINS[0][0])) is not None:
        return False
    users = {}
    for email, role in LOGINS:
        # The demo's password is public on purpose (the README prints it so a newcomer can log in), which the
        # password policy rightly refuses; this seed alone says so. Never seed the demo on a real clinic.
        users[role] = identity.create_user(session, passwords, email=email, password=PASSWORD, role=role,
                                           full_name=NAMES[role], npi="1234567893" if role == "physician" else None,
                                           now=now, public_demo_password=True)
    patient = patients.create_patient(session, users["admin"], {
        "full_name": "Pat Jones", "date_of_birth": date(1950, 4, 2), "time_zone": "America/New_York",
        "physician_id": users["physician"].public_id, "payer": "medicare", "indications": ["I48.91"],
        "warfarin_start_date": (now - timedelta(days=200)).date(), "user_id": users["patient"].public_id,
    }, now)
    patients.link_caregiver(session, patient, users["admin"], users["caregiver"].public_id, "spouse", None, now)
    return True
