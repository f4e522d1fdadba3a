"""The job table and the wrapper that claims a job's period before running it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from schedules.delivery import deliver_outbox
from schedules.escalation import escalate_overdue_alerts
from schedules.missed import detect_missed_tests
from schedules.no_valid_result import detect_no_valid_results
from schedules.reassessments import check_reassessments
from schedules.reminders import send_weekly_reminders
from schedules.runs import DEFAULT_LEASE, claim_run, clock_from, finish_run, lease_renewed
from service.alerts import EscalationDelays
from service.claim_generation import generate_claims
from service.settings import Settings

log = logging.getLogger("schedules")


@dataclass(frozen=True)
class Job:
    """A job function `func(session, now)`, the period one run covers, and when APScheduler fires it."""

    id: str
    func: Callable[[Session, datetime], dict]
    period: Callable[[datetime], str]
    trigger: str  # "interval" or "cron"
    trigger_args: dict = field(default_factory=dict)
    misfire_grace_minutes: int = 5
    lease: timedelta = DEFAULT_LEASE  # renewed while running; past it, a dead run's period is taken over


def minute(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M")


def quarter_hour(now: datetime) -> str:
    now = now.astimezone(timezone.utc)
    return f"{now:%Y-%m-%dT%H}:{now.minute // 15 * 15:02d}"


def hour(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


def day(now: datetime) -> str:
    return now.astimezone(timezone.utc).date().isoformat()


def job_table(settings: Settings) -> list[Job]:
    """Every scheduled job, configured from `settings`."""
    claims_at = settings.claims_time_utc
    reassess_at = settings.reassessments_time_utc
    return [
        # Reminders are due at a local time in each patient's zone: checking every 15 minutes serves every zone.
        Job("reminders.weekly", partial(send_weekly_reminders, settings=settings),  # at each practice's day and time
            quarter_hour, "cron", {"minute": "*/15"}, misfire_grace_minutes=14),
        # Weeks end at local midnight, at different UTC hours per zone: hourly finds each soon after.
        Job("tests.missed", detect_missed_tests, hour, "cron", {"minute": 5}, misfire_grace_minutes=55),
        # Continued correct use: an overdue reassessment alerts, then suspends; daily, before claims read clearance.
        Job("reassessments.check", partial(check_reassessments, settings=settings), day, "cron",
            {"hour": reassess_at.hour, "minute": reassess_at.minute}, misfire_grace_minutes=12 * 60),
        # An invalid reading with no valid INR within its window opens the "no valid result" alert.
        Job("results.no_valid_result", partial(detect_no_valid_results, settings=settings), quarter_hour, "cron",
            {"minute": "*/15"}, misfire_grace_minutes=14),
        Job("claims.generate", partial(generate_claims, trigger="job"), day,
            "cron", {"hour": claims_at.hour, "minute": claims_at.minute}, misfire_grace_minutes=12 * 60),
        Job("outbox.deliver", partial(deliver_outbox, url=settings.webhook_url, secret=settings.webhook_secret,
                                      timeout=settings.webhook_timeout_seconds),
            minute, "interval", {"minutes": 1}, misfire_grace_minutes=1),
        # Unacknowledged alerts move up to the covering physician, then the practice, after per-severity delays.
        Job("alerts.escalate", partial(escalate_overdue_alerts, delays=EscalationDelays(
            settings.escalate_critical_after, settings.escalate_out_of_range_after)),
            minute, "interval", {"minutes": 1}, misfire_grace_minutes=1),
    ]


@dataclass(frozen=True)
class RunReport:
    """What one call of `run_job` did for (job, period): ran it (maybe taking over a dead scheduler's claim), or
    found the period done by another run, or still running elsewhere under a live lease."""

    job: str
    period: str
    status: str  # "ran", "failed", "done_elsewhere" or "running_elsewhere"
    outcome: dict | None = None
    took_over: bool = False
    by: str | None = None  # the scheduler holding the period, when it was not this one
    until: datetime | None = None  # its lease, when still running

    def line(self) -> str:
        """One JSON line saying what happened (what `python -m schedules --once` prints)."""
        document: dict = {"job": self.job, "period": self.period, "status": self.status}
        if self.status in ("ran", "failed"):
            document.update(outcome=self.outcome, took_over=self.took_over)
        else:
            document["by"] = self.by
        if self.status == "running_elsewhere":
            document["lease_expires_at"] = self.until.isoformat()
        return json.dumps(document, default=str)


def run_job(factory: sessionmaker[Session], job: Job, now: datetime | None = None) -> RunReport:
    """Claim (job, period) and run it under a renewed lease; failures are recorded, never raised."""
    now = now or datetime.now(timezone.utc)  # the scheduler process is where time enters
    period = job.period(now)
    with factory() as session:
        claim = claim_run(session, job.id, period, now, job.lease)
        if not claim.won:
            held = claim.run
            if held.finished_at is not None:
                return RunReport(job.id, period, "done_elsewhere", by=held.claimed_by)
            return RunReport(job.id, period, "running_elsewhere", by=held.claimed_by, until=held.lease_expires_at)
        run = claim.run
        status = "ran"
        with lease_renewed(factory, run, job.lease, clock_from(now)):
            try:
                outcome = job.func(session, now)
            except Exception as exc:  # one failing run must not stop the scheduler; the next period retries
                session.rollback()
                log.exception("job=%s failed", job.id)
                outcome, status = {"error": f"{type(exc).__name__}: {exc}"[:500]}, "failed"
        finish_run(session, run, datetime.now(timezone.utc), outcome)
        return RunReport(job.id, period, status, outcome, took_over=claim.took_over)


def _scheduled(factory: sessionmaker[Session], job: Job) -> None:
    """What APScheduler calls: run the job and log what happened, one line."""
    log.info("%s", run_job(factory, job).line())


def build_scheduler(factory: sessionmaker[Session], jobs: list[Job]):
    """A BlockingScheduler (UTC) with every job: explicit ids, grace in minutes, late runs coalesced into one."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=timezone.utc)
    for job in jobs:
        scheduler.add_job(_scheduled, job.trigger, args=[factory, job], id=job.id, name=job.id,
                          misfire_grace_time=job.misfire_grace_minutes * 60, coalesce=True, max_instances=1,
                          replace_existing=True, **job.trigger_args)
    return scheduler
