"""SQLAlchemy models: one module per aggregate; `Base.metadata` is what Alembic migrates."""

from models.alerts import Alert, AlertEvent, CoveringPhysician, InstructionAcknowledgement, Review, review_results
from models.audit import AuditEvent
from models.base import AppendOnly, Base, UTCDateTime
from models.billing import BillableEvent, Coverage, EmVisit
from models.claims import (
    CareEpisodeEvent,
    ClaimCheck,
    ClaimGenerationRun,
    ClaimLine,
    ClaimLineEvent,
    ExportBatch,
    SupplyIssue,
)
from models.clearance import ClearanceDecision
from models.clinic import CaregiverLink, IndicationSet, Patient, Payer, TargetRange
from models.identity import ROLES, ApiToken, User
from models.operations import DeliveryAttempt, JobRun, OutboxMessage
from models.practices import Practice
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
    "Alert", "AlertEvent", "AppendOnly", "ApiToken", "AuditEvent", "Base", "BillableEvent", "CareEpisodeEvent",
    "CaregiverLink",
    "ChecklistItem", "ChecklistTemplate", "ClaimCheck", "ClaimGenerationRun", "ClaimLine", "ClaimLineEvent",
    "ClearanceDecision", "Coverage", "EmVisit", "ExportBatch", "Practice",
    "CoveringPhysician",
    "DeliveryAttempt", "EligibilityFact", "HomeTestingOrder", "IndicationSet", "InrResult",
    "InstructionAcknowledgement", "JobRun", "OutboxMessage", "Patient", "Payer", "ROLES",
    "Review", "SupplyIssue", "TargetRange", "TrainingAmendment", "TrainingItemOutcome",
    "TrainingSession", "UTCDateTime", "User", "review_results",
]
