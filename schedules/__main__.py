"""The scheduler process: `python -m schedules` (add `--once` to run every job once and exit)."""

from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy.exc import OperationalError

from service import db, migrate
from service.settings import Settings, SettingsError

log = logging.getLogger("schedules")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schedules", description=__doc__)
    parser.add_argument("--once", action="store_true",
                        help="run every job once, print one JSON line per job saying what it did, exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "the schema moved" is all an operator needs

    try:
        settings = Settings.from_environment()
    except SettingsError as exc:
        raise SystemExit(str(exc)) from exc
    engine = db.make_engine(settings.database_url)
    try:
        return _run(engine, settings, once=args.once)
    except OperationalError as exc:
        raise SystemExit(f"Cannot reach the database: {str(exc.orig).strip().splitlines()[0]}") from None
    finally:
        engine.dispose()


def _run(engine, settings: Settings, *, once: bool) -> int:
    from schedules.jobs import build_scheduler, job_table, run_job

    try:
        migrate.ensure_current(engine, settings.auto_migrate)  # the same rule as the web app
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from exc
    factory = db.make_sessionmaker(engine)
    jobs = job_table(settings)

    if once:
        # One JSON line per job on stdout: what it did, or who else holds its period. Logging keeps to warnings
        # and errors (a takeover, a failure), so nothing is said twice.
        for job in jobs:
            print(run_job(factory, job).line(), flush=True)
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
