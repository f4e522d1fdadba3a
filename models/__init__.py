"""SQLAlchemy models: one module per aggregate; `Base.metadata` is what Alembic migrates."""

from models.alerts import Alert, AlertEvent, CoveringPhysician, InstructionAcknowledgement, Review, review_results
from models.audit import AuditEvent
from models.base import AppendOnly, Base, UTCDateTime
from models.billing import BillableEvent
from models.claims import ClaimCheck, ClaimLine, ClaimLineEvent, PatientDischarge, SupplyIssue
from models.clearance import ClearanceDecision
from models.clinic import CaregiverLink, IndicationSet, Patient, Payer, TargetRange, TimeZoneVersion
from models.identity import ROLES, ApiToken, User
from models.operations import DeliveryAttempt, JobRun, OutboxMessage
from models.results import InrResult
from models.training import (
    ChecklistItem,
    ChecklistTemplate,
    EligibilityFact,
    HomeTestingOrder,
    TrainingAmendment,
    TrainingItemOutcome,
    TrainingSession,
)

__all__ = [
    "Alert", "AlertEvent", "AppendOnly", "ApiToken", "AuditEvent", "Base", "BillableEvent", "CaregiverLink",
    "ChecklistItem", "ChecklistTemplate", "ClaimCheck", "ClaimLine", "ClaimLineEvent", "ClearanceDecision",
    "CoveringPhysician",
    "DeliveryAttempt", "EligibilityFact", "HomeTestingOrder", "IndicationSet", "InrResult",
    "InstructionAcknowledgement", "JobRun", "OutboxMessage", "Patient", "PatientDischarge", "Payer", "ROLES",
    "Review", "SupplyIssue", "TargetRange", "TimeZoneVersion", "TrainingAmendment", "TrainingItemOutcome",
    "TrainingSession", "UTCDateTime", "User", "review_results",
]
