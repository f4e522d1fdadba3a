"""Practices: the people and patients of one clinic, and the billing entity of those patients (group NPI, tax id,
address, time zone, IDTF or not, reminder day and time). Two practices on one server never see each other's data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, PublicIdMixin


class Practice(PublicIdMixin, Base):
    """A clinic (or an IDTF) whose patients it bills for: the billing provider of every claim line (837P loop
    2010AA) and the local calendar of its physicians' work.

    Fields the 837P needs may be empty while the practice is being set up (the first practice is created by
    migration 0012 from the `INR_BILLING_*` settings); `service.practices.missing_for_claims` names them.
    """

    __tablename__ = "practices"

    name: Mapped[str] = mapped_column(String(200))
    group_npi: Mapped[str | None] = mapped_column(String(10))
    tax_id: Mapped[str | None] = mapped_column(String(9))  # EIN, nine digits
    address_line1: Mapped[str | None] = mapped_column(String(55))
    address_line2: Mapped[str | None] = mapped_column(String(55))
    city: Mapped[str | None] = mapped_column(String(30))
    state: Mapped[str | None] = mapped_column(String(2))
    postal_code: Mapped[str | None] = mapped_column(String(9))  # ZIP+4 without the dash: 2010AA needs nine digits
    phone: Mapped[str | None] = mapped_column(String(10))  # the submitter's EDI contact (837P loop 1000A)
    time_zone: Mapped[str] = mapped_column(String(64))  # dates of the physicians' work (93793, G0250)
    bills_as_idtf: Mapped[bool] = mapped_column(default=False)  # an IDTF never bills G0250
    # Interchange ids the practice's clearinghouse assigned (ISA06/GS02, ISA08/GS03 and loop 1000B).
    x12_submitter_id: Mapped[str | None] = mapped_column(String(15))
    x12_receiver_id: Mapped[str | None] = mapped_column(String(15))
    x12_receiver_name: Mapped[str | None] = mapped_column(String(60))
    # The practice's charge per code, as decimal strings ("45.00"): SV1-02 of each service line.
    charges: Mapped[dict] = mapped_column(JSON, default=dict)
    # The weekly test reminder, in each patient's own local time: a weekday name and HH:MM.
    reminder_weekday: Mapped[str] = mapped_column(String(9), default="sunday")
    reminder_time: Mapped[str] = mapped_column(String(5), default="09:00")
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
