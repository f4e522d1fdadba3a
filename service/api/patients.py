"""Patients, their versioned target range and indications, and the caregivers linked to them."""

from __future__ import annotations

from flask import g

from models import CaregiverLink, IndicationSet, Patient, TargetRange, TimeZoneVersion
from service import clock, db, patients, policy
from service.api import Blueprint
from service.idempotency import idempotent
from service.policy import roles
from service.schemas.patients import (
    CaregiverLinkEndIn,
    CaregiverLinkIn,
    CaregiverLinkOut,
    CaregiverLinkPage,
    IndicationsChangeIn,
    IndicationsOut,
    IndicationsPage,
    PatientChangeIn,
    PatientIn,
    PatientOut,
    PatientPage,
    PatientQuery,
    TargetRangeChangeIn,
    TargetRangeOut,
    TargetRangePage,
    TimeZoneChangeIn,
    TimeZoneOut,
    TimeZonePage,
)

bp = Blueprint("patients", __name__, description="Patients, target ranges, indications and caregivers.")


@bp.post("/patients")
@roles("admin", "physician", "trainer")
@bp.arguments(PatientIn, example={
    "full_name": "Pat Jones", "date_of_birth": "1950-04-02", "time_zone": "America/New_York", "payer": "medicare",
    "indications": ["I48.91"], "warfarin_start_date": "2026-01-15", "target_range": {"low": 2.0, "high": 3.0}})
@bp.response(201, PatientOut)
@idempotent(Patient)
def create_patient(data):
    """Enrol a patient (a physician enrols for their own panel; a trainer enrolling for training names the
    physician of record). A patient brought in with their history is given their `go_live_on`: billing starts
    there."""
    return patients.create_patient(db.session(), g.user, data, clock.now())


@bp.get("/patients")
@bp.arguments(PatientQuery, location="query")
@bp.response(200, PatientPage)
def list_patients(query):
    """The patients the caller reaches, by name; search by words of the name and the date of birth."""
    return patients.list_patients(db.session(), g.user, query, clock.now())


@bp.get("/patients/<uuid:patient_id>")
@policy.loads("patient", "read", read="patient.read")
@bp.response(200, PatientOut)
def get_patient(patient):
    return patient


@bp.patch("/patients/<uuid:patient_id>")
@roles("admin", "physician")
@policy.loads("patient", "edit")
@bp.arguments(PatientChangeIn)
@bp.response(200, PatientOut)
def update_patient(changes, patient):
    """Change demographic and administrative fields (the go-live date too, until claim lines are recorded)."""
    return patients.update_patient(db.session(), patient, g.user, changes, clock.now())


@bp.get("/patients/<uuid:patient_id>/target-ranges")
@policy.loads("patient", "read", read="patient.target_range.list")
@bp.response(200, TargetRangePage)
def list_target_ranges(patient):
    """Every version of the patient's target range, oldest first."""
    return {"items": patient.target_ranges}


@bp.post("/patients/<uuid:patient_id>/target-ranges")
@roles("physician")
@policy.loads("patient", "set_target")
@bp.arguments(TargetRangeChangeIn)
@bp.response(201, TargetRangeOut)
@idempotent(TargetRange)
def set_target_range(data, patient):
    """Set a new target range from now on (a physician's order); earlier results keep the range then in force.

    For a patient brought in with their history, `effective_from` (before enrolment) records a range that was in
    force then: imported results of that time are flagged and judged for TTR against it.
    """
    return patients.set_target_range(db.session(), patient, g.user, data["low"], data["high"], data["reason"],
                                     clock.now(), data.get("effective_from"))


@bp.get("/patients/<uuid:patient_id>/time-zones")
@policy.loads("patient", "read", read="patient.time_zone.list")
@bp.response(200, TimeZonePage)
def list_time_zones(patient):
    """Every version of the patient's time zone, oldest first: each week is judged in the zone in force then."""
    return {"items": patient.time_zone_versions}


@bp.post("/patients/<uuid:patient_id>/time-zones")
@roles("admin", "physician")
@policy.loads("patient", "edit")
@bp.arguments(TimeZoneChangeIn)
@bp.response(201, TimeZoneOut)
@idempotent(TimeZoneVersion)
def set_time_zone(data, patient):
    """The patient's zone from now on (they moved); weeks already past keep the zone they were judged in.

    For a patient brought in with their history, `effective_from` (before enrolment) records the zone they lived in
    from then: the weeks of their imported results are judged in it.
    """
    return patients.set_time_zone(db.session(), patient, g.user, data["time_zone"], data["reason"], clock.now(),
                                  data.get("effective_from"))


@bp.get("/patients/<uuid:patient_id>/indications")
@policy.loads("patient", "read", read="patient.indications.list")
@bp.response(200, IndicationsPage)
def list_indications(patient):
    """Every version of the patient's indications (ICD-10-CM), oldest first."""
    return {"items": patient.indication_sets}


@bp.post("/patients/<uuid:patient_id>/indications")
@roles("admin", "physician")
@policy.loads("patient", "edit")
@bp.arguments(IndicationsChangeIn)
@bp.response(201, IndicationsOut)
@idempotent(IndicationSet)
def set_indications(data, patient):
    """Replace the indications from now on; each code must be a covered ICD-10-CM diagnosis (a billable code of
    the code set, on the covered list). `secondary`: other billable codes beside them (e.g. Z79.01)."""
    return patients.set_indications(db.session(), patient, g.user, data["codes"], data["reason"], clock.now(),
                                    secondary=data.get("secondary"))


@bp.get("/patients/<uuid:patient_id>/caregivers")
@policy.loads("patient", "read", read="patient.caregiver.list")
@bp.response(200, CaregiverLinkPage)
def list_caregivers(patient):
    """The caregivers ever linked to the patient, with when each link started and ended."""
    return {"items": patients.caregiver_links(db.session(), patient)}


@bp.post("/patients/<uuid:patient_id>/caregivers")
@roles("admin", "physician", "trainer")
@policy.loads("patient", "link_caregiver")
@bp.arguments(CaregiverLinkIn)
@bp.response(201, CaregiverLinkOut)
@idempotent(CaregiverLink)
def link_caregiver(data, patient):
    """Give a caregiver's own login access to the patient, from `starts_at` (now by default)."""
    return patients.link_caregiver(db.session(), patient, g.user, data["caregiver_id"], data["relationship"],
                                   data.get("starts_at"), clock.now())


@bp.post("/patients/<uuid:patient_id>/caregivers/<uuid:link_id>/end")
@roles("admin", "physician", "trainer")
@policy.loads("caregiver_link", "link_caregiver")
@bp.arguments(CaregiverLinkEndIn)
@bp.response(200, CaregiverLinkOut)
def end_caregiver_link(data, caregiver_link):
    """End a caregiver's access at `ends_at` (now by default); the link stays on record."""
    link = caregiver_link
    return patients.end_caregiver_link(db.session(), link, g.user, data["reason"], data.get("ends_at"), clock.now())
