"""Test data built through the domain functions the service itself uses (no hand-made rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from service import db, identity, patients, ttr_intervals

PASSWORD = "lantern orbit meadow 2049"  # passes the password policy (service.rules.passwords)
NPI = "1234567893"  # a valid check digit (CMS's worked example): the physician of record's
OTHER_NPI = "1003000126"  # another valid NPI, for a second physician: one active account per NPI


ELSEWHERE_NPI = "1876543210"  # the physician of the second practice on the server


def make_user(app, role: str, email: str, full_name: str | None = None, now: datetime | None = None,
              npi: str | None = None, practice_id: int | None = None):
    with app.app_context():
        session = db.session()
        user = identity.create_user(session, app.extensions["passwords"], email=email, password=PASSWORD, role=role,
                                    full_name=full_name or email.split("@")[0],
                                    npi=npi or (NPI if role == "physician" else None), now=now,
                                    practice_id=practice_id)
        session.commit()
        return user


def token_for(app, user, now: datetime) -> dict[str, str]:
    with app.app_context():
        session = db.session()
        # Long-lived test tokens, so tests may move the clock by weeks; expiry has its own test.
        login = identity.log_in(session, app.extensions["passwords"], user.email, PASSWORD, now, timedelta(days=800))
        return {"Authorization": f"Bearer {login.token}"}


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
    """Two physicians' panels and one of each role, with tokens ready to use; and a second practice on the same
    server, with one of each role of its own, that must never reach any of it.

    `patient` (of `physician`) has a login and a linked `caregiver`; `other_patient` belongs to
    `other_physician` and has its own login and caregiver. `former_caregiver`'s link to `patient` has ended.
    The `elsewhere_*` users belong to the second practice, whose `elsewhere_patient` has a login and a caregiver.
    """

    users: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    patient: object = None
    other_patient: object = None
    elsewhere_patient: object = None

    @classmethod
    def build(cls, app, now: datetime) -> Clinic:
        clinic = cls()
        for name, role in [("admin", "admin"), ("physician", "physician"), ("other_physician", "physician"),
                           ("trainer", "trainer"), ("biller", "biller"), ("patient", "patient"),
                           ("other_patient", "patient"), ("caregiver", "caregiver"),
                           ("other_caregiver", "caregiver"), ("former_caregiver", "caregiver")]:
            clinic.users[name] = make_user(app, role, f"{name}@clinic.test", name.replace("_", " ").title(), now,
                                           npi=OTHER_NPI if name == "other_physician" else None)
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
            patients.end_caregiver_link(session, session.merge(former), u["admin"], "moved away",
                                        now - timedelta(days=1), now)
        clinic._build_elsewhere(app, now)
        for name, user in u.items():
            clinic.headers[name] = token_for(app, user, now)
        return clinic

    def _build_elsewhere(self, app, now: datetime) -> None:
        from service import practices

        with app.app_context():
            other = practices.create_practice(db.session(), "Elsewhere Clinic", "America/Chicago", now,
                                              reminder_weekday="sunday", reminder_time="09:00").id
        for role in ("admin", "physician", "trainer", "biller", "patient", "caregiver"):
            name = f"elsewhere_{role}"
            self.users[name] = make_user(app, role, f"{role}@elsewhere.test", f"Elsewhere {role.title()}", now,
                                         npi=ELSEWHERE_NPI if role == "physician" else None, practice_id=other)
        u = self.users
        self.elsewhere_patient = make_patient(app, u["elsewhere_admin"], u["elsewhere_physician"], now,
                                              user=u["elsewhere_patient"], full_name="Ezra Elsewhere")
        link(app, self.elsewhere_patient, u["elsewhere_admin"], u["elsewhere_caregiver"], now)

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


def training_session(app, patient, trainer, now: datetime, **fields):
    """A signed "not yet" initial session for `patient` with the first checklist item covered."""
    from decimal import Decimal

    from service import training

    data = {"kind": "initial", "trainee": "patient", "occurred_at": now - timedelta(hours=2), "place": "Clinic room 2",
            "meter_serial": "UUU123456", "outcome": "not_yet", "next_session_on": None,
            "items": [{"key": "meter_use_and_care", "outcome": "explained", "note": None}]}
    data.update(fields)
    with app.app_context():
        session = db.session()
        return training.record_training(session, session.merge(patient), session.merge(trainer), data,
                                       Decimal("0.5"), now).record


CHECKLIST_V1 = {"meter_use_and_care": "demonstrated", "blood_sample": "demonstrated", "reporting_results": "demonstrated",
                "demonstration": "demonstrated", "diet_and_drug_interactions": "explained",
                "bleeding_and_clot_signs": "explained", "high_or_low_result": "explained"}


def competent_training(app, patient, trainer, occurred_at: datetime, now: datetime, kind: str = "initial"):
    """A signed competent session for `patient` (every checklist item covered, an agreeing supervised test)."""
    return training_session(app, patient, trainer, now, kind=kind, occurred_at=occurred_at, outcome="competent",
                            items=[{"key": key, "outcome": outcome, "note": None}
                                   for key, outcome in CHECKLIST_V1.items()],
                            supervised_test={"trainee_inr": Decimal("2.5"), "clinic_inr": Decimal("2.4")})


# --- billing inputs (issue 5): results and billable events as the ingest, training and review features write them


def make_result(app, patient, measured_at: datetime, *, value="2.5", qc_passed: bool = True,
                meter_error: str | None = None, received_at: datetime | None = None, source: str = "app",
                supersedes=None, client_id: str | None = None):
    """An InrResult row as the ingest API stores it, entered by the patient's own login."""
    import uuid
    from decimal import Decimal

    from models import InrResult

    with app.app_context():
        session = db.session()
        result = InrResult(
            patient_id=patient.id, client_id=client_id or uuid.uuid4().hex, value=Decimal(value), comparator=None,
            measured_at=measured_at, measured_utc_offset_minutes=int(measured_at.utcoffset().total_seconds() // 60),
            meter_serial="UX12345678", strip_lot="LOT-1", qc_passed=qc_passed, meter_error_code=meter_error,
            tested_by="patient", symptoms=[], source=source, entered_by_id=patient.user_id or patient.physician_id,
            received_at=received_at or measured_at, supersedes_id=supersedes.id if supersedes else None,
            correction_reason="corrected" if supersedes else None)
        session.add(result)
        session.flush()
        # As every write of a result does (service.ttr_intervals): the TTR intervals around it.
        moments = [measured_at] + ([supersedes.measured_at] if supersedes else [])
        ttr_intervals.readings_changed(session, patient.id, min(moments), max(moments))
        session.commit()
        return result


def clear_for_home_testing(app, patient, effective_on: date, decided_by, now: datetime, status: str = "cleared"):
    """A ClearanceDecision as the clearance feature records it."""
    from sqlalchemy import select

    from models import ClearanceDecision

    with app.app_context():
        session = db.session()
        sequence = 1 + len(list(session.scalars(select(ClearanceDecision.id).where(
            ClearanceDecision.patient_id == patient.id))))
        decision = ClearanceDecision(patient_id=patient.id, sequence=sequence, status=status,
                                     effective_on=effective_on, decided_by_id=decided_by.id,
                                     reason=f"{status} for home testing", evidence={}, created_at=now)
        session.add(decision)
        session.commit()
        return decision


def make_billable_event(app, patient, *, kind: str, code: str, service_date: date, event_key: str,
                        result_ids=(), provider=None, source_id: str | None = None, occurred_at: datetime | None = None):
    """A BillableEvent as the training ("training") and review ("result_review") features write it."""
    import uuid

    from models import BillableEvent

    with app.app_context():
        session = db.session()
        event = BillableEvent(
            event_key=event_key, patient_id=patient.id, kind=kind, code=code, service_date=service_date,
            occurred_at=occurred_at or datetime(service_date.year, service_date.month, service_date.day, 18,
                                                tzinfo=timezone.utc),
            rendering_provider_id=(provider.id if provider else patient.physician_id),
            source_type="training_session" if kind == "training" else "review",
            source_id=source_id or uuid.uuid4().hex, result_ids=[str(r) for r in result_ids])
        session.add(event)
        session.commit()
        return event


def make_training_event(app, patient, service_date: date, code: str = "93792"):
    return make_billable_event(app, patient, kind="training", code=code, service_date=service_date,
                               event_key=f"training:{patient.public_id}")


def make_review_event(app, patient, service_date: date, results, review_id: str | None = None, provider=None,
                      occurred_at: datetime | None = None):
    import uuid

    review_id = review_id or uuid.uuid4().hex
    return make_billable_event(app, patient, kind="result_review", code="93793", service_date=service_date,
                               event_key=f"review:{review_id}", source_id=review_id,
                               result_ids=[r.public_id for r in results], provider=provider, occurred_at=occurred_at)


def make_claim_line(app, patient, now: datetime):
    """A real claim line for `patient`: its training, billed by a generation run."""
    from sqlalchemy import select

    from models import ClaimLine
    from service import claim_generation

    training_day = (now - timedelta(days=3)).date()
    make_order(app, patient, training_day)
    make_training_event(app, patient, training_day)
    with app.app_context():
        session = db.session()
        claim_generation.generate_claims(session, now, patient_ids=[patient.id])
        return session.scalar(select(ClaimLine).where(ClaimLine.patient_id == patient.id))


def make_order(app, patient, ordered_on: date, physician=None):
    """A home-testing order as the clearance feature records it (by the physician of record unless named)."""
    from models import HomeTestingOrder

    with app.app_context():
        session = db.session()
        order = HomeTestingOrder(patient_id=patient.id, physician_id=(physician.id if physician else
                                                                      patient.physician_id),
                                 ordered_on=ordered_on, created_at=datetime.combine(ordered_on, datetime.min.time(),
                                                                                    tzinfo=timezone.utc))
        session.add(order)
        session.commit()
        return order


GROUP_NPI = "1590000018"  # the practice's own (type 2) NPI, not a physician's
PRACTICE = {"name": "Test Clinic", "group_npi": GROUP_NPI, "tax_id": "591234567", "address_line1": "100 Main St",
            "city": "Orlando", "state": "FL", "postal_code": "328011234", "phone": "4075551234",
            "x12_receiver_id": "CLEARINGHOUSE", "x12_receiver_name": "Test Clearinghouse",
            "charges": {"93792": "60.00", "G0248": "60.00", "G0249": "160.00", "G0250": "45.00", "93793": "25.00"}}


def complete_practice(app, **changes):
    """Fill in the first practice's billing details (migration 0012 leaves placeholders), as a clinic sets up."""
    from service import practices

    with app.app_context():
        session = db.session()
        practice = practices.first_practice(session)
        practices.set_up_practice(session, practice, {**PRACTICE, **changes}, now_of(app))
        session.commit()
        return practice


def add_coverage(app, patient, actor, **fields):
    from service import coverage

    data = {"member_id": "1EG4TE5MK73", "payer_identifier": "09102", "last_name": "Example", "first_name": "Pat",
            "sex": "F", "address_line1": "5 Oak Ave", "city": "Orlando", "state": "FL", "postal_code": "32801"}
    data.update(fields)
    with app.app_context():
        session = db.session()
        return coverage.record_coverage(session, session.merge(patient), session.merge(actor), data, now_of(app))


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
        settings = app.extensions["settings"]
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


def now_of(app) -> datetime:
    """The app's (fixed) clock."""
    return app.extensions["clock"].at


def set_now(app, when: datetime) -> None:
    """Move the app's fixed clock: the next request sees `when`."""
    app.extensions["clock"].at = when


def reconfigure(app, **changes) -> None:
    """Change settings of a running test app (what a clinic would set in its environment)."""
    app.extensions["settings"] = app.extensions["settings"].replace(**changes)


# --- journeys through the HTTP API, as the app and the dashboard make them ---------------------------------


def result_body(**fields):
    data = {"client_id": "app-0001", "value": 2.5, "measured_at": "2026-11-23T09:30:00-05:00", "qc_passed": True,
            "meter_serial": "UP12345678", "strip_lot": "47312"}
    data.update(fields)
    return data


def post_result(client, clinic, who="patient", patient_id=None, **fields):
    return client.post(f"/patients/{patient_id or clinic.patient_id}/results", json=result_body(**fields),
                       headers=clinic.headers[who])


def count_rows(app, model, *where):
    from sqlalchemy import func, select

    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model).where(*where))


