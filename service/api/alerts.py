"""The physician dashboard: the alert queue, acknowledging, covering physicians, the panel and its TTR."""

from __future__ import annotations

from flask import g

from service import alerts, clock, db, policy, summary
from service.api import Blueprint
from service.policy import roles
from service.schemas.alerts import (
    AlertOut,
    AlertPage,
    AlertQuery,
    CoveringIn,
    CoveringOut,
    PanelOut,
    PanelPageOut,
    PanelQuery,
)
from service.settings import current_settings

bp = Blueprint("alerts", __name__, description="The physician's alert queue, covering physicians, panel TTR.")


@bp.get("/alerts")
@roles("physician", "admin")
@bp.arguments(AlertQuery, location="query")
@bp.response(200, AlertPage)
def list_alerts(query):
    """Most severe first, then oldest first; counts by severity ignore the severity filter."""
    return alerts.list_alerts(db.session(), g.user, query, clock.now())


@bp.get("/alerts/<uuid:alert_id>")
@roles("physician", "admin")
@policy.loads("alert", "read_clinical", read="alert.read")
@bp.response(200, AlertOut)
def get_alert(alert):
    """One alert, as the queue lists it."""
    return alerts.shown(db.session(), alert)


@bp.post("/alerts/<uuid:alert_id>/acknowledge")
@roles("physician", "admin")
@policy.loads("alert", "acknowledge_alert")
@bp.response(200, AlertOut)
def acknowledge_alert(alert):
    """Take ownership of an open alert; it stops escalating."""
    return alerts.acknowledge(db.session(), alert, g.user, clock.now())


@bp.put("/physicians/<uuid:physician_id>/covering-physician")
@roles("admin")
@policy.loads("physician", "set_covering")
@bp.arguments(CoveringIn)
@bp.response(200, CoveringOut)
def set_covering_physician(data, physician):
    """Name the physician who covers this physician's patients and receives their escalated alerts."""
    return alerts.set_covering(db.session(), physician, data["covering_physician_id"], g.user, clock.now())


@bp.get("/physicians/<uuid:physician_id>/panel-ttr")
@roles("physician", "admin")
@policy.loads("physician", "read_panel")
@bp.arguments(PanelQuery, location="query")
@bp.response(200, PanelOut)
def panel_ttr(query, physician):
    """Time in therapeutic range (Rosendaal) of each of the physician's patients, and of the panel."""
    return summary.physician_panel_ttr(db.session(), physician, clock.now(), query,
                                       current_settings().ttr_max_gap_days)


@bp.get("/physicians/<uuid:physician_id>/panel")
@roles("physician", "admin")
@policy.loads("physician", "read_panel")
@bp.arguments(PanelQuery, location="query")
@bp.response(200, PanelPageOut)
def panel(query, physician):
    """The physician's patients in one request: TTR over the period, the latest valid INR, days since the last
    valid test and open alerts, and the panel's TTR."""
    return summary.physician_panel(db.session(), physician, clock.now(), query, current_settings())
