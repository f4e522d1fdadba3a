"""The patient aggregate: patients, their versioned target range, indications and time zone, and caregiver links."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models import (
    CaregiverLink,
    ClaimLine,
    IndicationSet,
    Patient,
    Payer,
    TargetRange,
    TimeZoneVersion,
    User,
)
from service import audit, policy, ttr_intervals
from service.errors import Conflict, invalid
from service.rules import flags
from service.rules.billing_week import ZoneHistory
from service.rules.eligibility import add_months
from service.rules.indications import (
    DEFAULT_COVERED_DIAGNOSES,
    IndicationError,
    check_diagnosis,
    check_indication,
)
from service.rules.payer import PayerRules


def zone_history(patient: Patient) -> ZoneHistory:
    """The patient's zones over time (a patient written before zones were versioned: their zone, fixed)."""
    versions = [(v.effective_from, ZoneInfo(v.time_zone)) for v in patient.time_zone_versions]
    return ZoneHistory.of(versions) if versions else ZoneHistory.fixed(ZoneInfo(patient.time_zone))


def local_date(patient: Patient, when: datetime) -> date:
    """The patient's own calendar date at `when`, in the zone in force then: weekly rules and dates of service are
    local, and moving zones never changes the date a past instant had."""
    return zone_history(patient).local_date(when)


def payer_rules(payer: Payer) -> PayerRules:
    return PayerRules(
        code=payer.code, name=payer.name, supply_trigger=payer.supply_trigger, review_code=payer.review_code,
        training_code=payer.training_code, extra_criteria=tuple(payer.extra_criteria or ()),
        minimum_anticoagulation_months=payer.minimum_anticoagulation_months,
        reassessment_months=payer.reassessment_months,
        caregiver_demonstration_counts=payer.caregiver_demonstration_counts,
    )


def checked_indications(codes: list[str], field: str = "indications") -> list[str]:
    """Normalize ICD-10-CM codes, refusing any that is malformed, retired or not covered, naming it."""
    normalized, problems = [], {}
    for position, code in enumerate(codes):
        try:
            normalized.append(check_indication(code))
        except IndicationError as exc:
            problems[str(position)] = [str(exc)]
    if problems:
        raise invalid({field: problems}, "An indication is not a covered ICD-10-CM diagnosis.")
    if not normalized:
        raise invalid({field: ["At least one covered diagnosis is required."]})
    return list(dict.fromkeys(normalized))


def checked_secondary_diagnoses(codes: list[str], field: str = "secondary_diagnoses") -> list[str]:
    """Normalize the codes recorded beside the indications (e.g. Z79.01): billable ICD-10-CM codes, covered or
    not; they never establish eligibility."""
    normalized, problems = [], {}
    for position, code in enumerate(codes):
        try:
            normalized.append(check_diagnosis(code))
        except IndicationError as exc:
            problems[str(position)] = [str(exc)]
    if problems:
        raise invalid({field: problems}, "A secondary diagnosis is not a billable ICD-10-CM code.")
    return list(dict.fromkeys(normalized))


def _physician(session: Session, physician_id: uuid.UUID, practice_id: int) -> User:
    """An active physician of the practice (a patient's physician of record works where the patient is cared for)."""
    physician = session.scalar(select(User).where(User.public_id == physician_id, User.role == "physician",
                                                  User.active.is_(True), User.practice_id == practice_id))
    if physician is None:
        raise invalid({"physician_id": ["No active physician of this practice has this id."]})
    return physician


def _payer(session: Session, code: str) -> Payer:
    payer = session.get(Payer, code)
    if payer is None:
        raise invalid({"payer": [f"Unknown payer {code!r}."]})
    return payer


def _patient_user(session: Session, user_id: uuid.UUID, practice_id: int, patient: Patient | None = None) -> User:
    user = session.scalar(select(User).where(User.public_id == user_id, User.practice_id == practice_id))
    if user is None or user.role != "patient":
        raise invalid({"user_id": ["No patient login of this practice has this id."]})
    taken = session.scalar(select(Patient).where(Patient.user_id == user.id))
    if taken is not None and taken is not patient:
        raise Conflict("This login already belongs to another patient.", errors={"user_id": ["Already linked."]})
    return user


