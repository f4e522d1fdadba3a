"""Test data built through the domain functions the service itself uses (no hand-made rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from service import db, identity, patients

PASSWORD = "correct horse battery staple"


def make_user(app, role: str, email: str, full_name: str | None = None, now: datetime | None = None):
    with app.app_context():
        session = db.session()
        user = identity.create_user(session, app.extensions["passwords"], email=email, password=PASSWORD, role=role,
                                    full_name=full_name or email.split("@")[0],
                                    npi="1234567893" if role == "physician" else None, now=now)
        session.commit()
        return user


def token_for(app, user, now: datetime) -> dict[str, str]:
    with app.app_context():
        session = db.session()
        token, _ = identity.log_in(session, app.extensions["passwords"], user.email, PASSWORD, now,
                                   timedelta(hours=8))
        session.commit()
        return {"Authorization": f"Bearer {token}"}


def make_patient(app, actor, physician, now: datetime, *, user=None, **fields):
    data = {"full_name": "Test Patient", "date_of_birth": date(1948, 6, 1), "time_zone": "America/New_York",
            "physician_id": physician.public_id, "payer": "medicare", "indications": ["I48.91"],
            "warfarin_start_date": date(2025, 1, 10), "user_id": user.public_id if user else None}
    data.update(fields)
    with app.app_context():
        return patients.create_patient(db.session(), actor, data, now)


def link(app, patient, actor, caregiver, now: datetime, starts_at=None):
    with app.app_context():
        session = db.session()
        return patients.link_caregiver(session, session.merge(patient), actor, caregiver.public_id, "daughter",
                                       starts_at, now)


@dataclass
class Clinic:
    """Two physicians' panels and one of each role, with tokens ready to use.

    `patient` (of `physician`) has a login and a linked `caregiver`; `other_patient` belongs to
    `other_physician` and has its own login and caregiver. `former_caregiver`'s link to `patient` has ended.
    """

    users: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    patient: object = None
    other_patient: object = None

    @classmethod
    def build(cls, app, now: datetime) -> Clinic:
        clinic = cls()
        for name, role in [("admin", "admin"), ("physician", "physician"), ("other_physician", "physician"),
                           ("trainer", "trainer"), ("biller", "biller"), ("patient", "patient"),
                           ("other_patient", "patient"), ("caregiver", "caregiver"),
                           ("other_caregiver", "caregiver"), ("former_caregiver", "caregiver")]:
            clinic.users[name] = make_user(app, role, f"{name}@clinic.test", name.replace("_", " ").title(), now)
        u = clinic.users
        clinic.patient = make_patient(app, u["admin"], u["physician"], now, user=u["patient"],
                                      full_name="Pat Example")
        clinic.other_patient = make_patient(app, u["admin"], u["other_physician"], now, user=u["other_patient"],
                                            full_name="Olive Other")
        link(app, clinic.patient, u["admin"], u["caregiver"], now)
        link(app, clinic.other_patient, u["admin"], u["other_caregiver"], now)
        former = link(app, clinic.patient, u["admin"], u["former_caregiver"], now - timedelta(days=30),
                      starts_at=now - timedelta(days=30))
        with app.app_context():
            session = db.session()
            patients.end_caregiver_link(session, session.merge(clinic.patient), u["admin"], former.public_id,
                                        "moved away", now - timedelta(days=1), now)
        for name, user in u.items():
            clinic.headers[name] = token_for(app, user, now)
        return clinic

    def id(self, name: str) -> str:
        return str(self.users[name].public_id)

    @property
    def patient_id(self) -> str:
        return str(self.patient.public_id)

    @property
    def other_patient_id(self) -> str:
        return str(self.other_patient.public_id)


def caregiver_link_of(app, patient):
    """The first caregiver link of `patient` (the Clinic fixture always makes one)."""
    from sqlalchemy import select

    from models import CaregiverLink

    with app.app_context():
        return db.session().scalar(select(CaregiverLink).where(CaregiverLink.patient_id == patient.id)
                                   .order_by(CaregiverLink.id))


def record_result(app, patient, actor, now: datetime, **fields):
    """Store a result through the domain function the ingest route uses; returns the stored row."""
    from service import results

    data = {"client_id": f"factory-{now.isoformat()}-{fields.get('value', fields.get('reading'))}",
            "value": Decimal("2.5"), "measured_at": now - timedelta(hours=1), "qc_passed": True}
    data.update(fields)
    if "reading" in fields:
        data.pop("value", None)
    with app.app_context():
        session = db.session()
        settings = results.ResultSettings.from_config(app.config)
        result, _ = results.record_result(session, session.merge(patient), session.merge(actor), data, settings, now)
        return result


def make_review(app, patient, physician, result_ids, now: datetime, **fields):
    from service import reviews

    data = {"result_ids": list(result_ids), "interpretation": "Stable.", "instruction_kind": "keep_dose"}
    data.update(fields)
    with app.app_context():
        session = db.session()
        return reviews.create_review(session, session.merge(patient), session.merge(physician), data, now)


def flagged_alert(app, clinic, now: datetime):
    """An open alert on a low result of `clinic.patient` (entered as a phoned-in value by the physician)."""
    from sqlalchemy import select

    from models import Alert

    result = record_result(app, clinic.patient, clinic.users["physician"], now, client_id="factory-alert",
                           value=Decimal("1.8"))
    with app.app_context():
        return db.session().scalar(select(Alert).where(Alert.result_id == result.id))
