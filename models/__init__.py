"""SQLAlchemy models: one module per aggregate; `Base.metadata` is what Alembic migrates."""

from models.alerts import Alert, AlertEvent, CoveringPhysician, InstructionAcknowledgement, Review, review_results
from models.audit import AuditEvent, AuditEventPatient
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
from models.clinic import CaregiverLink, IndicationSet, Patient, Payer, TargetRange, TimeZoneVersion
from models.history import PriorTraining, ResultImport
from models.identity import ROLES, ApiToken, PasswordResetCode, User
from models.operations import DeliveryAttempt, IdempotentRequest, JobRun, OutboxMessage
from models.practices import Practice
from models.results import InrResult, TtrInterval
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
    "Alert", "AlertEvent", "ApiToken", "AppendOnly", "AuditEvent", "AuditEventPatient", "Base", "BillableEvent",
    "CareEpisodeEvent", "CaregiverLink", "ChecklistItem", "ChecklistTemplate", "ClaimCheck", "ClaimGenerationRun",
    "ClaimLine",
    "ClaimLineEvent", "ClearanceDecision", "Coverage", "CoveringPhysician", "DeliveryAttempt", "EligibilityFact",
    "EmVisit", "ExportBatch", "HomeTestingOrder", "IdempotentRequest", "IndicationSet", "InrResult",
    "InstructionAcknowledgement", "JobRun", "OutboxMessage", "PasswordResetCode", "Patient", "Payer", "Practice",
    "PriorTraining", "ResultImport", "Review", "review_results", "ROLES", "SupplyIssue", "TargetRange",
    "TimeZoneVersion", "TrainingAmendment", "TrainingItemOutcome", "TrainingSession", "TtrInterval", "User",
    "UTCDateTime",
]