def create_patient(session: Session, actor: User, data: dict, now: datetime) -> Patient:
    physician_id = data.get("physician_id")
    if physician_id is None:
        if actor.role != "physician":
            raise invalid({"physician_id": ["Required: the physician of record."]})
        physician = actor
    else:
        physician = _physician(session, physician_id, actor.practice_id)
        if actor.role == "physician" and physician.id != actor.id:
            raise invalid({"physician_id": ["A physician creates patients for their own panel."]})
    codes = checked_indications(data["indications"])
    secondary = checked_secondary_diagnoses(data.get("secondary_diagnoses") or [])
    patient = Patient(
        full_name=data["full_name"], date_of_birth=data["date_of_birth"], time_zone=data["time_zone"],
        physician=physician, payer=_payer(session, data.get("payer", "medicare")),
        # A patient joins the practice of whoever enrols them. By id: a patient object handed around (and merged
        # back) must not carry a stale copy of its practice.
        practice_id=actor.practice_id,
        warfarin_start_date=data.get("warfarin_start_date"), created_at=now, updated_at=now,
    )
    if data.get("mrn") is not None:
        patient.mrn = _free_mrn(session, actor.practice_id, data["mrn"])
    if data.get("go_live_on") is not None:
        patient.go_live_on = _checked_go_live(session, patient, data["go_live_on"], now)
    if data.get("user_id"):
        patient.user = _patient_user(session, data["user_id"], actor.practice_id)
    session.add(patient)
    target = data.get("target_range") or {"low": flags.DEFAULT_TARGET.low, "high": flags.DEFAULT_TARGET.high}
    low, high = target["low"], target["high"]
    session.add(TargetRange(patient=patient, low=low, high=high, effective_from=now, set_by=actor,
                            reason="initial range", created_at=now))
    session.add(TimeZoneVersion(patient=patient, time_zone=data["time_zone"], effective_from=now, set_by=actor,
                                reason="initial zone", created_at=now))
    session.add(IndicationSet(patient=patient, codes=codes, secondary_codes=secondary,
                              code_list_version=DEFAULT_COVERED_DIAGNOSES.version, effective_from=now, set_by=actor,
                              reason="initial indications", created_at=now))
    session.flush()
    audit.record(session, "patient.create", patient_id=patient.public_id, object_type="patient",
                 object_id=patient.public_id, now=now)
    session.commit()
    return patient


def update_patient(session: Session, patient: Patient, actor: User, changes: dict, now: datetime) -> Patient:
    """Change demographic and administrative fields; clinical fields go through their own versioned calls. A new
    time zone is a new version from now on (as `set_time_zone`)."""
    changed = sorted(changes)
    if "time_zone" in changes:
        zone = changes.pop("time_zone")
        if zone != patient.time_zone:
            _new_zone_version(session, patient, actor, zone, "changed with the patient's details", now)
    if "physician_id" in changes:
        patient.physician = _physician(session, changes.pop("physician_id"), patient.practice_id)
    if "payer" in changes:
        patient.payer = _payer(session, changes.pop("payer"))
    if "user_id" in changes:
        user_id = changes.pop("user_id")
        patient.user = _patient_user(session, user_id, patient.practice_id, patient) if user_id else None
    if "mrn" in changes:
        mrn = changes.pop("mrn")
        if mrn != patient.mrn:
            patient.mrn = None if mrn is None else _free_mrn(session, patient.practice_id, mrn)
    if "go_live_on" in changes:
        go_live = changes.pop("go_live_on")
        if go_live != patient.go_live_on:
            patient.go_live_on = _checked_go_live(session, patient, go_live, now)
    for name, value in changes.items():
        setattr(patient, name, value)
    patient.updated_at = now
    audit.record(session, "patient.update", patient_id=patient.public_id, object_type="patient",
                 object_id=patient.public_id, detail={"fields": changed}, now=now)
    session.commit()
    return patient


def _free_mrn(session: Session, practice_id: int, mrn: str) -> str:
    """`mrn`, unless another patient of the practice already has it (a 409: two charts under one number would mix
    two people's records). The unique index settles two enrolments racing for it."""
    if session.scalar(select(exists().where(Patient.practice_id == practice_id, Patient.mrn == mrn))):
        raise Conflict("Another patient of this practice has this medical record number.",
                       errors={"mrn": ["Already recorded for another patient."]})
    return mrn


