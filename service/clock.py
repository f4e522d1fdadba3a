"""The one clock: requests read `now()` once; rules and jobs are handed `now` explicitly."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, g, has_app_context


def now() -> datetime:
    """The current UTC time, fixed for the whole request (tests may pin it with config `FIXED_NOW`)."""
    if has_app_context():
        fixed = current_app.config.get("FIXED_NOW")
        if fixed is not None:
            return fixed
        if "now" not in g:
            g.now = datetime.now(timezone.utc)
        return g.now
    return datetime.now(timezone.utc)
