"""Configuration from `INR_*` environment variables, with defaults that run on SQLite with no set-up."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

DEFAULT_SQLITE_PATH = Path(os.environ.get("INR_DATA_DIR", Path.cwd() / "instance")) / "inr.sqlite3"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"INR_{name}", default)


def from_environment() -> dict:
    """Flask config keys (upper case) read once at app creation."""
    return {
        "DATABASE_URL": _env("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        "LOG_LEVEL": _env("LOG_LEVEL", "INFO"),
        # Apply pending migrations at start; with it off, the app refuses to start on an old schema.
        "AUTO_MIGRATE": _env("AUTO_MIGRATE", "1") == "1",
        "TOKEN_TTL_MINUTES": int(_env("TOKEN_TTL_MINUTES", "480")),
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_STORAGE": _env("RATELIMIT_STORAGE", "memory://"),
        "MAX_CONTENT_LENGTH": int(_env("MAX_REQUEST_BYTES", str(1024 * 1024))),
        "ARGON2_TIME_COST": int(_env("ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_COST": int(_env("ARGON2_MEMORY_COST", "65536")),
        "TRUST_PROXY_HOPS": int(_env("TRUST_PROXY_HOPS", "0")),
        # Clinical thresholds a clinic tunes.
        "CRITICAL_LOW": Decimal(_env("CRITICAL_LOW", "1.5")),
        "CRITICAL_HIGH": Decimal(_env("CRITICAL_HIGH", "5.0")),
        # How far the trainee's meter may differ from the clinic's comparison INR at training (inclusive).
        "TRAINING_AGREEMENT_TOLERANCE": Decimal(_env("TRAINING_AGREEMENT_TOLERANCE", "0.5")),
        "CLOCK_SKEW_SECONDS": int(_env("CLOCK_SKEW_SECONDS", "300")),
        # Rosendaal TTR does not interpolate across longer gaps (LOINC 72281-9).
        "TTR_MAX_GAP_DAYS": int(_env("TTR_MAX_GAP_DAYS", "56")),
        "EMERGENCY_INSTRUCTIONS": _env(
            "EMERGENCY_INSTRUCTIONS",
            "Call the anticoagulation clinic now. If you have heavy bleeding, chest pain, trouble speaking "
            "or sudden weakness, call 911 or go to the nearest emergency department.",
        ),
        # Billing: the entity on every claim line. An IDTF (independent testing facility) may not bill G0250.
        "BILLING_PROVIDER_NPI": _env("BILLING_PROVIDER_NPI", "") or None,
        "BILLING_PROVIDER_NAME": _env("BILLING_PROVIDER_NAME", "Anticoagulation Clinic"),
        "BILLING_ENTITY_IS_IDTF": _env("BILLING_ENTITY_IS_IDTF", "0") in ("1", "true"),
        # Scheduler: weekly test reminder in each patient's own zone (weekday name, HH:MM local).
        "REMINDER_WEEKDAY": _env("REMINDER_WEEKDAY", "sunday"),
        "REMINDER_TIME": _env("REMINDER_TIME", "09:00"),
        "CLAIMS_TIME_UTC": _env("CLAIMS_TIME_UTC", "06:00"),
        # Outbox delivery: a signed POST per message; nothing is sent (messages wait) while the URL is unset.
        "WEBHOOK_URL": _env("WEBHOOK_URL", ""),
        "WEBHOOK_SECRET": _env("WEBHOOK_SECRET", ""),
        "WEBHOOK_TIMEOUT_SECONDS": float(_env("WEBHOOK_TIMEOUT_SECONDS", "10")),
    }