def _checked_go_live(session: Session, patient: Patient, day: date | None, now: datetime) -> date | None:
    """The go-live date a patient may be given (None: billed from enrolment): from their birth to a year ahead, and
    never changed once claim lines are recorded for them (it decides which of their work is billed)."""
    if day is not None and day < patient.date_of_birth:
        raise invalid({"go_live_on": ["Must not be before the patient's date of birth."]})
    if day is not None and day > add_months(local_date(patient, now), 12):
        raise invalid({"go_live_on": ["Must be within a year from today."]})
    if patient.id is not None and session.scalar(select(exists().where(ClaimLine.patient_id == patient.id))):
        raise Conflict("Claim lines are already recorded for this patient: the go-live date decides what is billed "
                       "and can no longer change.", errors={"go_live_on": ["Claim lines are already recorded."]})
    return day


def _history_start(patient: Patient, effective_from: datetime | None, now: datetime) -> datetime:
    """When a new version takes effect: now, or (history of a patient brought in) a past instant before their
    enrolment; the versions recorded since enrolment are what this service judged by, and stay as they were."""
    if effective_from is None:
        return now
    if effective_from >= patient.created_at:
        raise invalid({"effective_from": [f"Only history before the patient's enrolment "
                                          f"({patient.created_at.isoformat()}) is recorded from a past instant; "
                                          "leave it out to take effect now."]})
    return effective_from.astimezone(timezone.utc)


def set_target_range(session: Session, patient: Patient, actor: User, low: Decimal, high: Decimal, reason: str,
                     now: datetime, effective_from: datetime | None = None) -> TargetRange:
    """A new target range from now on, or, for a patient brought in with their history, the range that was in force
    from `effective_from` (before enrolment): results of that time are flagged and judged for TTR against it."""
    if low >= high:
        raise invalid({"low": ["Must be below high."]})
    starts = _history_start(patient, effective_from, now)
    version = TargetRange(patient=patient, low=low, high=high, effective_from=starts, set_by=actor, reason=reason,
                          created_at=now)
    session.add(version)
    session.flush()
    # The range in force changes over some intervals (before every other version, for a past one that comes
    # first): the patient's intervals are measured again.
    ttr_intervals.rebuild(session, patient.id)
    detail = {"low": str(low), "high": str(high)}
    if starts != now:
        detail["effective_from"] = starts.isoformat()
    audit.record(session, "patient.target_range.set", patient_id=patient.public_id, object_type="target_range",
                 object_id=version.id, detail=detail, now=now)
    session.commit()
    session.expire(patient, ["target_ranges"])  # read again in effective order: a past version goes before the rest
    return version


def set_time_zone(session: Session, patient: Patient, actor: User, zone: str, reason: str,
                  now: datetime, effective_from: datetime | None = None) -> TimeZoneVersion:
    """The patient's zone from now on (they moved). Past weeks keep the zone they were judged in. With
    `effective_from` (before enrolment), the zone a patient brought in with their history lived in from then: the
    weeks of their imported results are judged in it."""
    starts = _history_start(patient, effective_from, now)
    if starts == now and zone == patient.time_zone:
        raise Conflict(f"The patient's zone is already {zone}.", errors={"time_zone": ["Already in force."]})
    version = _new_zone_version(session, patient, actor, zone, reason, now, starts)
    patient.updated_at = now
    session.commit()
    session.expire(patient, ["time_zone_versions"])
    return version


def _new_zone_version(session: Session, patient: Patient, actor: User, zone: str, reason: str,
                      now: datetime, effective_from: datetime | None = None) -> TimeZoneVersion:
    # The patient row keeps the zone in force now (claim generation reads it to notice a change); the versions
    # keep every zone with the instant it took effect. A version of the past before enrolment leaves it alone.
    starts = effective_from or now
    version = TimeZoneVersion(patient=patient, time_zone=zone, effective_from=starts, set_by_id=actor.id,
                              reason=reason, created_at=now)
    session.add(version)
    if starts == now:
        patient.time_zone = zone
    session.flush()
    detail = {"time_zone": zone}
    if starts != now:
        detail["effective_from"] = starts.isoformat()
    audit.record(session, "patient.time_zone.set", patient_id=patient.public_id, object_type="time_zone_version",
                 object_id=version.id, detail=detail, now=now)
    return version


