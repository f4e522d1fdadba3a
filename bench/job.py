"""One scheduled job in its own process, so its peak memory is its own: prints one JSON line.

`python -m bench.job missed|claims|reminders|escalation DATABASE_URL NOW_ISO`
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import datetime

from schedules.escalation import escalate_overdue_alerts
from schedules.missed import detect_missed_tests
from schedules.reminders import send_weekly_reminders
from service import claim_generation, db
from service.alerts import EscalationDelays
from service.settings import Settings


def run(job: str, session, now: datetime) -> dict:
    """What the scheduler's job of that name does (schedules.jobs.job_table), with the default settings."""
    settings = Settings()
    if job == "missed":
        return detect_missed_tests(session, now)
    if job == "reminders":
        return send_weekly_reminders(session, now, settings=settings)
    if job == "escalation":
        outcome = escalate_overdue_alerts(session, now, EscalationDelays(settings.escalate_critical_after,
                                                                         settings.escalate_out_of_range_after))
        return {"escalated": outcome["escalated"]}  # not the list of every alert
    outcome = claim_generation.generate_claims(session, now)
    return {k: v for k, v in outcome.items() if k != "skipped"}


def peak_rss_kib() -> int:
    """This process's peak resident memory. Linux's VmHWM belongs to the process image, so it starts afresh at exec;
    ru_maxrss does not: a child inherits its parent's high-water mark (the bench runner's, grown by the seed)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def main(job: str, url: str, now_iso: str) -> None:
    now = datetime.fromisoformat(now_iso)
    factory = db.make_sessionmaker(db.make_engine(url))
    before = peak_rss_kib()
    with factory() as session:
        started = time.perf_counter()
        outcome = run(job, session, now)
        seconds = time.perf_counter() - started
    peak = peak_rss_kib()
    print(json.dumps({"job": job, "seconds": round(seconds, 2), "peak_rss_mb": round(peak / 1024, 1),
                      "baseline_rss_mb": round(before / 1024, 1), "outcome": outcome}, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:4])
