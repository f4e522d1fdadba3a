"""Claiming a job's run for a period under a lease, so that two schedulers running at once do the work once, and a
period whose scheduler died mid-run is taken over by another once the dead one's lease runs out."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import JobRun

log = logging.getLogger("schedules")

OWNER = f"{socket.gethostname()}:{os.getpid()}"
# How long a claim stays good without renewal. The running scheduler renews it every third of this, so it only
# bounds how soon a dead scheduler's period is taken over; a run may last far longer.
DEFAULT_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming (job, period): `run` is ours when `won`, otherwise the claim that holds it."""

    won: bool
    run: JobRun
    took_over: bool = False


def claim_run(session: Session, job: str, period: str, now: datetime, lease: timedelta = DEFAULT_LEASE) -> Claim:
    """Claim (job, period) for this process and commit the claim.

    A new period is claimed by inserting its row: the unique constraint lets exactly one insert succeed. A period
    claimed before is finished, or running under a live lease, or abandoned: unfinished with its lease run out.
    An abandoned one is taken over by a conditional UPDATE on the attempt it was seen at, so of two schedulers
    taking it over at once exactly one succeeds.
    """
    run = _find(session, job, period)
    if run is None:
        run = JobRun(job=job, period=period, claimed_at=now, claimed_by=OWNER, lease_expires_at=now + lease,
                     attempt=1)
        session.add(run)
        try:
            session.commit()
            return Claim(True, run)
        except IntegrityError:
            session.rollback()
            run = _find(session, job, period)
    if run.finished_at is not None or run.lease_expires_at > now:
        return Claim(False, run)
    seen, dead_owner = run.attempt, run.claimed_by
    taken = session.execute(
        update(JobRun)
        .where(JobRun.id == run.id, JobRun.attempt == seen, JobRun.finished_at.is_(None),
               JobRun.lease_expires_at <= now)
        .values(claimed_by=OWNER, claimed_at=now, lease_expires_at=now + lease, attempt=seen + 1)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    session.expire(run)
    if taken:
        log.warning("job=%s period=%s taken over from %s, whose lease ran out (attempt %d)", job, period,
                    dead_owner, seen + 1)
    return Claim(bool(taken), session.get(JobRun, run.id), took_over=bool(taken))


def _find(session: Session, job: str, period: str) -> JobRun | None:
    return session.scalar(select(JobRun).where(JobRun.job == job, JobRun.period == period)
                          .execution_options(populate_existing=True))


def finish_run(session: Session, run: JobRun, now: datetime, outcome: dict) -> bool:
    """Record the outcome, unless another scheduler took the period over meanwhile (then its outcome counts).
    Returns whether it was recorded."""
    done = session.execute(
        update(JobRun).where(JobRun.id == run.id, JobRun.attempt == run.attempt, JobRun.finished_at.is_(None))
        .values(finished_at=now, outcome=outcome).execution_options(synchronize_session=False)).rowcount
    session.commit()
    if not done:
        log.warning("job=%s period=%s was taken over while running; its outcome is the taker's", run.job, run.period)
    return bool(done)


@contextmanager
def lease_renewed(factory: sessionmaker[Session], run: JobRun, lease: timedelta, clock: Callable[[], datetime]):
    """While the block runs, a thread with its own session pushes the lease of `run` to clock() + lease every
    third of `lease`. It stops when the block ends, or when the claim is no longer ours (taken over)."""
    stop = threading.Event()
    # Plain values: the ORM object belongs to the job's session and thread.
    run_id, attempt, job, period = run.id, run.attempt, run.job, run.period

    def renew() -> None:
        while not stop.wait(lease.total_seconds() / 3):
            try:
                with factory() as session:
                    kept = session.execute(
                        update(JobRun).where(JobRun.id == run_id, JobRun.attempt == attempt,
                                             JobRun.finished_at.is_(None))
                        .values(lease_expires_at=clock() + lease)).rowcount
                    session.commit()
            except DBAPIError as exc:  # the database is briefly away or busy: try again at the next renewal
                log.warning("job=%s period=%s lease not renewed: %s", job, period, type(exc).__name__)
                continue
            if not kept:
                log.warning("job=%s period=%s lease lost: another scheduler took the period over", job, period)
                return

    thread = threading.Thread(target=renew, name=f"lease:{job}:{period}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def clock_from(now: datetime) -> Callable[[], datetime]:
    """A clock that starts at `now` (the time the run was given) and advances with the monotonic clock."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)
