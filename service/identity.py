"""Users, passwords (Argon2id) and bearer tokens (opaque, stored hashed, expiring, revocable)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload

from models import ApiToken, PasswordResetCode, Patient, User
from service import audit, outbox, policy, practices
from service.errors import Conflict, Problem, invalid
from service.rules.npi import is_valid_npi
from service.rules.passwords import password_problems


class Passwords:
    """Argon2id hashing with the cost the configuration asks for."""

    def __init__(self, time_cost: int, memory_cost: int):
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
        # Verified against when the e-mail is unknown, so a failed login takes as long either way.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._decoy, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, passwords: Passwords, *, email: str, password: str, role: str,
                full_name: str, npi: str | None, now: datetime, practice_id: int | None = None,
                public_demo_password: bool = False) -> User:
    """A new account in `practice_id` (the first practice unless given). The password must pass the policy
    (service.rules.passwords) unless `public_demo_password` says it is the demo clinic's, which the README
    publishes on purpose (service.demo alone passes it)."""
    email = email.strip().lower()
    errors = {}
    if npi is not None and not is_valid_npi(npi):
        errors["npi"] = ["Not a valid NPI: ten digits, the last being the check digit CMS computes "
                         "(Luhn over 80840 and the first nine)."]
    if not public_demo_password:
        problems = password_problems(password, email=email, full_name=full_name)
        if problems:
            errors["password"] = problems
    if errors:
        raise invalid(errors)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("A user with this e-mail already exists.", errors={"email": ["Already registered."]})
    if npi is not None and session.scalar(select(User.id).where(User.npi == npi, User.active.is_(True))) is not None:
        raise Conflict("An active account already has this NPI.",
                       errors={"npi": ["Another active account has this NPI; one active account per NPI."]})
    user = User(email=email, full_name=full_name, role=role, npi=npi, password_hash=passwords.hash(password),
                practice_id=practice_id or practices.first_practice(session).id, created_at=now)
    session.add(user)
    session.flush()
    audit.record(session, "user.create", object_type="user", object_id=user.public_id,
                 detail={"role": role}, now=now)
    session.commit()
    return user


@dataclass(frozen=True)
class Login:
    """What a successful login hands the client: the token (shown once, stored only hashed) and who it is."""

    token: str
    token_type: str
    expires_at: datetime
    user: User


def log_in(session: Session, passwords: Passwords, email: str, password: str, now: datetime,
           ttl: timedelta) -> Login:
    """A new token for valid credentials of an active user; 401 otherwise. Both outcomes are audited."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if not passwords.verify(user.password_hash if user else None, password) or not user.active:
        _refuse_login(session, user, "bad credentials", now)
    return _new_token(session, user, ttl, now)


def log_in_with_reset_code(session: Session, passwords: Passwords, email: str, code: str, new_password: str,
                           now: datetime, ttl: timedelta) -> Login:
    """Spend a one-time reset code: set the new password (checked like any) and log in. A wrong, expired or
    spent code is the same 401 as a wrong password."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    issued = session.scalar(select(PasswordResetCode).where(PasswordResetCode.code_hash == token_digest(code)))
    if (user is None or not user.active or issued is None or issued.user_id != user.id or issued.used_at is not None
            or issued.expires_at <= now):
        _refuse_login(session, user, "bad reset code", now)
    problems = password_problems(new_password, email=user.email, full_name=user.full_name)
    if problems:
        raise invalid({"new_password": problems})
    issued.used_at = now
    _set_password(session, passwords, user, new_password, now, keep_token=None)
    audit.record(session, "auth.password.reset", actor=user, object_type="user", object_id=user.public_id, now=now)
    return _new_token(session, user, ttl, now)


def _refuse_login(session: Session, user: User | None, reason: str, now: datetime):
    audit.record(session, "auth.login", outcome="refused", actor=user, detail={"reason": reason}, now=now)
    session.commit()
    raise Problem(401, "Unauthorized", "E-mail or password is wrong, or the account is disabled.",
                  kind="unauthorized")


def _new_token(session: Session, user: User, ttl: timedelta, now: datetime) -> Login:
    token = secrets.token_urlsafe(32)
    api_token = ApiToken(token_hash=token_digest(token), user=user, created_at=now, expires_at=now + ttl)
    session.add(api_token)
    audit.record(session, "auth.login", actor=user, now=now)
    session.commit()
    return Login(token, "Bearer", api_token.expires_at, user)


def _set_password(session: Session, passwords: Passwords, user: User, password: str, now: datetime, *,
                  keep_token: str | None) -> None:
    """A new password ends every other session of the account (NIST SP 800-63B: a changed secret is a fresh start)."""
    user.password_hash = passwords.hash(password)
    for api_token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                            ApiToken.revoked_at.is_(None))):
        if keep_token is None or api_token.token_hash != token_digest(keep_token):
            api_token.revoked_at = now


def change_password(session: Session, passwords: Passwords, user: User, current: str, new: str, token: str,
                    now: datetime) -> None:
    """The caller's own password, with the current one; every other session of the account ends."""
    if not passwords.verify(user.password_hash, current):
        audit.record(session, "auth.password.change", outcome="refused", object_type="user",
                     object_id=user.public_id, detail={"reason": "current password wrong"}, now=now)
        session.commit()
        raise invalid({"current_password": ["This is not your current password."]})
    problems = password_problems(new, email=user.email, full_name=user.full_name)
    if new == current:
        problems = ["Must differ from the current password.", *problems]
    if problems:
        raise invalid({"new_password": problems})
    _set_password(session, passwords, user, new, now, keep_token=token)
    audit.record(session, "auth.password.change", object_type="user", object_id=user.public_id, now=now)
    session.commit()


