"""Practices: the billing entity of their patients, and what of it a claim file still needs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Practice, User
from service import audit
from service.errors import invalid
from service.rules.code_reference import CODE_REFERENCE
from service.rules.npi import is_valid_npi

_DIGITS = re.compile(r"^[0-9]+$")


def first_practice(session: Session) -> Practice:
    """The practice a patient joins unless told otherwise: the first one (created by migration 0012)."""
    practice = session.scalar(select(Practice).order_by(Practice.id).limit(1))
    if practice is None:
        raise RuntimeError("no practice: the database was not migrated (migration 0012 creates the first one)")
    return practice


def zone(practice: Practice) -> ZoneInfo:
    return ZoneInfo(practice.time_zone)


def local_date(practice: Practice, when: datetime) -> date:
    """The practice's calendar date at `when`: the date of its physicians' work (93793, G0250)."""
    return when.astimezone(zone(practice)).date()


def missing_for_claims(practice: Practice, codes: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """What an 837P file needs of the practice (billing provider loop 2010AA, submitter 1000A, receiver 1000B)
    that it does not hold yet, by field; `codes` are the codes to be charged."""
    missing = []
    if not practice.group_npi or not is_valid_npi(practice.group_npi):
        missing.append("group_npi")
    if not practice.tax_id or len(practice.tax_id) != 9 or not _DIGITS.match(practice.tax_id):
        missing.append("tax_id")
    for name in ("address_line1", "city", "state", "x12_receiver_id", "x12_receiver_name"):
        if not getattr(practice, name):
            missing.append(name)
    if not practice.postal_code or len(practice.postal_code) != 9 or not _DIGITS.match(practice.postal_code):
        missing.append("postal_code")  # the billing provider's ZIP+4, nine digits
    if not practice.phone or len(practice.phone) != 10 or not _DIGITS.match(practice.phone):
        missing.append("phone")
    for code in sorted(codes):
        if charge_of(practice, code) is None:
            missing.append(f"charges.{code}")
    return missing


def charge_of(practice: Practice, code: str) -> Decimal | None:
    """The practice's charge for `code`, or None when it has none (or an unusable one)."""
    text = (practice.charges or {}).get(code)
    try:
        amount = Decimal(str(text)) if text is not None else None
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() and amount > 0 else None


def set_up_practice(session: Session, practice: Practice, changes: dict, now: datetime) -> Practice:
    """Fill in a practice's details (no commit: the caller's transaction). NPIs are checked the way CMS issues
    them; charges are for codes this service produces."""
    errors = {}
    if changes.get("group_npi") is not None and not is_valid_npi(changes["group_npi"]):
        errors["group_npi"] = ["Not a valid NPI (10 digits, the last the CMS check digit)."]
    unknown = sorted(set(changes.get("charges") or {}) - set(CODE_REFERENCE))
    if unknown:
        errors["charges"] = [f"Not a code this service bills: {', '.join(unknown)}."]
    if errors:
        raise invalid(errors)
    for name, value in changes.items():
        setattr(practice, name, value)
    practice.updated_at = now
    session.flush()
    return practice


@dataclass(frozen=True)
class PracticeSeen:
    """A practice with what claims still need of it."""

    practice: Practice
    missing_for_claims: list[str]

    def __getattr__(self, name):
        return getattr(self.practice, name)


def seen(session: Session, user: User) -> PracticeSeen:
    practice = session.get(Practice, user.practice_id)
    return PracticeSeen(practice, missing_for_claims(practice, set(practice.charges or {})))


def set_up(session: Session, admin: User, changes: dict, now: datetime) -> PracticeSeen:
    """The administrator's setup of their own practice (audited)."""
    practice = set_up_practice(session, session.get(Practice, admin.practice_id), changes, now)
    audit.record(session, "practice.update", object_type="practice", object_id=practice.public_id,
                 detail={"fields": sorted(changes)}, now=now)
    session.commit()
    return seen(session, admin)


def create_practice(session: Session, name: str, time_zone: str, now: datetime, *, reminder_weekday: str,
                    reminder_time: str) -> Practice:
    """A new practice on this server (the operator's CLI): its staff and patients will reach nothing else."""
    practice = Practice(name=name, time_zone=time_zone, reminder_weekday=reminder_weekday,
                        reminder_time=reminder_time, charges={}, created_at=now, updated_at=now)
    session.add(practice)
    session.flush()
    audit.record(session, "practice.create", object_type="practice", object_id=practice.public_id,
                 detail={"name": name}, now=now)
    session.commit()
    return practice
