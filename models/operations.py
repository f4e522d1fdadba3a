"""Operational tables: scheduler run claims and the notification outbox with its delivery attempts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AppendOnly, Base, PublicIdMixin


class JobRun(Base):
    """A scheduler job's claim on one period: only the process whose insert succeeded runs it, under a lease it
    renews while running; an unfinished run whose lease ran out (its scheduler died) may be taken over."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_runs_job_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(80))
    claimed_at: Mapped[dt.datetime]
    claimed_by: Mapped[str] = mapped_column(String(200))
    lease_expires_at: Mapped[dt.datetime]
    attempt: Mapped[int] = mapped_column(default=1)  # schedulers that have claimed the period: a takeover adds one
    finished_at: Mapped[dt.datetime | None]
    outcome: Mapped[dict | None] = mapped_column(JSON)


class OutboxMessage(PublicIdMixin, Base):
    """A notification written in the transaction that caused it; a scheduler job delivers it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # What delivery reads: the waiting messages, most urgent first.
        Index("ix_outbox_messages_waiting", "priority", "next_attempt_at", "id",
              postgresql_where=text("delivered_at IS NULL"), sqlite_where=text("delivered_at IS NULL")),
    )

    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(60))  # e.g. "alert.opened", "reminder.weekly_test"
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[dt.datetime | None]
    # service.rules.notifications.delivery_priority, set at enqueue: 0 (critical alerts) goes first.
    priority: Mapped[int] = mapped_column(SmallInteger, server_default=text("2"))
    # The exact JSON delivered, fixed at the first attempt: every redelivery sends the same bytes.
    body: Mapped[str | None] = mapped_column(Text)

    delivery_attempts: Mapped[list[DeliveryAttempt]] = relationship(back_populates="message")


class DeliveryAttempt(AppendOnly, Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
    attempted_at: Mapped[dt.datetime]
    succeeded: Mapped[bool]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))

    message: Mapped[OutboxMessage] = relationship(back_populates="delivery_attempts")


class IdempotentRequest(Base):
    """A creating request that carried an `Idempotency-Key`, and what it created: a retry with the same key (and
    the same request) answers with that object instead of creating another. Written in the transaction of the
    creation itself, so a key never outlives, or misses, what it stands for."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotent_requests_user_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[int]  # the created row's primary key
    created_at: Mapped[dt.datetime]