@dataclass(frozen=True)
class ResetIssued:
    user: User
    expires_at: datetime


def issue_reset_code(session: Session, user: User, actor: User, ttl: timedelta, now: datetime) -> ResetIssued:
    """A one-time code for a forgotten password, sent to the user through the outbox (the administrator never
    sees it); any earlier unspent code of the user stops working."""
    if not user.active:
        raise Conflict("This account is deactivated; reactivate it first.")
    for earlier in session.scalars(select(PasswordResetCode).where(PasswordResetCode.user_id == user.id,
                                                                   PasswordResetCode.used_at.is_(None))):
        earlier.used_at = now
    code = secrets.token_urlsafe(12)
    issued = PasswordResetCode(user_id=user.id, code_hash=token_digest(code), issued_by_id=actor.id, issued_at=now,
                               expires_at=now + ttl)
    session.add(issued)
    session.flush()
    outbox.enqueue(session, key=f"account.password_reset:{issued.id}", kind="account.password_reset", now=now,
                   recipient_user_id=user.id,
                   payload={"user_id": str(user.public_id), "email": user.email, "code": code,
                            "expires_at": issued.expires_at.isoformat()})
    audit.record(session, "user.password_reset.issue", object_type="user", object_id=user.public_id,
                 detail={"expires_at": issued.expires_at.isoformat()}, now=now)
    session.commit()
    return ResetIssued(user, issued.expires_at)


def set_active(session: Session, user: User, actor: User, active: bool, reason: str, now: datetime) -> User:
    """Deactivate an account (every token stops working at once; the account and everything it signed stay) or
    reactivate it. HIPAA 164.308(a)(3)(ii)(C): access ends when employment does."""
    if user.id == actor.id:
        raise Conflict("An administrator cannot change their own account's access.")
    if user.active == active:
        raise Conflict(f"This account is already {'active' if active else 'deactivated'}.")
    if active and user.npi and session.scalar(select(User.id).where(User.npi == user.npi, User.active.is_(True))):
        raise Conflict("Another active account holds this NPI.", errors={"npi": ["One active account per NPI."]})
    user.active = active
    if not active:
        for api_token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                                ApiToken.revoked_at.is_(None))):
            api_token.revoked_at = now
    audit.record(session, "user.activate" if active else "user.deactivate", object_type="user",
                 object_id=user.public_id, detail={"reason": reason}, now=now)
    session.commit()
    return user


def user_and_patient(session: Session, token: str, now: datetime,
                     patient_id: uuid.UUID | None) -> tuple[User | None, Patient | None]:
    """The token's user (None: no such token, revoked, expired or inactive) and, when the path names a patient,
    that patient as policy.patient loads it (None if there is none), in one round trip: every authenticated request
    starts here. Nothing is decided about the patient: policy.patient authorizes the caller for it."""
    query = select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == token_digest(token))
    if patient_id is not None:
        # A LEFT JOIN on the patient alone: the token's row comes back whether or not the patient exists.
        # (Only for a token in force: a refused token never reads a patient.)
        query = (query.add_columns(Patient)
                 .outerjoin(Patient, and_(Patient.public_id == patient_id, ApiToken.revoked_at.is_(None),
                                          ApiToken.expires_at > now))
                 .options(*policy.PATIENT_RULES))
    row = session.execute(query).unique().first()
    api_token, patient = (row[0], row[1] if patient_id is not None else None) if row else (None, None)
    if api_token is None or api_token.revoked_at is not None or api_token.expires_at <= now:
        return None, None
    if not api_token.user.active:
        return None, None
    return api_token.user, patient


def log_out(session: Session, token: str, now: datetime) -> None:
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if api_token is not None and api_token.revoked_at is None:
        api_token.revoked_at = now
        audit.record(session, "auth.logout", now=now)
    session.commit()


@dataclass(frozen=True)
class Me:
    """The caller's account, and the patients a patient or caregiver reaches (staff reach them by listing)."""

    user: User
    patients: list[Patient]

    def __getattr__(self, name):
        return getattr(self.user, name)


def me(session: Session, user: User, now: datetime) -> Me:
    patients = []
    if user.role in ("patient", "caregiver"):
        patients = list(session.scalars(policy.reachable_patients(user, now).order_by(Patient.full_name)))
    audit.record(session, "user.me", object_type="user", object_id=user.public_id, now=now)
    session.commit()
    return Me(user, patients)


def list_users(session: Session, caller: User, role: str | None, now: datetime) -> list[User]:
    """The accounts `caller` may look up (policy.visible_users), optionally of one role."""
    statement = policy.visible_users(caller).order_by(User.full_name, User.id)
    if role is not None:
        statement = statement.where(User.role == role)
    users = list(session.scalars(statement))
    audit.record(session, "user.list", detail={"count": len(users)}, now=now)
    session.commit()
    return users
