"""Claiming a job's run for a period, so that two schedulers running at once do the work once."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import JobRun

OWNER = f"{socket.gethostname()}:{os.getpid()}"


def claim_run(session: Session, job: str, period: str, now: datetime) -> JobRun | None:
    """Insert the (job, period) claim and commit it; None when another process already holds it.

    The unique constraint decides: both processes may try, exactly one insert succeeds.
    """
    if session.scalar(select(JobRun.id).where(JobRun.job == job, JobRun.period == period)) is not None:
        return None
    run = JobRun(job=job, period=period, claimed_at=now, claimed_by=OWNER)
    session.add(run)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return run


def finish_run(session: Session, run: JobRun, now: datetime, outcome: dict) -> None:
    run.finished_at, run.outcome = now, outcome
    session.commit()
