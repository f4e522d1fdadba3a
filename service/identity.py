"""Users, passwords (Argon2id) and bearer tokens (opaque, stored hashed, expiring, revocable)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApiToken, Patient, User
from service import audit, policy
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
                full_name: str, npi: str | None, now: datetime, public_demo_password: bool = False) -> User:
    """A new account. The password must pass the policy (service.rules.passwords) unless `public_demo_password`
    says it is the demo clinic's, which the README publishes on purpose (service.demo alone passes it)."""
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
                created_at=now)
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
        audit.record(session, "auth.login", outcome="refused", actor=user if user else None,
                     detail={"reason": "bad credentials"}, now=now)
        session.commit()
        raise Problem(401, "Unauthorized", "E-mail or password is wrong, or the account is disabled.",
                      kind="unauthorized")
    token = secrets.token_urlsafe(32)
    api_token = ApiToken(token_hash=token_digest(token), user=user, created_at=now, expires_at=now + ttl)
    session.add(api_token)
    audit.record(session, "auth.login", actor=user, now=now)
    session.commit()
    return Login(token, "Bearer", api_token.expires_at, user)


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if api_token is None or api_token.revoked_at is not None or api_token.expires_at <= now:
        return None
    if not api_token.user.active:
        return None
    return api_token.user


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
