"""The physician dashboard: open alerts, acknowledging them, covering physicians and panel TTR."""

from __future__ import annotations

from flask import Blueprint, current_app, g
from marshmallow import fields, validate

from service import alerts, audit, clock, db, summary
from service.api.fields import StrictSchema, load, load_query
from service.api.patients import PersonRef
from service.api.results import TtrOut, max_gap_days
from service.auth import roles
from service.errors import NotFound

bp = Blueprint("alerts", __name__)


class AlertOut(StrictSchema):
    id = fields.UUID(attribute="public_id")
    patient = fields.Nested(PersonRef)
    physician = fields.Nested(PersonRef)
    result_id = fields.UUID(attribute="result.public_id")
    reading = fields.Function(lambda a: f"{a.result.comparator or ''}{a.result.value}")
    measured_at = fields.AwareDateTime(attribute="result.measured_at")
    severity = fields.String()
    level = fields.String()
    status = fields.String()
    opened_at = fields.AwareDateTime()
    acknowledged_by = fields.Nested(PersonRef, allow_none=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    resolved_by_review_id = fields.Function(
        lambda a: str(a.resolved_by_review.public_id) if a.resolved_by_review else None)
    resolved_at = fields.AwareDateTime(allow_none=True)
    escalation_level = fields.Integer()
    escalated_at = fields.AwareDateTime(allow_none=True)
    escalated_to = fields.Nested(PersonRef, allow_none=True)


class AlertQuery(StrictSchema):
    physician_id = fields.UUID()
    severity = fields.String(validate=validate.OneOf(["critical", "out_of_range"]))
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "acknowledged", "resolved"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


@bp.get("/alerts")
@roles("physician", "admin")
def list_alerts():
    """Most severe first, then oldest first; counts by severity ignore the severity filter."""
    query = load_query(AlertQuery())
    query["status"] = [query["status"]]
    listing = alerts.list_alerts(db.session(), g.user, query, clock.now())
    return {"items": AlertOut(many=True).dump(listing.alerts), "counts": listing.counts}


@bp.post("/alerts/<uuid:alert_id>/acknowledge")
@roles("physician", "admin")
def acknowledge_alert(alert_id):
    session, now = db.session(), clock.now()
    alert = alerts.alert_for(session, g.user, alert_id, "acknowledge_alert", now)
    return AlertOut().dump(alerts.acknowledge(session, alert, g.user, now))


class CoveringIn(StrictSchema):
    covering_physician_id = fields.UUID(required=True, allow_none=True)


def _physician_or_404(physician_id):
    found = alerts.physician(db.session(), physician_id)
    if found is None:
        raise NotFound("physician")
    return found


@bp.put("/physicians/<uuid:physician_id>/covering-physician")
@roles("admin")
def set_covering_physician(physician_id):
    physician = _physician_or_404(physician_id)
    data = load(CoveringIn())
    covering = alerts.set_covering(db.session(), physician, data["covering_physician_id"], g.user, clock.now())
    return {"physician": PersonRef().dump(physician),
            "covering_physician": PersonRef().dump(covering) if covering else None}


class PanelQuery(StrictSchema):
    window_days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=3650))


class PanelPatientOut(StrictSchema):
    patient = fields.Function(lambda row: PersonRef().dump(row[0]))
    ttr = fields.Function(lambda row: TtrOut().dump(row[1]))


@bp.get("/physicians/<uuid:physician_id>/panel-ttr")
@roles("physician", "admin")
def panel_ttr(physician_id):
    session, now = db.session(), clock.now()
    physician = alerts.physician(session, physician_id)
    if physician is None or (g.user.role == "physician" and physician.id != g.user.id):
        audit.record_alone(current_app.extensions["db_sessionmaker"], "physician.panel_ttr.read", outcome="refused",
                           actor=g.user, object_type="user", object_id=physician_id, now=now)
        raise NotFound("physician")
    query = load_query(PanelQuery())
    found = summary.physician_panel_ttr(session, physician, now, query["window_days"], max_gap_days())
    return {"physician": PersonRef().dump(physician), "window_start": found.window_start.isoformat(),
            "window_end": found.window_end.isoformat(), "panel": TtrOut().dump(found.panel),
            "patients": PanelPatientOut(many=True).dump(found.patients)}
