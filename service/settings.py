"""The one settings object: every `INR_*` environment variable, read once into a frozen `Settings`.

This is the only module that reads `os.environ`. `create_app`, the CLI and the scheduler are each handed the
same object; defaults run on SQLite with no set-up. What differs per practice (NPI, time zone, reminder time)
belongs in the database, not here; the thresholds a clinic tunes are here so that no rule hides a constant.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from service.rules.flags import CriticalThresholds
from service.rules.next_test import Cadence

PREFIX = "INR_"
WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


class SettingsError(ValueError):
    """A variable whose value cannot be used; the message names it and says what is expected."""


def _integer(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value

    return parse


def _minutes(low: int, high: int) -> Callable[[str], timedelta]:
    whole = _integer(low, high)
    return lambda text: timedelta(minutes=whole(text))


def _seconds(low: int, high: int) -> Callable[[str], timedelta]:
    whole = _integer(low, high)
    return lambda text: timedelta(seconds=whole(text))


def _hours(low: int, high: int) -> Callable[[str], timedelta]:
    whole = _integer(low, high)
    return lambda text: timedelta(hours=whole(text))


def _days(low: int, high: int) -> Callable[[str], timedelta]:
    whole = _integer(low, high)
    return lambda text: timedelta(days=whole(text))


def _decimal(low: str, high: str) -> Callable[[str], Decimal]:
    def parse(text: str) -> Decimal:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"a number from {low} to {high}") from None
        if not value.is_finite() or not Decimal(low) <= value <= Decimal(high):
            raise ValueError(f"a number from {low} to {high}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("a number of seconds above 0") from None
    if not 0 < value < 3600:
        raise ValueError("a number of seconds above 0")
    return value


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("1 or 0")


def _clock_time(text: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError("a time of day as HH:MM") from None


def _weekday(text: str) -> str:
    if text.lower() not in WEEKDAYS:
        raise ValueError("a weekday name: " + ", ".join(WEEKDAYS))
    return text.lower()


def _text(text: str) -> str:
    return text


def _rate(text: str) -> str:
    from limits import parse

    try:
        parse(text)
    except ValueError:
        raise ValueError('a rate such as "10 per minute"') from None
    return text


def _log_level(text: str) -> str:
    if text.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return text.upper()


def _setting(name: str, default: str, parse: Callable[[str], Any], meaning: str) -> Any:
    """A field read from `INR_<name>`; the default is given as the text a user would write."""
    return field(default=parse(default),
                 metadata={"variable": PREFIX + name, "default": default, "parse": parse, "meaning": meaning})


@dataclass(frozen=True)
class Settings:
    """Everything the web app, the CLI and the scheduler are configured with."""

    # Where the data lives. An empty database URL means SQLite under `data_dir`.
    database_url: str = _setting("DATABASE_URL", "", _text,
                                 "SQLAlchemy URL; empty: `sqlite:///<INR_DATA_DIR>/inr.sqlite3`. PostgreSQL: "
                                 "`postgresql+psycopg://user@host:5432/db`")
    data_dir: Path = _setting("DATA_DIR", "instance", Path, "folder of the embedded SQLite database")
    auto_migrate: bool = _setting("AUTO_MIGRATE", "1", _flag,
                                  "apply pending migrations when the web app or scheduler starts; `0` refuses "
                                  "to start on an old schema (run `flask --app service db-upgrade`)")
    log_level: str = _setting("LOG_LEVEL", "INFO", _log_level, "logging level of the service's own loggers")

    # HTTP and sessions.
    token_ttl: timedelta = _setting("TOKEN_TTL_MINUTES", "480", _minutes(1, 7 * 24 * 60), "bearer token lifetime")
    login_rate_limit: str = _setting("LOGIN_RATE_LIMIT", "10 per minute", _rate,
                                     "failed logins per client address (successful ones do not count)")
    login_account_rate_limit: str = _setting("LOGIN_ACCOUNT_RATE_LIMIT", "20 per hour", _rate,
                                             "failed logins per account, from any address")
    ratelimit_storage: str = _setting("RATELIMIT_STORAGE", "memory://", _text,
                                      "`redis://127.0.0.1:6379` when more than one process serves")
    trust_proxy_hops: int = _setting("TRUST_PROXY_HOPS", "0", _integer(0, 5),
                                     "how many proxies in front append to X-Forwarded-For: the client address "
                                     "(audit records, the per-address login limit) is read that many hops from "
                                     "the right. `0` takes the peer's address: behind a proxy every client then "
                                     "shares the proxy's address and one per-address budget")
    max_request_bytes: int = _setting("MAX_REQUEST_BYTES", "1048576", _integer(1024, 100 * 1024 * 1024),
                                      "largest request body accepted (413 above it)")
    password_reset_ttl: timedelta = _setting("PASSWORD_RESET_HOURS", "24", lambda text: timedelta(
        hours=_integer(1, 168)(text)), "how long an administrator-issued password reset code stays valid")
    argon2_time_cost: int = _setting("ARGON2_TIME_COST", "3", _integer(1, 20), "Argon2id passes per password hash")
    argon2_memory_cost: int = _setting("ARGON2_MEMORY_COST", "65536", _integer(8, 4 * 1024 * 1024),
                                       "Argon2id memory per password hash, KiB")

    # Clinical thresholds a clinic tunes.
    critical_low: Decimal = _setting("CRITICAL_LOW", "1.5", _decimal("0.8", "8.0"),
                                     "an INR at or below it is critical")
    critical_high: Decimal = _setting("CRITICAL_HIGH", "5.0", _decimal("0.8", "8.0"),
                                      "an INR at or above it is critical")
    emergency_instructions: str = _setting(
        "EMERGENCY_INSTRUCTIONS",
        "Call the anticoagulation clinic now. If you have heavy bleeding, chest pain, trouble speaking or sudden "
        "weakness, call 911 or go to the nearest emergency department.",
        _text, "what a patient with a critical value or symptoms is told")
    clock_skew: timedelta = _setting("CLOCK_SKEW_SECONDS", "300", _seconds(0, 3600),
                                     "how far in the future a result's measured-at may lie")
    ttr_max_gap_days: int = _setting("TTR_MAX_GAP_DAYS", "56", _integer(1, 365),
                                     "no TTR interpolation across longer gaps (Rosendaal; LOINC 72281-9)")
    training_agreement_tolerance: Decimal = _setting(
        "TRAINING_AGREEMENT_TOLERANCE", "0.5", _decimal("0", "2"),
        "trainee vs clinic INR agreement during the supervised test (inclusive)")
    escalate_critical_after: timedelta = _setting("ESCALATE_CRITICAL_MINUTES", "30", _minutes(1, 7 * 24 * 60),
                                                  "an unacknowledged critical alert escalates after this")
    escalate_out_of_range_after: timedelta = _setting(
        "ESCALATE_OUT_OF_RANGE_MINUTES", "1440", _minutes(1, 30 * 24 * 60),
        "an unacknowledged routine alert escalates after this")
    no_valid_result_after: timedelta = _setting(
        "NO_VALID_RESULT_HOURS", "24", _hours(1, 7 * 24),
        "no valid INR this long after one that is not (failed strip, meter error) opens the routine \"no valid "
        "result\" alert; so does a second invalid reading in a row")
    next_test_weekly_days: int = _setting("NEXT_TEST_WEEKLY_DAYS", "7", _integer(1, 28),
                                          "the next test is due this many days after a valid INR")
    next_test_after_critical_days: int = _setting(
        "NEXT_TEST_AFTER_CRITICAL_DAYS", "3", _integer(1, 28),
        "the next test is due this many days after a critical INR (judged against the patient's own range); after "
        "a reading with no valid INR it is due the same day; a physician's next test date overrides both")
    self_correction_window: timedelta = _setting(
        "SELF_CORRECTION_HOURS", "24", _hours(0, 30 * 24),
        "how long after it was received a patient or caregiver may correct their own entry (staff: any time)")
    result_days_before_enrolment: int = _setting(
        "RESULT_DAYS_BEFORE_ENROLMENT", "90", _integer(0, 3650),
        "a reported result may be dated at most this many days before the patient's enrolment (and never before "
        "their warfarin start)")
    reassessment_months: int = _setting(
        "REASSESSMENT_MONTHS", "12", _integer(1, 60),
        "correct use of the meter is reassessed within this many calendar months of the last competent sign-off "
        "(a payer's shorter interval applies)")
    reassessment_grace: timedelta = _setting(
        "REASSESSMENT_GRACE_DAYS", "30", _days(0, 365),
        "an overdue reassessment alerts at once and suspends home-testing clearance after these days")

    # Scheduler.
    reminder_weekday: str = _setting("REMINDER_WEEKDAY", "sunday", _weekday,
                                     "weekly test reminder day of the first practice (read once, by migration "
                                     "0014) and of new practices; each practice sets its own")
    reminder_time: time = _setting("REMINDER_TIME", "09:00", _clock_time,
                                   "weekly test reminder time (local HH:MM), like INR_REMINDER_WEEKDAY")
    claims_time_utc: time = _setting("CLAIMS_TIME_UTC", "06:00", _clock_time, "daily claim generation (UTC HH:MM)")
    reassessments_time_utc: time = _setting(
        "REASSESSMENTS_TIME_UTC", "05:00", _clock_time,
        "daily check for overdue reassessments (UTC HH:MM; before claims, so a suspension is seen by them)")

    # Billing: the first practice's details when migration 0012 creates it (every practice is a row of
    # `practices` after that: the billing provider of its patients' claims). An IDTF may not bill G0250.
    billing_provider_npi: str = _setting("BILLING_PROVIDER_NPI", "", _text,
                                         "the first practice's group NPI, read once when migration 0012 creates it "
                                         "(a value failing the NPI check is left out, to be completed)")
    billing_provider_name: str = _setting("BILLING_PROVIDER_NAME", "Anticoagulation Clinic", _text,
                                          "the first practice's name, read once by migration 0012")
    billing_entity_is_idtf: bool = _setting("BILLING_ENTITY_IS_IDTF", "0", _flag,
                                            "`1`: the first practice bills as an IDTF (never G0250); read once by "
                                            "migration 0012")

    # Outbox delivery: a signed POST per message; nothing is sent (messages wait) while the URL is unset.
    webhook_url: str = _setting("WEBHOOK_URL", "", _text, "where the outbox delivers notifications")
    webhook_secret: str = _setting("WEBHOOK_SECRET", "", _text,
                                   "HMAC-SHA256 key of the `X-INR-Signature` header")
    webhook_timeout_seconds: float = _setting("WEBHOOK_TIMEOUT_SECONDS", "10", _positive_float,
                                              "how long one delivery attempt waits for the receiver")

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.data_dir).resolve() / 'inr.sqlite3'}")
        if self.critical_low >= self.critical_high:
            raise SettingsError("INR_CRITICAL_LOW must be below INR_CRITICAL_HIGH.")
        if self.next_test_after_critical_days > self.next_test_weekly_days:
            raise SettingsError("INR_NEXT_TEST_AFTER_CRITICAL_DAYS must not exceed INR_NEXT_TEST_WEEKLY_DAYS.")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every `INR_*` variable; a value that cannot be used raises SettingsError naming it."""
        environ = os.environ if environ is None else environ
        values = {}
        for spec in dataclasses.fields(cls):
            name = spec.metadata["variable"]
            if name in environ:
                try:
                    values[spec.name] = spec.metadata["parse"](environ[name])
                except ValueError as exc:
                    raise SettingsError(f"{name} must be {exc} (got {environ[name]!r}).") from None
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def critical_thresholds(self) -> CriticalThresholds:
        return CriticalThresholds(self.critical_low, self.critical_high)

    @property
    def next_test_cadence(self) -> Cadence:
        return Cadence(self.next_test_weekly_days, self.next_test_after_critical_days)


def variables() -> list[dict]:
    """Every variable with its default and meaning, in declaration order (the README's table lists them)."""
    return [{"name": spec.metadata["variable"], "default": spec.metadata["default"],
             "meaning": spec.metadata["meaning"]} for spec in dataclasses.fields(Settings)]


def current_settings() -> Settings:
    """The settings of the app serving the current request (or running the current CLI command)."""
    from flask import current_app

    return current_app.extensions["settings"]
