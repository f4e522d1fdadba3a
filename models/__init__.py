"""SQLAlchemy models: one module per aggregate; `Base.metadata` is what Alembic migrates."""

from models.alerts import Alert, AlertEvent, CoveringPhysician, InstructionAcknowledgement, Review, review_results
from models.audit import AuditEvent
from models.base import AppendOnly, Base, UTCDateTime
from models.billing import BillableEvent
from models.claims import ClaimCheck, ClaimLine, ClaimLineEvent, PatientDischarge, SupplyIssue
from models.clearance import ClearanceDecision
from models.clinic import CaregiverLink, IndicationSet, Patient, Payer, TargetRange
from models.identity import ROLES, ApiToken, PasswordResetCode, User
from models.operations import DeliveryAttempt, IdempotentRequest, JobRun, OutboxMessage
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
    "Alert", "AlertEvent", "ApiToken", "AppendOnly", "AuditEvent", "Base", "BillableEvent", "CaregiverLink",
    "ChecklistItem", "ChecklistTemplate", "ClaimCheck", "ClaimLine", "ClaimLineEvent", "ClearanceDecision",
    "CoveringPhysician", "DeliveryAttempt", "EligibilityFact", "HomeTestingOrder", "IdempotentRequest",
    "IndicationSet", "InrResult", "InstructionAcknowledgement", "JobRun", "OutboxMessage", "PasswordResetCode",
    "Patient", "PatientDischarge", "Payer", "Review", "review_results", "ROLES", "SupplyIssue", "TargetRange",
    "TrainingAmendment", "TrainingItemOutcome", "TrainingSession", "User", "UTCDateTime",
]
