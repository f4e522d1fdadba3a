"""The one clock: requests read `now()` once; rules and jobs are handed `now` explicitly."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, g, has_app_context


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that shows `at` until it is moved: for tests and demonstrations."""

    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at


def now() -> datetime:
    """The current UTC time, fixed for the whole request, from the app's clock (`create_app(clock=...)`)."""
    if not has_app_context():
        return datetime.now(timezone.utc)
    if "now" not in g:
        g.now = current_app.extensions["clock"].now()
    return g.now