def set_indications(session: Session, patient: Patient, actor: User, codes: list[str], reason: str,
                    now: datetime, secondary: list[str] | None = None) -> IndicationSet:
    """A new version of the indications (covered codes) and of the secondary diagnoses beside them; without
    `secondary`, the secondary diagnoses in force are kept."""
    kept = patient.current_secondary_diagnoses if secondary is None else secondary
    version = IndicationSet(patient=patient, codes=checked_indications(codes, "codes"),
                            secondary_codes=checked_secondary_diagnoses(kept, "secondary"),
                            code_list_version=DEFAULT_COVERED_DIAGNOSES.version, effective_from=now, set_by=actor,
                            reason=reason, created_at=now)
    session.add(version)
    session.flush()
    audit.record(session, "patient.indications.set", patient_id=patient.public_id, object_type="indication_set",
                 object_id=version.id, detail={"codes": version.codes, "secondary": version.secondary_codes}, now=now)
    session.commit()
    return version


def target_range_at(patient: Patient, when: datetime) -> TargetRange:
    """The range in force at `when`: the latest version effective at or before it (the first, if earlier)."""
    in_force = [version for version in patient.target_ranges if version.effective_from <= when]
    return in_force[-1] if in_force else patient.target_ranges[0]


def link_caregiver(session: Session, patient: Patient, actor: User, caregiver_id: uuid.UUID, relationship: str,
                   starts_at: datetime | None, now: datetime) -> CaregiverLink:
    # A caregiver account of the patient's own practice only: linking is how a login reaches a patient.
    caregiver = session.scalar(select(User).where(User.public_id == caregiver_id,
                                                  User.practice_id == patient.practice_id))
    if caregiver is None or caregiver.role != "caregiver":
        raise invalid({"caregiver_id": ["No caregiver login of this practice has this id."]})
    starts_at = starts_at or now
    overlapping = session.scalar(select(CaregiverLink).where(
        CaregiverLink.patient_id == patient.id, CaregiverLink.caregiver_id == caregiver.id,
        (CaregiverLink.ends_at.is_(None)) | (CaregiverLink.ends_at > starts_at)))
    if overlapping is not None:
        raise Conflict("This caregiver already has an open link to the patient.")
    link = CaregiverLink(patient=patient, caregiver=caregiver, relationship_to_patient=relationship,
                         starts_at=starts_at, created_by_id=actor.id, created_at=now)
    session.add(link)
    session.flush()
    audit.record(session, "patient.caregiver.link", patient_id=patient.public_id, object_type="caregiver_link",
                 object_id=link.public_id, now=now)
    session.commit()
    return link


def end_caregiver_link(session: Session, link: CaregiverLink, actor: User, reason: str, ends_at: datetime | None,
                       now: datetime) -> CaregiverLink:
    if link.ends_at is not None:
        raise Conflict("This link has already ended.")
    ends_at = ends_at or now
    if ends_at < link.starts_at:
        raise invalid({"ends_at": ["Must not be before the link started."]})
    link.ends_at, link.ended_by_id, link.end_reason = ends_at, actor.id, reason
    audit.record(session, "patient.caregiver.unlink", patient_id=link.patient.public_id, object_type="caregiver_link",
                 object_id=link.public_id, now=now)
    session.commit()
    return link


@dataclass(frozen=True)
class PatientListing:
    items: list[Patient]
    total: int


def list_patients(session: Session, caller: User, query: dict, now: datetime) -> PatientListing:
    """A page of the patients `caller` reaches (policy.reachable_patients), by name, optionally found by words of
    the name (each must appear, in any case), the date of birth and the medical record number; the listing is
    audited."""
    statement = policy.reachable_patients(caller, now)
    for word in query.get("name", "").split():
        statement = statement.where(func.lower(Patient.full_name).contains(word.lower(), autoescape=True))
    if "date_of_birth" in query:
        statement = statement.where(Patient.date_of_birth == query["date_of_birth"])
    if "mrn" in query:
        statement = statement.where(Patient.mrn == query["mrn"])
    total = session.scalar(statement.with_only_columns(func.count(Patient.id)))
    found = list(session.scalars(statement.order_by(Patient.full_name, Patient.id)
                                 .limit(query["limit"]).offset(query["offset"])))
    audit.record(session, "patient.list", object_type="patient",
                 detail={"count": len(found),
                         "searched": bool(query.get("name") or query.get("date_of_birth") or query.get("mrn"))},
                 now=now)
    session.commit()
    return PatientListing(found, total)


def caregiver_links(session: Session, patient: Patient) -> list[CaregiverLink]:
    return list(session.scalars(select(CaregiverLink).where(CaregiverLink.patient_id == patient.id)
                                .order_by(CaregiverLink.starts_at, CaregiverLink.id)))

