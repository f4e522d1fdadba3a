"""SQLAlchemy models: one module per aggregate; `Base.metadata` is what Alembic migrates."""

from models.audit import AuditEvent
from models.base import AppendOnly, Base, UTCDateTime
from models.clinic import CaregiverLink, IndicationSet, Patient, Payer, TargetRange
from models.identity import ROLES, STAFF_ROLES, ApiToken, User

__all__ = [
    "AppendOnly", "ApiToken", "AuditEvent", "Base", "CaregiverLink", "IndicationSet", "Patient", "Payer",
    "ROLES", "STAFF_ROLES", "TargetRange", "User", "UTCDateTime",
]
