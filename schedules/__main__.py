"""The scheduler process: `python -m schedules` (add `--once` to run every job once and exit)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from service import config, db, migrate

log = logging.getLogger("schedules")


def _ensure_schema(engine, auto_migrate: bool) -> None:
    # Same rule as the web app: migrate when allowed, otherwise refuse to run on an old schema.
    if migrate.is_current(engine):
        return
    if not auto_migrate:
        raise SystemExit("The database schema is not at the current revision; run `flask --app service db-upgrade`.")
    migrate.upgrade(engine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schedules", description=__doc__)
    parser.add_argument("--once", action="store_true", help="run every job once, print outcomes, exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from service import _prepare_sqlite_directory
    from schedules.jobs import build_scheduler, job_table, run_job

    cfg = config.from_environment()
    _prepare_sqlite_directory(cfg["DATABASE_URL"])
    engine = db.make_engine(cfg["DATABASE_URL"])
    _ensure_schema(engine, cfg["AUTO_MIGRATE"])
    factory = db.make_sessionmaker(engine)
    jobs = job_table(cfg)

    if args.once:
        for job in jobs:
            print(json.dumps({"job": job.id, "outcome": run_job(factory, job)}, default=str))
        return 0

    scheduler = build_scheduler(factory, jobs)
    log.info("scheduler starting with jobs: %s", ", ".join(job.id for job in jobs))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
