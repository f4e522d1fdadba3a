"""The job table and the wrapper that claims a job's period before running it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from models import JobRun
from schedules.delivery import deliver_outbox
from schedules.escalation import escalate_overdue_alerts
from schedules.missed import detect_missed_tests
from schedules.reminders import send_weekly_reminders
from schedules.runs import claim_run, finish_run
from service.alerts import EscalationDelays
from service.claim_generation import BillingSettings, generate_claims
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
    return [
        # Reminders are due at a local time in each patient's zone: checking every 15 minutes serves every zone.
        Job("reminders.weekly", partial(send_weekly_reminders, weekday=settings.reminder_weekday,
                                        at=settings.reminder_time),
            quarter_hour, "cron", {"minute": "*/15"}, misfire_grace_minutes=14),
        # Weeks end at local midnight, at different UTC hours per zone: hourly finds each soon after.
        Job("tests.missed", detect_missed_tests, hour, "cron", {"minute": 5}, misfire_grace_minutes=55),
        Job("claims.generate", partial(generate_claims, settings=BillingSettings.from_settings(settings)), day,
            "cron", {"hour": claims_at.hour, "minute": claims_at.minute}, misfire_grace_minutes=12 * 60),
        Job("outbox.deliver", partial(deliver_outbox, url=settings.webhook_url, secret=settings.webhook_secret,
                                      timeout=settings.webhook_timeout_seconds),
            minute, "interval", {"minutes": 1}, misfire_grace_minutes=1),
        # Unacknowledged alerts move up to the covering physician, then the practice, after per-severity delays.
        Job("alerts.escalate", partial(escalate_overdue_alerts, delays=EscalationDelays(
            settings.escalate_critical_after, settings.escalate_out_of_range_after)),
            minute, "interval", {"minutes": 1}, misfire_grace_minutes=1),
    ]


def run_job(factory: sessionmaker[Session], job: Job, now: datetime | None = None) -> dict | None:
    """Claim (job, period) and run; None when another scheduler holds this period. Failures are recorded."""
    now = now or datetime.now(timezone.utc)  # the scheduler process is where time enters
    with factory() as session:
        run = claim_run(session, job.id, job.period(now), now)
        if run is None:
            log.info("job=%s period=%s already claimed", job.id, job.period(now))
            return None
        run_id = run.id
        try:
            outcome = job.func(session, now)
        except Exception as exc:  # one failing run must not stop the scheduler; the next period retries
            session.rollback()
            log.exception("job=%s failed", job.id)
            outcome = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        finish_run(session, session.get(JobRun, run_id), datetime.now(timezone.utc), outcome)
        log.info("job=%s period=%s outcome=%s", job.id, job.period(now), outcome)
        return outcome


def build_scheduler(factory: sessionmaker[Session], jobs: list[Job]):
    """A BlockingScheduler (UTC) with every job: explicit ids, grace in minutes, late runs coalesced into one."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=timezone.utc)
    for job in jobs:
        scheduler.add_job(run_job, job.trigger, args=[factory, job], id=job.id, name=job.id,
                          misfire_grace_time=job.misfire_grace_minutes * 60, coalesce=True, max_instances=1,
                          replace_existing=True, **job.trigger_args)
    return scheduler
