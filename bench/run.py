"""The benchmark in one command: `python -m bench.run` (see bench/README.md). Prints figures; asserts nothing.

Each size gets a fresh database (`<prefix>_<size>`), migrated, loaded in set-based SQL (bench.seed), analyzed.
On the small one: result ingest beside the bare baseline under gunicorn, the alert dashboard and a panel TTR.
On both: the weekly jobs, each in its own process (time and peak RSS), and how they grow with the clinic.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from bench import seed as bench_seed
from bench.app import BASELINE_TABLE
from bench.load import Gunicorn, run_load
from service import db, migrate

VALUES = (1.3, 1.8, 2.2, 2.5, 2.8, 3.4, 4.2, 5.6)  # in range 2.0-3.0, out of range, critical (<1.5, >5.0)


def fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def load(url: str, patients: int, now: datetime, ingest_patients: int) -> bench_seed.Seeded:
    started = time.perf_counter()
    engine = db.make_engine(url)
    with engine.begin() as conn:
        seeded = bench_seed.seed(conn, patients, now, ingest_patients=ingest_patients)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in
                  ("patients", "inr_results", "billable_events", "alerts")}
    engine.dispose()
    print(f"  loaded {counts} in {time.perf_counter() - started:.1f}s", flush=True)
    return seeded


def run_job(job: str, url: str, now: datetime, timeout: float) -> dict:
    completed = subprocess.run([sys.executable, "-m", "bench.job", job, url, now.isoformat()], capture_output=True,
                               text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"{job} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


JOBS = ("missed", "claims", "reminders", "escalation")  # what --jobs may pick, in the order they run


def jobs_at(url: str, now: datetime, timeout: float, chosen: tuple[str, ...] = JOBS) -> dict[str, dict]:
    """The `chosen` jobs: missed tests; claims three times (the first run bills a year of work, the backfill; the
    re-run finds nothing new; the next day's run follows one day of new results, one patient in 7 tested); the
    weekly reminders (everyone's reminder time of the week has come); alert escalation (every seeded alert has
    waited past its delay: each escalates one level)."""
    figures = {}

    def job(label: str, name: str, at: datetime) -> None:
        figures[label] = found = run_job(name, url, at, timeout)
        print(f"  {label:22} {found['seconds']:8.2f} s  peak RSS {found['peak_rss_mb']:7.1f} MB  "
              f"{found['outcome']}", flush=True)

    if "missed" in chosen:
        job("missed", "missed", now)
    if "claims" in chosen:
        claims_three_times(url, now, job)
    if "reminders" in chosen:
        job("reminders", "reminders", now)
    if "escalation" in chosen:
        job("escalation", "escalation", now)
    return figures


def claims_three_times(url: str, now: datetime, job) -> None:
    job("claims (first run)", "claims", now)
    engine = create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # The backfill wrote millions of claim lines. Autovacuum would analyze the table after that; it is off on
        # this machine's PostgreSQL, and with stale statistics the planner reads claim lines by a full scan.
        conn.execute(text("ANALYZE"))
    job("claims (re-run)", "claims", now)
    tomorrow = now + timedelta(days=1)
    with engine.begin() as conn:
        print(f"  (a day later: {bench_seed.a_day_of_new_results(conn, tomorrow)} new results)", flush=True)
    engine.dispose()
    job("claims (next day)", "claims", tomorrow)


def api_figures(url: str, seeded: bench_seed.Seeded, args) -> None:
    env = {"INR_DATABASE_URL": url, "INR_AUTO_MIGRATE": "0", "INR_LOG_LEVEL": "WARNING",
           "INR_LOGIN_RATE_LIMIT": "100000 per minute"}
    rng = random.Random(6)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(BASELINE_TABLE))
    engine.dispose()
    with Gunicorn("bench.app:create_bench_app()", args.workers, env) as server:
        def ingest(_i):
            patient_id, token = seeded.ingest[rng.randrange(len(seeded.ingest))]
            measured = datetime.now(timezone.utc) - timedelta(minutes=rng.randrange(1, 600))
            body = {"client_id": str(uuid.uuid4()), "value": rng.choice(VALUES), "measured_at": measured.isoformat(),
                    "qc_passed": True}
            return "POST", f"/patients/{patient_id}/results", body, {"Authorization": f"Bearer {token}"}

        def baseline(_i):
            return "POST", "/bench/baseline-insert", {}, {}

        for name, make in (("warm-up baseline", baseline), ("warm-up ingest", ingest)):
            run_load(name, server.port, args.concurrency, 100, make)
        base = run_load("baseline insert (bare route)", server.port, args.concurrency, args.requests, baseline)
        real = run_load("result ingest (real API)", server.port, args.concurrency, args.requests, ingest)
        print(f"\n1. Ingest at concurrency {args.concurrency}, gunicorn -w {args.workers}")
        print("  " + base.line())
        print("  " + real.line())
        print(f"  ratio baseline/ingest: throughput {base.throughput / real.throughput:.2f}x, "
              f"p50 latency {real.percentile(50) / base.percentile(50):.2f}x, "
              f"p99 latency {real.percentile(99) / base.percentile(99):.2f}x", flush=True)

        physician_id, token = next(iter(seeded.physician_tokens.items()))
        headers = {"Authorization": f"Bearer {token}"}
        engine = create_engine(url)
        with engine.connect() as conn:
            open_alerts = conn.execute(text(
                "SELECT count(*) FROM alerts a JOIN users u ON u.id = a.physician_id "
                "WHERE u.public_id = :p AND a.status = 'open'"), {"p": physician_id}).scalar()
            patients = conn.execute(text("SELECT count(*) FROM patients p JOIN users u ON u.id = p.physician_id "
                                         "WHERE u.public_id = :p"), {"p": physician_id}).scalar()
        engine.dispose()
        print(f"\n2. One physician: {patients} patients, {open_alerts} open alerts; one request at a time, "
              f"{args.reps} repetitions")
        for label, path in (("GET /alerts (first 100)", "/alerts"),
                            ("GET /alerts?limit=500", "/alerts?limit=500"),
                            ("GET panel-ttr (90 days)", f"/physicians/{physician_id}/panel-ttr"),
                            ("GET panel-ttr (365 days)", f"/physicians/{physician_id}/panel-ttr?window_days=365")):
            result = run_load(label, server.port, 1, args.reps, lambda _i, path=path: ("GET", path, None, headers))
            times = sorted(result.latencies_ms)
            print(f"  {label:26} median {statistics.median(times):8.1f} ms  min {times[0]:8.1f} ms  "
                  f"max {times[-1]:8.1f} ms  statuses {result.statuses}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL URL allowed to create databases")
    parser.add_argument("--db-prefix", default="inr_bench_run")
    parser.add_argument("--patients-small", type=int, default=10_000)
    parser.add_argument("--patients-large", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--ingest-patients", type=int, default=500, help="patients with a login posting results")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--job-timeout", type=float, default=1200, help="seconds before a job run is abandoned")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-jobs", action="store_true", help="only the API figures (on the small size)")
    parser.add_argument("--jobs", default=",".join(JOBS),
                        help=f"comma-separated jobs to run, of {', '.join(JOBS)} (default: all)")
    args = parser.parse_args(argv)
    chosen = tuple(name.strip() for name in args.jobs.split(",") if name.strip())
    if not chosen or set(chosen) - set(JOBS):
        parser.error(f"--jobs takes names from {', '.join(JOBS)}")
    now = datetime.now(timezone.utc)
    print(f"bench at {now:%Y-%m-%d %H:%M} UTC", flush=True)

    jobs: dict[int, dict] = {}
    for size in (args.patients_small,) if args.skip_jobs else (args.patients_small, args.patients_large):
        print(f"\n== {size} patients, 52 weekly results each", flush=True)
        url = fresh_database(args.admin_url, f"{args.db_prefix}_{size}")
        seeded = load(url, size, now, args.ingest_patients if size == args.patients_small else 0)
        if not args.skip_jobs:
            print("3. Weekly jobs", flush=True)
            jobs[size] = jobs_at(url, now, args.job_timeout, chosen)
        if size == args.patients_small and not args.skip_api:
            api_figures(url, seeded, args)

    small, large = args.patients_small, args.patients_large
    if args.skip_jobs:
        return 0
    print(f"\nGrowth of the weekly jobs from {small} to {large} patients ({large / small:.0f}x the patients):")
    for label in jobs[small]:
        a, b = jobs[small][label], jobs[large][label]
        print(f"  {label:22} time {a['seconds']:8.2f} s -> {b['seconds']:8.2f} s ({b['seconds'] / a['seconds']:5.1f}x)"
              f"   peak RSS {a['peak_rss_mb']:7.1f} -> {b['peak_rss_mb']:7.1f} MB "
              f"({b['peak_rss_mb'] / a['peak_rss_mb']:4.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
