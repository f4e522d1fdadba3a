"""The scheduler process: `python -m schedules` (add `--once` to run every job once and exit)."""

from __future__ import annotations

import argparse
import logging
import sys

from service import config, db, migrate

log = logging.getLogger("schedules")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schedules", description=__doc__)
    parser.add_argument("--once", action="store_true",
                        help="run every job once, print one JSON line per job saying what it did, exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from schedules.jobs import build_scheduler, job_table, run_job
    from service import _prepare_sqlite_directory

    cfg = config.from_environment()
    _prepare_sqlite_directory(cfg["DATABASE_URL"])
    engine = db.make_engine(cfg["DATABASE_URL"])
    try:
        migrate.ensure_current(engine, cfg["AUTO_MIGRATE"])  # the same rule as the web app
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from exc
    factory = db.make_sessionmaker(engine)
    jobs = job_table(cfg)

    if args.once:
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