def clear_clinic_patient(app, clinic, effective_on):
    """Clear `clinic.patient` for home testing from `effective_on`."""
    from models import ClearanceDecision

    with app.app_context():
        session = db.session()
        session.add(ClearanceDecision(patient_id=clinic.patient.id, sequence=1, status="cleared",
                                      effective_on=effective_on,
                                      decided_by_id=clinic.users["physician"].id, reason="trained", evidence={},
                                      created_at=now_of(app)))
        session.commit()


def post_review(client, clinic, result_ids, who="physician", **fields):
    data = {"result_ids": result_ids, "interpretation": "Low after missed doses.", "instruction_kind": "keep_dose",
            "next_test_date": "2026-11-27"}
    data.update(fields)
    return client.post(f"/patients/{clinic.patient_id}/reviews", json=data, headers=clinic.headers[who])




def propose_fact(app, patient, trainer, now: datetime, name: str = "expected_long_term_anticoagulation",
                 value: bool = True):
    """A trainer's eligibility fact, awaiting the physician's confirmation."""
    from service import clearance

    with app.app_context():
        session = db.session()
        return clearance.record_fact(session, session.merge(patient), session.merge(trainer), name, value, None, now)


MANAGEMENT_PAYER = "commercial-93793"


def management_payer(app) -> str:
    """A commercial payer that pays physician review as 93793 per day (G0248 for training, G0249 on the 4th
    report); reference data, so made once and kept."""
    from models import Payer

    with app.app_context():
        session = db.session()
        if session.get(Payer, MANAGEMENT_PAYER) is None:
            session.add(Payer(code=MANAGEMENT_PAYER, name="Commercial plan (93793)", supply_trigger="fourth_test",
                              review_code="93793", training_code="93792", extra_criteria=[],
                              minimum_anticoagulation_months=3, reassessment_months=12))
            session.commit()
    return MANAGEMENT_PAYER


def record_em_visit(app, patient, physician, visit_on: date, code: str = "99213"):
    from service import em_visits

    with app.app_context():
        session = db.session()
        return em_visits.record_visit(session, session.merge(patient), session.merge(physician), visit_on, code,
                                      physician.public_id, now_of(app))


def set_practice(app, **changes):
    """Change the first practice (the clinic's) as its administrator would."""
    from service import practices

    with app.app_context():
        session = db.session()
        practice = practices.first_practice(session)
        for name, value in changes.items():
            setattr(practice, name, value)
        session.commit()
        return practice
