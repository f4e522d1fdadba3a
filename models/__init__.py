"""SQLAlchemy models: one module per aggregate; `Base.metadata` is what Alembic migrates."""

from models.audit import AuditEvent
from models.base import AppendOnly, Base, UTCDateTime
from models.billing import BillableEvent
from models.clearance import ClearanceDecision
from models.clinic import CaregiverLink, IndicationSet, Patient, Payer, TargetRange
from models.identity import ROLES, STAFF_ROLES, ApiToken, User
from models.operations import DeliveryAttempt, JobRun, OutboxMessage
from models.results import InrResult

__all__ = [
    "AppendOnly", "ApiToken", "AuditEvent", "Base", "BillableEvent", "CaregiverLink", "ClearanceDecision", "DeliveryAttempt",
    "IndicationSet", "InrResult", "JobRun", "OutboxMessage", "Patient", "Payer", "ROLES", "STAFF_ROLES",
    "TargetRange", "User", "UTCDateTime",
]
# Issue-specific models are imported below, one line each (training, alerts and reviews, claims).
import models.training  # noqa: E402,F401
from models.claims import ClaimLine, ClaimLineEvent, PatientDischarge, SupplyIssue  # noqa: E402,F401
from models.alerts import Alert, AlertEvent, CoveringPhysician, InstructionAcknowledgement, Review, review_results
