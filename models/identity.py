"""Users of the service and their bearer tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, PublicIdMixin

ROLES = ("patient", "caregiver", "physician", "trainer", "biller", "admin")


class User(PublicIdMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('" + "','".join(ROLES) + "')", name="role_known"),
        # One active account per NPI: claim lines name the rendering provider by it.
        Index("uq_users_active_npi", "npi", unique=True, postgresql_where=text("active AND npi IS NOT NULL"),
              sqlite_where=text("active AND npi IS NOT NULL")),
    )

    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Physicians only: National Provider Identifier, the rendering provider on claim lines.
    npi: Mapped[str | None] = mapped_column(String(10))
    # The practice the person works for or is cared for by: they reach nothing of another practice.
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    created_at: Mapped[datetime]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(Base):
    """An opaque bearer token; only its SHA-256 is stored, so a database leak yields no usable tokens."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class PasswordResetCode(Base):
    """A one-time code an administrator issued for a forgotten password: only its SHA-256 is stored; it expires
    and is spent by its first use (delivered to the user through the outbox, never shown to the administrator)."""

    __tablename__ = "password_reset_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
